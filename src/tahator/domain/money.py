"""Money as integer minor units; decimal strings only at the edges.

Amounts are exact: a decimal string converts to an integer count of minor units
(``10**-scale`` of the major unit) or is refused, never rounded.  Every total must
fit a signed 64-bit integer, the width of OR-Tools' flows and of SQL BIGINT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tahator.domain.errors import Problem
from tahator.domain.local_text import latin_digits, ungrouped
from tahator.i18n import _

MAX_MINOR = 2**63 - 1
"""The largest amount, or total of amounts, that Tahator handles (signed 64-bit)."""

CUSTOMARY_DIGITS = {"IRR": 0}
"""Currencies written with fewer decimals than ISO 4217 gives them (rials: none).  An
amount typed in one is refused with a finer fraction; storage keeps the ISO minor
units, and ``display`` shows it at this precision."""

_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]*))?|\.([0-9]+)")


def fraction_digits(text: str) -> int:
    """Digits after the decimal point in ``text`` (0 when there is none)."""
    text = latin_digits(text)
    point = text.find(".")
    return 0 if point < 0 else len(text) - point - 1


def parse_amount(text: str, scale: int) -> int:
    """The non-negative decimal ``text`` as minor units at ``scale`` fraction digits.

    Raises ``ValueError`` with a message for a user when ``text`` is not a plain
    non-negative decimal, has more than ``scale`` fraction digits, or exceeds
    ``MAX_MINOR``.  Digits may be Persian or Arabic-Indic, and the whole part grouped
    by commas (``1,000``, ``10,00,000``; ``local_text.ungrouped``).
    """
    written = text
    text = latin_digits(text)
    if "," in text:
        sign = "-" if text.startswith("-") else ""
        text = sign + ungrouped(text.removeprefix("-"))
    match = _AMOUNT.fullmatch(text)
    if match is None:
        if text.strip().startswith("-"):
            rest = _AMOUNT.fullmatch(text.strip()[1:])
            if rest is not None and not rest.group(0).strip("0."):  # "-0" is not negative
                raise ValueError(
                    _("%(amount)s has a minus sign: write the amount without one")
                    % {"amount": repr(written)}
                )
            raise ValueError(_("%(amount)s is negative") % {"amount": repr(written)})
        raise ValueError(_("%(amount)s is not a decimal number") % {"amount": repr(written)})
    whole, fraction, bare_fraction = match.groups()
    if bare_fraction is not None:
        whole, fraction = "0", bare_fraction
    fraction = fraction or ""
    whole = whole.lstrip("0") or "0"
    if len(whole) > len(str(MAX_MINOR)):  # before int(): Python refuses 4,300 digits
        raise ValueError(_("%(amount)s… is too large") % {"amount": repr(written[:40])})
    if len(fraction) > scale:
        raise ValueError(
            _("%(amount)s has more than %(places)s fraction digits")
            % {"amount": repr(written), "places": scale}
        )
    minor: int = int(whole) * 10**scale + int(fraction.ljust(scale, "0") or "0")
    if minor > MAX_MINOR:
        raise ValueError(
            _("%(amount)s is too large (at most %(largest)s)")
            % {"amount": repr(written), "largest": format_amount(MAX_MINOR, scale)}
        )
    return minor


PERCENT_DIGITS = 4
"""A share is written as a percentage with at most this many decimal places."""


def parse_percent(text: str) -> Decimal:
    """The share (0 to 1) that ``text``, a percentage from 0 to 100 (without the ``%``)
    written like an amount, names.  Raises ``ValueError`` with a message for a user."""
    try:
        parts = parse_amount(text, PERCENT_DIGITS)
    except ValueError as error:
        if "fraction digits" not in str(error):
            raise
        raise ValueError(
            f"{text + '%'!r} is finer than a share may be: at most {PERCENT_DIGITS} decimal "
            "places of a percent"
        ) from None
    if parts > 100 * 10**PERCENT_DIGITS:
        raise ValueError(f"{text + '%'!r} is more than 100%")
    return Decimal(parts).scaleb(-PERCENT_DIGITS - 2)


def parse_money(text: str, currency: str, digits: int) -> int:
    """``text``, an amount of ``currency`` (``digits``: its ISO minor-unit digits), in
    minor units, refused (``ValueError`` with a message) where it is finer than the
    currency is written: ``0.50`` rials is half a rial, which no one pays."""
    customary = min(CUSTOMARY_DIGITS.get(currency, digits), digits)
    minor = parse_amount(text, digits)
    if minor % 10 ** (digits - customary):
        if customary == 0:
            raise ValueError(
                _("%(text)s %(currency)s has a fraction: %(currency)s is written in whole units")
                % {"text": repr(text.strip()[:40]), "currency": currency}
            )
        raise ValueError(
            _("%(text)s %(currency)s has more than %(places)s fraction digits")
            % {"text": repr(text.strip()[:40]), "currency": currency, "places": customary}
        )
    return minor


def positive_amount(
    value: str, currency: str, digits: Mapping[str, int], problems: list[Problem]
) -> int:
    """``value`` in minor units of ``currency``, which must be one of ``digits``' (the
    corridor's currencies) and the amount positive; otherwise 0, with the problem added
    (field ``currency`` or ``value``), so a form's every problem is reported at once."""
    if currency not in digits:
        problems.append(
            Problem(
                _("%(currency)s is not a corridor currency") % {"currency": repr(currency)},
                field="currency",
            )
        )
        return 0
    try:
        amount = parse_money(value, currency, digits[currency])
    except ValueError as error:
        problems.append(Problem(str(error), field="value"))
        return 0
    if amount == 0:
        problems.append(Problem(_("must be positive"), field="value"))
    return amount


def format_amount(minor: int, scale: int) -> str:
    """Minor units as a decimal string with exactly ``scale`` fraction digits."""
    if scale == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**scale)
    return f"{sign}{whole}.{fraction:0{scale}d}"


def share(part: int, whole: int) -> float:
    """``part / whole`` as a ratio for display (0 when ``whole`` is 0); not money."""
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount of money as services return it: integer minor units of ``currency``,
    with the currency's minor-unit ``digits`` so that any edge can format it exactly.

    Formatting (decimal strings, locale digits and grouping) happens only at the
    edges, in ``tahator.formatting``.
    """

    minor: int
    currency: str
    digits: int

    @property
    def decimal(self) -> Decimal:
        """The amount as an exact decimal with the currency's digits (``1234.50``)."""
        return Decimal(self.minor).scaleb(-self.digits)

    def __add__(self, other: Amount) -> Amount:
        if (other.currency, other.digits) != (self.currency, self.digits):
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Amount(self.minor + other.minor, self.currency, self.digits)
