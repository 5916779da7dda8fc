"""Returned payouts still owed: what the next clearing run carries like a roll-over.

Kept apart from ``services.settlement`` so that clearing runs and ``ledger verify``
can ask without importing the settlement use cases (which import clearing).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tahator.domain.returns import MOVING
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.store.schema import ClearingRun, Rollover, SettlementInstruction
from tahator.store.sums import exact_sum

__all__ = ["MOVING", "carried", "carried_payouts", "positions"]


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


def positions(session: Session, country: str | None = None) -> dict[str, int]:
    """Per country, what its clearing account holds and is owed less what it paid and
    is to pay: the collections less the payouts of completed runs whose money moves
    (pending or confirmed).  Negative: paid out ahead of its collections."""
    query = (
        select(
            SettlementInstruction.country,
            SettlementInstruction.kind,
            exact_sum(SettlementInstruction.amount),
        )
        .join(ClearingRun, ClearingRun.id == SettlementInstruction.run_id)
        .where(ClearingRun.status == RunStatus.COMPLETED.value)
        .where(SettlementInstruction.status.in_(MOVING))
        .group_by(SettlementInstruction.country, SettlementInstruction.kind)
    )
    if country is not None:
        query = query.where(SettlementInstruction.country == country)
    held: dict[str, int] = {}
    for account, kind, total in session.execute(query):
        sign = 1 if kind == InstructionKind.COLLECTION else -1
        held[account] = held.get(account, 0) + sign * int(total)
    return held


def carried(session: Session, latest_run: int | None) -> dict[str, int]:
    """What the next run carries per firm: the roll-overs of ``latest_run`` (the latest
    completed run) and the payouts returned or held for a shortfall since it began.
    A roll-over a return held down to nothing carries nothing."""
    if latest_run is None:
        return {}
    claims: dict[str, int] = {}
    for firm, amount in session.execute(
        select(Rollover.firm_id, Rollover.amount).where(Rollover.run_id == latest_run)
    ):
        claims[firm] = claims.get(firm, 0) + int(amount)
    for firm, amount in carried_payouts(session, latest_run).items():
        claims[firm] = claims.get(firm, 0) + amount
    return {firm: amount for firm, amount in claims.items() if amount}
