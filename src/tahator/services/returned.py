"""Returned payouts still owed: what the next clearing run carries like a roll-over.

Kept apart from ``services.settlement`` so that clearing runs and ``ledger verify``
can ask without importing the settlement use cases (which import clearing).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tahator.domain.returns import MOVING
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.store.schema import ClearingRun, SettlementInstruction

__all__ = ["MOVING", "carried_payouts"]


def carried_payouts(session: Session, latest_run: int | None) -> dict[str, int]:
    """Per creditor, its payouts returned, or held for its own account's shortfall,
    since ``latest_run`` (the latest completed run) began: the money stayed in the
    clearing account and the claim is owed still.
    A payout returned before that run began was carried by it already."""
    if latest_run is None:
        return {}
    since = select(ClearingRun.started_at).where(ClearingRun.id == latest_run).scalar_subquery()
    carried: dict[str, int] = {}
    for firm, amount in session.execute(
        select(SettlementInstruction.firm_id, SettlementInstruction.amount).where(
            SettlementInstruction.kind == InstructionKind.PAYOUT,
            SettlementInstruction.status == InstructionStatus.RETURNED,
            SettlementInstruction.returned_at > since,
        )
    ):
        carried[firm] = carried.get(firm, 0) + int(amount)
    # Payouts held because a collection of their own country's account was returned
    # (its shortfall): the claim stays owed, unlike a held payout whose claim reopened.
    returned = aliased(SettlementInstruction)
    for firm, amount in session.execute(
        select(SettlementInstruction.firm_id, SettlementInstruction.amount)
        .join(returned, returned.id == SettlementInstruction.replaces)
        .where(
            SettlementInstruction.kind == InstructionKind.PAYOUT,
            SettlementInstruction.status == InstructionStatus.HELD,
            returned.country == SettlementInstruction.country,
            returned.returned_at > since,
        )
    ):
        carried[firm] = carried.get(firm, 0) + int(amount)
    return carried
