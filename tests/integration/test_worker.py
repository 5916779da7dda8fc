"""The worker on a real database: due jobs done once, in order, with their effects;
filing cut-offs; failures rolled back and retried with backoff; two workers at once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tahator.services import corridor, screening, worker
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tahator.store.schema import (
    AuditRecord,
    Authorization,
    ClearingRun,
    JobFailure,
    JobRun,
    Obligation,
)
from tests.conftest import Cli
from tests.integration.conftest import (
    drop_postgres,
    fresh_postgres,
    import_obligations_file,
    obligations_file,
)
from tests.integration.test_barter import (
    LPG,
    POLICY,
    application,
    apply,
    authorize,
    declare,
    sound,
)
from tests.integration.test_barter import house as house

AS_OF = date(2026, 3, 2)
TODAY = date(2026, 12, 2)


def _registered(engine: Engine, tmp_path: Path, rows: dict[str, datetime]) -> None:
    """Register obligations PK-1 owes IR-1, each as if registered at its time."""
    specs = [(ref, "PK-1", "IR-1", "1000.00", "USD") for ref in rows]
    with transaction(engine) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", specs), "test")
    with transaction(engine) as session:
        for ref, at in rows.items():
            session.execute(
                update(Obligation).where(Obligation.reference == ref).values(created_at=at)
            )


def _overdue(engine: Engine, tmp_path: Path) -> int:
    """An authorization whose deadline, 2026-02-22, is past by ``AS_OF``."""
    authorization_id = apply(engine, tmp_path, application())
    authorize(engine, authorization_id)
    declare(engine, authorization_id, **LPG, value="300000", currency="USD", on=date(2025, 11, 10))
    return authorization_id


def _counts(engine: Engine) -> tuple[int, int, int]:
    with transaction(engine) as session:
        return (
            int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0),
            int(session.scalar(select(func.count()).select_from(ClearingRun)) or 0),
            int(session.scalar(select(func.count()).select_from(JobRun)) or 0),
        )


def _karachi(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=5)


def test_worker_once_sweeps_runs_the_due_clearing_runs_and_is_idempotent(
    house: Engine,
    tmp_path: Path,
    cli: Cli,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="tahator")
    authorization_id = _overdue(house, tmp_path)
    # The February run (26th) closes filing at the end of the 24th, Karachi time.
    _registered(
        house,
        tmp_path,
        {"JAN": _karachi(date(2026, 1, 10), 12), "LATE": _karachi(date(2026, 2, 25), 10)},
    )
    code, out, err = cli("--db", database_url, "worker", "--once", "--as-of", "2026-03-02")
    assert code == 0, err
    # One JSON line per job: on stderr once logs.configure() took the logger, else captured.
    texts = [line for line in err.splitlines() if line.startswith("{")]
    texts += [r.getMessage() for r in caplog.records if r.name == "tahator"]
    lines = [json.loads(text) for text in texts]
    sweep = next(line for line in lines if line.get("job") == "sweep")
    assert sweep["outcome"] == "done"
    assert sweep["request_id"] == "job:sweep:2026-03-02"
    assert "sweep             2026-03-02  done" in out
    with transaction(house) as session:
        state = session.get(Authorization, authorization_id)
        assert state is not None
        assert state.state == "cancelled"
        runs = session.execute(
            select(
                ClearingRun.as_of, ClearingRun.obligations, ClearingRun.cutoff_at, ClearingRun.actor
            ).order_by(ClearingRun.id)
        ).all()
    assert [(r.as_of, r.obligations) for r in runs] == [
        (date(2026, 1, 29), 1),
        (date(2026, 2, 26), 1),  # JAN again (not due yet, still open); LATE waits
    ]
    assert runs[1].cutoff_at == _karachi(date(2026, 2, 25), 0)
    assert {r.actor for r in runs} == {r.actor for r in runs if r.actor.startswith("worker:")}
    before = _counts(house)
    code, out, _ = cli("--db", database_url, "worker", "--once", "--as-of", "2026-03-02")
    assert code == 0
    assert _counts(house) == before  # a second pass does nothing
    assert " done" not in out
    assert " covered" not in out
    code, out, _ = cli("--db", database_url, "worker", "--once", "--as-of", "2026-03-31")
    assert code == 0
    with transaction(house) as session:
        march = session.scalars(select(ClearingRun).order_by(ClearingRun.id.desc())).first()
    assert march is not None
    assert (march.as_of, march.obligations) == (date(2026, 3, 31), 2)
    sound(house)


def test_a_run_by_hand_covers_the_scheduled_one(house: Engine) -> None:
    from tahator.services import clearing

    with transaction(house) as session:
        by_hand = clearing.run_clearing(session, "op", date(2026, 1, 30), today=TODAY)
    tick = worker.run_due(
        lambda: transaction(house), POLICY, "w1", date(2026, 2, 1), today=TODAY, deliver=False
    )
    covered = [r for r in tick.jobs if r.job == "clearing"]
    assert [(r.occurrence, r.outcome, r.detail) for r in covered] == [
        ("2026-01-29", "covered", worker.CoveredOutcome(by_hand.run_id))
    ]
    assert _counts(house)[1] == 1


def test_a_failed_job_rolls_back_and_is_retried_with_backoff(
    house: Engine,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
    database_url: str,
) -> None:
    real = screening.rescreen_all

    def failing(session, actor):  # type: ignore[no-untyped-def]
        real(session, actor)  # does its writes, then fails: none of it may stay
        raise RuntimeError("list service unreachable")

    monkeypatch.setattr(screening, "rescreen_all", failing)
    audit_before = _counts(house)[0]

    def rescreen() -> worker.JobResult:
        tick = worker.run_due(
            lambda: transaction(house), POLICY, "w1", date(2026, 1, 5), today=TODAY, deliver=False
        )
        return next(r for r in tick.jobs if r.job == "rescreen")

    first = rescreen()
    assert (first.outcome, first.occurrence) == ("failed", "2026-01-05")
    assert "list service unreachable" in (first.error or "")
    with transaction(house) as session:
        assert session.get(JobRun, ("rescreen", "2026-01-05")) is None
        failure = session.scalars(select(JobFailure)).one()
        assert failure.retry_at == failure.failed_at + timedelta(minutes=1)
        actions = session.scalars(
            select(AuditRecord.action).where(AuditRecord.id > audit_before)
        ).all()
    assert not [a for a in actions if a.startswith(("screening", "job.rescreen"))]
    assert rescreen().outcome == "waiting"  # not before its backoff
    for attempt in range(2, worker.MAX_ATTEMPTS + 1):
        with transaction(house) as session:  # the backoff passes
            session.execute(update(JobFailure).values(retry_at=datetime(2000, 1, 1, tzinfo=UTC)))
        result = rescreen()
        assert result.outcome == ("failed" if attempt < worker.MAX_ATTEMPTS else "gave_up")
        with transaction(house) as session:  # its wait, read straight after the failure
            failure = session.scalars(select(JobFailure).where(JobFailure.attempt == attempt)).one()
        if attempt < worker.MAX_ATTEMPTS:
            assert failure.retry_at is not None
            assert failure.retry_at - failure.failed_at == timedelta(minutes=2 ** (attempt - 1))
        else:
            assert failure.retry_at is None
    assert rescreen().outcome == "gave_up"  # reported, not tried again
    monkeypatch.setattr(screening, "rescreen_all", real)
    # The operator clears the give-up (audited): the next pass tries again.
    code, _, err = cli("--db", database_url, "schedule", "retry", "rescreen", "2026-01-04")
    assert code == 2
    assert "no failure the worker gave up on" in err
    code, _, err = cli("--db", database_url, "schedule", "retry", "nightly", "2026-01-05")
    assert code == 2
    code, out, err = cli("--db", database_url, "schedule", "retry", "rescreen", "2026-01-05")
    assert code == 0, err
    assert "tries it again" in out
    with transaction(house) as session:
        assert session.scalars(
            select(AuditRecord.subject).where(AuditRecord.action == "job.retry")
        ).all() == ["job:rescreen:2026-01-05"]
    done = rescreen()
    assert done.outcome == "done"
    with transaction(house) as session:
        row = session.get(JobRun, ("rescreen", "2026-01-05"))
        assert row is not None
        assert row.attempts == worker.MAX_ATTEMPTS + 1
    code, _, err = cli("--db", database_url, "schedule", "retry", "rescreen", "2026-01-05")
    assert code == 2  # done: nothing to clear


def test_a_busy_database_is_not_an_attempt(
    house: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock held elsewhere (a long clearing run) makes a pass wait, never give up."""
    from sqlalchemy import create_engine, text

    from tahator.store import database

    if database_url.startswith("sqlite"):
        monkeypatch.setattr(database, "SQLITE_BUSY_MS", 200)
        impatient = make_engine(database_url)
        hold = "SELECT 1"  # its BEGIN IMMEDIATE takes the write lock
    else:
        impatient = create_engine(database_url, connect_args={"options": "-c lock_timeout=200"})
        hold = "LOCK TABLE job_runs IN ACCESS EXCLUSIVE MODE"

    def run() -> worker.Tick:
        return worker.run_due(
            lambda: transaction(impatient),
            POLICY,
            "w1",
            date(2026, 1, 5),
            today=TODAY,
            deliver=False,
        )

    for _ in range(worker.MAX_ATTEMPTS + 1):  # more passes than attempts: still no give-up
        with transaction(house) as session:  # on SQLite, this holds the write lock
            session.execute(text(hold))
            tick = run()
        assert tick.jobs
        assert {r.outcome for r in tick.jobs} == {"busy"}
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(JobFailure)) == 0
        assert session.scalar(select(func.count()).select_from(JobRun)) == 0
    assert {r.outcome for r in run().jobs} == {"done"}
    impatient.dispose()


