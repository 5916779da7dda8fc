"""A CSV file of names to screen (``tahator screen --batch FILE``): ``id,name`` and
optionally ``country``."""

from __future__ import annotations

from pathlib import Path

from tahator.domain.screening import Query
from tahator.io.tables import Problems, read_table


def read_batch(path: Path, *, data: bytes | None = None) -> list[Query]:
    """The names in ``path`` to screen, each with its id and country; ``InputError``
    names the file, line and field of every bad row."""
    table = read_table(path, ("id", "name"), ("country",), data=data)
    problems = Problems()
    rows: list[Query] = []
    for row in range(table.rows):
        query_id = table.columns["id"][row].strip()
        name = table.columns["name"][row].strip()
        country = table.columns.get("country", [""] * table.rows)[row].strip().upper() or None
        if not query_id:
            problems.add(table.problem(row, "is empty", "id"))
        if not name or len(name) > 1000:
            problems.add(table.problem(row, "must be 1 to 1000 characters", "name"))
        if country is not None and not (len(country) == 2 and country.isalpha()):
            problems.add(table.problem(row, f"{country!r} is not an ISO 3166 code", "country"))
        rows.append(Query(name, country, query_id))
    problems.raise_if_any()
    return rows
