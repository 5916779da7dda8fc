"""The obligations CSV: ``id,debtor,creditor,amount,currency,due_date``, one invoice a row.

``due_date`` is Gregorian (``2026-03-03``): a Solar Hijri date there (``1405-09-10``) is
refused as out of range, never read as the year 1405.  Solar Hijri dates go in a
``due_date_sh`` column instead (``1404/12/12`` or ``1404-12-12``), or the whole file is
read in that calendar (``calendar``: the CLI's ``--calendar solar-hijri``).  Amounts may
be grouped (``"1,000"``, ``"10,00,000"``) and written in Persian or Arabic-Indic digits;
a rial amount is whole rials (``money.parse_money``).

The reader parses each row's fields to typed values (amounts in minor units of the
row's currency) and names every row it cannot parse, ``FILE:LINE: field: reason``.
The id (the submitter's reference) follows the identifier rule of ``domain.identifiers``;
references the system makes (a barter residual's ``…/residual``) are not read here.
What needs the database (are the firms registered, is the reference taken) the
service checks.  The API and the web build the same records with ``obligation_record``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tahator.domain.corridor import parse_day
from tahator.domain.errors import Problem
from tahator.domain.identifiers import identifier_problem, normalize_identifier
from tahator.domain.local_text import SOLAR_HIJRI_SUFFIX, Calendar
from tahator.domain.money import parse_money
from tahator.i18n import _
from tahator.io.tables import date_column, read_table

OBLIGATION_COLUMNS = ("id", "debtor", "creditor", "amount", "currency", "due_date")
DUE_DATE_SH = "due_date" + SOLAR_HIJRI_SUFFIX
"""The column of Solar Hijri due dates, in place of ``due_date``."""


def solar_hijri_hint(column: str) -> str:
    """How a CSV file gives Solar Hijri dates, for a refusal of one in ``column``."""
    return _(
        "Solar Hijri dates go in a %(column)s column, or read the file in that calendar "
        "(--calendar solar-hijri)"
    ) % {"column": column + SOLAR_HIJRI_SUFFIX}


MAX_REFERENCE = 100


@dataclass(frozen=True, slots=True)
class ObligationRecord:
    """One obligation as submitted: the debtor owes the creditor ``amount`` by ``due_date``."""

    reference: str
    """The submitter's own id for it, unique per debtor."""
    debtor: str
    creditor: str
    amount: int
    """Minor units of ``currency``."""
    currency: str
    due_date: date
    line: int = field(default=0, compare=False)
    """Where it was submitted (a file's line, or an item's place in a request + 2)."""


@dataclass(frozen=True)
class ObligationRows:
    """What a file or a request holds: the rows that parse and the problems of the others."""

    source: str
    """How problems name the input: a file's path, ``request`` or ``form``."""
    records: tuple[ObligationRecord, ...]
    problems: tuple[Problem, ...] = ()


def obligation_record(
    source: str,
    line: int,
    fields: tuple[str, str, str, str, str, str],
    digits: Mapping[str, int],
    problems: list[Problem],
    reference_field: str = "reference",
    calendar: Calendar = Calendar.GREGORIAN,
    due_field: str = "due_date",
) -> ObligationRecord | None:
    """The record of one row's ``fields`` (reference, debtor, creditor, amount,
    currency, due date as text), or ``None`` with its problems added.

    ``digits`` holds the corridor's currencies and their minor-unit digits: an amount
    is exact at its currency's precision or refused.  A problem of the reference
    names ``reference_field``: ``reference`` as a request calls it, a file's ``id``
    column for a file.  The due date is read in ``calendar``; its problem names
    ``due_field``.
    """
    reference_text, debtor_text, creditor_text, amount_text, currency_text, due_text = fields
    reference = normalize_identifier(reference_text)
    debtor, creditor = debtor_text.strip(), creditor_text.strip()
    currency = currency_text.strip().upper()
    found = len(problems)
    wrong_reference = identifier_problem(reference, MAX_REFERENCE)
    if wrong_reference is not None:
        problems.append(Problem(wrong_reference, source, line, reference_field))
    amount = 0
    if currency not in digits:
        known = ", ".join(sorted(digits))
        problems.append(
            Problem(
                f"{currency_text!r} is not a corridor currency ({known})", source, line, "currency"
            )
        )
    else:
        try:
            amount = parse_money(amount_text.strip(), currency, digits[currency])
        except ValueError as error:
            problems.append(Problem(str(error), source, line, "amount"))
    try:
        due = parse_day(due_text, calendar, solar_hijri_hint("due_date"))
    except ValueError as error:
        problems.append(Problem(str(error), source, line, due_field))
    if len(problems) > found:
        return None
    return ObligationRecord(reference, debtor, creditor, amount, currency, due, line)


def read_obligations(
    path: Path,
    digits: Mapping[str, int],
    *,
    data: bytes | None = None,
    calendar: Calendar = Calendar.GREGORIAN,
) -> ObligationRows:
    """The obligations in the CSV file at ``path`` (or ``data``, its content), due
    dates in ``due_date`` (Gregorian, or in ``calendar``) or in ``due_date_sh``.

    Raises ``InputError`` for a file that is not such a CSV at all (unreadable, not
    UTF-8, larger than 256 MiB, a column missing, no rows); row problems come back
    with the rows that parse, for the service to report with its own.
    """
    table = read_table(path, OBLIGATION_COLUMNS[:-1], ("due_date", DUE_DATE_SH), data=data)
    c = table.columns
    due_field, calendar = date_column(table, "due_date", DUE_DATE_SH, calendar)
    problems: list[Problem] = []
    records: list[ObligationRecord] = []
    for row, fields in enumerate(
        zip(
            c["id"],
            c["debtor"],
            c["creditor"],
            c["amount"],
            c["currency"],
            c[due_field],
            strict=True,
        )
    ):
        record = obligation_record(
            table.path,
            table.line(row),
            fields,
            digits,
            problems,
            reference_field="id",
            calendar=calendar,
            due_field=due_field,
        )
        if record is not None:
            records.append(record)
    return ObligationRows(table.path, tuple(records), tuple(problems))
