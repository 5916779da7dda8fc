"""Banks confirming settlement instructions, or returning them (money that did not arrive)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain import ledger, returns
from tahator.domain.corridor import Conversion, from_unit_of_account
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.money import Amount
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.formatting import jsonable
from tahator.services import access, audit, holds, proof, screening
from tahator.services import corridor as corridors
from tahator.services.clearing import InstructionView, instruction_view
from tahator.services.common import now
from tahator.services.corridor import CorridorView
from tahator.services.holds import Shortfall
from tahator.services.journal import post
from tahator.services.returned import positions
from tahator.store.schema import (
    ClearingRun,
    Corridor,
    Firm,
    Novation,
    Obligation,
    ObligationLiability,
    Rollover,
    SettlementInstruction,
)


def confirm(session: Session, instruction_id: int, actor: str) -> InstructionView:
    """A bank confirms that a collection or payout was made; posts it to the ledger."""
    instruction = _locked(session, instruction_id)
    if instruction.status == InstructionStatus.CONFIRMED:
        raise InputError(
            [
                Problem(
                    f"instruction {instruction_id} was already confirmed by "
                    f"{instruction.confirmed_by} at {instruction.confirmed_at:%Y-%m-%d %H:%M} UTC"
                )
            ]
        )
    if instruction.status != InstructionStatus.PENDING:
        raise InputError([Problem(_not_pending(instruction))])
    corridor = corridors.load(session)
    unit = corridor.unit_of_account
    kind, postings = ledger.confirmation(
        instruction.kind == InstructionKind.COLLECTION,
        instruction.country,
        instruction.firm_id,
        unit,
        instruction.amount,
    )
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


# --- money that does not arrive ------------------------------------------------------


@dataclass(frozen=True)
class CreditDrawn:
    """What a clearing account lends a creditor because the collection that was to pay
    it was returned and its payout could not be held (already paid, or the policy)."""

    country: str
    firm: str
    amount: Amount


@dataclass(frozen=True)
class ReturnResult:
    """What a bank's return of an instruction did."""

    instruction: InstructionView
    """The returned instruction."""
    reason: str
    """The ISO 20022 return reason code."""
    reason_text: str
    collected_from: InstructionView | None
    """A new collection replacing the returned one: from the next jointly liable
    member, or from the debtor again for what the clearing accounts lend meanwhile."""
    reopened: tuple[int, ...]
    """Obligations open again, their remaining restored (by id)."""
    held: tuple[InstructionView, ...]
    """Payouts, or the parts of them, no longer to be paid: those the returned
    collection was to fund (their claims reopen), then those of its own country's
    account held for its shortfall (their claims stay owed)."""
    credit_drawn: tuple[CreditDrawn, ...]
    rounding: Amount
    """What the rounding account took so that the reversal balances."""
    carried: bool
    """A returned payout: its claim is carried into the next clearing run."""
    shortfall: Shortfall | None = None
    """A returned collection: what its own country's account is now short."""
    skipped: tuple[Skipped, ...] = ()
    """Jointly liable members not asked to pay, and why."""


@dataclass(frozen=True)
class Skipped:
    firm: str
    reason: str


def return_instruction(
    session: Session, instruction_id: int, reason: str, actor: str
) -> ReturnResult:
    """A bank returns a pending collection or payout, or a confirmed payout, with an
    ISO 20022 reason code.

    A payout the bank booked and then got back (a closed account, say) first has its
    confirmation reversed in the ledger, then is returned as a pending one is.
    A returned payout leaves the money in the clearing account and the creditor's
    claim owed: the next run carries it like a roll-over.  A returned collection turns
    to the next jointly liable member of its obligations (lowest firm id first, each
    firm once per chain of returns); when none is left, it reopens the obligations it
    was to pay and holds the payouts it was to fund, except where a payout has left or
    the corridor's policy is ``credit_line``: there the creditor's clearing account
    lends what was not collected and the debtor is asked again.
    """
    try:
        code = returns.reason_code(reason)
    except ValueError as error:
        raise InputError([Problem(str(error), field="reason")]) from None
    # Returns wait for a clearing run, and a run for them: a run reads what was returned.
    session.execute(select(Corridor.id).with_for_update()).all()
    instruction = _locked(session, instruction_id)
    payout = instruction.kind == InstructionKind.PAYOUT
    confirmed = instruction.status == InstructionStatus.CONFIRMED
    if confirmed and not payout:
        # Its money went into the account and may have paid creditors since: undoing
        # that is a decision (who pays meanwhile), not a bank's message.
        raise InputError(
            [
                Problem(
                    f"collection {instruction_id} was confirmed by {instruction.confirmed_by}: "
                    "a collection that arrived cannot be returned here; a collection "
                    "returned after it was confirmed is for the operator"
                )
            ]
        )
    if instruction.status != InstructionStatus.PENDING and not confirmed:
        raise InputError([Problem(_not_pending(instruction))])
    corridor = corridors.load(session)
    before = instruction_view(instruction, corridor)
    if confirmed:
        _reverse_confirmation(session, instruction, corridor.unit_of_account, code, actor)
    instruction.status = InstructionStatus.RETURNED.value
    instruction.return_reason = code
    instruction.returned_at = now()
    instruction.returned_by = actor
    label = f"{instruction.kind} {instruction_id} returned ({code}, {returns.REASONS[code]})"
    if payout:
        # Nothing moves: the money stays in the account and the claim stays owed.
        memo = f"{label}: {instruction.firm_id}'s claim is carried into the next run"
        post(
            session,
            ledger.entry(ledger.EntryKind.RETURN, memo, ()),
            actor,
            instruction_id=instruction_id,
        )
        result = ReturnResult(
            instruction=instruction_view(instruction, corridor),
            reason=code,
            reason_text=returns.REASONS[code],
            collected_from=None,
            reopened=(),
            held=(),
            credit_drawn=(),
            rounding=Amount(0, corridor.unit_of_account, corridor.unit_digits),
            carried=True,
        )
    else:
        result = _returned_collection(session, instruction, corridor, code, label, actor)
    faults.point("settlement.after_return")
    audit.record(
        session,
        actor,
        "settlement.return",
        f"instruction:{instruction_id}",
        jsonable(before),
        {**jsonable(result), "proof": proof.instruction(session, instruction_id)},
    )
    return result


