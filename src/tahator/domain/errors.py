"""Errors the domain raises: each carries a message fit to show a user."""

from __future__ import annotations

from dataclasses import dataclass


class TahatorError(Exception):
    """Base of every error Tahator reports to a user rather than as a bug."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file, line, field) and what."""

    message: str
    file: str = ""
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place = f"{place}:{self.line}" if place else f"line {self.line}"
        subject = f"{self.field}: " if self.field else ""
        return f"{place}: {subject}{self.message}" if place else f"{subject}{self.message}"


class InputError(TahatorError):
    """Bad input; nothing was changed.  Holds every problem found, in order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class AmountOverflowError(TahatorError):
    """A total would not fit the signed 64-bit integers the solvers and database use."""


class NotFoundError(InputError):
    """The thing asked for does not exist (or, to this user, may as well not)."""

    def __init__(self, message: str) -> None:
        super().__init__([Problem(message)])
