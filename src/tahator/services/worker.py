"""The worker: does each scheduled job when the calendar says it is due, exactly once
(DESIGN §9).

Each occurrence of a job is done in its own transaction, which first inserts the
occurrence's ``JobRun`` row and then does the job's effect: both commit together or
neither does.  A second worker doing the same occurrence fails on the row's primary
key (PostgreSQL makes its insert wait for the first transaction, then refuses it) and
skips: exactly once, by the database, with no lock of our own.  A failed job rolls
back whole; its ``JobFailure`` is written in a transaction of its own and the next
attempt waits, longer each time, until the worker gives up and reports it.

Where occurrences start: after the latest done occurrence of the job; on a fresh
database, from the calendar's ``start`` if it has one, else only the latest due one.
Missed clearing runs and quarterly reports are each done in order; of the jobs that
bring state up to date (sweep, rescreen, reminders) only the latest missed one, and
earlier failed ones are recorded as superseded by it.

Catch-up goes job by job (``JOBS`` order), not day by day: after a gap the latest
sweep, as of today, runs before the missed clearing runs.  A missed run therefore sees
the cancellations of today's sweep, where running on its day it would have seen only
those due by then.  Accepted because a scheduled run reads only obligations registered
by its filing cut-off: what today's sweep registers is stamped now, after that cut-off,
and waits for the next run; what a run read is in its audit record and ``ledger
verify`` replays it.  A busy database (lock, deadlock, serialization failure) is no attempt:
the occurrence is tried again next pass, never given up for it.  A
scheduled clearing run already covered by a completed run as of its day or later (an
operator's run by hand) is recorded as covered, not run twice.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from tahator.services.webhook_delivery import DeliveryTally

from tahator import logs
from tahator.domain.calendar import JOBS, STATE_LIKE, ClearingCalendar, Occurrence
from tahator.domain.errors import InputError, Problem
from tahator.domain.job_outcomes import (
    ClearingOutcome,
    CoveredOutcome,
    JobDetail,
    RemindersOutcome,
    ReportOutcome,
    RescreenOutcome,
    SupersededOutcome,
    SweepOutcome,
    to_json,
)
from tahator.domain.policy import Policy
from tahator.domain.retry import backoff as _backoff
from tahator.domain.run import RunStatus
from tahator.formatting import jsonable
from tahator.services import audit
from tahator.services.common import business_today, check_past, now
from tahator.store.database import DatabaseBusyError, Factory
from tahator.store.schema import ClearingRun, JobFailure, JobRun

MAX_ATTEMPTS = 5
"""Attempts at one occurrence before the worker gives up and reports it."""
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)


class Outcome:
    DONE = "done"
    COVERED = "covered"
    """A clearing run already covered by a completed run (by hand, as of that day or later)."""
    ELSEWHERE = "done_elsewhere"
    """Another worker did it first."""
    FAILED = "failed"
    WAITING = "waiting"
    """Failed before; the next attempt is not due yet."""
    GAVE_UP = "gave_up"
    BUSY = "busy"
    """The database was busy (a lock, a deadlock, a serialization failure): not the job's
    fault, so no attempt is counted; the next pass tries again."""
    SUPERSEDED = "superseded"
    """A failed sweep, rescreen or reminders occurrence that a newer done one made moot."""


@dataclass(frozen=True)
class JobResult:
    job: str
    occurrence: str
    outcome: str
    detail: JobDetail | None = None
    error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class Tick:
    """What one pass of the worker did, as of a business date."""

    as_of: date
    worker: str
    jobs: tuple[JobResult, ...]
    deliveries: DeliveryTally | None = None
    """What the webhook deliveries of this pass did (``services.webhooks.deliver_due``)."""


def backoff(attempt: int) -> timedelta:
    """How long to wait after the ``attempt``-th failure: 1 minute, doubling, at most 1 hour."""
    return _backoff(attempt, FIRST_BACKOFF, MAX_BACKOFF)


def calendar_of(policy: Policy) -> ClearingCalendar:
    if policy.calendar is None:
        raise InputError([Problem("the policy has no [calendar] section", field="calendar")])
    return policy.calendar


def deliver_webhooks(factory: Factory, at: datetime) -> DeliveryTally:
    """Deliver the webhook events due at ``at`` (each pass of the worker, not a calendar job)."""
    from tahator.services import webhooks

    return webhooks.deliver_due(factory, at)


def deliver_in_background(factory: Factory, interval: float) -> threading.Event:
    """Deliver the due webhook events every ``interval`` seconds on a daemon thread of its
    own, so that jobs never wait on receivers; set the returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                deliver_webhooks(factory, now())
            except Exception as error:  # a bad pass is logged; the next one tries again
                logs.line("webhooks", error=f"{type(error).__name__}: {error}")
            stop.wait(interval)

    threading.Thread(target=loop, name="webhook-delivery", daemon=True).start()
    return stop