def _locked(session: Session, instruction_id: int) -> SettlementInstruction:
    # Ids are 64-bit: one outside them names nothing (and would overflow the driver).
    if not 1 <= instruction_id <= 2**63 - 1:
        raise NotFoundError(f"no settlement instruction {instruction_id}")
    instruction = session.execute(
        select(SettlementInstruction)
        .where(SettlementInstruction.id == instruction_id)
        .with_for_update()
    ).scalar_one_or_none()
    if instruction is None:
        raise NotFoundError(f"no settlement instruction {instruction_id}")
    return instruction


def _reverse_confirmation(
    session: Session, payout: SettlementInstruction, unit: str, code: str, actor: str
) -> None:
    """Undo a payout's confirmation in its own entry: the money the bank booked out of
    the clearing account came back, so the account holds it and the creditor is owed."""
    _, postings = ledger.confirmation(False, payout.country, payout.firm_id, unit, payout.amount)
    memo = (
        f"payout {payout.id} returned ({code}) after {payout.confirmed_by} confirmed it: "
        f"the money is back in clearing account {payout.country}"
    )
    post(
        session,
        ledger.entry(ledger.EntryKind.REVERSAL, memo, ledger.reversal(postings)),
        actor,
        instruction_id=payout.id,
    )


def _not_pending(instruction: SettlementInstruction) -> str:
    if instruction.status == InstructionStatus.CONFIRMED:
        return f"instruction {instruction.id} was already confirmed by {instruction.confirmed_by}"
    if instruction.status == InstructionStatus.RETURNED:
        return (
            f"instruction {instruction.id} was returned ({instruction.return_reason}) by "
            f"{instruction.returned_by}; only a pending instruction can be confirmed or returned"
        )
    return (
        f"instruction {instruction.id} is {instruction.status}; "
        "only a pending instruction can be confirmed or returned"
    )


