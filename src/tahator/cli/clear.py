"""``tahator clear``: a CSV of obligations in, set-offs out, no database.

The command as Typer declares it, documents and parses it; the work is done by
``tahator.cli.fast.run_clear``, which ``main`` also calls directly for a plain
command line, without loading Typer at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tahator.cli.common import CalendarOption
from tahator.cli.fast import ClearArgs, run_clear
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
    args = ClearArgs(
        obligations=obligations,
        output=output,
        as_json=as_json,
        calendar=calendar,
        scale=scale,
        participants=participants,
        credit_lines=tuple(credit_line or ()),
        settlement=settlement,
    )
    code = run_clear(args)
    if code:
        raise typer.Exit(code)
