"""Databases for integration tests: a fresh SQLite file and a fresh PostgreSQL database.

PostgreSQL comes from ``$TAHATOR_TEST_POSTGRES_URL`` (default: the local server,
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test gets a new
database created there and dropped afterwards.  Without a server the PostgreSQL
cases skip, saying why, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tahator.io.firms import read_firms
from tahator.io.obligations import read_obligations
from tahator.services import corridor, firms, obligations
from tahator.services.common import ImportResult
from tahator.store import migrate
from tahator.store.database import make_engine, transaction

POSTGRES_URL = os.environ.get(
    "TAHATOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def fresh_postgres() -> tuple[str, Engine]:
    """Create an empty database on the test server; return its URL and an admin engine."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"tahator_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        reason = f"no PostgreSQL server at {POSTGRES_URL}: {error.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), admin


def drop_postgres(url: str, admin: Engine) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tahator.db'}"
        return
    url, admin = fresh_postgres()
    try:
        yield url
    finally:
        drop_postgres(url, admin)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database with the default corridor."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
    yield engine
    engine.dispose()


def firms_file(path: Path, firms: dict[str, str]) -> Path:
    """A firms CSV for ``{firm id: country}`` with valid tax ids."""
    from tahator.demo import tax_id

    lines = ["id,name,country,tax_id,active_taxpayer,psw_subscribed"]
    for number, (firm, country) in enumerate(sorted(firms.items()), start=1):
        lines.append(f"{firm},{firm} Trading,{country},{tax_id(country, number)},true,true")
    path.write_text("\n".join(lines) + "\n")
    return path


def obligations_file(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """An obligations CSV from (id, debtor, creditor, amount, currency) rows."""
    lines = ["id,debtor,creditor,amount,currency,due_date"]
    lines += [f"{i},{d},{c},{a},{cur},2026-06-30" for i, d, c, a, cur in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def import_firms_file(
    session: Session, path: Path, actor: str, *, data: bytes | None = None
) -> ImportResult:
    """Read the firms CSV at ``path`` (or ``data``) and register its firms."""
    read = read_firms(path, data=data)
    return firms.import_firms(
        session, read.records, actor, source=read.source, problems=read.problems
    )


def import_obligations_file(
    session: Session,
    path: Path,
    actor: str,
    *,
    data: bytes | None = None,
    owed_by: str | None = None,
) -> ImportResult:
    """Read the obligations CSV at ``path`` (or ``data``) and register its obligations."""
    rows = read_obligations(path, corridor.load(session).digits, data=data)
    return obligations.import_obligations(
        session, rows.records, actor, source=rows.source, problems=rows.problems, owed_by=owed_by
    )
