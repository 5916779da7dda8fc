"""Reading clearing runs: their summaries, positions, settlement instructions and
set-off notices, as the roles may read them (``access``).  Read-only: the runs
themselves are made by ``services.clearing``, which re-exports these for its callers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import bank
from tahator.domain.errors import NotFoundError
from tahator.domain.money import Amount, parse_amount
from tahator.domain.run import ExcludedFigures, RunFigures, RunStatus
from tahator.domain.settlement import (
    AccountFigures,
    ImbalanceFigures,
    InstructionKind,
    InstructionStatus,
)
from tahator.formatting import OMIT_EMPTY
from tahator.services import access
from tahator.services import corridor as corridors
from tahator.services.corridor import CorridorView
from tahator.services.users import Principal
from tahator.store.schema import ClearingRun, Obligation, SetoffNotice, SettlementInstruction


@dataclass(frozen=True)
class RunSummary:
    """A clearing run's totals (in the unit of account) and settlement figures."""

    run_id: int
    status: RunStatus
    as_of: date
    unit_of_account: str
    obligations: int
    total: Amount
    cleared: Amount
    remainder: Amount
    cleared_share: float
    started_at: datetime
    finished_at: datetime | None
    actor: str
    settlement: RunFigures | None
    """``None`` while the run is unfinished, and for a role that may not read it."""
    cutoff_at: datetime | None = field(default=None, metadata=OMIT_EMPTY, kw_only=True)
    """The filing cut-off: the run read obligations registered up to it (scheduled runs)."""


@dataclass(frozen=True)
class Position:
    """What a run set off of one firm's obligations, in the unit of account."""

    firm: str
    setoff_as_debtor: Amount
    setoff_as_creditor: Amount


@dataclass(frozen=True)
class InstructionView:
    """A settlement instruction: ``owed``, ``amount`` and ``unpaid`` in the unit of
    account, ``local_amount`` in the country's currency."""

    id: int
    run_id: int
    firm: str
    country: str
    kind: InstructionKind
    owed: Amount
    amount: Amount
    unpaid: Amount
    local_currency: str
    local_amount: Amount
    status: InstructionStatus
    confirmed_at: datetime | None
    confirmed_by: str | None
    return_reason: str | None
    """The ISO 20022 reason code the bank returned it with, if it did."""
    returned_at: datetime | None
    replaces: int | None
    """The returned collection this one replaces, if any."""
    reference: str
    """What the payment quotes so the bank can match it: a collection's ISO 11649
    creditor reference (``RF84TAH1C3``), a payout's end-to-end id (``TAH-1-3``)."""


@dataclass(frozen=True)
class RunView(RunSummary):
    """A run's summary with per-firm positions and its settlement instructions."""

    positions: tuple[Position, ...]
    instructions: tuple[InstructionView, ...]


@dataclass(frozen=True)
class RunRow:
    """A run as listed."""

    run_id: int
    status: RunStatus
    as_of: date
    obligations: int
    total: Amount
    cleared: Amount


@dataclass(frozen=True)
class NoticeView:
    """A set-off notice: what a run set off of one obligation, in the obligation's
    currency and (``setoff_unit``) in the unit of account."""

    obligation: int
    reference: str
    debtor: str
    creditor: str
    currency: str
    before: Amount
    setoff: Amount
    after: Amount
    setoff_unit: Amount


def run_summary(session: Session, run_id: int) -> RunSummary:
    return summarize(stored_run(session, run_id), corridors.load(session).unit_digits)


def stored_run(session: Session, run_id: int) -> ClearingRun:
    # A number no row can have is not found, not an overflow in the driver.
    run = session.get(ClearingRun, run_id) if 0 < run_id < 2**63 else None
    if run is None:
        raise NotFoundError(f"no clearing run {run_id}")
    return run


