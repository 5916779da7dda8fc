"""The one place where results become text: amounts, dates and JSON documents.

Services return frozen dataclasses of integers, ``Amount``s, dates and enums.  The
CLI's tables and ``--json``, the API's documents and the web's templates format
them here, so a change of presentation (or a locale) is made once.

A result dataclass's field names are its JSON keys.  A field declared with
``field(metadata=OMIT_EMPTY)`` is left out of the JSON when it is empty (``None``,
an empty tuple, zero), for documents whose keys appear only when they apply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from tahator.domain.money import Amount, format_amount
from tahator.i18n import N_, _

OMIT_EMPTY: Mapping[str, bool] = {"omit_empty": True}
"""``field(metadata=OMIT_EMPTY)``: no key in the JSON when the value is empty."""


def amount(value: Amount | None) -> str:
    """``value`` as a plain decimal string at its currency's precision (``"1234.50"``)."""
    return "" if value is None else format_amount(value.minor, value.digits)


def money(value: Amount | None) -> str:
    """``value`` with its currency, for people: ``"1234.50 USD"``."""
    return "" if value is None else f"{amount(value)} {value.currency}"


def grouped(value: Amount) -> str:
    """``value`` with thousands separators: ``"1,234,567.89"`` (``"-0.50"``, ``"1,000"``)."""
    return _grouped(value.minor < 0, abs(value.minor), value.digits)


def _grouped(negative: bool, magnitude: int, digits: int) -> str:
    whole, fraction = divmod(magnitude, 10**digits)
    text = f"{'-' if negative else ''}{whole:,}"
    return f"{text}.{fraction:0{digits}d}" if digits else text


def _half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (both >= 0) rounded half to even, as ``Decimal`` does."""
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient


def compact(value: Amount, currency: str = "") -> str:
    """Large amounts in words: ``2,630,000,000.00`` → ``"2.63 billion USD"``; smaller
    ones grouped and rounded to whole units (``"1,235 USD"``)."""
    negative, magnitude, unit = value.minor < 0, abs(value.minor), 10**value.digits
    for size, word in ((10**9, "billion"), (10**6, "million")):
        if magnitude >= size * unit:
            hundredths = _half_even(magnitude * 100, size * unit)
            return f"{_grouped(negative, hundredths, 2)} {word} {currency}".strip()
    # The sign stays on a rounded zero ("-0"), as the pages have always shown it.
    return f"{_grouped(negative, _half_even(magnitude, unit), 0)} {currency}".strip()


def percent(ratio: Decimal | float | str | None) -> str:
    """A ratio as a percentage to one decimal: ``0.4567`` → ``"45.7 %"``; ``"—"`` if none."""
    try:
        return f"{Decimal(str(ratio)) * 100:.1f} %"
    except (InvalidOperation, TypeError):
        return "—"


def share_percent(value: Decimal | str) -> str:
    """A share exactly as a percentage, no trailing zeros: ``"0.2"`` → ``"20%"``."""
    return f"{format((Decimal(value) * 100).normalize(), 'f')}%"


NOT_ALLOWED = {
    "operator": N_("an operator may not do this"),
    "trader": N_("a trader may not do this"),
    "bank": N_("a bank may not do this"),
    "customs": N_("a customs officer may not do this"),
    "auditor": N_("an auditor may not do this"),
}


def not_allowed(role: str) -> str:
    """What a user whose ``role`` may not do something is told, everywhere in the same
    words ("an auditor may not do this", "a customs officer may not do this"), in the
    reader's language."""
    return _(NOT_ALLOWED.get(str(role), N_("you may not do this")))


def day(value: date | datetime | str | None) -> str:
    """Dates as ``2026-11-24``, timestamps (or ISO timestamp strings) as
    ``2026-11-24 14:05 UTC``; ``"—"`` for nothing, other text unchanged."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if len(text) > 10 and text[10] == "T":
        try:
            return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M UTC")
        except ValueError:
            return text
    return text


def cell(value: object) -> str:
    """``value`` as one cell of a plain-text table: nothing for ``None``, ``yes``/``no``,
    amounts as decimal strings, lists comma-joined, mappings as ``key: value`` pairs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Amount):
        return amount(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return ", ".join(f"{cell(k)}: {cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(cell(item) for item in value)
    return str(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}
"""Each dataclass's (field name, omit when empty), looked up once per class: a
10,000-name screening result holds some 100,000 dataclasses."""


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses become objects keyed by field name,
    amounts decimal strings, dates ISO 8601, enums their values, tuples lists."""
    if type(value) in _PLAIN:  # exact types: a StrEnum is not plain
        return value
    if isinstance(value, Amount):
        return amount(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = _FIELDS.get(type(value))
        if fields is None:
            fields = _FIELDS[type(value)] = tuple(
                (f.name, bool(f.metadata.get("omit_empty"))) for f in dataclasses.fields(value)
            )
        document: dict[str, Any] = {}
        for name, omit_empty in fields:
            item = getattr(value, name)
            if omit_empty and not item:
                continue
            document[name] = jsonable(item)
        return document
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return value
