"""``tahator db upgrade``: create or migrate the database with Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0015"
"""The newest revision in ``migrations/versions``; a test keeps the two in step."""


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def revision_of(engine: Engine) -> str | None:
    """The schema revision the database is at (``None`` before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    """The newest schema revision this version of Tahator knows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def is_current(engine: Engine) -> bool:
    """Whether the database is at ``HEAD``, read without loading Alembic (0.1 s).

    A database that cannot be reached raises ``OperationalError``.
    """
    with engine.connect() as connection:
        try:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        except (OperationalError, ProgrammingError):
            return False
    return [row[0] for row in found] == [HEAD]
