"""Clearing runs: load what is open, plan the run, store the plan, all at once.

A run reads every open obligation, the firms' countries, the run's rates and what
the clearing accounts carry from earlier runs (:func:`load_open`); the domain
plans the whole run without a database (``domain.run.plan_run``); and
:func:`store_run` records its notices, instructions, roll-overs and balanced
journal entries in the same transaction: the whole run or nothing.  Runs take a
lock on the corridor, so a second run waits for the first and then clears what
the first left.  Reading runs is ``services.clearing_views`` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain.errors import InputError, Problem
from tahator.domain.ledger import Entry
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import (
    OpenObligations,
    RunInputs,
    RunPlan,
    RunStatus,
    plan_run,
)
from tahator.domain.settlement import (
    InstructionStatus,
    pairs_of,
)
from tahator.formatting import jsonable
from tahator.io.obligation_file import collection_paused
from tahator.services import audit, proof
from tahator.services import corridor as corridors
from tahator.services.clearing_views import InstructionView as InstructionView
from tahator.services.clearing_views import NoticeView as NoticeView
from tahator.services.clearing_views import Position as Position
from tahator.services.clearing_views import RunRow as RunRow
from tahator.services.clearing_views import RunSummary as RunSummary
from tahator.services.clearing_views import RunView as RunView
from tahator.services.clearing_views import instruction_view as instruction_view
from tahator.services.clearing_views import list_runs as list_runs
from tahator.services.clearing_views import run_summary as run_summary
from tahator.services.clearing_views import setoff_notices as setoff_notices
from tahator.services.clearing_views import show_run as show_run
from tahator.services.clearing_views import stored_figures as stored_figures
from tahator.services.clearing_views import summarize
from tahator.services.common import now
from tahator.services.journal import balances, post
from tahator.services.returned import carried, positions
from tahator.services.webhook_events import run_completed
from tahator.store.bulk import fetch_rows, insert_columns, update_columns
from tahator.store.schema import (
    ClearingRun,
    Corridor,
    FxRate,
    Novation,
    Obligation,
    Rollover,
    RunRate,
    SetoffNotice,
    SettlementInstruction,
)

# --- a run: load, plan, store ----------------------------------------------------------


def run_clearing(
    session: Session,
    actor: str,
    as_of: date,
    on_step: Callable[[str], None] | None = None,
    *,
    today: date,
    cutoff: datetime | None = None,
) -> RunSummary:
    """Run a clearing run over every open obligation; return its summary.  ``today`` is
    the business date in the corridor's zone, as the edge sees it: a run may not be as
    of a later day (it would settle what is not yet due) nor before the last run.
    ``cutoff`` closes the filing window: obligations registered after it wait."""
    step = on_step or (lambda _: None)
    # Reading, planning and storing allocate a few million small objects and free
    # none: the cycle collector would walk them again and again (a third of the run).
    with collection_paused():
        # One run at a time: PostgreSQL locks the corridor row; SQLite's writer lock
        # was taken when the transaction began.
        session.execute(select(Corridor.id).with_for_update()).all()
        _check_as_of(session, as_of, today)
        step("reading open obligations")
        inputs = load_open(session, as_of, cutoff)
        started = now()
        step("setting off and settling")
        plan = plan_run(inputs)
        step("recording the run")
        run_id, posted = store_run(session, plan, actor, started, cutoff)
        run_completed(session, run_id)  # the outbox: the events commit with the run
        run = session.get(ClearingRun, run_id)
        assert run is not None
        summary = summarize(run, inputs.unit_digits)
        audit.record(
            session,
            actor,
            "clearing.run",
            f"clearing_run:{run_id}",
            None,
            {**jsonable(summary), "proof": proof.run(session, run_id, inputs, plan, posted)},
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


def load_open(session: Session, as_of: date, cutoff: datetime | None = None) -> RunInputs:
    """What a run on ``as_of`` reads: the open obligations (registered by ``cutoff``, if
    given), the firms' countries, the rates, and what the clearing accounts carry from
    earlier runs."""
    corridor = corridors.load(session)
    # Straight from the driver, due dates as ISO text: 100,000 rows in a fifth of the time.
    window = "" if cutoff is None else " AND created_at <= {}"
    rows = fetch_rows(
        session,
        "SELECT id, debtor, creditor, remaining, currency, CAST(due_date AS VARCHAR(10)) "
        f"FROM obligations WHERE status = {{}} AND remaining > 0{window} ORDER BY id",
        ObligationStatus.OPEN.value,
        *([] if cutoff is None else [cutoff]),
    )
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    open_ = OpenObligations(*(list(column) for column in columns))
    country_of = dict(fetch_rows(session, "SELECT id, country FROM firms"))
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


def store_run(
    session: Session,
    plan: RunPlan,
    actor: str,
    started: datetime,
    cutoff: datetime | None = None,
) -> tuple[int, list[tuple[int, Entry]]]:
    """Record ``plan`` as a completed run begun at ``started`` with the filing ``cutoff``
    it read obligations up to; return the run's id and its journal entries (id, entry)."""
    run_id = session.scalar(
        insert(ClearingRun)
        .values(
            as_of=plan.as_of,
            status=RunStatus.RUNNING.value,
            started_at=started,
            cutoff_at=cutoff,
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
    # Rows as tuples straight to the driver (COPY on PostgreSQL): no dict per row.
    insert_columns(
        session,
        RunRate,
        ("run_id", "currency", "rate"),
        [(run_id, r.currency, str(r.per_unit_of_account)) for r in plan.rates],
    )
    insert_columns(
        session,
        SetoffNotice,
        ("run_id", "obligation_id", "before", "setoff", "after", "setoff_unit"),
        [(run_id, *notice) for notice in plan.notices],
    )
    posted: list[tuple[int, Entry]] = []
    setoffs = plan.setoff_entry(run_id)
    if setoffs is not None:
        posted.append((post(session, setoffs, actor, run_id=run_id), setoffs))
    faults.point("clearing.after_setoffs")

    novations = plan.novation_entry(run_id)
    if novations is not None:
        posted.append((post(session, novations, actor, run_id=run_id), novations))
    insert_columns(
        session,
        Novation,
        ("run_id", "obligation_id", "amount"),
        [(run_id, *novated) for novated in plan.novated],
    )
    pending = InstructionStatus.PENDING.value
    insert_columns(
        session,
        SettlementInstruction,
        (
            "run_id",
            "firm_id",
            "country",
            "kind",
            "owed",
            "amount",
            "local_currency",
            "local_amount",
            "status",
            "confirmed_at",
            "confirmed_by",
        ),
        [(run_id, *i.stored(), pending, None, None) for i in plan.instructions],
    )
    insert_columns(
        session,
        Rollover,
        ("run_id", "firm_id", "amount"),
        [(run_id, *rollover) for rollover in plan.rollovers],
    )
    update_columns(
        session,
        Obligation,
        ("remaining", "status"),
        [(c.id, c.remaining, c.status.value) for c in plan.changes],
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
    return run_id, posted


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
