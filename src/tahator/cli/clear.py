"""``tahator clear``: a CSV of obligations in, set-offs out, no database."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tahator.cli.common import (
    CalendarOption,
    fail,
    print_json,
)
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.local_text import Calendar


def clear(
    obligations: Annotated[
        Path,
        typer.Argument(help="CSV with header debtor,creditor,amount (optionally id, due_date)"),
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write set-offs here (CSV)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    calendar: CalendarOption = Calendar.GREGORIAN,
    scale: Annotated[int, typer.Option(help="Most fraction digits an amount may have")] = 2,
    participants: Annotated[
        Path | None, typer.Option(help="CSV id,country: settle through clearing accounts")
    ] = None,
    credit_line: Annotated[
        list[str] | None,
        typer.Option(help="A country's credit line: CC=AMOUNT or CC=PERCENT% of its payments"),
    ] = None,
    settlement: Annotated[
        Path | None, typer.Option(help="Write settlement instructions here (CSV)")
    ] = None,
) -> None:
    """Find the largest multilateral set-off of the obligations in a CSV file."""
    from tahator.formatting import jsonable
    from tahator.io.obligation_file import (
        collection_paused,
        read_obligations,
        read_participants,
        write_cleared,
    )
    from tahator.services.clear_file import clear_obligations, parse_credit_line

    try:
        lines = tuple(parse_credit_line(text, scale) for text in credit_line or ())
    except ValueError as error:
        fail(TahatorError(f"--credit-line: {error}"))
    started = time.perf_counter()
    try:
        with _Progress(obligations) as on_step, collection_paused():
            step = on_step or (lambda _: None)
            step("reading obligations")
            read = read_obligations(obligations, scale, calendar)
            countries = read_participants(participants) if participants else None
            if settlement is not None and countries is None:
                raise InputError([Problem("--settlement needs --participants", str(settlement))])
            result = clear_obligations(
                read, scale=scale, participants=countries, credit_lines=lines, on_step=step
            )
            step("writing")
            write_cleared(read, result.setoff, result.settlement, output, settlement)
    except TahatorError as error:
        fail(error)
    summary = jsonable(result.summary(time.perf_counter() - started))
    if as_json:
        print_json(summary)
    else:
        from tahator.report import print_clearing_summary

        print_clearing_summary(summary, output, settlement)


class _Progress:
    """A spinner naming the current step, on stderr, for large files at a terminal."""

    def __init__(self, path: Path) -> None:
        try:
            large = path.stat().st_size > 4_000_000
        except OSError:
            large = False
        self.status: Any = None
        if large and sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(stderr=True).status("starting")

    def __enter__(self) -> Any:
        if self.status is None:
            return None
        self.status.__enter__()
        return lambda step: self.status.update(f"{step} …")

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)
