"""Border markets: the markets as validated data, residents' national ids, quotas.

A border (sustenance) market serves residents of the border districts: each
market has its goods (HS prefixes), its opening days and per-resident value
quotas per transaction, per day and per month, in minor units of the corridor's
unit of account.  Markets live in a TOML file per corridor; ``parse_markets``
turns its parsed content into ``Market`` values or names every field that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tahator.domain.corridor import FIRST_DAY, LAST_DAY, day_problem
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR, parse_amount

_HS_PREFIX = re.compile(r"[0-9]{2,10}")
_CODE = re.compile(r"[A-Z][A-Z0-9-]{1,39}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Opening days as written in the TOML file, in ``date.weekday()`` order."""
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class MarketStatus(StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    CLOSED = "closed"


class Quota(StrEnum):
    TRANSACTION = "transaction"
    DAILY = "daily"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Market:
    code: str
    name: str
    status: MarketStatus
    opened: date | None
    """The first day it traded, when known."""
    countries: tuple[str, ...]
    districts: tuple[str, ...]
    """Border districts whose residents it serves (empty: any)."""
    goods: tuple[str, ...]
    """HS prefixes that may be sold."""
    opening_days: frozenset[int]
    """``date.weekday()`` numbers."""
    transaction_quota: int
    daily_quota: int
    monthly_quota: int
    """Minor units of the unit of account, per resident."""
    source: str

    def quota(self, which: Quota) -> int:
        return {
            Quota.TRANSACTION: self.transaction_quota,
            Quota.DAILY: self.daily_quota,
            Quota.MONTHLY: self.monthly_quota,
        }[which]

    def goods_prefix(self, hs: str) -> str | None:
        """The prefix on the goods list that ``hs`` falls under, if any."""
        return next((p for p in self.goods if hs.startswith(p)), None)

    def closed_reason(self, day: date) -> str | None:
        """Why the market does not trade on ``day``, or ``None`` when it does."""
        if self.status is not MarketStatus.OPEN:
            return f"market {self.code} is {self.status}, not open"
        if self.opened is not None and day < self.opened:
            return f"market {self.code} opened on {self.opened.isoformat()}"
        if day.weekday() not in self.opening_days:
            return f"market {self.code} is closed on {DAY_NAMES[day.weekday()]}s"
        return None


@dataclass(frozen=True)
class Target:
    """The corridor's trade target: ``annual`` a year by the end of ``year``,
    or ``multiple`` times the ``baseline_year``'s official trade."""

    annual: int
    year: int
    multiple: Decimal
    baseline_year: int
    baseline: int
    """The baseline year's trade when the statistics do not hold all of it."""
    source: str
    min_firms: int = 3
    """A monthly figure made up by fewer firms than this (but some) is withheld from
    roles that may not see a single firm's trade (``services.access.FIRM_FIGURE_READERS``)."""


@dataclass(frozen=True)
class TradePolicy:
    unit_of_account: str
    markets: tuple[Market, ...]
    target: Target

    def market(self, code: str) -> Market | None:
        return next((m for m in self.markets if m.code == code.upper()), None)


@dataclass(frozen=True)
class QuotaBreach:
    """A sale that would exceed ``quota``: its limit and what is left of it."""

    quota: Quota
    limit: int
    remaining: int


def quota_breach(
    market: Market, used_today: int, used_this_month: int, amount: int
) -> QuotaBreach | None:
    """The first quota ``amount`` would exceed, given what the resident bought already.

    Checked per transaction, then per day, then per month; ``remaining`` never
    goes below zero.
    """
    for which, used in (
        (Quota.TRANSACTION, 0),
        (Quota.DAILY, used_today),
        (Quota.MONTHLY, used_this_month),
    ):
        limit = market.quota(which)
        if used + amount > limit:
            return QuotaBreach(which, limit, max(limit - used, 0))
    return None


# National ids of border residents.

_CNIC = re.compile(r"([0-9]{5})-?([0-9]{7})-?([0-9])")


def iran_national_code_check_digit(first_nine: str) -> int:
    """The 10th digit of an Iranian national code (کد ملی).

    Σ digit × weight with weights 10 down to 2 over the first nine digits, mod 11:
    a remainder r < 2 is the check digit, otherwise 11 − r.
    """
    remainder = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True)) % 11
    return remainder if remainder < 2 else 11 - remainder


def parse_national_id(text: str) -> tuple[str, str]:
    """``(country, digits)`` for a Pakistani CNIC or an Iranian national code.

    A CNIC is 13 digits (``NNNNN-NNNNNNN-N`` with or without dashes) whose first
    digit, the province, is 1 to 7.  An Iranian national code is 10 digits whose
    last is its check digit; codes of one repeated digit are refused, as Iran's
    registry issues none.  ``ValueError`` says what is wrong.
    """
    value = text.strip()
    if not value.isascii():
        raise ValueError(f"{text!r} must be written in ASCII digits")
    cnic = _CNIC.fullmatch(value)
    if cnic is not None:
        digits = "".join(cnic.groups())
        if digits[0] not in "1234567":
            raise ValueError(f"{text!r} is not a CNIC: its first digit (province) must be 1 to 7")
        return "PK", digits
    if len(value) == 10 and value.isdigit():
        if len(set(value)) == 1:
            raise ValueError(f"{text!r} is not an Iranian national code (one repeated digit)")
        if iran_national_code_check_digit(value[:9]) != int(value[9]):
            raise ValueError(f"{text!r} is not an Iranian national code: wrong check digit")
        return "IR", value
    raise ValueError(
        f"{text!r} is neither a Pakistani CNIC (13 digits) nor an Iranian national code (10 digits)"
    )


