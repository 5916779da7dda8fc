"""Countries, currencies, tax ids and conversion to the corridor's unit of account."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tahator.domain.local_text import SOLAR_HIJRI_YEARS, Calendar, latin_digits, solar_hijri_day
from tahator.i18n import _

CURRENCY_DIGITS = {"USD": 2, "PKR": 2, "IRR": 2, "AFN": 2, "RUB": 2}
"""Minor-unit digits of the corridor currencies (ISO 4217)."""

COUNTRY_NAMES = {
    "PK": "Pakistan",
    "IR": "Iran",
    "AF": "Afghanistan",
    "RU": "Russia",
}
COUNTRY_CURRENCY = {"PK": "PKR", "IR": "IRR", "AF": "AFN", "RU": "RUB"}

_NTN = re.compile(r"[0-9]{7}-[0-9]")
_IRAN_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


@dataclass(frozen=True)
class Rate:
    """A reference rate: how many units of ``currency`` one unit of account buys."""

    currency: str
    per_unit_of_account: Decimal


def tax_id_problem(country: str, tax_id: str) -> str | None:
    """Why ``tax_id`` is not valid for a firm of ``country``, or ``None`` if it is.

    Pakistan: the FBR's NTN, ``NNNNNNN-N``.  Iran: the 11-digit national ID of a
    legal entity with its check digit.  Other countries: any non-empty id.
    """
    if country == "PK":
        return None if _NTN.fullmatch(tax_id) else f"{tax_id!r} is not an NTN (NNNNNNN-N)"
    if country == "IR":
        if not (len(tax_id) == 11 and tax_id.isascii() and tax_id.isdigit()):
            return f"{tax_id!r} is not an 11-digit Iranian national ID"
        if iran_legal_id_check_digit(tax_id[:10]) != int(tax_id[10]):
            return f"{tax_id!r} has a wrong check digit"
        return None
    return None if tax_id.strip() else "a tax id is required"


def iran_legal_id_check_digit(first_ten: str) -> int:
    """The 11th digit of an Iranian legal-entity national ID.

    k = 10th digit + 2; Σ (digit + k) × weight over the first ten digits, with
    weights 29, 27, 23, 19, 17, 29, 27, 23, 19, 17; the sum mod 11, 10 counting as 0.
    """
    digits = [int(ch) for ch in first_ten]
    k = digits[9] + 2
    remainder = sum((d + k) * w for d, w in zip(digits, _IRAN_WEIGHTS, strict=True)) % 11
    return 0 if remainder == 10 else remainder


def to_unit_of_account(amount: int, currency_digits: int, rate: Decimal, unit_digits: int) -> int:
    """``amount`` minor units of a currency in minor units of the unit of account.

    ``rate`` is units of the currency per unit of account; exact integer
    arithmetic, rounding half-even.
    """
    numerator, denominator = rate.as_integer_ratio()
    return _divide_half_even(
        amount * denominator * 10**unit_digits, numerator * 10**currency_digits
    )


def from_unit_of_account(amount: int, currency_digits: int, rate: Decimal, unit_digits: int) -> int:
    """Minor units of the unit of account in minor units of a currency, half-even."""
    numerator, denominator = rate.as_integer_ratio()
    return _divide_half_even(
        amount * numerator * 10**currency_digits, denominator * 10**unit_digits
    )


class Conversion:
    """One currency's conversion to the unit of account at a rate, exact.

    ``value(amount)`` is ``amount`` minor units of the currency in minor units of the
    unit of account, as an exact ratio ``amount × per_minor / scale``.
    """

    __slots__ = ("identity", "per_minor", "scale")
    identity: bool
    per_minor: int
    scale: int

    def __init__(self, currency_digits: int, rate: Decimal, unit_digits: int) -> None:
        numerator, denominator = rate.as_integer_ratio()
        self.per_minor = denominator * 10**unit_digits
        self.scale = numerator * 10**currency_digits
        self.identity = self.per_minor == self.scale

    def value(self, amount: int) -> int | Fraction:
        """The exact value (an ``int`` where the rate is 1)."""
        return amount if self.identity else Fraction(amount * self.per_minor, self.scale)

    def floor(self, amount: int) -> int:
        """The value rounded down: never more than the amount is worth."""
        return amount if self.identity else amount * self.per_minor // self.scale

    def exceeds(self, amount: int, limit: int) -> bool:
        """Whether ``amount`` is worth more than ``limit`` minor units of the unit of account."""
        return amount * self.per_minor > limit * self.scale

    def local(self, unit_amount: int) -> int | Fraction:
        """The exact amount of the currency worth ``unit_amount`` of the unit of account."""
        if self.identity:
            return unit_amount
        return Fraction(unit_amount * self.scale, self.per_minor)


def _divide_half_even(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


def parse_rate(text: str) -> Decimal:
    """A reference rate as written (``279.50``): ``ValueError`` naming what is wrong."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"rate {text[:40]!r} is not a decimal number") from None
    if (reason := rate_problem(rate)) is not None:
        raise ValueError(reason)
    return rate


