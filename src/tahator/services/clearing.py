"""Clearing runs: load what is open, plan the run, store the plan, all at once.

A run reads every open obligation, the firms' countries, the run's rates and what
the clearing accounts carry from earlier runs (:func:`load_open`); the domain
plans the whole run without a database (``domain.run.plan_run``); and
:func:`store_run` records its notices, instructions, roll-overs and balanced
journal entries in the same transaction: the whole run or nothing.  Runs take a
lock on the corridor, so a second run waits for the first and then clears what
the first left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.money import Amount, parse_amount
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import (
    ExcludedFigures,
    OpenObligations,
    RunFigures,
    RunInputs,
    RunPlan,
    RunStatus,
    plan_run,
)
from tahator.domain.settlement import (
    AccountFigures,
    ImbalanceFigures,
    InstructionKind,
    InstructionStatus,
    pairs_of,
)
from tahator.formatting import jsonable
from tahator.services import access, audit, proof
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.services.corridor import CorridorView
from tahator.services.journal import balances, post
from tahator.services.returned import carried, positions
from tahator.services.users import Principal
from tahator.store.bulk import fetch_rows, insert_rows, update_by_id
from tahator.store.schema import (
    ClearingRun,
    Corridor,
    Firm,
    FxRate,
    Novation,
    Obligation,
    Rollover,
    RunRate,
    SetoffNotice,
    SettlementInstruction,
)


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


# --- a run: load, plan, store ----------------------------------------------------------


def run_clearing(
    session: Session,
    actor: str,
    as_of: date,
    on_step: Callable[[str], None] | None = None,
    *,
    today: date,
) -> RunSummary:
    """Run a clearing run over every open obligation; return its summary.  ``today`` is
    the business date in the corridor's zone, as the edge sees it: a run may not be as
    of a later day (it would settle what is not yet due) nor before the last run."""
    step = on_step or (lambda _: None)
    # One run at a time: PostgreSQL locks the corridor row; SQLite's writer lock
    # was taken when the transaction began.
    session.execute(select(Corridor.id).with_for_update()).all()
    _check_as_of(session, as_of, today)
    step("reading open obligations")
    inputs = load_open(session, as_of)
    started = now()
    step("setting off and settling")
    plan = plan_run(inputs)
    step("recording the run")
    run_id = store_run(session, plan, actor, started)
    run = session.get(ClearingRun, run_id)
    assert run is not None
    summary = _summary(run, inputs.unit_digits)
    audit.record(
        session,
        actor,
        "clearing.run",
        f"clearing_run:{run_id}",
        None,
        {**jsonable(summary), "proof": proof.run(session, run_id, inputs)},
    )
    return summary


def _check_as_of(session: Session, as_of: date, today: date) -> None:
    """Refuse (InputError, nothing changed) a run as of after ``today`` or before the
    latest completed run's as-of date: runs follow the business calendar in order."""
    latest = session.scalar(
        select(func.max(ClearingRun.as_of)).where(ClearingRun.status == RunStatus.COMPLETED.value)
    )
    if as_of > today:
        message = f"{as_of} is after today's business date, {today}"
    elif latest is not None and as_of < latest:
        message = f"{as_of} is before the latest clearing run's, {latest}"
    else:
        return
    raise InputError([Problem(message, field="as_of")])


def load_open(session: Session, as_of: date) -> RunInputs:
    """What a run on ``as_of`` reads: the open obligations, the firms' countries, the
    rates, and what the clearing accounts carry from earlier runs."""
    corridor = corridors.load(session)
    # Straight from the driver, due dates as ISO text: 100,000 rows in a fifth of the time.
    rows = fetch_rows(
        session,
        "SELECT id, debtor, creditor, remaining, currency, CAST(due_date AS VARCHAR(10)) "
        "FROM obligations WHERE status = {} AND remaining > 0 ORDER BY id",
        ObligationStatus.OPEN.value,
    )
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    open_ = OpenObligations(*(list(column) for column in columns))
    country_of = dict(session.execute(select(Firm.id, Firm.country)).all())
    unit = corridor.unit_of_account
    # A currency without a rate leaves its obligations out of the run (the plan says
    # why); it must not fail the run for everyone.
    rated = set(
        session.scalars(select(FxRate.currency).where(FxRate.valid_from <= as_of).distinct())
    )
    currencies = (set(open_.currencies) | set(corridor.countries.values()) | {unit}) & (
        rated | {unit}
    )
    rates = corridors.rates_on(session, as_of, currencies)
    opening, carried = carried_over(session, corridor.countries)
    return RunInputs(
        as_of=as_of,
        unit_of_account=unit,
        unit_digits=corridor.unit_digits,
        digits=corridor.digits,
        countries=corridor.countries,
        credit_lines=corridor.credit_lines,
        rates=rates,
        obligations=open_,
        country_of=country_of,
        opening=opening,
        carried=carried,
        setoff_before_due=corridor.setoff_before_due,
        max_obligation=corridor.max_obligation,
        credit_line_shares={c: Fraction(s) for c, s in corridor.credit_line_shares.items()},
        earlier_imbalances=_earlier_imbalances(session, unit),
    )


