"""What a returned collection holds: payouts it was to fund, and its own account's
shortfall (DESIGN §3.2).  Kept apart from ``services.settlement`` for size."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from tahator.domain.corridor import from_unit_of_account
from tahator.domain.money import Amount
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus, allocate_pro_rata
from tahator.services.clearing import InstructionView, instruction_view
from tahator.services.corridor import CorridorView
from tahator.services.returned import positions
from tahator.store.schema import ClearingRun, PaymentFileLine, RunRate, SettlementInstruction


@dataclass(frozen=True)
class Shortfall:
    """What a returned collection leaves its country's clearing account short: paid
    out (or to pay out) beyond what it holds and is owed, more than before the return."""

    country: str
    amount: Amount
    held: tuple[InstructionView, ...]
    """That account's pending payouts not yet sent to its bank, held for it, pro rata
    (policy ``hold``): their claims stay owed and the next run carries them like
    roll-overs."""
    credit_drawn: Amount
    """The rest, paid out or sent in a payment file (the bank may have paid it): lent
    by the account's credit line."""


def not_sent() -> ColumnElement[bool]:
    """A payout not sent in a payment file: only such a pending payout may be held.
    A sent one has left like a confirmed one (the bank may have paid it; a held copy
    would pay it twice): what it was to be funded by is lent by the credit line."""
    sent = select(PaymentFileLine.instruction_id).where(
        PaymentFileLine.instruction_id == SettlementInstruction.id
    )
    return ~sent.exists()


def run_rates(session: Session, run_id: int) -> dict[str, Decimal]:
    return {
        c: Decimal(r)
        for c, r in session.execute(
            select(RunRate.currency, RunRate.rate).where(RunRate.run_id == run_id)
        )
    }


def shortfall(
    session: Session,
    returned: SettlementInstruction,
    before: int,
    corridor: CorridorView,
    actor: str,
) -> Shortfall | None:
    """The returned collection's own account: how much more it is overdrawn than before
    the return.  It paid its creditors counting on that collection; under the ``hold``
    policy its pending payouts not yet sent in a payment file are held up to the
    shortfall, pro rata (their claims stay owed: no posting, the next run carries
    them); the rest has left (confirmed, or sent: the bank may have paid it, and a
    held copy would pay it twice) and is lent by its credit line.  ``None``: the
    account is not short."""
    session.flush()
    country = returned.country
    short = max(0, -positions(session, country).get(country, 0)) - max(0, -before)
    if short <= 0:
        return None
    pending: list[SettlementInstruction] = []
    if corridor.shortfall == "hold":
        pending = list(
            session.execute(
                select(SettlementInstruction)
                .join(ClearingRun, ClearingRun.id == SettlementInstruction.run_id)
                .where(
                    ClearingRun.status == RunStatus.COMPLETED,
                    SettlementInstruction.country == country,
                    SettlementInstruction.kind == InstructionKind.PAYOUT,
                    SettlementInstruction.status == InstructionStatus.PENDING,
                    not_sent(),
                )
                .order_by(SettlementInstruction.id)
                .with_for_update(of=SettlementInstruction)
            ).scalars()
        )
    claims = {f"{p.id:020d}": p.amount for p in pending}
    shares = allocate_pro_rata(min(short, sum(claims.values())), claims)
    held = []
    for payout in pending:
        amount = shares[f"{payout.id:020d}"]
        if amount:
            rates = run_rates(session, payout.run_id)
            view = instruction_view(
                hold(session, payout, amount, returned.id, corridor, rates), corridor
            )
            held.append(view)
    unit, digits = corridor.unit_of_account, corridor.unit_digits
    taken = sum(v.amount.minor for v in held)
    return Shortfall(
        country, Amount(short, unit, digits), tuple(held), Amount(short - taken, unit, digits)
    )


def short_memo(short: Shortfall | None) -> str:
    if short is None:
        return ""
    held = ", ".join(str(v.id) for v in short.held) or "none"
    return (
        f"; {short.country}'s account short {short.amount.minor}: payouts held {held}, "
        f"credit line drawn {short.credit_drawn.minor}"
    )


def hold(
    session: Session,
    payout: SettlementInstruction,
    amount: int,
    returned_id: int,
    corridor: CorridorView,
    rates: dict[str, Decimal],
) -> SettlementInstruction:
    """Hold ``amount`` of a pending payout: the whole row, or a new ``held`` row split
    from it (``replaces`` naming the returned collection) while the rest stays pending."""
    if amount == payout.amount:
        payout.status = InstructionStatus.HELD.value
        payout.replaces = returned_id
        return payout
    currency = payout.local_currency
    still = from_unit_of_account(
        payout.amount - amount, corridor.digits[currency], rates[currency], corridor.unit_digits
    )
    held = SettlementInstruction(
        run_id=payout.run_id,
        firm_id=payout.firm_id,
        country=payout.country,
        kind=payout.kind,
        owed=amount,
        amount=amount,
        local_currency=currency,
        local_amount=payout.local_amount - still,
        status=InstructionStatus.HELD.value,
        replaces=returned_id,
    )
    payout.owed -= amount
    payout.amount -= amount
    payout.local_amount = still
    session.add(held)
    session.flush()
    return held
