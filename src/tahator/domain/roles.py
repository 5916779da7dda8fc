"""Who uses the clearing house (DESIGN §1): each user has one role."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role; stored as its value."""

    OPERATOR = "operator"
    """The clearing house: registers firms, runs clearing and matching, manages lists."""
    CUSTOMS = "customs"
    """Reviews barter applications, records declarations, watches deadlines."""
    BANK = "bank"
    """A settlement bank: keeps a country's clearing account, confirms payments."""
    TRADER = "trader"
    """A firm's user: sees its own firm's records only."""
    AUDITOR = "auditor"
    """Reads everything, changes nothing."""
