"""The schedule page for the operator and the auditor, and the next clearing run with its
filing cut-off where a trader looks at its position and registers obligations."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from tahator.io.policy import load_policy
from tahator.services import worker
from tahator.services.common import business_today, now
from tahator.store.database import transaction
from tahator.store.schema import JobFailure
from tests.web.conftest import House, browser

POLICY = load_policy()


def test_operator_and_auditor_see_the_schedule_others_do_not(house: House) -> None:
    today = business_today(POLICY.zone)
    worker.run_due(lambda: transaction(house.engine), POLICY, "web-test", today, deliver=False)
    with transaction(house.engine) as session:
        session.add(
            JobFailure(
                job="rescreen",
                occurrence="2026-01-05",
                attempt=5,
                failed_at=now() - timedelta(hours=1),
                worker="web-test",
                error="RuntimeError: list service unreachable",
                retry_at=None,
            )
        )
    for who in ("operator", "auditor"):
        client = browser(house, who)
        assert 'href="/schedule"' in client.get("/clearing").text
        page = client.get("/schedule")
        assert page.status_code == 200, page.text[:500]
        assert "Clearing run" in page.text
        assert "Filing closes at the end of" in page.text
        assert "Barter sweep" in page.text
        assert 'id="gave-up"' in page.text
        assert "list service unreachable" in page.text
        assert "web-test" in page.text  # the job runs, by the worker that did them
        run = client.get("/clearing/runs/1")
        assert run.status_code == 200
        assert 'id="run-cutoff"' in run.text  # a scheduled run shows its filing cut-off
    for who in ("trader", "bank", "customs"):
        client = browser(house, who)
        assert 'href="/schedule"' not in client.get("/clearing").text
        assert client.get("/schedule").status_code == 403


def test_a_trader_sees_the_next_run_and_its_cutoff(house: House) -> None:
    trader = browser(house, "trader")
    upcoming = POLICY.calendar.next_occurrences(  # type: ignore[union-attr]
        "clearing", business_today(POLICY.zone) - timedelta(days=1), 1
    )[0]
    for path in ("/position", "/obligations"):
        page = trader.get(path)
        assert page.status_code == 200
        assert 'id="next-run"' in page.text
        assert f'datetime="{upcoming.day.isoformat()}"' in page.text
    stored = trader.get("/obligations?stored=2").text
    waits = upcoming.cutoff is not None and now() > upcoming.cutoff
    expected = "they wait for the following run" if waits else "These obligations go into that run."
    assert expected in stored


def test_the_cutoff_day_is_a_business_day_before_the_run() -> None:
    assert POLICY.calendar is not None
    run = POLICY.calendar.next_occurrences("clearing", date(2026, 12, 1), 1)[0]
    assert run.cutoff == datetime(2026, 12, 29, 19, tzinfo=run.cutoff.tzinfo)  # type: ignore[union-attr]


def test_the_schedule_warns_of_years_without_holidays_and_shows_superseded(
    house: House,
) -> None:
    from tahator.store.schema import JobRun

    with transaction(house.engine) as session:
        session.add(
            JobFailure(
                job="sweep",
                occurrence="2026-01-05",
                attempt=1,
                failed_at=now() - timedelta(hours=1),
                worker="web-test",
                error="RuntimeError: down",
                retry_at=now(),
            )
        )
        session.add(
            JobRun(
                job="sweep",
                occurrence="2026-01-05",
                started_at=now(),
                finished_at=now(),
                worker="web-test",
                attempts=0,
                outcome={"outcome": "superseded", "by": "2026-01-06"},
            )
        )
    page = browser(house, "operator").get("/schedule").text
    assert "Superseded by" in page
    assert "superseded by a later occurrence" in page
    assert POLICY.calendar is not None
    # Occurrences past the listed years: the page says their holidays are missing.
    last = max(POLICY.calendar.years)
    unlisted = business_today(POLICY.zone).year + 1 > last
    assert ('id="no-holidays"' in page) == unlisted


def test_the_operator_retries_a_given_up_job_from_the_schedule_page(house: House) -> None:
    from tahator.store.schema import AuditRecord

    with transaction(house.engine) as session:
        session.add(
            JobFailure(
                job="rescreen",
                occurrence="2026-01-05",
                attempt=5,
                failed_at=now() - timedelta(hours=1),
                worker="web-test",
                error="RuntimeError: list service unreachable",
                retry_at=None,
            )
        )
    auditor = browser(house, "auditor")
    assert 'action="/schedule/retry"' not in auditor.get("/schedule").text
    operator = browser(house, "operator")
    page = operator.get("/schedule").text
    assert 'action="/schedule/retry"' in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "job": "rescreen", "occurrence": "2026-01-05"}
    assert auditor.post("/schedule/retry", data=form).status_code == 403
    done = operator.post("/schedule/retry", data=form, follow_redirects=False)
    assert done.status_code == 303
    again = operator.post("/schedule/retry", data=form)
    assert again.status_code == 422
    assert "no failure the worker gave up on" in again.text
    with transaction(house.engine) as session:
        failure = session.scalars(select(JobFailure)).one()
        assert failure.retry_at is not None
        assert session.scalars(
            select(AuditRecord.actor).where(AuditRecord.action == "job.retry")
        ).all()
