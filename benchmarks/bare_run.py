"""The floor under a clearing run in the database: its reads and writes by the bare driver.

A peer for ``bench_run.py``.  Given the database a ``tahator clearing run`` left
(``SOURCE``) and a fresh copy of the database it ran on (``TARGET``), this reads
the rows that run wrote from ``SOURCE`` (untimed), then, timed, does on
``TARGET`` only what any run storing the same records must do: one
transaction that reads the open obligations and the firms, inserts the run,
its rates, set-off notices, journal entries and lines, novations, settlement
instructions and roll-overs (``executemany`` on SQLite, ``COPY`` on
PostgreSQL, as Tahator does), updates the obligations it changed, and
commits.  No planning, no proof, no audit record, no interpreter start or
import: a lower bound, printed in seconds.

    .venv/bin/python benchmarks/bare_run.py SOURCE_URL TARGET_URL
"""

from __future__ import annotations

import sqlite3
import sys
import time
from typing import Any

# Parents before children, so foreign keys hold at every insert.
RUN_TABLES = (
    ("clearing_runs", "id = {run}"),
    ("run_rates", "run_id = {run}"),
    ("setoff_notices", "run_id = {run}"),
    ("journal_entries", "run_id = {run}"),
    ("journal_lines", "entry_id IN (SELECT id FROM journal_entries WHERE run_id = {run})"),
    ("novations", "run_id = {run}"),
    ("settlement_instructions", "run_id = {run}"),
    ("rollovers", "run_id = {run}"),
)
# The database gives these their ids, as it does in a run.
GIVEN_ID = {"journal_lines", "settlement_instructions"}
CHANGED = (
    "SELECT id, remaining, status FROM obligations WHERE id IN "
    "(SELECT obligation_id FROM novations WHERE run_id = {run} "
    "UNION SELECT obligation_id FROM setoff_notices WHERE run_id = {run}) ORDER BY id"
)
OPEN = (
    "SELECT id, debtor, creditor, remaining, currency, CAST(due_date AS VARCHAR(10)) "
    "FROM obligations WHERE status = 'open' AND remaining > 0 ORDER BY id"
)

Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def connect(url: str) -> Any:
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def written(source: Any) -> tuple[Rows, list[tuple[Any, ...]]]:
    """The latest run's rows, table by table, and the obligations it changed."""
    cursor = source.cursor()
    cursor.execute("SELECT max(id) FROM clearing_runs")
    run = cursor.fetchone()[0]
    rows: Rows = {}
    for table, where in RUN_TABLES:
        cursor.execute(f"SELECT * FROM {table} WHERE {where.format(run=run)}")
        names = [d[0] for d in cursor.description]
        keep = [k for k, name in enumerate(names) if not (table in GIVEN_ID and name == "id")]
        rows[table] = (
            [names[k] for k in keep],
            [tuple(row[k] for k in keep) for row in cursor.fetchall()],
        )
    cursor.execute(CHANGED.format(run=run))
    return rows, cursor.fetchall()


def store(target: Any, rows: Rows, changed: list[tuple[Any, ...]]) -> None:
    """One transaction: read what a run reads, write what it wrote, commit."""
    postgres = not isinstance(target, sqlite3.Connection)
    cursor = target.cursor()
    cursor.execute("BEGIN" if postgres else "BEGIN IMMEDIATE")
    cursor.execute(OPEN)
    cursor.fetchall()
    cursor.execute("SELECT id, country FROM firms")
    cursor.fetchall()
    for table, (names, values) in rows.items():
        if not values:
            continue
        if postgres and len(values) > 10:
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            continue
        if postgres:
            from psycopg.types.json import Json

            values = [tuple(Json(v) if isinstance(v, dict) else v for v in row) for row in values]
        marker = "%s" if postgres else "?"
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})",
            values,
        )
    if postgres:
        cursor.execute("CREATE TEMP TABLE changed (id integer, remaining bigint, status text)")
        with cursor.copy("COPY changed FROM STDIN") as copy:
            for row in changed:
                copy.write_row(row)
        cursor.execute(
            "UPDATE obligations SET remaining = changed.remaining, status = changed.status "
            "FROM changed WHERE obligations.id = changed.id"
        )
    else:
        cursor.executemany(
            "UPDATE obligations SET remaining = ?, status = ? WHERE id = ?",
            [(remaining, status, id_) for id_, remaining, status in changed],
        )
    cursor.execute("COMMIT")


def main() -> None:
    source_url, target_url = sys.argv[1:3]
    with connect(source_url) as source:
        rows, changed = written(source)
    target = connect(target_url)
    if not isinstance(target, sqlite3.Connection):
        target.autocommit = True  # the transaction is the explicit BEGIN … COMMIT
    else:
        # As Tahator's engine sets every connection.
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            target.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    store(target, rows, changed)
    seconds = time.perf_counter() - started
    target.close()
    print(f"{seconds:.3f}")


if __name__ == "__main__":
    main()