def test_a_failed_state_like_occurrence_is_superseded_by_a_newer_done_one(
    house: Engine, monkeypatch: pytest.MonkeyPatch, cli: Cli, database_url: str
) -> None:
    real = screening.rescreen_all

    def failing(session, actor):  # type: ignore[no-untyped-def]
        raise RuntimeError("list service unreachable")

    monkeypatch.setattr(screening, "rescreen_all", failing)

    def rescreen(day: date) -> worker.JobResult:
        tick = worker.run_due(
            lambda: transaction(house), POLICY, "w1", day, today=TODAY, deliver=False
        )
        return next(r for r in tick.jobs if r.job == "rescreen")

    assert rescreen(date(2026, 1, 5)).outcome == "failed"
    monkeypatch.setattr(screening, "rescreen_all", real)
    assert (rescreen(date(2026, 1, 12)).occurrence, "done") == ("2026-01-12", "done")
    with transaction(house) as session:
        row = session.get(JobRun, ("rescreen", "2026-01-05"))
        assert row is not None
        assert row.outcome == {"outcome": "superseded", "by": "2026-01-12"}
    code, out, err = cli("--db", database_url, "schedule", "show", "--as-of", "2026-01-12")
    assert code == 0, err
    assert "superseded by 2026-01-12" in out
    assert "retry at" not in out


