"""The database connection: which database, how to open it, one transaction per use case.

SQLite (``var/tahator.db``) by default; ``TAHATOR_DATABASE_URL`` or ``--db``
selects another, e.g. ``postgresql+psycopg://user@host/db``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tahator import faults
from tahator.domain.errors import TahatorError

DEFAULT_URL = "sqlite:///var/tahator.db"
URL_VARIABLE = "TAHATOR_DATABASE_URL"
READ_ONLY = "tahator_read_only"
SQLITE_BUSY_MS = 30_000
"""How long a SQLite writer waits for another (a second clearing run, say)."""
POOL_SIZE = 8
"""Connections an engine keeps open: one per request a server worker admits at once
(``tahator.asgi.WORKER_THREADS``), so that under load none is opened and closed per
request (a new PostgreSQL connection forks a backend)."""
POOL_OVERFLOW = 8
"""More, opened only while needed: a request briefly holding two (a web page's sign-in
check and its write), a CLI burst.  Admitted requests times two fit pool and overflow,
so no admitted request can wait for a connection that only a waiting one would free."""


Factory = Callable[[], AbstractContextManager[Session]]
"""A new transaction (``lambda: transaction(engine)``): its session commits when the
block ends, rolls back on error.  What services that commit step by step are given."""


class DatabaseBusyError(TahatorError):
    """Another writer held the database longer than we would wait."""


def database_url(explicit: str | None = None) -> str:
    """``explicit``, else ``$TAHATOR_DATABASE_URL``, else the SQLite default."""
    return explicit or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def make_engine(url: str | URL | None = None, *, probe_seconds: int | None = None) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL and foreign keys.

    ``probe_seconds`` (PostgreSQL): an engine for health probes instead, built the same
    way but with a connection of its own per use (no pool) and connect, statement and
    lock timeouts of that many seconds, added to any ``options`` the URL gives."""
    url = url if isinstance(url, URL) else database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if probe_seconds is not None:
            milliseconds = probe_seconds * 1000
            given = parsed.query.get("options")
            options = " ".join(
                [
                    *([given] if isinstance(given, str) else list(given or ())),
                    f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
                ]
            )
            return create_engine(
                parsed,
                poolclass=NullPool,
                connect_args={"connect_timeout": probe_seconds, "options": options},
            )
        # The ping costs a round trip per checkout (0.1 ms here); it is what lets the
        # service recover by itself, with no failed request, after the database restarts.
        return create_engine(
            parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
        )
    in_memory = parsed.database in (None, "", ":memory:")
    if parsed.database and not in_memory:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # An in-memory database lives in one connection per thread (SingletonThreadPool),
    # which takes no pool sizes.
    pool = {} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000}, **pool)

    @event.listens_for(engine, "connect")
    def _configure(connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        # Take the write lock at the start: a transaction that reads, then writes
        # cannot then fail half-way because another writer came first.  Readers
        # (``reading``) take no lock, so they never wait for a clearing run.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads only: one consistent snapshot, no write lock taken."""
    # Closing the session rolls the (read-only) transaction back.  On PostgreSQL the
    # default, READ COMMITTED, takes a new snapshot for every statement: a report's
    # second query could see a clearing run the first did not.  REPEATABLE READ keeps
    # one snapshot for the whole session, and READ ONLY refuses a write by mistake;
    # both travel in the BEGIN, so they cost no round trip.
    options: dict[str, object] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with Session(engine.execution_options(**options)) as session:
        yield session


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits together at the end, or not at all."""
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
            faults.point("commit.before")
        faults.point("commit.after")
    except OperationalError as error:
        if "database is locked" in str(error):
            raise DatabaseBusyError(
                "the database is busy with another writer (a clearing run?); try again"
            ) from error
        raise
