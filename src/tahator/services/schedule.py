"""Reading the schedule: the jobs' next occurrences, the runs and failures of the
worker, and the filing window a trader's obligation falls in (DESIGN §9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from tahator.domain.calendar import JOBS, Occurrence
from tahator.domain.corridor import business_date
from tahator.domain.errors import InputError, Problem
from tahator.domain.job_outcomes import (
    ClearingOutcome,
    CoveredOutcome,
    JobDetail,
    SupersededOutcome,
    from_json,
)
from tahator.domain.policy import Policy
from tahator.domain.run import RunStatus
from tahator.services import audit
from tahator.services.common import now
from tahator.services.worker import MAX_ATTEMPTS, calendar_of
from tahator.store.schema import ClearingRun, JobFailure, JobRun

SCHEDULE_READERS = ("operator", "auditor")
"""Who reads the worker's schedule, runs and failures (everyone sees the clearing dates)."""


@dataclass(frozen=True)
class NextRun:
    job: str
    day: date
    cutoff: datetime | None = None
    """The filing cut-off of a clearing run (UTC)."""
    cutoff_day: date | None = None
    """The business day at whose end (in the corridor's zone) filing closes."""
    period: str | None = None


@dataclass(frozen=True)
class JobRunRow:
    job: str
    occurrence: str
    started_at: datetime
    finished_at: datetime
    worker: str
    attempts: int
    outcome: str
    """``done``, ``covered``, ``superseded``…"""
    detail: JobDetail | None
    run_id: int | None = None
    """The clearing run it made or that covered it."""


@dataclass(frozen=True)
class FailureRow:
    job: str
    occurrence: str
    attempt: int
    failed_at: datetime
    worker: str
    error: str
    retry_at: datetime | None
    gave_up: bool
    superseded_by: str | None = None
    """A newer occurrence of the same state-like job was done: this one never reruns."""


@dataclass(frozen=True)
class ScheduleView:
    as_of: date
    next: tuple[NextRun, ...]
    runs: tuple[JobRunRow, ...]
    failures: tuple[FailureRow, ...]
    max_attempts: int = MAX_ATTEMPTS
    unlisted_years: tuple[int, ...] = ()
    """Years of upcoming occurrences without holiday data: only weekends count then."""


@dataclass(frozen=True)
class FilingWindow:
    """The clearing run an obligation registered at ``at`` goes into."""

    at: datetime
    run: NextRun
    """The run it goes into: the upcoming one, or the following one after the cut-off."""
    upcoming: NextRun
    """The next clearing run on the calendar."""

    @property
    def waits(self) -> bool:
        """Registered after the upcoming run's cut-off: it waits for the following run."""
        return self.run != self.upcoming


def _next(occurrence: Occurrence, zone: str) -> NextRun:
    cutoff_day = None
    if occurrence.cutoff is not None:
        cutoff_day = business_date(occurrence.cutoff - timedelta(microseconds=1), zone)
    return NextRun(occurrence.job, occurrence.day, occurrence.cutoff, cutoff_day, occurrence.period)


def next_runs(policy: Policy, as_of: date, count: int = 3) -> tuple[NextRun, ...]:
    """Each job's next ``count`` occurrences from ``as_of`` on (``as_of`` included)."""
    calendar = calendar_of(policy)
    before = as_of - timedelta(days=1)
    return tuple(
        _next(occurrence, policy.zone)
        for job in JOBS
        for occurrence in calendar.next_occurrences(job, before, count)
    )


def filing_window(policy: Policy, at: datetime, done_through: date | None = None) -> FilingWindow:
    """The clearing run an obligation registered at ``at`` goes into (DESIGN §9); runs on
    or before ``done_through`` (done already, e.g. today's) are not upcoming."""
    calendar = calendar_of(policy)
    upcoming, following = calendar.next_occurrences(
        "clearing", _before(policy, at, done_through), 2
    )
    if upcoming.cutoff is not None and at > upcoming.cutoff:
        return FilingWindow(at, _next(following, policy.zone), _next(upcoming, policy.zone))
    return FilingWindow(at, _next(upcoming, policy.zone), _next(upcoming, policy.zone))


@dataclass(frozen=True)
class ClearingDates:
    """What any signed-in user sees of the calendar: the next clearing runs with their
    filing cut-offs, and the run an obligation registered now goes into."""

    at: datetime
    zone: str
    runs: tuple[NextRun, ...]
    files_into: NextRun
    waits: bool
    """Past the upcoming run's cut-off: what is registered now waits for the following run."""


def _before(policy: Policy, at: datetime, done_through: date | None) -> date:
    """The day after which clearing runs are still to come."""
    yesterday = business_date(at, policy.zone) - timedelta(days=1)
    return yesterday if done_through is None else max(yesterday, done_through)