def test_worker_refuses_a_date_after_today(cli: Cli, database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
    engine.dispose()
    code, _, err = cli("--db", database_url, "worker", "--once", "--as-of", "2099-01-01")
    assert code == 2
    assert "after today's business date" in err
    code, _, err = cli("--db", database_url, "worker", "--once", "--as-of", "2026-02-30")
    assert code == 2
    assert "--as-of" in err
    code, _, err = cli("--db", database_url, "worker", "--as-of", "2026-02-01")
    assert code == 2
    assert "--once" in err
    # An empty --as-of is not today: it is refused, and nothing is done.
    code, _, err = cli("--db", database_url, "worker", "--once", "--as-of", "")
    assert code == 2
    assert "--as-of" in err
    code, _, err = cli("--db", database_url, "schedule", "show", "--as-of", "")
    assert code == 2
    assert "--as-of" in err
    # The name becomes the audit actor: an identifier, not a newline nor nothing.
    for name in ("a\nb", "", "x" * 91, "w\u202eorker"):
        code, _, err = cli("--db", database_url, "worker", "--once", "--name", name)
        assert code == 2, name
        assert "--name" in err
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 0
    code, out, _ = cli("--db", database_url, "schedule", "show", "--as-of", "2026-03-01")
    assert code == 0
    assert "clearing          2026-03-31  filing closes at the end of 2026-03-26" in out
    assert "warning" not in out
    code, out, _ = cli("--db", database_url, "schedule", "show", "--as-of", "2027-12-01")
    assert code == 0
    assert "warning: no public holidays listed for 2028" in out
    code, _, err = cli("--db", database_url, "schedule", "show", "--as-of", "soon")
    assert code == 2
    assert "--as-of" in err


def test_two_workers_started_together_on_postgresql_do_each_job_once(tmp_path: Path) -> None:
    url, admin = fresh_postgres()
    try:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with transaction(engine) as session:
            corridor.seed(session)
        from tahator.demo import tax_id
        from tests.integration.conftest import import_firms_file
        from tests.integration.test_barter import FIRMS

        text = FIRMS.replace("14000000018", tax_id("IR", 1)).replace("14000000026", tax_id("IR", 2))
        (tmp_path / "firms.csv").write_text(text)
        with transaction(engine) as session:
            import_firms_file(session, tmp_path / "firms.csv", "test")
        _overdue(engine, tmp_path)
        _registered(engine, tmp_path, {"JAN": _karachi(date(2026, 1, 10), 12)})
        start = threading.Barrier(2)
        ticks: dict[str, worker.Tick] = {}

        def work(name: str) -> None:
            own = make_engine(url)
            start.wait()
            ticks[name] = worker.run_due(
                lambda: transaction(own), POLICY, name, AS_OF, today=TODAY, deliver=False
            )
            own.dispose()

        threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = [
            (r.job, r.occurrence)
            for tick in ticks.values()
            for r in tick.jobs
            if r.outcome in ("done", "covered")
        ]
        assert len(done) == len(set(done))  # nothing done twice
        with transaction(engine) as session:
            rows = session.execute(select(JobRun.job, JobRun.occurrence)).all()
            runs = session.scalars(select(ClearingRun.as_of).order_by(ClearingRun.id)).all()
            audited = session.scalars(
                select(AuditRecord.action).where(AuditRecord.action.like("job.%"))
            ).all()
            cancelled = session.scalars(
                select(AuditRecord.id).where(AuditRecord.action == "barter.cancel")
            ).all()
        assert sorted(done) == sorted((job, occurrence) for job, occurrence in rows)
        assert runs == [date(2026, 1, 29), date(2026, 2, 26)]
        assert len(audited) == len(rows)
        assert len(cancelled) == 1  # the overdue authorization, once
        engine.dispose()
    finally:
        drop_postgres(url, admin)


def test_the_serving_demos_worker_keeps_authorizations_true_to_their_deadlines(
    house: Engine,
    tmp_path: Path,
) -> None:
    import time

    from tahator.demo_worker import start_loop

    authorization_id = _overdue(house, tmp_path)
    stop = start_loop(house, interval=0.2)
    try:
        deadline = time.monotonic() + 30
        state, passes = "authorized", 0
        # Until the sweep cancelled it and a whole pass (the clearing run too) is recorded.
        while (state == "authorized" or not passes) and time.monotonic() < deadline:
            time.sleep(0.2)
            with transaction(house) as session:
                found = session.get(Authorization, authorization_id)
                assert found is not None
                state = found.state
                passes = int(
                    session.scalar(
                        select(func.count()).select_from(JobRun).where(JobRun.job == "reminders")
                    )
                    or 0
                )
    finally:
        stop.set()
    assert state == "cancelled"
    from tahator.demo import DEMO_DAY

    with transaction(house) as session:  # no run after the demo's date: it would be empty
        days = session.scalars(select(ClearingRun.as_of)).all()
    assert days
    assert max(days) <= DEMO_DAY


def test_verifying_a_run_with_a_cutoff_binds_no_list_of_every_open_obligation(
    house: Engine, tmp_path: Path
) -> None:
    """The replay reads only the late obligations, by a range: a list of every open id
    would pass PostgreSQL's 65,535 bind parameters with a large book."""
    from sqlalchemy import event

    from tahator.services import ledger

    rows = {f"O-{n}": _karachi(date(2026, 1, 10), 12) for n in range(400)}
    rows["LATE"] = _karachi(date(2026, 1, 28), 12)  # after the January cut-off
    _registered(house, tmp_path, rows)
    tick = worker.run_due(
        lambda: transaction(house), POLICY, "w1", date(2026, 2, 1), today=TODAY, deliver=False
    )
    assert ("clearing", "done") in {(r.job, r.outcome) for r in tick.jobs}
    most = 0

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        nonlocal most
        if not executemany and parameters:
            most = max(most, len(parameters))

    event.listen(house, "before_cursor_execute", count)
    try:
        with transaction(house) as session:
            assert ledger.verify(session).breaks == ()
    finally:
        event.remove(house, "before_cursor_execute", count)
    assert 0 < most < 50


def test_the_quarterly_reports_run_keeps_its_counts_and_digest_not_the_report(
    house: Engine, tmp_path: Path
) -> None:
    _overdue(house, tmp_path)
    worker.run_due(
        lambda: transaction(house), POLICY, "w1", date(2026, 4, 6), today=TODAY, deliver=False
    )
    with transaction(house) as session:
        row = session.get(JobRun, ("quarterly_report", "2026-04-06"))
        assert row is not None
        after = session.scalars(
            select(AuditRecord.after).where(
                AuditRecord.subject == "job:quarterly_report:2026-04-06"
            )
        ).one()
    assert row.outcome["quarter"] == "2026Q1"
    assert isinstance(row.outcome["authorizations_issued"], int)
    assert len(str(row.outcome["sha256"])) == 64
    assert "flows" not in row.outcome
    assert "report" not in row.outcome
    assert json.loads(after) == row.outcome


def test_the_continuous_worker_delivers_webhooks_on_a_thread_of_its_own(
    house: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deliveries go out beside the jobs (``deliver_in_background``), not in their pass."""
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tahator.domain.roles import Role
    from tahator.services import webhooks
    from tahator.services.users import Principal

    monkeypatch.setenv("TAHATOR_WEBHOOK_PRIVATE", "1")
    got: list[str] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(threading.current_thread().name)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    with transaction(house) as session:
        webhooks.register(session, Principal(0, "t", Role.OPERATOR, None), "t", url, firm="PK-1")
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)  # deadline 2026-02-22
    with transaction(house) as session:
        assert webhooks.remind_deadlines(session, POLICY, date(2026, 2, 8)) == 1
    names_before = {t.name for t in threading.enumerate()}
    stop = worker.deliver_in_background(lambda: transaction(house), 0.2)
    try:
        assert "webhook-delivery" in {t.name for t in threading.enumerate()} - names_before
        deadline = time.monotonic() + 20
        while not got and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        server.shutdown()
    assert len(got) == 1
