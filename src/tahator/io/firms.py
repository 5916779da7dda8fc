"""The firms CSV: ``id,name,country,tax_id`` and optionally ``aliases`` (``|``-separated),
``active_taxpayer``, ``psw_subscribed`` and ``state_enterprise`` (true or false), and the
firm's bank account, ``iban`` and ``bic`` (checked by ``services.bank_accounts``).

The reader parses each row to a typed record and names what is wrong with a row,
``FILE:LINE: field: reason``; the id follows the identifier rule and the name and
aliases the name rule (``domain.identifiers``).  Whether the country is in the corridor, the tax id
valid for it, or the firm already registered otherwise, the service checks.  The API
and the web build the same records with ``firm_record``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tahator.domain.errors import Problem
from tahator.domain.identifiers import identifier_problem, name_problem, normalize_identifier
from tahator.io.tables import read_table

FIRM_COLUMNS = ("id", "name", "country", "tax_id")
FIRM_OPTIONAL = ("aliases", "active_taxpayer", "psw_subscribed", "state_enterprise")
FLAGS = ("active_taxpayer", "psw_subscribed", "state_enterprise")
ACCOUNT_COLUMNS = ("iban", "bic")
MAX_ID = 64
MAX_NAME = 300
MAX_TAX_ID = 40
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", ""})


@dataclass(frozen=True, slots=True)
class FirmRecord:
    """A firm as submitted; compared with a stored firm to detect changed content."""

    id: str
    name: str
    country: str
    tax_id: str
    aliases: tuple[str, ...]
    """Other names it trades under, sorted, without repeats."""
    active_taxpayer: bool
    psw_subscribed: bool
    state_enterprise: bool
    line: int = field(default=0, compare=False)
    """Where it was submitted (a file's line, or 2 for a single request or form)."""


@dataclass(frozen=True, slots=True)
class AccountRow:
    """A firm's bank account as a file row gives it, not yet checked."""

    firm_id: str
    iban: str
    bic: str
    line: int


@dataclass(frozen=True)
class FirmRows:
    """What a file or a request holds: the rows that parse and the problems of the others."""

    source: str
    """How problems name the input: a file's path, ``request`` or ``form``."""
    records: tuple[FirmRecord, ...]
    problems: tuple[Problem, ...] = ()
    accounts: tuple[AccountRow, ...] = ()
    """The rows' bank accounts, where the file has an ``iban`` column and a row an IBAN."""


def parse_flag(text: str) -> bool:
    """``true/yes/y/1`` or ``false/no/n/0/empty``; ``ValueError`` otherwise."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not true or false")


def aliases_of(names: Iterable[str]) -> tuple[str, ...]:
    """Other names, each stripped, sorted, without repeats or empty ones.

    A ``|`` separates names wherever they come from, as it does in the file, so a
    name is stored the same way however it was submitted.
    """
    return tuple(sorted({a.strip() for name in names for a in name.split("|")} - {""}))


def firm_record(
    source: str,
    line: int,
    fields: tuple[str, str, str, str],
    aliases: tuple[str, ...],
    flags: tuple[bool, bool, bool],
    problems: list[Problem],
) -> FirmRecord | None:
    """The record of one firm: ``fields`` (id, name, country, tax id), its ``aliases``
    (from ``aliases_of``) and ``FLAGS``, or ``None`` with its problems added."""
    firm_id, name, country, tax_id = (
        normalize_identifier(fields[0]),
        fields[1].strip(),
        fields[2].strip().upper(),
        fields[3].strip(),
    )
    found = len(problems)
    id_problem = identifier_problem(firm_id, MAX_ID)
    if id_problem is not None:
        problems.append(Problem(id_problem, source, line, "id"))
        return None
    wrong_name = name_problem(name, MAX_NAME)
    if wrong_name is not None:
        problems.append(Problem(wrong_name, source, line, "name"))
    wrong_alias = next(filter(None, (name_problem(alias, MAX_NAME) for alias in aliases)), None)
    if wrong_alias is not None:
        problems.append(Problem(f"an alias {wrong_alias}", source, line, "aliases"))
    if len(tax_id) > MAX_TAX_ID:
        problems.append(Problem(f"is longer than {MAX_TAX_ID} characters", source, line, "tax_id"))
    if len(problems) > found:
        return None
    active_taxpayer, psw_subscribed, state_enterprise = flags
    return FirmRecord(
        firm_id,
        name,
        country,
        tax_id,
        aliases,
        active_taxpayer,
        psw_subscribed,
        state_enterprise,
        line,
    )


def read_firms(path: Path, *, data: bytes | None = None) -> FirmRows:
    """The firms in the CSV file at ``path`` (or ``data``, its content).

    Raises ``InputError`` for a file that is not such a CSV at all (unreadable, not
    UTF-8, larger than 256 MiB, a column missing, no rows); row problems come back
    with the rows that parse, for the service to report with its own.
    """
    table = read_table(path, FIRM_COLUMNS, (*FIRM_OPTIONAL, *ACCOUNT_COLUMNS), data=data)
    columns = table.columns
    empty = [""] * table.rows
    aliases = columns.get("aliases", empty)
    flags = [columns.get(flag, empty) for flag in FLAGS]
    ibans, bics = columns.get("iban", empty), columns.get("bic", empty)
    problems: list[Problem] = []
    records: list[FirmRecord] = []
    accounts: list[AccountRow] = []
    for row, fields in enumerate(
        zip(columns["id"], columns["name"], columns["country"], columns["tax_id"], strict=True)
    ):
        line = table.line(row)
        found = len(problems)
        values = []
        for flag, column in zip(FLAGS, flags, strict=True):
            try:
                values.append(parse_flag(column[row]))
            except ValueError as error:
                problems.append(Problem(str(error), table.path, line, flag))
                values.append(False)
        record = firm_record(
            table.path,
            line,
            fields,
            aliases_of([aliases[row]]),
            (values[0], values[1], values[2]),
            problems,
        )
        if record is not None and len(problems) == found:
            records.append(record)
            if ibans[row].strip():
                accounts.append(AccountRow(record.id, ibans[row], bics[row], line))
    return FirmRows(table.path, tuple(records), tuple(problems), tuple(accounts))