def run_due(
    factory: Factory,
    policy: Policy,
    worker: str,
    as_of: date | None = None,
    *,
    today: date | None = None,
    deliver: bool = True,
) -> Tick:
    """Do every job due up to ``as_of`` (the business date unless given; never after it),
    then deliver the webhook events due."""
    calendar = calendar_of(policy)
    real_today = business_today(policy.zone) if today is None else today
    day = as_of or real_today
    check_past(day, policy.zone, real_today)
    actor = f"worker:{worker}"
    results: list[JobResult] = []
    for job in JOBS:
        results.extend(_run_job(factory, policy, calendar, job, day, actor))
    deliveries = deliver_webhooks(factory, now()) if deliver else None
    return Tick(day, worker, tuple(results), deliveries)


def due_occurrences(
    session: Session, calendar: ClearingCalendar, job: str, as_of: date
) -> tuple[Occurrence, ...]:
    """The occurrences of ``job`` the worker would do as of ``as_of``."""
    latest = session.scalar(select(func.max(JobRun.occurrence)).where(JobRun.job == job))
    if latest is not None:
        since: date | None = date.fromisoformat(latest[:10])
    elif calendar.start is not None:
        since = calendar.start - timedelta(days=1)
    else:
        since = None
    found = calendar.due(job, since, as_of)
    return found[-1:] if job in STATE_LIKE else found


def _run_job(
    factory: Factory,
    policy: Policy,
    calendar: ClearingCalendar,
    job: str,
    as_of: date,
    actor: str,
) -> list[JobResult]:
    try:
        with factory() as session:
            occurrences = due_occurrences(session, calendar, job, as_of)
    except (OperationalError, DatabaseBusyError) as error:
        return [_logged(JobResult(job, "", Outcome.BUSY, error=_describe(error)), time.monotonic())]
    results = []
    for occurrence in occurrences:
        result = _attempt(factory, policy, occurrence, as_of, actor)
        results.append(result)
        if result.outcome not in (Outcome.DONE, Outcome.COVERED, Outcome.ELSEWHERE):
            break  # later occurrences wait for this one: runs follow the calendar in order
    return results


def _attempt(
    factory: Factory, policy: Policy, occurrence: Occurrence, as_of: date, actor: str
) -> JobResult:
    clock = time.monotonic()
    try:
        return _attempt_once(factory, policy, occurrence, as_of, actor)
    except (OperationalError, DatabaseBusyError) as error:
        # A busy or restarting database is not the job failing: nothing was applied
        # (its transaction rolled back), no attempt is counted, the next pass retries.
        result = JobResult(occurrence.job, occurrence.key, Outcome.BUSY, error=_describe(error))
        return _logged(result, clock)


def _attempt_once(
    factory: Factory, policy: Policy, occurrence: Occurrence, as_of: date, actor: str
) -> JobResult:
    job, key = occurrence.job, occurrence.key
    started = now()
    clock = time.monotonic()
    with factory() as session:
        failures = session.scalar(
            select(func.count())
            .select_from(JobFailure)
            .where(JobFailure.job == job, JobFailure.occurrence == key)
        )
        last = session.scalars(
            select(JobFailure)
            .where(JobFailure.job == job, JobFailure.occurrence == key)
            .order_by(JobFailure.attempt.desc())
            .limit(1)
        ).first()
    attempts = int(failures or 0)
    if last is not None and last.retry_at is None:
        return _logged(JobResult(job, key, Outcome.GAVE_UP, error=last.error), clock)
    if last is not None and last.retry_at is not None and last.retry_at > started:
        return _logged(
            JobResult(job, key, Outcome.WAITING, error=last.error, retry_at=last.retry_at), clock
        )
    inserted = False
    with logs.acting_for(f"job:{job}:{key}"):
        try:
            with factory() as session:
                row = JobRun(
                    job=job,
                    occurrence=key,
                    started_at=started,
                    finished_at=started,
                    worker=actor.removeprefix("worker:"),
                    attempts=attempts + 1,
                    outcome={},
                )
                session.add(row)
                session.flush()  # the key: a second worker stops here
                inserted = True
                outcome, detail = _effect(session, policy, occurrence, as_of, actor)
                row.outcome = to_json(outcome, detail)
                row.finished_at = now()
                audit.record(session, actor, f"job.{job}", f"job:{job}:{key}", None, row.outcome)
                if job in STATE_LIKE:
                    _supersede(session, occurrence, row)
        except IntegrityError as error:
            if not inserted:
                return _logged(JobResult(job, key, Outcome.ELSEWHERE), clock)
            return _failed(factory, occurrence, actor, attempts + 1, _describe(error), clock)
        except (OperationalError, DatabaseBusyError):
            raise  # not an attempt: see ``_attempt``
        except Exception as error:  # any failure is recorded, retried, reported
            return _failed(factory, occurrence, actor, attempts + 1, _describe(error), clock)
        return _logged(JobResult(job, key, outcome, detail), clock)


