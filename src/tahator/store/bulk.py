"""Bulk reads and writes for the hot paths: many rows in one ``executemany``.

A clearing run of 100,000 obligations writes tens of thousands of notices and
updates.  The ORM's bulk paths, and even Core's per-row parameter building, cost
more than the database itself; rows of integers, strings, dates and timestamps
go straight to the driver's cursor instead, inside the session's own
transaction, with dates written as SQLAlchemy writes them.  Anything else (JSON)
goes through Core.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase, Session

_PLAIN = (int, str, type(None), date, datetime)


def table_of(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _marker(session: Session) -> str:
    """The driver's parameter marker: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"


def _cursor(session: Session) -> Any:
    return session.connection().connection.cursor()


def _sqlite_text(value: Any) -> Any:
    """Dates and timestamps as SQLAlchemy stores them in SQLite (timestamps in UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _values(session: Session, rows: Sequence[tuple[Any, ...]]) -> Sequence[tuple[Any, ...]]:
    """``rows`` as the driver takes them: on SQLite, dates and timestamps as text."""
    if session.get_bind().dialect.name != "sqlite":
        return rows
    temporal = [k for k, value in enumerate(rows[0]) if isinstance(value, date)]
    if not temporal:
        return rows
    converted: dict[Any, Any] = {}
    return [
        tuple(
            converted.setdefault(value, _sqlite_text(value)) if k in temporal else value
            for k, value in enumerate(row)
        )
        for row in rows
    ]


def insert_rows(
    session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows`` (dicts keyed by column name, all with the same keys)."""
    if not rows:
        return
    names = list(rows[0])
    if not all(isinstance(value, _PLAIN) for row in rows[:100] for value in row.values()):
        session.connection().execute(table_of(model).insert(), list(rows))
        return
    insert_columns(session, model, names, [tuple(row[n] for n in names) for row in rows])


def insert_columns(
    session: Session,
    model: type[DeclarativeBase],
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Insert ``rows``, tuples of plain values (integers, text, dates, timestamps,
    ``None``) in the order of the columns ``names``: no dict per row."""
    if not rows:
        return
    table = table_of(model)
    if _is_postgres(session):
        _copy(session, table.name, names, rows)
        return
    marker = _marker(session)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    )
    _cursor(session).executemany(sql, _values(session, rows))


def update_by_id(
    session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
) -> None:
    """Update rows by ``id``; every dict has ``id`` and the same plain-valued columns."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "id"]
    update_columns(session, model, names, [(row["id"], *(row[n] for n in names)) for row in rows])


def update_columns(
    session: Session,
    model: type[DeclarativeBase],
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Update rows by id: each of ``rows`` is (id, then the columns ``names``' values)."""
    if not rows:
        return
    table = table_of(model)
    if _is_postgres(session):
        # COPY into a scratch table, then one UPDATE … FROM: per-row statements
        # cost psycopg more than the server.
        dialect = session.get_bind().dialect
        columns = ", ".join(f"{c} {table.c[c].type.compile(dialect)}" for c in ["id", *names])
        cursor = _cursor(session)
        cursor.execute(f"CREATE TEMP TABLE bulk_update ({columns}) ON COMMIT DROP")
        _copy(session, "bulk_update", ["id", *names], rows)
        assignments = ", ".join(f"{name} = bulk_update.{name}" for name in names)
        cursor.execute(
            f"UPDATE {table.name} SET {assignments} FROM bulk_update "
            f"WHERE {table.name}.id = bulk_update.id"
        )
        cursor.execute("DROP TABLE bulk_update")
        return
    marker = _marker(session)
    assignments = ", ".join(f"{name} = {marker}" for name in names)
    sql = f"UPDATE {table.name} SET {assignments} WHERE id = {marker}"
    _cursor(session).executemany(sql, [(*row[1:], row[0]) for row in rows])


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _copy(
    session: Session, table: str, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """PostgreSQL's COPY: the fastest way in, by far."""
    cursor = _cursor(session)
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fetch_rows(session: Session, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
    """Rows of a read written with ``{}`` where each parameter goes, as plain tuples.
    Dates and timestamps are given as ``insert_rows`` stores them (SQLite: UTC text)."""
    if session.get_bind().dialect.name == "sqlite":
        parameters = tuple(_sqlite_text(value) for value in parameters)
    cursor = _cursor(session)
    cursor.execute(sql.format(*([_marker(session)] * len(parameters))), parameters)
    return list(cursor.fetchall())
