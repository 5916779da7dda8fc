"""Reading the schedule: the jobs' next occurrences, the runs and failures of the
worker, and the filing window a trader's obligation falls in (DESIGN §9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.calendar import JOBS, Occurrence
from tahator.domain.corridor import business_date
from tahator.domain.policy import Policy
from tahator.services.worker import MAX_ATTEMPTS, calendar_of
from tahator.store.schema import JobFailure, JobRun

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
    outcome: dict[str, Any]


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


@dataclass(frozen=True)
class ScheduleView:
    as_of: date
    next: tuple[NextRun, ...]
    runs: tuple[JobRunRow, ...]
    failures: tuple[FailureRow, ...]
    max_attempts: int = MAX_ATTEMPTS


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


def filing_window(policy: Policy, at: datetime) -> FilingWindow:
    """The clearing run an obligation registered at ``at`` goes into (DESIGN §9)."""
    calendar = calendar_of(policy)
    today = business_date(at, policy.zone)
    upcoming, following = calendar.next_occurrences("clearing", today - timedelta(days=1), 2)
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


def clearing_dates(policy: Policy, at: datetime, count: int = 3) -> ClearingDates:
    """The next ``count`` clearing runs from ``at``'s business date, and the filing window."""
    calendar = calendar_of(policy)
    today = business_date(at, policy.zone)
    window = filing_window(policy, at)
    runs = calendar.next_occurrences("clearing", today - timedelta(days=1), count)
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
    done = {
        (run.job, run.occurrence) for run in session.execute(select(JobRun.job, JobRun.occurrence))
    }
    return ScheduleView(
        as_of=as_of,
        next=next_runs(policy, as_of, count),
        runs=tuple(
            JobRunRow(
                r.job,
                r.occurrence,
                r.started_at,
                r.finished_at,
                r.worker,
                r.attempts,
                dict(r.outcome),
            )
            for r in runs
        ),
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
            )
            for f in failures
        ),
    )
