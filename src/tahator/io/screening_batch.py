"""A CSV file of names to screen (``tahator screen --batch FILE``): ``id,name`` and
optionally ``country``, ``kind`` (individual/entity), and the facts that raise or
lower a hit: ``born`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), ``nationality``
(ISO 3166 alpha-2), ``passport``, ``national_id``, ``registration``, ``tax``.

Dates of birth, identifier numbers and name lengths are checked by
``domain/party_facts.py``, as the ``/screen`` API checks them."""

from __future__ import annotations

from pathlib import Path

from tahator.domain.errors import Problem
from tahator.domain.party_facts import born_problem, number_problem, screened_name_problem
from tahator.domain.screening import Identifier, Query
from tahator.io.tables import Problems, Table, read_table

NUMBERS = ("passport", "national_id", "registration", "tax")
"""Identifier columns; each is an identifier of that kind."""
OPTIONAL = ("country", "kind", "born", "nationality", *NUMBERS)
MAX_NAME = 1000


def _cell(table: Table, column: str, row: int) -> str:
    return table.columns.get(column, [""] * table.rows)[row].strip()


def read_batch(path: Path, *, data: bytes | None = None) -> list[Query]:
    """The names in ``path`` to screen, each with its id and what else is known;
    ``InputError`` names the file, line and field of every bad row."""
    table = read_table(path, ("id", "name"), OPTIONAL, data=data)
    problems = Problems()
    known = ("id", "name", *OPTIONAL)
    for column in table.header:
        if column not in known:
            # a misspelt fact column (pasport) would be dropped without a word
            problems.add(
                Problem(f"unknown column {column!r} (known: {', '.join(known)})", table.path, 1)
            )
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
        if not name or len(name) > MAX_NAME:
            problems.add(table.problem(row, f"must be 1 to {MAX_NAME} characters", "name"))
        elif (too_long := screened_name_problem(name)) is not None:
            problems.add(table.problem(row, too_long, "name"))
        for column, code in (("country", country), ("nationality", nationality)):
            if code is not None and not (len(code) == 2 and code.isascii() and code.isalpha()):
                problems.add(table.problem(row, f"{code!r} is not an ISO 3166 code", column))
        if kind is not None and kind not in ("individual", "entity"):
            problems.add(table.problem(row, f"{kind!r} is not individual or entity", "kind"))
        if born is not None and (wrong := born_problem(born)) is not None:
            problems.add(table.problem(row, wrong, "born"))
        identifiers = []
        for column in NUMBERS:
            number = _cell(table, column, row)
            if not number:
                continue
            if (wrong := number_problem(number)) is not None:
                problems.add(table.problem(row, wrong, column))
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
