"""The offers CSV: one offer of goods for goods a row, read into typed records.

Columns: ``id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs,
valid_until`` (``wants_hs``: HS prefixes separated by ``|``).  What a row says is
checked here (the id by the identifier rule, the description and unit by the name
rule of ``domain.identifiers``); whether its firm may trade, and whether an offer of that id is
already registered, only the marketplace knows (``services.market``).

``valid_until`` is Gregorian; Solar Hijri dates go in a ``valid_until_sh`` column instead
(or the file is read with ``calendar`` Solar Hijri).  Values may be grouped and written
in Persian or Arabic-Indic digits, at the currency's customary precision (whole rials).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from tahator.domain.barter import MAX_UNIT, parse_quantity
from tahator.domain.corridor import parse_day
from tahator.domain.errors import Problem
from tahator.domain.identifiers import (
    hidden_problem,
    identifier_problem,
    name_problem,
    normalize_identifier,
)
from tahator.domain.local_text import SOLAR_HIJRI_SUFFIX, Calendar
from tahator.domain.matching import is_hs
from tahator.domain.money import Amount, parse_money
from tahator.i18n import _
from tahator.io.tables import date_column, read_table

OFFER_COLUMNS = (
    "id",
    "firm",
    "gives_hs",
    "description",
    "quantity",
    "unit",
    "value",
    "currency",
    "wants_hs",
    "valid_until",
)
MAX_ID = 100
VALID_UNTIL_SH = "valid_until" + SOLAR_HIJRI_SUFFIX
"""The column of Solar Hijri last days, in place of ``valid_until``."""


def _file_day(calendar: Calendar) -> Callable[[str], date]:
    def read(text: str) -> date:
        hint = _(
            "Solar Hijri dates go in a %(column)s column, or read the file in that calendar "
            "(--calendar solar-hijri)"
        ) % {"column": VALID_UNTIL_SH}
        return parse_day(text, calendar, hint)

    return read


@dataclass(frozen=True)
class OfferRecord:
    """One offer as a file or a request gives it, checked for form."""

    id: str
    firm: str
    gives_hs: str
    description: str
    quantity: Decimal
    unit: str
    value: Amount
    wants_hs: tuple[str, ...]
    """HS prefixes of the goods wanted."""
    valid_until: date
    file: str = ""
    """Where it was read, for problems: the file (or ``request``) and line."""
    line: int | None = None


@dataclass(frozen=True)
class RejectedOffer:
    """A row that is not an offer, with what is wrong with it.

    The marketplace still checks what it can of it (its firm, whether its id is
    taken), so that one report names every problem of a file.
    """

    id: str
    firm: str
    file: str
    line: int | None
    problems: tuple[Problem, ...]
    content: tuple[object, ...]
    """What the row says, a stand-in for each wrong field: two rows are told apart by it."""


OfferRow = OfferRecord | RejectedOffer
"""A row of an offers file: an offer, or what is wrong with it."""


def parse_offer(
    fields: Mapping[str, str],
    digits: Mapping[str, int],
    file: str,
    line: int | None,
    read_day: Callable[[str], date] = _file_day(Calendar.GREGORIAN),
) -> OfferRow:
    """One offer from its fields as text (the columns' names as keys), or what is wrong
    with them.  ``digits`` holds the corridor's currencies and their minor-unit digits."""
    problems: list[Problem] = []

    def problem(message: str, field: str) -> None:
        problems.append(Problem(message, file, line, field))

    offer_id = normalize_identifier(fields["id"])
    gives = fields["gives_hs"].strip()
    currency = fields["currency"].strip().upper()
    wants = tuple(w.strip() for w in fields["wants_hs"].split("|") if w.strip())
    unit = fields["unit"].strip()
    wrong_id = identifier_problem(offer_id, MAX_ID)
    if wrong_id is not None:
        problem(wrong_id, "id")
    if not is_hs(gives):
        problem(f"{gives!r} is not an HS code", "gives_hs")
    if not wants or not all(is_hs(w, 2) for w in wants):
        problem(f"{fields['wants_hs']!r} is not HS prefixes separated by |", "wants_hs")
    quantity = Decimal(0)
    try:
        quantity = parse_quantity(fields["quantity"])
    except ValueError as error:
        problem(str(error), "quantity")
    wrong_unit = name_problem(unit, MAX_UNIT)
    if wrong_unit is not None:
        problem(wrong_unit, "unit")
    value = 0
    if currency not in digits:
        problem(f"{currency!r} is not a corridor currency", "currency")
    else:
        try:
            value = parse_money(fields["value"].strip(), currency, digits[currency])
            if value == 0:
                problem("must be positive", "value")
        except ValueError as error:
            problem(str(error), "value")
    valid_until = date.min
    try:
        valid_until = read_day(fields["valid_until"])
    except ValueError as error:
        problem(str(error), "valid_until")
    firm, description = fields["firm"].strip(), fields["description"].strip()
    hidden = hidden_problem(description)
    if hidden is not None:
        problem(hidden, "description")
    if problems:
        content = (offer_id, firm, gives, description, str(quantity), unit, value, currency)
        return RejectedOffer(
            offer_id,
            firm,
            file,
            line,
            tuple(problems),
            (*content, "|".join(wants), valid_until),
        )
    return OfferRecord(
        id=offer_id,
        firm=firm,
        gives_hs=gives,
        description=description,
        quantity=quantity,
        unit=unit,
        value=Amount(value, currency, digits[currency]),
        wants_hs=wants,
        valid_until=valid_until,
        file=file,
        line=line,
    )


def read_offers(
    path: Path,
    digits: Mapping[str, int],
    *,
    data: bytes | None = None,
    calendar: Calendar = Calendar.GREGORIAN,
) -> tuple[OfferRow, ...]:
    """The rows of the CSV file at ``path`` (``data``: its content, already read).

    A file that is not a CSV of these columns raises ``InputError``; a row that is
    not an offer comes back as a ``RejectedOffer``, so that the marketplace reports
    its problems with its own, all at once.
    """
    table = read_table(path, OFFER_COLUMNS[:-1], ("valid_until", VALID_UNTIL_SH), data=data)
    last_day, calendar = date_column(table, "valid_until", VALID_UNTIL_SH, calendar)
    columns = [table.columns[name] for name in (*OFFER_COLUMNS[:-1], last_day)]
    read_day = _file_day(calendar)
    return tuple(
        parse_offer(
            dict(zip(OFFER_COLUMNS, values, strict=True)),
            digits,
            table.path,
            table.line(row),
            read_day,
        )
        for row, values in enumerate(zip(*columns, strict=True))
    )