# Parsing the TOML file.


def parse_trade_policy(data: Mapping[str, Any], source: str = "markets") -> TradePolicy:
    """A ``TradePolicy`` from parsed TOML; ``InputError`` names every missing or bad field."""
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(message, source, field=field))

    def get(node: Any, path: str, key: str, kind: type, required: bool = True) -> Any:
        field = f"{path}.{key}" if path else key
        if not isinstance(node, Mapping) or key not in node:
            if required:
                bad(field, "is missing")
            return None
        value = node[key]
        if kind is date:
            # A TOML date (not a date-time), in the accepted range.
            if not isinstance(value, date) or isinstance(value, datetime):
                bad(field, f"must be a date (YYYY-MM-DD), not {value!r}")
                return None
            if (problem := day_problem(value)) is not None:
                bad(field, problem)
                return None
            return value
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            bad(field, f"must be {kind.__name__}, not {value!r}")
            return None
        return value

    unit = get(data, "", "unit_of_account", str) or "USD"
    digits = 2

    def amount(node: Any, path: str, key: str, positive: bool = True) -> int:
        text = get(node, path, key, str)
        if text is None:
            return 0
        try:
            minor = parse_amount(text, digits)
        except ValueError as error:
            bad(f"{path}.{key}", str(error))
            return 0
        if positive and minor == 0:
            bad(f"{path}.{key}", "must be positive")
        return minor

    markets: list[Market] = []
    entries = data.get("market")
    if not isinstance(entries, list) or not entries:
        bad("market", "must be a non-empty list of [[market]] tables")
        entries = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        path = f"market[{number}]"
        if not isinstance(entry, Mapping):
            bad(path, "must be a table")
            continue
        code = get(entry, path, "code", str) or ""
        if code and not _CODE.fullmatch(code):
            bad(f"{path}.code", f"{code!r} must be capital letters, digits and dashes")
        if code in seen:
            bad(f"{path}.code", f"{code!r} appears twice")
        seen.add(code)
        status_text = get(entry, path, "status", str) or "open"
        try:
            status = MarketStatus(status_text)
        except ValueError:
            bad(f"{path}.status", f"{status_text!r} must be open, planned or closed")
            status = MarketStatus.CLOSED
        goods = get(entry, path, "goods", list) or []
        for prefix in goods:
            if not (isinstance(prefix, str) and _HS_PREFIX.fullmatch(prefix)):
                bad(f"{path}.goods", f"{prefix!r} is not an HS code or prefix")
        if not goods:
            bad(f"{path}.goods", "must list at least one HS prefix")
        days = get(entry, path, "opening_days", list) or []
        for day in days:
            if day not in DAYS:
                bad(f"{path}.opening_days", f"{day!r} must be one of {', '.join(DAYS)}")
        countries = get(entry, path, "countries", list, required=False) or []
        districts = get(entry, path, "districts", list, required=False) or []
        for field, values in (("countries", countries), ("districts", districts)):
            if not all(isinstance(v, str) and v.strip() for v in values):
                bad(f"{path}.{field}", "must be a list of non-empty strings")
        transaction = amount(entry, path, "transaction_quota")
        daily = amount(entry, path, "daily_quota")
        monthly = amount(entry, path, "monthly_quota")
        if transaction and daily and monthly and not transaction <= daily <= monthly:
            bad(f"{path}.daily_quota", "quotas must grow: transaction ≤ daily ≤ monthly")
        markets.append(
            Market(
                code=code,
                name=get(entry, path, "name", str) or code,
                status=status,
                opened=get(entry, path, "opened", date, required=False),
                countries=tuple(str(c) for c in countries),
                districts=tuple(str(d) for d in districts),
                goods=tuple(str(g) for g in goods),
                opening_days=frozenset(DAYS.index(d) for d in days if d in DAYS),
                transaction_quota=transaction,
                daily_quota=daily,
                monthly_quota=monthly,
                source=get(entry, path, "source", str, required=False) or source,
            )
        )
    node = data.get("target")
    if not isinstance(node, Mapping):
        bad("target", "is missing: a [target] table")
        node = {}
    annual = amount(node, "target", "annual")
    year = get(node, "target", "year", int) or 0
    baseline_year = get(node, "target", "baseline_year", int) or 0
    if year and baseline_year and not 1990 < baseline_year < year < 2200:
        bad("target.year", "must come after target.baseline_year")
    elif year and not FIRST_DAY.year <= year <= LAST_DAY.year:
        bad("target.year", f"must be from {FIRST_DAY.year} to {LAST_DAY.year}")
    multiple_text = get(node, "target", "multiple", str) or "1"
    try:
        multiple = Decimal(multiple_text)
        if not (multiple.is_finite() and 0 < multiple <= 1000):
            raise InvalidOperation
    except InvalidOperation:
        bad("target.multiple", f"{multiple_text!r} must be a positive number")
        multiple = Decimal(1)
    min_firms = get(node, "target", "min_firms", int, required=False)
    target = Target(
        annual=annual,
        year=year,
        multiple=multiple,
        baseline_year=baseline_year,
        baseline=amount(node, "target", "baseline"),
        source=get(node, "target", "source", str, required=False) or source,
        min_firms=3 if min_firms is None else min_firms,
    )
    if not 1 <= target.min_firms <= 1000:
        bad("target.min_firms", f"{target.min_firms} must be from 1 to 1000")
    if annual > MAX_MINOR // 1000:
        bad("target.annual", "is too large")
    if problems:
        raise InputError(problems)
    return TradePolicy(unit, tuple(markets), target)
