"""``/healthz``, ``/readyz``, ``/metrics`` and the request id, over HTTP on SQLite and
PostgreSQL (the test client; readiness while PostgreSQL is stopped is in
``tests/integration/test_readyz_postgres.py``)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from tahator.api.health import METRICS_TOKEN_VARIABLE
from tahator.asgi import TRUSTED_PROXIES_VARIABLE, create_app
from tahator.store.database import make_engine, reading, transaction
from tahator.store.schema import (
    AuditRecord,
    ClearingRun,
    Firm,
    JobFailure,
    JobRun,
    Webhook,
    WebhookDelivery,
)
from tests.api.conftest import House
from tests.web.conftest import browser

SCRAPE_TOKEN = "scrape-token-0123456789abcdef"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text document: (name, sorted labels) → value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


@pytest.fixture(autouse=True)
def scrape_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(METRICS_TOKEN_VARIABLE, SCRAPE_TOKEN)
    # The test client stands for a trusted proxy: its X-Request-ID is taken (the
    # untrusted case is below).
    monkeypatch.setenv(TRUSTED_PROXIES_VARIABLE, "*")


def test_healthz_is_200_without_touching_the_database() -> None:
    # A database no one listens for: the process is still alive.
    app = create_app("postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_on_a_database_not_migrated_then_200(database_url: str) -> None:
    from tahator.store import migrate

    app = create_app(database_url)
    with TestClient(app) as client:
        started = time.monotonic()
        refused = client.get("/readyz")
        assert time.monotonic() - started < 5
        assert refused.status_code == 503
        assert refused.json()["status"] == "unavailable"
        assert migrate.HEAD in refused.json()["reason"]
        assert "tahator db upgrade" in refused.json()["reason"]
        engine = make_engine(database_url)
        migrate.upgrade(engine)
        engine.dispose()
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready"}
    app.state.engine.dispose()


def test_health_routes_stay_out_of_the_api_schema(house: House) -> None:
    paths = house.client.get("/openapi.json").json()["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & set(paths)


def test_metrics_need_an_operator_or_the_scrape_token(
    house: House, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = house.client
    nobody = client.get("/metrics")
    assert nobody.status_code == 401
    assert nobody.headers["content-type"] == "application/problem+json"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    for role in ("auditor", "bank", "customs", "trader"):
        assert client.get("/metrics", headers=house.as_(role)).status_code == 403, role
    assert client.get("/metrics", headers=house.as_("operator")).status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}).is_success
    # The web session of an operator is enough; a trader's is not.
    assert browser(house, "operator").get("/metrics").status_code == 200
    assert browser(house, "trader").get("/metrics").status_code == 403
    # Unset, the token admits nobody: only operators.
    monkeypatch.delenv(METRICS_TOKEN_VARIABLE)
    assert (
        client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}).status_code
        == 401
    )
    monkeypatch.setenv(METRICS_TOKEN_VARIABLE, "")
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_request_counters_and_latency_move_by_route_template(house: House) -> None:
    operator = house.as_("operator")
    key = (
        "tahator_http_requests_total",
        (("method", "GET"), ("route", "/api/v1/firms/{firm_id}"), ("status", "200")),
    )
    missing = (
        "tahator_http_requests_total",
        (("method", "GET"), ("route", "/api/v1/firms/{firm_id}"), ("status", "404")),
    )
    latency = (
        "tahator_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/firms/{firm_id}")),
    )
    before = scrape(house.client)
    for firm in ("PK-1", "PK-2", "IR-1"):
        assert house.client.get(f"/api/v1/firms/{firm}", headers=operator).status_code == 200
    assert house.client.get("/api/v1/firms/XX-404", headers=operator).status_code == 404
    assert house.client.get("/no/such/page/12345").status_code == 404
    after = scrape(house.client)
    assert after[key] - before.get(key, 0) == 3
    assert after[missing] - before.get(missing, 0) == 1
    assert after[latency] - before.get(latency, 0) == 4
    # No raw path, with its ids, ever becomes a label.
    labels = {dict(labels).get("route") for (_, labels) in after}
    assert not any(route and ("PK-1" in route or "12345" in route) for route in labels)
    assert "unrouted" in labels
    assert ("process_cpu_seconds_total", ()) in after  # the process's own figures


def test_database_figures_match_the_database(house: House) -> None:
    operator = house.as_("operator")
    run = house.client.post("/api/v1/clearing/runs", json={}, headers=operator)
    assert run.status_code == 201, run.text
    assert run.json()["cleared"] == "1800.00"
    at = datetime(2026, 11, 30, 10, tzinfo=UTC)
    with transaction(house.engine) as session:
        session.add_all(
            [
                JobRun(
                    job="sweep",
                    occurrence="2026-11-29",
                    started_at=at,
                    finished_at=at,
                    worker="w1",
                    attempts=1,
                    outcome={},
                ),
                JobRun(
                    job="sweep",
                    occurrence="2026-11-30",
                    started_at=at,
                    finished_at=at,
                    worker="w1",
                    attempts=2,
                    outcome={},
                ),
                JobRun(
                    job="clearing",
                    occurrence="2026-11-27",
                    started_at=at,
                    finished_at=at,
                    worker="w1",
                    attempts=1,
                    outcome={"outcome": "covered", "run_id": 1},
                ),
                JobRun(
                    job="clearing",
                    occurrence="2026-11-30",
                    started_at=at,
                    finished_at=at,
                    worker="w1",
                    attempts=1,
                    outcome={"outcome": "done", "run_id": 1},
                ),
                JobFailure(
                    job="sweep",
                    occurrence="2026-11-30",
                    attempt=1,
                    failed_at=at,
                    worker="w1",
                    error="boom",
                    retry_at=at + timedelta(minutes=1),
                ),
                JobFailure(
                    job="clearing",
                    occurrence="2026-11-30",
                    attempt=1,
                    failed_at=at,
                    worker="w1",
                    error="boom",
                    retry_at=None,
                ),
            ]
        )
        hook = Webhook(
            firm_id="PK-1",
            url="https://example.org/hook",
            secret="s" * 32,
            events=["run.completed"],
            active=True,
            created_at=at,
            created_by="test",
        )
        session.add(hook)
        session.flush()
        for number, status in enumerate(("pending", "pending", "delivered", "failed")):
            session.add(
                WebhookDelivery(
                    webhook_id=hook.id,
                    event_id=f"e-{number}",
                    event="run.completed",
                    body="{}",
                    created_at=at,
                    status=status,
                    attempts=1,
                )
            )
        session.execute(
            update(Firm).where(Firm.id.in_(["IR-2", "PK-3"])).values(screening="blocked")
        )
    found = scrape(house.client)
    with reading(house.engine) as session:
        runs, cleared = session.execute(
            select(func.count(), func.sum(ClearingRun.cleared)).where(
                ClearingRun.status == "completed"
            )
        ).one()
        last = (
            session.execute(select(ClearingRun).order_by(ClearingRun.id.desc())).scalars().first()
        )
    assert (runs, cleared) == (1, 180000)  # 1,800.00 USD in cents
    assert found[("tahator_clearing_runs_total", (("unit_of_account", "USD"),))] == 1
    assert (
        found[("tahator_cleared_value_minor_units_total", (("unit_of_account", "USD"),))] == 180000
    )
    assert last is not None
    assert last.finished_at is not None
    assert found[("tahator_clearing_last_run_duration_seconds", ())] == pytest.approx(
        (last.finished_at - last.started_at).total_seconds()
    )
    assert found[("tahator_jobs_run_total", (("job", "sweep"), ("outcome", "done")))] == 2
    # A covered occurrence is not a run: counted apart.
    assert found[("tahator_jobs_run_total", (("job", "clearing"), ("outcome", "done")))] == 1
    assert found[("tahator_jobs_run_total", (("job", "clearing"), ("outcome", "covered")))] == 1
    assert found[("tahator_job_failures_total", (("job", "sweep"),))] == 1
    assert found[("tahator_job_failures_total", (("job", "clearing"),))] == 1
    assert found[("tahator_webhook_deliveries", (("status", "pending"),))] == 2
    assert found[("tahator_webhook_deliveries", (("status", "delivered"),))] == 1
    assert found[("tahator_webhook_deliveries", (("status", "failed"),))] == 1
    assert found[("tahator_screening_queue_firms", ())] == 2
    assert found[("tahator_database_up", ())] == 1


def test_the_request_id_is_echoed_or_made(house: House) -> None:
    given = house.client.get("/healthz", headers={"X-Request-ID": "lb-42.a_b-C"})
    assert given.headers["x-request-id"] == "lb-42.a_b-C"
    made = house.client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    other = house.client.get("/healthz")
    assert other.headers["x-request-id"] != made.headers["x-request-id"]
    for malformed in ("", "x" * 65, "has space", "semi;colon", "a+b", "a/b", '"quoted"'):
        answered = house.client.get("/api/v1/firms", headers={"X-Request-ID": malformed})
        replaced = answered.headers["x-request-id"]
        assert replaced != malformed, malformed
        assert len(replaced) == 32, malformed
    # Errors are tagged too: a 413 answered before routing, a 404.
    assert "x-request-id" in house.client.get("/nowhere").headers
    too_large = house.client.post(
        "/api/v1/obligations/batch",
        content=b"{}",
        headers={"Content-Length": str(17 * 1024 * 1024), "X-Request-ID": "big-1"},
    )
    assert too_large.status_code == 413
    assert too_large.headers["x-request-id"] == "big-1"
    assert len(house.client.get("/api/v1/firms").headers["x-request-id"]) == 32  # 401


def test_the_request_id_is_on_the_audit_record_of_its_change(house: House) -> None:
    operator = house.as_("operator")
    firm = {"id": "PK-9", "name": "Sialkot Surgical", "country": "PK", "tax_id": "4100009-9"}
    made = house.client.post(
        "/api/v1/firms", json=firm, headers=operator | {"X-Request-ID": "req-firm-9"}
    )
    assert made.status_code == 201, made.text
    assert made.headers["x-request-id"] == "req-firm-9"
    found = house.client.get("/api/v1/audit?request_id=req-firm-9", headers=house.as_("auditor"))
    assert found.status_code == 200
    records = found.json()["items"]
    assert records
    assert all(r["request_id"] == "req-firm-9" for r in records)
    assert any(r["action"] == "firms.register" and "PK-9" in str(r["after"]) for r in records)
    # One the request did not name gets the id it was answered with.
    second = house.client.post(
        "/api/v1/firms", json=firm | {"id": "PK-8", "tax_id": "4100008-8"}, headers=operator
    )
    assert second.status_code == 201, second.text
    with reading(house.engine) as session:
        stored = session.scalars(
            select(AuditRecord.request_id).where(
                AuditRecord.action == "firms.register", AuditRecord.after.contains("PK-8")
            )
        ).all()
        before_requests = session.scalars(
            select(AuditRecord.request_id).where(AuditRecord.actor == "test")
        ).all()
    assert stored
    assert set(stored) == {second.headers["x-request-id"]}
    assert before_requests
    assert set(before_requests) == {None}
    # Records with ids and without chain and verify; a checkpoint still extends.
    verified = house.client.get("/api/v1/audit/verify", headers=house.as_("auditor"))
    assert verified.json()["ok"] is True, verified.json()
    checkpoint = house.client.get("/api/v1/audit/checkpoint", headers=house.as_("auditor")).json()
    house.client.post(
        "/api/v1/firms",
        json=firm | {"id": "PK-7", "tax_id": "4100007-7"},
        headers=operator | {"X-Request-ID": "req-firm-7"},
    )
    extends = house.client.post(
        "/api/v1/audit/checkpoint/verify", json=checkpoint, headers=house.as_("auditor")
    )
    assert extends.json()["ok"] is True, extends.json()
    # The web audit page shows it, and its search finds it.
    page = browser(house, "auditor").get("/audit?q=req-firm-7")
    assert page.status_code == 200
    assert "req-firm-7" in page.text
    assert "PK-7" in page.text
    assert "req-firm-9" not in page.text


def test_a_changed_request_id_breaks_the_chain(house: House) -> None:
    operator = house.as_("operator")
    firm = {"id": "PK-9", "name": "Sialkot Surgical", "country": "PK", "tax_id": "4100009-9"}
    house.client.post("/api/v1/firms", json=firm, headers=operator | {"X-Request-ID": "real"})
    with transaction(house.engine) as session:
        victim = session.scalar(select(AuditRecord.id).where(AuditRecord.request_id == "real"))
        session.execute(
            update(AuditRecord).where(AuditRecord.id == victim).values(request_id="forged")
        )
    check = house.client.get("/api/v1/audit/verify", headers=house.as_("auditor")).json()
    assert check["ok"] is False
    assert check["first_break"] == victim


def test_one_json_line_per_request(house: House, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    house.client.get(
        "/api/v1/firms/PK-1?q=hidden-query",
        headers=house.as_("operator") | {"X-Request-ID": "line-1"},
    )
    err = capfd.readouterr().err
    lines = [json.loads(text) for text in err.splitlines() if '"line-1"' in text]
    assert len(lines) == 1, err
    assert lines[0] | {"ts": None, "duration_ms": None} == {
        "ts": None,
        "kind": "request",
        "request_id": "line-1",
        "method": "GET",
        "route": "/api/v1/firms/{firm_id}",
        "path": "/api/v1/firms/PK-1",
        "status": 200,
        "duration_ms": None,
        "user": "operator:op",
    }
    assert "hidden-query" not in err


def test_a_request_id_from_anyone_but_a_trusted_proxy_is_kept_beside_ours(
    house: House, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    operator = house.as_("operator")
    firm = {"id": "PK-9", "name": "Sialkot Surgical", "country": "PK", "tax_id": "4100009-9"}
    for trusted in (None, "10.0.0.0/8"):  # no proxy trusted; a proxy, not this client
        if trusted is None:
            monkeypatch.delenv(TRUSTED_PROXIES_VARIABLE)
        else:
            monkeypatch.setenv(TRUSTED_PROXIES_VARIABLE, trusted)
        app = create_app(house.url)
        with TestClient(app, raise_server_exceptions=False) as client:
            capfd.readouterr()
            made = client.post(
                "/api/v1/firms", json=firm, headers=operator | {"X-Request-ID": "reused-1"}
            )
            err = capfd.readouterr().err
        app.state.engine.dispose()
        assert made.status_code in (200, 201), made.text  # the second: already there
        ours = made.headers["x-request-id"]
        assert ours != "reused-1"
        assert len(ours) == 32
        line = next(json.loads(t) for t in err.splitlines() if '"kind":"request"' in t)
        assert line["request_id"] == ours
        assert line["client_request_id"] == "reused-1"
        assert 0 < line["duration_ms"] < 30_000  # the request's own time, not the clock's
        with reading(house.engine) as session:
            assert not session.scalars(
                select(AuditRecord.id).where(AuditRecord.request_id == "reused-1")
            ).all()
