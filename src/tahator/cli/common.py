"""What more than one command group uses: options, the transaction, errors, printing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from tahator import formatting
from tahator.domain.corridor import parse_day
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.local_text import Calendar

EXIT_BAD_INPUT = 2
EXIT_BROKEN = 1

_Choice = TypeVar("_Choice", bound=StrEnum)


report_app = typer.Typer(help="Reports.", no_args_is_help=True)


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default $TAHATOR_DATABASE_URL or sqlite:///var/tahator.db)"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
CalendarOption = Annotated[
    Calendar,
    typer.Option(
        "--calendar",
        help="The calendar of the file's plain date column (a *_sh column, such as "
        "due_date_sh, is always Solar Hijri)",
    ),
]
MAX_ID = 2**63 - 1
"""The largest id a table holds (a signed 64-bit integer)."""
IdArgument = Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID)]
"""A record's numeric id: outside 1..2**63-1 it is exit 2 naming the range, not a traceback."""
_database: dict[str, str | None] = {"url": None}
_policy: dict[str, Path | None] = {"path": None}


def _load_policy() -> Any:
    from tahator.io.policy import load_policy

    try:
        return load_policy(_policy["path"])
    except TahatorError as error:
        fail(error)


@contextmanager
def use_case(
    db: str | None = None, *, migrate: bool = False, read_only: bool = False
) -> Iterator[Any]:
    """One transaction on the chosen database; bad input ends the command with exit 2.

    ``read_only`` takes no write lock (a read snapshot), for commands that only look.
    """
    from sqlalchemy.exc import ArgumentError, OperationalError

    from tahator.store import migrate as migrations
    from tahator.store.database import database_url, make_engine, reading, transaction

    url = database_url(db or _database["url"])
    try:
        engine = make_engine(url)
        if not migrate and not migrations.is_current(engine):
            raise InputError(
                [Problem(f"the database {url} is not ready; run `tahator db upgrade`")]
            )
        with (reading if read_only else transaction)(engine) as session:
            yield session
    except TahatorError as error:
        fail(error)
    except ArgumentError as error:
        fail(TahatorError(f"bad database URL {url!r}: {error}"))
    except OperationalError as error:
        # Not the user's input, but no traceback either: say what failed and stop.
        print(f"error: the database {url} is unavailable: {error.orig}", file=sys.stderr)
        raise typer.Exit(EXIT_BROKEN) from error


def fail(error: TahatorError) -> NoReturn:
    """Report bad input on stderr, one problem a line, and exit 2."""
    if isinstance(error, InputError):
        for problem in error.problems:
            print(problem, file=sys.stderr)
    else:
        print(f"error: {error}", file=sys.stderr)
    raise typer.Exit(EXIT_BAD_INPUT)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _actor() -> str:
    from tahator.services.common import cli_actor

    return cli_actor()


def _print_rows(
    rows: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...], title: str
) -> None:
    if as_json:
        print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} ({len(rows)})", title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(formatting.cell(row.get(column)) for column in columns))
    Console().print(table)


def _print_import(result: dict[str, Any], as_json: bool, what: str) -> None:
    if as_json:
        print_json(result)
    else:
        print(
            f"{result['rows']} rows: {result['created']} {what} registered, "
            f"{result['unchanged']} already registered"
        )
        if result.get("blocked"):
            print(
                f"blocked by sanctions screening: {', '.join(result['blocked'])} "
                "(tahator screening queue)"
            )


def _date(text: str, option: str) -> date:
    """``option``'s date (``corridor.parse_day``); exit 2 saying why not."""
    try:
        return parse_day(text)
    except ValueError as error:
        fail(TahatorError(f"{option}: {error}"))


def _as_of(text: str | None) -> date:
    """``--as-of``'s date, or today in the corridor's business time zone."""
    return _date(text, "--as-of") if text else _today()


def _today() -> date:
    """Today in the corridor's business time zone."""
    from tahator.services.common import business_today

    return business_today(_load_policy().zone)


def _choice(kind: type[_Choice], text: str | None, option: str) -> _Choice | None:
    """``option``'s value as one of ``kind``'s (``None`` when not given); exit 2 naming the
    choices for any other."""
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        fail(TahatorError(f"{option}: {text!r} is not one of {', '.join(kind)}"))
