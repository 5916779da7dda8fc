"""Small things every use case needs: the actor, the clock, import results."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


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
    blocked: tuple[str, ...] = ()
    """Firms that sanctions screening blocked on registration."""

    def as_dict(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "rows": self.rows,
            "created": self.created,
            "unchanged": self.unchanged,
        }
        if self.blocked:
            view["blocked"] = list(self.blocked)
        return view


TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", ""})


def parse_flag(text: str) -> bool:
    """``true/yes/y/1`` or ``false/no/n/0/empty``; ``ValueError`` otherwise."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not true or false")
