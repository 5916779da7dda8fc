"""Whether the service can serve (``/readyz``) and the figures an operator watches
(``/metrics``), read from the database when asked.

Both are reads only: readiness takes no lock and waits for no writer; the figures are
counts and sums over a few tables, one consistent snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session

from tahator.domain.run import RunStatus
from tahator.domain.screening import ScreeningStatus
from tahator.store import migrate
from tahator.store.database import READ_ONLY, make_engine, reading
from tahator.store.schema import ClearingRun, Firm, JobFailure, JobRun, WebhookDelivery

PROBE_TIMEOUT_SECONDS = 2
"""How long a readiness probe waits for PostgreSQL to accept a connection or answer."""


@dataclass(frozen=True)
class Readiness:
    """Whether requests can be served, and if not, why (short: a probe shows it)."""

    ready: bool
    reason: str | None = None


def probe_engine(engine: Engine) -> Engine:
    """An engine for readiness probes over ``engine``'s database.

    On PostgreSQL, a connection of its own per probe with short connect and statement
    timeouts: a probe must answer quickly when the server is down or unreachable, and
    must not wait for the service's pool (busy, or holding connections to a server that
    went away).  On SQLite, ``engine`` reading without the write lock (``reading``'s
    option), so a clearing run does not hold the probe up.
    """
    if engine.dialect.name != "postgresql":
        return engine.execution_options(**{READ_ONLY: True})
    # Through ``make_engine``: the same URL, driver options and TLS settings as the
    # service's own connections, so "ready" speaks for the connections it makes.
    return make_engine(engine.url, probe_seconds=PROBE_TIMEOUT_SECONDS)


def readiness(probe: Engine) -> Readiness:
    """Ready when the database answers and its schema is at ``migrate.HEAD``."""
    try:
        current = migrate.is_current(probe)
    except DBAPIError:
        return Readiness(False, "the database cannot be reached")
    if not current:
        return Readiness(
            False, f"the database is not at schema revision {migrate.HEAD}: run tahator db upgrade"
        )
    return Readiness(True)


@dataclass(frozen=True)
class Cleared:
    """Completed clearing runs in one unit of account and what they cleared, in its
    minor units (cents of USD, say)."""

    unit_of_account: str
    runs: int
    cleared: int


@dataclass(frozen=True)
class Figures:
    """What ``/metrics`` reports from the database."""

    cleared: tuple[Cleared, ...]
    last_run_seconds: float | None
    """How long the latest completed run took; ``None`` before the first."""
    jobs_run: tuple[tuple[str, str, int], ...]
    """Occurrences recorded per job and outcome (``job_runs``): (job, outcome, count).
    ``covered`` (a clearing run already done by hand) is not a run of the job."""
    job_failures: tuple[tuple[str, int], ...]
    """Failed attempts per job (``job_failures``), by job name."""
    deliveries: tuple[tuple[str, int], ...]
    """Webhook deliveries per status: ``pending``, ``delivered``, ``failed``."""
    screening_queue: int
    """Firms whose screening hits await an operator's decision."""


DELIVERY_STATUSES = ("pending", "delivered", "failed")


def figures(session: Session) -> Figures:
    """The figures as the database holds them now."""
    completed = ClearingRun.status == RunStatus.COMPLETED.value
    cleared = tuple(
        Cleared(unit, int(runs), int(total or 0))
        for unit, runs, total in session.execute(
            select(ClearingRun.unit_of_account, func.count(), func.sum(ClearingRun.cleared))
            .where(completed)
            .group_by(ClearingRun.unit_of_account)
            .order_by(ClearingRun.unit_of_account)
        )
    )
    last = session.execute(
        select(ClearingRun.started_at, ClearingRun.finished_at)
        .where(completed, ClearingRun.finished_at.is_not(None))
        .order_by(ClearingRun.id.desc())
        .limit(1)
    ).first()
    delivered = dict(_counts(session, WebhookDelivery.status))
    return Figures(
        cleared=cleared,
        last_run_seconds=(
            (last.finished_at - last.started_at).total_seconds() if last is not None else None
        ),
        jobs_run=_job_outcomes(session),
        job_failures=_counts(session, JobFailure.job),
        deliveries=tuple((status, delivered.pop(status, 0)) for status in DELIVERY_STATUSES)
        + tuple(sorted(delivered.items())),
        screening_queue=int(
            session.scalar(
                select(func.count())
                .select_from(Firm)
                .where(Firm.screening == ScreeningStatus.BLOCKED.value)
            )
            or 0
        ),
    )


def figures_within(probe: Engine) -> Figures | None:
    """``figures`` read through ``probe`` (``probe_engine``: short timeouts), or
    ``None`` when the database cannot be read."""
    try:
        with reading(probe) as session:
            return figures(session)
    except DBAPIError:
        return None


def _job_outcomes(session: Session) -> tuple[tuple[str, str, int], ...]:
    # Grouped over a subquery: PostgreSQL would not match the JSON expression, with its
    # bound key, in GROUP BY against the same one in SELECT.
    recorded = select(
        JobRun.job.label("job"),
        func.coalesce(JobRun.outcome["outcome"].as_string(), "done").label("outcome"),
    ).subquery()
    rows = session.execute(
        select(recorded.c.job, recorded.c.outcome, func.count())
        .group_by(recorded.c.job, recorded.c.outcome)
        .order_by(recorded.c.job, recorded.c.outcome)
    )
    return tuple((str(job), str(outcome), int(count)) for job, outcome, count in rows)


def _counts(session: Session, column: InstrumentedAttribute[str]) -> tuple[tuple[str, int], ...]:
    rows = session.execute(select(column, func.count()).group_by(column).order_by(column))
    return tuple((str(key), int(count)) for key, count in rows)