def clearing_done_through(session: Session) -> date | None:
    """The latest clearing run done: the scheduled one recorded by the worker, or any
    completed run (by hand too); a run day whose run is done no longer shows as next."""
    job = session.scalar(select(func.max(JobRun.occurrence)).where(JobRun.job == "clearing"))
    run = session.scalar(
        select(func.max(ClearingRun.as_of)).where(ClearingRun.status == RunStatus.COMPLETED.value)
    )
    found = [d for d in (date.fromisoformat(job[:10]) if job else None, run) if d is not None]
    return max(found, default=None)


def clearing_dates(
    policy: Policy, at: datetime, count: int = 3, done_through: date | None = None
) -> ClearingDates:
    """The next ``count`` clearing runs from ``at``'s business date (after
    ``done_through``), and the filing window."""
    calendar = calendar_of(policy)
    window = filing_window(policy, at, done_through)
    runs = calendar.next_occurrences("clearing", _before(policy, at, done_through), count)
    return ClearingDates(
        at, policy.zone, tuple(_next(o, policy.zone) for o in runs), window.run, window.waits
    )


def show(
    session: Session, policy: Policy, as_of: date, count: int = 3, recent: int = 30
) -> ScheduleView:
    """The schedule as of ``as_of``: next occurrences, recent runs, failures."""
    runs = session.scalars(
        select(JobRun).order_by(JobRun.finished_at.desc(), JobRun.job).limit(recent)
    ).all()
    failures = session.scalars(
        select(JobFailure).order_by(JobFailure.failed_at.desc(), JobFailure.id.desc()).limit(recent)
    ).all()
    # Only the listed failures' occurrences: whether each was done later, or superseded.
    keys = {(f.job, f.occurrence) for f in failures}
    done: dict[tuple[str, str], JobDetail | None] = {}
    if keys:
        done = {
            (row.job, row.occurrence): from_json(row.job, row.outcome)[1]
            for row in session.execute(
                select(JobRun.job, JobRun.occurrence, JobRun.outcome).where(
                    tuple_(JobRun.job, JobRun.occurrence).in_(sorted(keys))
                )
            )
        }
    upcoming = next_runs(policy, as_of, count)
    listed = set(calendar_of(policy).years)
    return ScheduleView(
        as_of=as_of,
        next=upcoming,
        unlisted_years=tuple(sorted({r.day.year for r in upcoming} - listed)),
        runs=tuple(_run_row(r) for r in runs),
        failures=tuple(
            FailureRow(
                f.job,
                f.occurrence,
                f.attempt,
                f.failed_at,
                f.worker,
                f.error,
                f.retry_at,
                f.retry_at is None and (f.job, f.occurrence) not in done,
                _superseded_by(done.get((f.job, f.occurrence))),
            )
            for f in failures
        ),
    )


def _superseded_by(detail: JobDetail | None) -> str | None:
    return detail.by if isinstance(detail, SupersededOutcome) else None


def _run_row(row: JobRun) -> JobRunRow:
    outcome, detail = from_json(row.job, row.outcome)
    run_id = detail.run_id if isinstance(detail, ClearingOutcome | CoveredOutcome) else None
    return JobRunRow(
        row.job,
        row.occurrence,
        row.started_at,
        row.finished_at,
        row.worker,
        row.attempts,
        outcome,
        detail,
        run_id,
    )


@dataclass(frozen=True)
class Retried:
    job: str
    occurrence: str
    attempt: int
    """The failed attempt whose give-up was cleared."""


def retry(session: Session, actor: str, job: str, occurrence: str) -> Retried:
    """Clear the give-up of ``job``'s ``occurrence`` (audited): the worker's next pass
    tries it once more (and gives up again if that fails)."""
    if job not in JOBS:
        raise InputError([Problem(f"{job!r} is not a job ({', '.join(JOBS)})", field="job")])
    last = session.scalars(
        select(JobFailure)
        .where(JobFailure.job == job, JobFailure.occurrence == occurrence)
        .order_by(JobFailure.attempt.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if (
        last is None
        or last.retry_at is not None
        or session.get(JobRun, (job, occurrence)) is not None
    ):
        raise InputError(
            [
                Problem(
                    f"{job} {occurrence!r} has no failure the worker gave up on", field="occurrence"
                )
            ]
        )
    last.retry_at = now()
    audit.record(
        session,
        actor,
        "job.retry",
        f"job:{job}:{occurrence}",
        {"attempt": last.attempt, "retry_at": None},
        {"attempt": last.attempt, "retry_at": last.retry_at.isoformat()},
    )
    return Retried(job, occurrence, last.attempt)