def _returned_collection(
    session: Session,
    returned: SettlementInstruction,
    corridor: CorridorView,
    code: str,
    label: str,
    actor: str,
) -> ReturnResult:
    unit, unit_digits = corridor.unit_of_account, corridor.unit_digits
    run_id = returned.run_id
    chain = _chain(session, returned)
    debtor = chain[-1].firm_id
    covered = _covered(session, run_id, debtor)
    liable: dict[int, set[str]] = {o.id: set() for o, _ in covered}
    for oid, firm in session.execute(
        select(ObligationLiability.obligation_id, ObligationLiability.firm_id).where(
            ObligationLiability.obligation_id.in_(list(liable))
        )
    ):
        liable[oid].add(firm)
    country_of = dict(session.execute(select(Firm.id, Firm.country)).all())
    rates = holds.run_rates(session, run_id)
    session.flush()
    # The account's position before the return: the returned collection still owed.
    before = positions(session, returned.country).get(returned.country, 0) + returned.amount
    member, skipped = _next_member(session, liable, chain, actor) if covered else (None, ())
    postings = ledger.EntryBuilder()
    postings.transfer(
        ledger.interaccount(returned.country),
        ledger.collection(returned.firm_id),
        unit,
        returned.amount,
    )
    if member is not None:
        new = _collection(
            session, returned, member, country_of[member], returned.amount, corridor, rates
        )
        postings.transfer(
            ledger.collection(member), ledger.interaccount(new.country), unit, returned.amount
        )
        short = holds.shortfall(session, returned, before, corridor, actor)
        memo = f"{label}: collected from {member}, jointly liable, instead" + holds.short_memo(
            short
        )
        post(
            session,
            postings.build(ledger.EntryKind.RETURN, memo),
            actor,
            instruction_id=returned.id,
        )
        return ReturnResult(
            instruction=instruction_view(returned, corridor),
            reason=code,
            reason_text=returns.REASONS[code],
            collected_from=instruction_view(new, corridor),
            reopened=(),
            held=short.held if short else (),
            credit_drawn=(),
            rounding=Amount(0, unit, unit_digits),
            carried=False,
            shortfall=short,
            skipped=skipped,
        )

    # No liable member left: the creditors' claims go back on the obligations, where
    # their payouts can be held; elsewhere the creditor's account lends it.
    exact: dict[str, Fraction] = defaultdict(Fraction)
    for obligation, novated in covered:
        currency = obligation.currency
        conversion = Conversion(corridor.digits[currency], rates[currency], unit_digits)
        exact[obligation.creditor] += conversion.value(novated)
    parts = returns.creditor_parts(exact)
    latest = session.scalar(
        select(func.max(ClearingRun.id)).where(ClearingRun.status == RunStatus.COMPLETED)
    )
    held_views: list[InstructionView] = []
    drawn: list[CreditDrawn] = []
    reopened_creditors: set[str] = set()
    taken: dict[str, int] = {}
    for creditor in sorted(parts):
        part = parts[creditor]
        # One pending payout, or its parts where an amount passed 64 bits.
        payouts = (
            session.execute(
                select(SettlementInstruction)
                .where(
                    SettlementInstruction.run_id == run_id,
                    SettlementInstruction.firm_id == creditor,
                    SettlementInstruction.kind == InstructionKind.PAYOUT,
                    SettlementInstruction.status == InstructionStatus.PENDING,
                    holds.not_sent(),
                )
                .order_by(SettlementInstruction.id)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        rollover = (
            session.get(Rollover, (run_id, creditor), with_for_update=True)
            if run_id == latest
            else None
        )
        # Each earlier return's part was rounded once: together they may have held up
        # to a unit each more than their exact share of this payout.
        slack = session.scalar(
            select(func.count()).where(
                SettlementInstruction.run_id == run_id,
                SettlementInstruction.firm_id == creditor,
                SettlementInstruction.kind == InstructionKind.PAYOUT,
                SettlementInstruction.status == InstructionStatus.HELD,
            )
        )
        pending, rolled = sum(p.amount for p in payouts), rollover.amount if rollover else 0
        split = (
            returns.hold(part, pending, rolled, slack or 0)
            if corridor.shortfall == "hold"
            else None
        )
        if split is None:
            drawn.append(
                CreditDrawn(country_of[creditor], creditor, Amount(part, unit, unit_digits))
            )
            continue
        from_payout, from_rollover, rest = split
        taken[creditor] = part - rest  # the rest was held already: the rounding account's
        for payout in payouts:
            if take := min(from_payout, payout.amount):
                held = holds.hold(session, payout, take, returned.id, corridor, rates)
                held_views.append(instruction_view(held, corridor))
                from_payout -= take
        if rollover is not None and from_rollover:
            rollover.amount -= from_rollover
        reopened_creditors.add(creditor)
        postings.transfer(
            ledger.payout(creditor), ledger.interaccount(country_of[creditor]), unit, part - rest
        )

    reopened = []
    for obligation, novated in covered:
        if obligation.creditor not in reopened_creditors:
            continue
        postings.transfer(
            ledger.receivable(obligation.creditor),
            ledger.payable(obligation.debtor),
            obligation.currency,
            novated,
        )
        obligation.remaining += novated
        obligation.status = ObligationStatus.OPEN.value
        reopened.append(obligation.id)

    reopened_total = sum(taken.values())
    lent = 0
    again = None
    if (drawn or not parts) and returned.amount > reopened_total:
        # The debtor still owes what its creditors were paid on credit: asked again,
        # for the returned amount less what was reopened (so no rounding is left over).
        lent = returned.amount - reopened_total
        again = _collection(session, returned, debtor, country_of[debtor], lent, corridor, rates)
        postings.transfer(ledger.collection(debtor), ledger.interaccount(again.country), unit, lent)
    rounding = returned.amount - lent - reopened_total
    if rounding:
        postings.transfer(ledger.ROUNDING, ledger.interaccount(returned.country), unit, rounding)
    memo = (
        f"{label}: obligations {', '.join(map(str, reopened)) or 'none'} reopened, "
        f"payouts held {', '.join(str(v.id) for v in held_views) or 'none'}"
        + "".join(f", {d.country} lends {d.firm} {d.amount.minor}" for d in drawn)
    )
    short = holds.shortfall(session, returned, before, corridor, actor)
    memo += holds.short_memo(short)
    if postings:
        post(
            session,
            postings.build(ledger.EntryKind.RETURN, memo),
            actor,
            instruction_id=returned.id,
        )
    return ReturnResult(
        instruction=instruction_view(returned, corridor),
        reason=code,
        reason_text=returns.REASONS[code],
        collected_from=instruction_view(again, corridor) if again is not None else None,
        reopened=tuple(reopened),
        held=tuple(held_views) + (short.held if short else ()),
        credit_drawn=tuple(drawn),
        rounding=Amount(rounding, unit, unit_digits),
        carried=False,
        shortfall=short,
        skipped=skipped,
    )


def _next_member(
    session: Session, liable: dict[int, set[str]], chain: list[SettlementInstruction], actor: str
) -> tuple[str | None, tuple[Skipped, ...]]:
    """The next jointly liable member to collect from, and those passed over before it
    because sanctions screening stops them (a collection from them cannot be issued)."""
    common = returns.liable_members(frozenset(f) for f in liable.values())
    candidates = common - {i.firm_id for i in chain}
    screening.ensure_screened(session, candidates, actor)
    stopped = {f.id for f in screening.stopped_firms(session)} & candidates
    member = returns.next_liable([common], {i.firm_id for i in chain}, stopped)
    skipped = tuple(
        Skipped(firm, "held by the clearing house's compliance review until it is settled")
        for firm in sorted(stopped)
        if member is None or firm < member
    )
    return member, skipped


def _chain(session: Session, instruction: SettlementInstruction) -> list[SettlementInstruction]:
    """``instruction`` and the returned collections it replaces, back to the first."""
    chain = [instruction]
    while chain[-1].replaces is not None:
        earlier = session.get(SettlementInstruction, chain[-1].replaces)
        assert earlier is not None
        chain.append(earlier)
    return chain


def _covered(session: Session, run_id: int, debtor: str) -> list[tuple[Obligation, int]]:
    """The obligations of ``debtor`` that run ``run_id`` handed to the clearing accounts
    and that are still in settlement there (not reopened, not handed over again
    by a later run), with the amounts handed over."""
    later = select(Novation.obligation_id).where(Novation.run_id > run_id)
    rows = session.execute(
        select(Obligation, Novation.amount)
        .join(Novation, Novation.obligation_id == Obligation.id)
        .where(
            Novation.run_id == run_id,
            Obligation.debtor == debtor,
            Obligation.status == ObligationStatus.IN_SETTLEMENT,
            Obligation.id.not_in(later),
        )
        .order_by(Obligation.id)
        .with_for_update(of=Obligation)
    ).all()
    return [(o, int(amount)) for o, amount in rows]


def _collection(
    session: Session,
    returned: SettlementInstruction,
    firm: str,
    country: str,
    amount: int,
    corridor: CorridorView,
    rates: dict[str, Decimal],
) -> SettlementInstruction:
    """A new pending collection of ``amount`` from ``firm`` replacing ``returned``."""
    currency = corridor.countries[country]
    new = SettlementInstruction(
        run_id=returned.run_id,
        firm_id=firm,
        country=country,
        kind=InstructionKind.COLLECTION.value,
        owed=amount,
        amount=amount,
        local_currency=currency,
        local_amount=from_unit_of_account(
            amount, corridor.digits[currency], rates[currency], corridor.unit_digits
        ),
        status=InstructionStatus.PENDING.value,
        replaces=returned.id,
    )
    session.add(new)
    session.flush()
    return new


def confirm_many(
    session: Session, instruction_ids: list[int], actor: str, country: str | None = None
) -> tuple[InstructionView, ...]:
    """A bank confirms several instructions at once, each as ``confirm`` does, in one
    transaction: all or none.  ``country``, if given, is the clearing account the bank
    chose: an instruction of another country's account is refused, and so is one not
    pending; the refusal names every such instruction and nothing is confirmed."""
    wanted = sorted(set(instruction_ids))
    if not wanted:
        raise InputError([Problem("no instruction was selected", field="ids")])
    problems = []
    for instruction_id in wanted:
        instruction = _locked(session, instruction_id)
        if country is not None and instruction.country != country:
            problems.append(
                Problem(
                    f"instruction {instruction_id} is of {instruction.country}'s clearing "
                    f"account, not {country}'s",
                    field="ids",
                )
            )
        elif instruction.status != InstructionStatus.PENDING:
            problems.append(Problem(_not_pending(instruction), field="ids"))
    if problems:
        raise InputError(problems)
    return tuple(confirm(session, instruction_id, actor) for instruction_id in wanted)
