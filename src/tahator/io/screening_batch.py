"""A CSV file of names to screen (``tahator screen --batch FILE``): ``id,name`` and
optionally ``country``, ``kind`` (individual/entity), and the facts that raise or
lower a hit: ``born`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), ``nationality``
(ISO 3166 alpha-2), ``passport``, ``national_id``, ``registration``."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from tahator.domain.screening import Identifier, Query
from tahator.io.tables import Problems, Table, read_table

NUMBERS = ("passport", "national_id", "registration")
"""Identifier columns; each is an identifier of that kind."""
OPTIONAL = ("country", "kind", "born", "nationality", *NUMBERS)
_NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z ./-]{0,63}")


def _born(written: str) -> bool:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, a real date from 1900 to today."""
    if not re.fullmatch(r"\d{4}(-\d\d){0,2}", written):
        return False
    parts = [int(p) for p in written.split("-")] + [1, 1]
    try:
        day = date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return date(1900, 1, 1) <= day <= date.today()


def _cell(table: Table, column: str, row: int) -> str:
    return table.columns.get(column, [""] * table.rows)[row].strip()


def read_batch(path: Path, *, data: bytes | None = None) -> list[Query]:
    """The names in ``path`` to screen, each with its id and what else is known;
    ``InputError`` names the file, line and field of every bad row."""
    table = read_table(path, ("id", "name"), OPTIONAL, data=data)
    problems = Problems()
    rows: list[Query] = []
    for row in range(table.rows):
        query_id = _cell(table, "id", row)
        name = _cell(table, "name", row)
        country = _cell(table, "country", row).upper() or None
        nationality = _cell(table, "nationality", row).upper() or None
        kind = _cell(table, "kind", row).casefold() or None
        born = _cell(table, "born", row) or None
        if not query_id:
            problems.add(table.problem(row, "is empty", "id"))
        if not name or len(name) > 1000:
            problems.add(table.problem(row, "must be 1 to 1000 characters", "name"))
        for column, code in (("country", country), ("nationality", nationality)):
            if code is not None and not (len(code) == 2 and code.isascii() and code.isalpha()):
                problems.add(table.problem(row, f"{code!r} is not an ISO 3166 code", column))
        if kind is not None and kind not in ("individual", "entity"):
            problems.add(table.problem(row, f"{kind!r} is not individual or entity", "kind"))
        if born is not None and not _born(born):
            problems.add(
                table.problem(row, f"{born!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", "born")
            )
        identifiers = []
        for column in NUMBERS:
            number = _cell(table, column, row)
            if not number:
                continue
            if not _NUMBER.fullmatch(number):
                problems.add(
                    table.problem(
                        row,
                        "must be 1 to 64 letters, digits, spaces, dots, dashes or slashes",
                        column,
                    )
                )
            identifiers.append(Identifier(column, number))
        rows.append(
            Query(
                name,
                country,
                query_id,
                born=born,
                nationality=nationality,
                identifiers=tuple(identifiers),
                kind=kind,
            )
        )
    problems.raise_if_any()
    return rows