def rate_problem(rate: Decimal) -> str | None:
    """Why ``rate`` cannot be a reference rate (units per unit of account), or ``None``."""
    if not rate.is_finite() or rate <= 0 or not -9 <= rate.adjusted() <= 12:
        return f"rate '{rate}' must be a positive number from 1e-9 to 1e12"
    if len(rate.as_tuple().digits) > 30:
        return f"rate '{rate}' has more than 30 digits"
    return None


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows (``Asia/Karachi``)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def business_date(moment: datetime, zone: str) -> date:
    """The business date of the aware ``moment`` in the corridor's ``zone``: 21:00 UTC on
    30 June is already 1 July in Karachi, and a deadline falls on Karachi's date."""
    return moment.astimezone(ZoneInfo(zone)).date()


FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
"""The range of dates the clearing house accepts anywhere: a date outside it is a typo
(year 1, 9999), and refusing it at the edge keeps every later ``+ timedelta`` in range."""


def day_problem(day: date) -> str | None:
    """Why ``day`` is not a date the clearing house accepts, or ``None``."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"{day.isoformat()} is outside the accepted dates, {FIRST_DAY} to {LAST_DAY}"


def iso_day(text: str) -> date | None:
    """The date ``text`` writes as ``YYYY-MM-DD`` (ASCII digits), or ``None``."""
    if len(text) != 10 or not (text[4] == text[7] == "-" and text.isascii()):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_day(text: str, calendar: Calendar = Calendar.GREGORIAN, hint: str = "") -> date:
    """A date within the accepted range, written ``YYYY-MM-DD`` in the Gregorian
    calendar or, with ``calendar`` Solar Hijri, ``YYYY/MM/DD`` or ``YYYY-MM-DD`` in that
    one; Persian and Arabic-Indic digits too.  ``ValueError`` saying why not.

    A Gregorian date whose year is a Solar Hijri one (``1405-09-10``) is refused as out
    of range, saying so, with ``hint`` (how the edge reads Solar Hijri dates) added."""
    if calendar is Calendar.SOLAR_HIJRI:
        day = solar_hijri_day(text)
    else:
        gregorian = iso_day(latin_digits(text.strip()) if len(text) <= 40 else text)
        if gregorian is None:
            raise ValueError(_("%(text)s is not a date (YYYY-MM-DD)") % {"text": repr(text[:40])})
        day = gregorian
    problem = day_problem(day)
    if problem is not None:
        if calendar is Calendar.GREGORIAN and day.year in SOLAR_HIJRI_YEARS:
            problem = _(
                "%(problem)s: %(year)s is a Solar Hijri year, and these dates are Gregorian"
            ) % {"problem": problem, "year": day.year}
            if hint:
                problem = f"{problem}. {hint}"
        elif calendar is Calendar.SOLAR_HIJRI:
            problem = _(
                "%(text)s in the Solar Hijri calendar is %(day)s, outside the accepted dates, "
                "%(first)s to %(last)s"
            ) % {
                "text": repr(text.strip()[:40]),
                "day": day.isoformat(),
                "first": FIRST_DAY.isoformat(),
                "last": LAST_DAY.isoformat(),
            }
        raise ValueError(problem)
    return day