def _supersede(session: Session, occurrence: Occurrence, row: JobRun) -> None:
    """Mark the failed earlier occurrences of a state-like job as superseded by ``row``
    (done in the same transaction): catch-up never retries them, and this says why."""
    earlier = session.scalars(
        select(JobFailure.occurrence)
        .where(JobFailure.job == occurrence.job, JobFailure.occurrence < occurrence.key)
        .where(
            ~select(JobRun.occurrence)
            .where(JobRun.job == JobFailure.job, JobRun.occurrence == JobFailure.occurrence)
            .exists()
        )
        .distinct()
    ).all()
    for key in earlier:
        session.add(
            JobRun(
                job=occurrence.job,
                occurrence=key,
                started_at=row.started_at,
                finished_at=row.finished_at,
                worker=row.worker,
                attempts=0,
                outcome=to_json(Outcome.SUPERSEDED, SupersededOutcome(occurrence.key)),
            )
        )


def _describe(error: Exception) -> str:
    text = (
        "; ".join(str(p) for p in error.problems) if isinstance(error, InputError) else str(error)
    )
    return f"{type(error).__name__}: {text}"[:2000]


def _failed(
    factory: Factory, occurrence: Occurrence, actor: str, attempt: int, error: str, clock: float
) -> JobResult:
    failed_at = now()
    retry_at = None if attempt >= MAX_ATTEMPTS else failed_at + backoff(attempt)
    with factory() as session:
        session.add(
            JobFailure(
                job=occurrence.job,
                occurrence=occurrence.key,
                attempt=attempt,
                failed_at=failed_at,
                worker=actor.removeprefix("worker:"),
                error=error,
                retry_at=retry_at,
            )
        )
    outcome = Outcome.FAILED if retry_at is not None else Outcome.GAVE_UP
    return _logged(
        JobResult(occurrence.job, occurrence.key, outcome, error=error, retry_at=retry_at), clock
    )


def _logged(result: JobResult, clock: float) -> JobResult:
    if result.outcome != Outcome.ELSEWHERE:
        with logs.acting_for(f"job:{result.job}:{result.occurrence}"):
            logs.line(
                "job",
                job=result.job,
                occurrence=result.occurrence,
                outcome=result.outcome,
                duration_ms=round((time.monotonic() - clock) * 1000),
                error=result.error,
            )
    return result


def _effect(
    session: Session, policy: Policy, occurrence: Occurrence, as_of: date, actor: str
) -> tuple[str, JobDetail]:
    """Do ``occurrence``'s work in ``session``; what it did, for the job's row."""
    day = occurrence.day
    match occurrence.job:
        case "sweep":
            from tahator.services import barter

            swept = barter.sweep(session, policy, day, actor, today=as_of)
            return Outcome.DONE, SweepOutcome(
                tuple(view.id for view in swept.cancelled),
                tuple(view.id for view in swept.balanced),
            )
        case "clearing":
            from tahator.services import clearing

            covering = session.scalar(
                select(func.max(ClearingRun.id)).where(
                    ClearingRun.status == RunStatus.COMPLETED.value, ClearingRun.as_of >= day
                )
            )
            if covering is not None:
                return Outcome.COVERED, CoveredOutcome(covering)
            summary = clearing.run_clearing(
                session, actor, day, today=as_of, cutoff=occurrence.cutoff
            )
            return Outcome.DONE, ClearingOutcome(
                summary.run_id, occurrence.cutoff, summary.obligations
            )
        case "rescreen":
            from tahator.services import screening

            changes = screening.rescreen_all(session, actor)
            return Outcome.DONE, RescreenOutcome(
                changes.screened, len(changes.newly_blocked), changes.blocked
            )
        case "quarterly_report":
            from tahator.services import barter_report

            assert occurrence.period is not None
            report = barter_report.quarterly_report(session, policy, occurrence.period)
            # Its counts and a digest, not the report: the row is copied into the audit
            # chain, and the report itself is made again by `tahator barter report`.
            document = json.dumps(jsonable(report), sort_keys=True, separators=(",", ":"))
            return Outcome.DONE, ReportOutcome(
                occurrence.period,
                report.authorizations_issued,
                report.balanced,
                report.closed_on_purpose,
                report.cancelled,
                report.rejected,
                report.outstanding,
                len(report.flagged),
                hashlib.sha256(document.encode()).hexdigest(),
            )
        case _:
            from tahator.services import webhooks

            sent = webhooks.remind_deadlines(session, policy, day)
            return Outcome.DONE, RemindersOutcome(int(sent))
