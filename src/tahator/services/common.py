"""Small things every use case needs: the actor, the clock, import results."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tahator.domain.corridor import business_date, day_problem
from tahator.domain.errors import InputError, Problem
from tahator.formatting import OMIT_EMPTY


def now() -> datetime:
    """The current time in UTC (timestamps are always UTC)."""
    return datetime.now(UTC)


def business_today(zone: str) -> date:
    """Today in the corridor's business time ``zone`` (the policy's ``corridor.zone``)."""
    return business_date(now(), zone)


def check_day(day: date, field: str = "as_of") -> None:
    """``InputError`` naming ``field`` when ``day`` is outside the accepted dates."""
    if (problem := day_problem(day)) is not None:
        raise InputError([Problem(problem, field=field)])


def check_past(day: date, zone: str, today: date | None = None, field: str = "as_of") -> date:
    """``InputError`` naming ``field`` when ``day`` is outside the accepted dates or after
    ``today`` (the business date in ``zone`` unless given, as tests do): nobody states
    a date that has not come.  Returns today."""
    check_day(day, field)
    today = today or business_today(zone)
    if day > today:
        raise InputError([Problem(f"{day} is after today's business date, {today}", field=field)])
    return today


def cli_actor() -> str:
    """Who acts when someone runs the command line: ``cli:USER``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows read, rows stored, rows already there unchanged."""

    rows: int
    created: int
    unchanged: int
    blocked: tuple[str, ...] = field(default=(), metadata=OMIT_EMPTY)
    """Firms that sanctions screening blocked on registration."""