def summarize(run: ClearingRun, digits: int) -> RunSummary:
    unit = run.unit_of_account
    return RunSummary(
        run_id=run.id,
        status=RunStatus(run.status),
        as_of=run.as_of,
        unit_of_account=unit,
        obligations=run.obligations,
        total=Amount(run.total, unit, digits),
        cleared=Amount(run.cleared, unit, digits),
        remainder=Amount(run.remainder, unit, digits),
        cleared_share=round(run.cleared / run.total, 6) if run.total else 0.0,
        started_at=run.started_at,
        finished_at=run.finished_at,
        actor=run.actor,
        settlement=stored_figures(run.figures, unit, digits),
        cutoff_at=run.cutoff_at,
    )


def stored_figures(stored: Mapping[str, object], unit: str, digits: int) -> RunFigures | None:
    """The figures a run stored (decimal strings, as shown to users) as typed figures;
    ``None`` for a run that has stored none yet."""
    if not stored:
        return None

    def money(value: object) -> Amount:
        text = str(value)
        negative = text.startswith("-")
        minor = parse_amount(text.removeprefix("-"), digits)
        return Amount(-minor if negative else minor, unit, digits)

    def items(key: str) -> list[Mapping[str, object]]:
        value = stored.get(key, [])  # runs stored before a figure existed lack it
        assert isinstance(value, list)
        return value

    def count(key: str) -> int:
        value = stored.get(key, 0)
        assert isinstance(value, int)
        return value

    def imbalances(key: str) -> tuple[ImbalanceFigures, ...]:
        return tuple(
            ImbalanceFigures(
                str(i["debtor_country"]), str(i["creditor_country"]), money(i["amount"])
            )
            for i in items(key)
        )

    return RunFigures(
        accounts=tuple(
            AccountFigures(
                str(a["country"]),
                money(a["collected"]),
                money(a["claims"]),
                money(a["paid_out"]),
                money(a["credit_line"]),
                money(a["credit_drawn"]),
                money(a["retained"]),
                money(a["unpaid"]),
            )
            for a in items("accounts")
        ),
        imbalances=imbalances("imbalances"),
        collections=count("collections"),
        payouts=count("payouts"),
        unpaid=money(stored["unpaid"]),
        domestic=money(stored["domestic"]),
        domestic_obligations=count("domestic_obligations"),
        setoff_notices=count("setoff_notices"),
        instructions=count("instructions"),
        excluded=tuple(
            ExcludedFigures(str(e["currency"]), int(str(e["obligations"])), str(e["reason"]))
            for e in items("excluded")
        ),
        not_due=count("not_due"),
        setoff_rounding=str(stored.get("setoff_rounding", "0")),
        setoff_rounding_largest=str(stored.get("setoff_rounding_largest", "0")),
        settlement_rounding=money(stored.get("settlement_rounding", "0")),
        cumulative_imbalances=imbalances("cumulative_imbalances"),
    )


def list_runs(session: Session) -> list[RunRow]:
    digits = corridors.load(session).unit_digits
    return [
        RunRow(
            run_id=r.id,
            status=RunStatus(r.status),
            as_of=r.as_of,
            obligations=r.obligations,
            total=Amount(r.total, r.unit_of_account, digits),
            cleared=Amount(r.cleared, r.unit_of_account, digits),
        )
        for r in session.execute(select(ClearingRun).order_by(ClearingRun.id)).scalars()
    ]


