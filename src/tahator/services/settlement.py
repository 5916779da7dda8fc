"""Banks confirming settlement instructions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain import ledger
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.formatting import jsonable
from tahator.services import access, audit, proof
from tahator.services import corridor as corridors
from tahator.services.clearing import InstructionView, instruction_view
from tahator.services.common import now
from tahator.services.journal import post
from tahator.store.schema import SettlementInstruction


def confirm(session: Session, instruction_id: int, actor: str) -> InstructionView:
    """A bank confirms that a collection or payout was made; posts it to the ledger."""
    instruction = session.execute(
        select(SettlementInstruction)
        .where(SettlementInstruction.id == instruction_id)
        .with_for_update()
    ).scalar_one_or_none()
    if instruction is None:
        raise NotFoundError(f"no settlement instruction {instruction_id}")
    if instruction.status == InstructionStatus.CONFIRMED:
        raise InputError(
            [
                Problem(
                    f"instruction {instruction_id} was already confirmed by "
                    f"{instruction.confirmed_by} at {instruction.confirmed_at:%Y-%m-%d %H:%M} UTC"
                )
            ]
        )
    corridor = corridors.load(session)
    unit = corridor.unit_of_account
    account = ledger.clearing(instruction.country)
    if instruction.kind == InstructionKind.COLLECTION:
        postings = ledger.transfer(
            account, ledger.collection(instruction.firm_id), unit, instruction.amount
        )
        kind = ledger.EntryKind.COLLECTION
    else:
        postings = ledger.transfer(
            ledger.payout(instruction.firm_id), account, unit, instruction.amount
        )
        kind = ledger.EntryKind.PAYOUT
    before = instruction_view(instruction, corridor)
    instruction.status = InstructionStatus.CONFIRMED.value
    instruction.confirmed_at = now()
    instruction.confirmed_by = actor
    post(
        session,
        ledger.entry(kind, f"{instruction.kind} {instruction_id} confirmed", postings),
        actor,
        instruction_id=instruction_id,
    )
    faults.point("settlement.after_post")
    after = instruction_view(instruction, corridor)
    audit.record(
        session,
        actor,
        "settlement.confirm",
        f"instruction:{instruction_id}",
        jsonable(before),
        {**jsonable(after), "proof": proof.instruction(session, instruction_id)},
    )
    return after


def list_instructions(
    session: Session, status: InstructionStatus | None = None, firm: str | None = None
) -> list[InstructionView]:
    corridor = corridors.load(session)
    query = select(SettlementInstruction).order_by(SettlementInstruction.id)
    if status is not None:
        query = query.where(SettlementInstruction.status == status)
    if firm is not None:
        query = query.where(access.instructions_of(firm))
    return [instruction_view(i, corridor) for i in session.execute(query).scalars()]
