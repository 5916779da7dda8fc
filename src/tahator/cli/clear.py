"""``tahator clear``: a CSV of obligations in, set-offs out, no database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tahator.cli.common import (
    fail,
    print_json,
)
from tahator.domain.errors import TahatorError


def clear(
    obligations: Annotated[
        Path,
        typer.Argument(help="CSV with header debtor,creditor,amount (optionally id, due_date)"),
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write set-offs here (CSV)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
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
    from tahator.services.clear_file import clear_file, parse_credit_line

    try:
        lines = tuple(parse_credit_line(text, scale) for text in credit_line or ())
    except ValueError as error:
        fail(TahatorError(f"--credit-line: {error}"))
    try:
        with _Progress(obligations) as on_step:
            result = clear_file(
                obligations,
                output=output,
                scale=scale,
                participants=participants,
                credit_lines=lines,
                settlement_output=settlement,
                on_step=on_step,
            )
    except TahatorError as error:
        fail(error)
    summary = result.summary()
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
