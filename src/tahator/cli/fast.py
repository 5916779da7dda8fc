"""``tahator clear`` without Typer: the command whose whole-process time is benchmarked.

Typer builds a Pydantic adapter for every option it parses, and importing the two
costs about 0.17 s, as long as the whole set-off of 100,000 obligations.  So
``main`` hands a plain ``tahator clear FILE [options]`` to ``clear_from_argv``, which
reads the arguments itself and runs the same ``run_clear`` the Typer command runs.
Anything it does not recognise with certainty (``--help``, an unknown or repeated
option, a value that Typer would convert or refuse) goes to Typer instead, so the
two always agree: the Typer command in ``tahator.cli.clear`` stays the one place
that documents the command.  This module imports nothing heavy until it runs.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.local_text import Calendar

EXIT_BAD_INPUT = 2
"""As ``tahator.cli.common.EXIT_BAD_INPUT``."""


@dataclass(frozen=True)
class ClearArgs:
    """The options of ``tahator clear``, as the Typer command declares them."""

    obligations: Path
    output: Path | None = None
    as_json: bool = False
    calendar: Calendar = Calendar.GREGORIAN
    scale: int = 2
    participants: Path | None = None
    credit_lines: tuple[str, ...] = ()
    settlement: Path | None = None


_PATH_OPTIONS = {
    "-o": "output",
    "--output": "output",
    "--participants": "participants",
    "--settlement": "settlement",
}
_VALUE_OPTIONS = {*_PATH_OPTIONS, "--calendar", "--scale", "--credit-line"}


def parse_clear(words: list[str]) -> ClearArgs | None:
    """The arguments after ``clear``, or ``None`` unless they are plainly valid."""
    values: dict[str, Any] = {}
    lines: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--json":
            values["as_json"] = True
            continue
        if not word.startswith("-"):
            if not word or "obligations" in values:
                return None
            values["obligations"] = Path(word)
            continue
        name, equals, value = word.partition("=")
        if name not in _VALUE_OPTIONS or (equals and name == "-o"):
            return None  # --help, unknown, or a form left to Typer (-oFILE)
        if not equals:
            if index == len(words):
                return None
            value = words[index]
            index += 1
        if not value or value.startswith("-"):
            return None
        if name == "--credit-line":
            lines.append(value)
            continue
        key = _PATH_OPTIONS.get(name, name[2:])
        if key in values:
            return None  # given twice
        if key == "calendar":
            if value not in {c.value for c in Calendar}:
                return None
            values[key] = Calendar(value)
        elif key == "scale":
            # Only canonical numbers: Typer is left to read (or refuse) anything else.
            if not (value.isascii() and value.isdigit() and len(value) <= 4):
                return None
            if value != str(int(value)):
                return None
            values[key] = int(value)
        else:
            values[key] = Path(value)
    if "obligations" not in values:
        return None
    return ClearArgs(credit_lines=tuple(lines), **values)


def clear_from_argv(argv: list[str]) -> int | None:
    """Run ``argv`` (without the program name) if it is a plain ``clear`` and return
    the exit code; ``None`` if Typer must handle it."""
    if argv[:1] != ["clear"]:
        return None
    args = parse_clear(argv[1:])
    if args is None:
        return None
    try:
        return run_clear(args)
    except KeyboardInterrupt:
        print("\nAborted!", file=sys.stderr)  # as Click says it
        return 1


def report(error: TahatorError) -> int:
    """Print bad input on stderr, one problem a line, as ``tahator.cli.common.fail``
    does; the exit code for it."""
    if isinstance(error, InputError):
        for problem in error.problems:
            print(problem, file=sys.stderr)
    else:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_clear(args: ClearArgs) -> int:
    """``tahator clear``: read, set off, write, print the summary; the exit code."""
    import json

    from tahator.formatting import jsonable
    from tahator.io.obligation_file import (
        collection_paused,
        read_obligations,
        read_participants,
        write_cleared,
    )
    from tahator.services.clear_file import clear_obligations, parse_credit_line

    try:
        lines = tuple(parse_credit_line(text, args.scale) for text in args.credit_lines)
    except ValueError as error:
        return report(TahatorError(f"--credit-line: {error}"))
    started = time.perf_counter()
    try:
        with _Progress(args.obligations) as on_step, collection_paused():
            step = on_step or (lambda _: None)
            step("reading obligations")
            read = read_obligations(args.obligations, args.scale, args.calendar)
            countries = read_participants(args.participants) if args.participants else None
            if args.settlement is not None and countries is None:
                raise InputError(
                    [Problem("--settlement needs --participants", str(args.settlement))]
                )
            result = clear_obligations(
                read, scale=args.scale, participants=countries, credit_lines=lines, on_step=step
            )
            step("writing")
            write_cleared(read, result.setoff, result.settlement, args.output, args.settlement)
    except TahatorError as error:
        return report(error)
    summary = jsonable(result.summary(time.perf_counter() - started))
    if args.as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        from tahator.report import print_clearing_summary

        print_clearing_summary(summary, args.output, args.settlement)
    return 0


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