def show_run(
    session: Session, run_id: int, firm: str | None = None, reader: Principal | None = None
) -> RunView:
    """A run's totals, per-firm positions and settlement instructions; ``reader``, if
    given, gets only the parts its role reads (``access.may_read``): no instructions
    for customs, no clearing accounts' figures (``settlement`` is ``None``) for a
    trader or customs."""
    run = stored_run(session, run_id)
    corridor = corridors.load(session)
    summary = summarize(run, corridor.unit_digits)
    if reader is not None and not access.may_read(reader, access.Part.CLEARING_ACCOUNTS):
        summary = replace(summary, settlement=None)
    setoff_by: dict[str, int] = defaultdict(int)
    setoff_to: dict[str, int] = defaultdict(int)
    query = (
        select(Obligation.debtor, Obligation.creditor, SetoffNotice.setoff_unit)
        .join(Obligation, Obligation.id == SetoffNotice.obligation_id)
        .where(SetoffNotice.run_id == run_id)
    )
    for debtor, creditor, amount in session.execute(query):
        setoff_by[debtor] += amount
        setoff_to[creditor] += amount
    firms = sorted(set(setoff_by) | set(setoff_to))
    paid = (
        select(SettlementInstruction)
        .where(SettlementInstruction.run_id == run_id)
        .order_by(SettlementInstruction.id)
    )
    if firm is not None:
        firms = [f for f in firms if f == firm]
        paid = paid.where(access.instructions_of(firm))
    shown = reader is None or access.sees_instructions(reader)
    instructions = session.execute(paid).scalars().all() if shown else ()
    unit, digits = run.unit_of_account, corridor.unit_digits
    return RunView(
        **{f.name: getattr(summary, f.name) for f in fields(RunSummary)},
        positions=tuple(
            Position(f, Amount(setoff_by[f], unit, digits), Amount(setoff_to[f], unit, digits))
            for f in firms
        ),
        instructions=tuple(instruction_view(i, corridor) for i in instructions),
    )


def instruction_view(i: SettlementInstruction, corridor: CorridorView) -> InstructionView:
    unit, digits = corridor.unit_of_account, corridor.unit_digits
    local = i.local_currency
    return InstructionView(
        id=i.id,
        run_id=i.run_id,
        firm=i.firm_id,
        country=i.country,
        kind=InstructionKind(i.kind),
        owed=Amount(i.owed, unit, digits),
        amount=Amount(i.amount, unit, digits),
        unpaid=Amount(i.owed - i.amount, unit, digits),
        local_currency=local,
        local_amount=Amount(i.local_amount, local, corridor.digits[local]),
        status=InstructionStatus(i.status),
        confirmed_at=i.confirmed_at,
        confirmed_by=i.confirmed_by,
        return_reason=i.return_reason,
        returned_at=i.returned_at,
        replaces=i.replaces,
        reference=reference_of(InstructionKind(i.kind), i.run_id, i.id),
    )


def reference_of(kind: InstructionKind, run_id: int, instruction_id: int) -> str:
    """The reference an instruction's payment carries (``InstructionView.reference``)."""
    if kind == InstructionKind.COLLECTION:
        return bank.creditor_reference(run_id, instruction_id)
    return bank.end_to_end_id(run_id, instruction_id)


def setoff_notices(session: Session, run_id: int, firm: str | None = None) -> list[NoticeView]:
    """Each obligation a run set off, in its own currency and the unit of account:
    the notice its debtor and creditor receive.  ``firm`` keeps those it is party to."""
    run = stored_run(session, run_id)
    corridor = corridors.load(session)
    unit, digits = run.unit_of_account, corridor.unit_digits
    query = (
        select(SetoffNotice, Obligation)
        .join(Obligation, Obligation.id == SetoffNotice.obligation_id)
        .where(SetoffNotice.run_id == run_id)
        .order_by(SetoffNotice.obligation_id)
    )
    if firm is not None:
        query = query.where(access.notices_of(firm))
    views = []
    for n, o in session.execute(query):
        currency = o.currency
        scale = corridor.digits[currency]
        views.append(
            NoticeView(
                obligation=o.id,
                reference=o.reference,
                debtor=o.debtor,
                creditor=o.creditor,
                currency=currency,
                before=Amount(n.before, currency, scale),
                setoff=Amount(n.setoff, currency, scale),
                after=Amount(n.after, currency, scale),
                setoff_unit=Amount(n.setoff_unit, unit, digits),
            )
        )
    return views
