"""Small things every use case needs: the actor, the clock, import results."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tahator.formatting import OMIT_EMPTY


def now() -> datetime:
    """The current time in UTC (timestamps are always UTC)."""
    return datetime.now(UTC)


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
