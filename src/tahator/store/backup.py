"""Backups of the whole database, and restoring one.

SQLite: the online backup API (``sqlite3.Connection.backup``), consistent while
others write; the copy is a single self-contained file.  PostgreSQL: ``pg_dump -Fc``
and ``pg_restore --clean --if-exists`` in one transaction.  A file that is not a
backup of a Tahator database is refused before anything changes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from tahator.domain.errors import InputError, Problem, TahatorError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
MARKER_TABLE = "alembic_version"
"""Every Tahator database has it; a backup without it is of something else."""


class ToolMissingError(TahatorError):
    """``pg_dump`` or ``pg_restore`` is not installed."""


def _refuse(path: Path, reason: str) -> InputError:
    return InputError([Problem(f"not a Tahator backup: {reason}; nothing was restored", str(path))])


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise TahatorError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def backup(database_url: str, path: Path) -> None:
    """Write a backup of the database at ``database_url`` to ``path`` (replaced whole)."""
    url = make_url(database_url)
    partial = _temporary(path)
    try:
        if url.get_backend_name() == "sqlite":
            source = _sqlite_file(url)
            if not source.exists():
                raise TahatorError(f"no database at {source}")
            with (
                closing(sqlite3.connect(source)) as live,
                closing(sqlite3.connect(partial)) as copy,
            ):
                live.backup(copy)
                # One self-contained file: no -wal or -shm beside it.
                copy.execute("PRAGMA journal_mode=DELETE")
        else:
            _run_pg("pg_dump", ["--format=custom", f"--file={partial}"], url)
        os.replace(partial, path)
    except OSError as error:
        raise TahatorError(f"cannot write the backup {path}: {error.strerror}") from error
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, path: Path) -> None:
    """Replace the database at ``database_url`` with the backup in ``path``.

    The file is checked first (its format, its integrity, that it holds a Tahator
    database); a bad file changes nothing.
    """
    url = make_url(database_url)
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise InputError([Problem(f"cannot read the file: {error.strerror}", str(path))]) from error
    if url.get_backend_name() == "sqlite":
        if head != SQLITE_MAGIC:
            raise _refuse(path, "not a SQLite backup (one from `tahator db backup` on SQLite)")
        _restore_sqlite(_sqlite_file(url), path)
    else:
        if not head.startswith(PG_MAGIC):
            raise _refuse(path, "not a pg_dump custom-format backup (`tahator db backup`)")
        listing = _run_pg("pg_restore", ["--list", str(path)], None, refuse=path)
        if f"TABLE DATA public {MARKER_TABLE}" not in listing:
            raise _refuse(path, "the dump holds no Tahator database")
        # One transaction: a restore that fails half-way leaves the database as it was.
        try:
            _run_pg(
                "pg_restore",
                [
                    *("--clean", "--if-exists", "--no-owner"),
                    *("--single-transaction", "--exit-on-error", str(path)),
                ],
                url,
            )
        except ToolMissingError:
            raise
        except TahatorError as error:
            raise TahatorError(f"{path}: {error}") from error


def _restore_sqlite(target: Path, path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
            check = source.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise _refuse(path, f"the file is damaged ({check[0][0]})")
            tables = {name for (name,) in source.execute("SELECT name FROM sqlite_master")}
            if MARKER_TABLE not in tables:
                raise _refuse(path, "the file holds no Tahator database")
            target.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(target, timeout=30)) as destination:
                # Pages are copied under the destination's write lock: readers see the old
                # database or the restored one, never a mixture.
                source.backup(destination)
    except sqlite3.DatabaseError as error:
        raise _refuse(path, f"the file is damaged ({error})") from error


def _run_pg(
    tool: str,
    arguments: list[str],
    url: URL | None,
    *,
    refuse: Path | None = None,
) -> str:
    """Run a PostgreSQL client tool against ``url``; its output, or a clear error."""
    executable = shutil.which(tool)
    if executable is None:
        raise ToolMissingError(
            f"{tool} is not installed; install PostgreSQL's client tools "
            f"(Debian: apt-get install postgresql-client) to back up or restore PostgreSQL"
        )
    environment = dict(os.environ)
    command = [executable, *arguments]
    if url is not None:
        if url.password is not None:
            environment["PGPASSWORD"] = str(url.password)
        target = url.set(drivername="postgresql", password=None).render_as_string()
        command.insert(1, f"--dbname={target}")
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        detail = message[0] if message else f"exit code {done.returncode}"
        if refuse is not None:
            raise _refuse(refuse, f"{tool} failed: {detail}")
        raise TahatorError(f"{tool} failed: {detail}; nothing was changed")
    return done.stdout
