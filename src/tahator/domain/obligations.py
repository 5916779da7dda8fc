"""What an obligation (an invoice one firm owes another) can be."""

from __future__ import annotations

from enum import StrEnum


class ObligationStatus(StrEnum):
    """Where an obligation stands; stored as its value."""

    OPEN = "open"
    """Something remains to be set off or settled."""
    SET_OFF = "set_off"
    """Set off in full by clearing runs."""
    IN_SETTLEMENT = "in_settlement"
    """Its cross-border remainder was handed to the clearing accounts."""