def _earlier_imbalances(session: Session, unit: str) -> dict[tuple[str, str], int]:
    """The net claims between clearing accounts before this run, as the journal has
    them (its ``interaccount:`` accounts): runs and returns alike, each counted once."""
    net = {
        account.removeprefix("interaccount:"): int(amount)
        for (account, currency), amount in balances(session, "interaccount:").items()
        if currency == unit
    }
    return pairs_of(net)


def store_run(session: Session, plan: RunPlan, actor: str, started: datetime) -> int:
    """Record ``plan`` as a completed run begun at ``started``; return the run's id."""
    run_id = session.scalar(
        insert(ClearingRun)
        .values(
            as_of=plan.as_of,
            status=RunStatus.RUNNING.value,
            started_at=started,
            actor=actor,
            unit_of_account=plan.unit_of_account,
            obligations=plan.obligations,
            total=0,
            cleared=0,
            remainder=0,
            figures={},
        )
        .returning(ClearingRun.id)
    )
    assert isinstance(run_id, int)
    insert_rows(
        session,
        RunRate,
        [
            {"run_id": run_id, "currency": r.currency, "rate": str(r.per_unit_of_account)}
            for r in plan.rates
        ],
    )
    insert_rows(
        session,
        SetoffNotice,
        [
            {
                "run_id": run_id,
                "obligation_id": n.obligation_id,
                "before": n.before,
                "setoff": n.setoff,
                "after": n.after,
                "setoff_unit": n.setoff_unit,
            }
            for n in plan.notices
        ],
    )
    setoffs = plan.setoff_entry(run_id)
    if setoffs is not None:
        post(session, setoffs, actor, run_id=run_id)
    faults.point("clearing.after_setoffs")

    novations = plan.novation_entry(run_id)
    if novations is not None:
        post(session, novations, actor, run_id=run_id)
    insert_rows(
        session,
        Novation,
        [
            {"run_id": run_id, "obligation_id": n.obligation_id, "amount": n.amount}
            for n in plan.novated
        ],
    )
    insert_rows(
        session,
        SettlementInstruction,
        [
            {
                "run_id": run_id,
                "firm_id": i.firm,
                "country": i.country,
                "kind": i.kind.value,
                "owed": i.owed,
                "amount": i.amount,
                "local_currency": i.local_currency,
                "local_amount": i.local_amount,
                "status": InstructionStatus.PENDING.value,
                "confirmed_at": None,
                "confirmed_by": None,
            }
            for i in plan.instructions
        ],
    )
    insert_rows(
        session,
        Rollover,
        [{"run_id": run_id, "firm_id": r.firm, "amount": r.amount} for r in plan.rollovers],
    )
    update_by_id(
        session,
        Obligation,
        [{"id": c.id, "remaining": c.remaining, "status": c.status.value} for c in plan.changes],
    )
    faults.point("clearing.before_commit")

    session.execute(
        update(ClearingRun)
        .where(ClearingRun.id == run_id)
        .values(
            status=RunStatus.COMPLETED.value,
            finished_at=now(),
            total=plan.total,
            cleared=plan.cleared,
            remainder=plan.remainder,
            figures=jsonable(plan.figures),
        )
    )
    return run_id


def carried_over(
    session: Session, countries: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, int]]:
    """What each clearing account holds from earlier runs, and what each firm is still owed.

    An account holds what it was told to collect less what it was told to pay out;
    the unpaid claims are the roll-overs of the latest completed run.
    """
    opening = positions(session)
    latest = session.scalar(
        select(func.max(ClearingRun.id)).where(ClearingRun.status == RunStatus.COMPLETED.value)
    )
    return {c: opening.get(c, 0) for c in countries}, carried(session, latest)


# --- reading runs ----------------------------------------------------------------------


def run_summary(session: Session, run_id: int) -> RunSummary:
    return _summary(_run(session, run_id), corridors.load(session).unit_digits)


def _run(session: Session, run_id: int) -> ClearingRun:
    run = session.get(ClearingRun, run_id)
    if run is None:
        raise NotFoundError(f"no clearing run {run_id}")
    return run


def _summary(run: ClearingRun, digits: int) -> RunSummary:
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
    run = _run(session, run_id)
    corridor = corridors.load(session)
    summary = _summary(run, corridor.unit_digits)
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
    )


def setoff_notices(session: Session, run_id: int, firm: str | None = None) -> list[NoticeView]:
    """Each obligation a run set off, in its own currency and the unit of account:
    the notice its debtor and creditor receive.  ``firm`` keeps those it is party to."""
    run = _run(session, run_id)
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
