"""The API under faults: a `tahator serve` SIGKILLed during POSTs, the database cut
away mid-request (a TCP proxy in front of PostgreSQL, never the shared server
itself), and a SQLite database locked by another writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tahator import faults
from tahator.asgi import create_app
from tahator.store import database
from tahator.store.database import make_engine, reading
from tahator.store.schema import IdempotentRequest, Obligation
from tests.integration.conftest import drop_postgres, fresh_postgres
from tests.reliability.kill import census
from tests.reliability.server import Proxy, Server, batch, prepare

PROBLEM = "application/problem+json"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'house.db'}"
        return
    url, admin = fresh_postgres()
    try:
        yield url
    finally:
        drop_postgres(url, admin)


def count(url: str, prefix: str) -> int:
    engine = make_engine(url)
    try:
        with reading(engine) as session:
            return (
                session.scalar(select(func.count()).where(Obligation.reference.like(f"{prefix}-%")))
                or 0
            )
    finally:
        engine.dispose()


# Each point is inside the POST's transaction except the last, which is past its commit.
# (A server start takes 3 to 9 s on this 2-core machine: few trials.)
SERVE_POINTS = {"sqlite": ["commit.before", "commit.after"], "postgresql": ["api.after_work"]}


def test_a_server_killed_during_posts_loses_nothing_and_a_retry_applies_once(
    database_url: str, tmp_path: Path
) -> None:
    token = prepare(database_url, tmp_path)
    headers = {"Authorization": f"Bearer {token}"}
    kind = make_url(database_url).get_backend_name()
    trials = [(f"key-{t}", f"K{t}", 5 + t, point) for t, point in enumerate(SERVE_POINTS[kind])]
    for key, prefix, n, point in trials:
        before = census(database_url)
        server = Server(database_url, tmp_path / f"serve-{key}.log", fault=point)
        try:
            with pytest.raises(httpx.TransportError):  # the connection dies with the server
                httpx.post(
                    f"{server.base}/api/v1/obligations/batch",
                    json=batch(prefix, n),
                    headers=headers | {"Idempotency-Key": key},
                    timeout=30,
                )
            server.process.wait(10)
            assert server.process.returncode == -9, point
        finally:
            server.stop()
        after = census(database_url)
        assert after["ledger_breaks"] == []
        assert after["audit_broken"] is None
        assert count(database_url, prefix) == (n if point == "commit.after" else 0), point
        if point != "commit.after":
            assert after == before

    # One server restarted for every client's retries (each start costs seconds here).
    server = Server(database_url, tmp_path / "serve-again.log")
    try:
        for key, prefix, n, point in trials:
            for attempt in range(2):  # the retry, and a retry of the retry
                response = httpx.post(
                    f"{server.base}/api/v1/obligations/batch",
                    json=batch(prefix, n),
                    headers=headers | {"Idempotency-Key": key},
                    timeout=30,
                )
                assert response.status_code == 201, response.text
                assert response.json()["rows"] == n
                replayed = response.headers.get("Idempotent-Replayed") == "true"
                assert replayed == (attempt == 1 or point == "commit.after"), (point, attempt)
    finally:
        server.stop()
    for _, prefix, n, _ in trials:
        assert count(database_url, prefix) == n, "each obligation stored exactly once"
    final = census(database_url)
    assert final["ledger_breaks"] == []
    assert final["audit_broken"] is None


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[str, str, Proxy]]:
    """A fresh PostgreSQL database, its URL and its URL through a proxy one can cut."""
    url, admin = fresh_postgres()
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    try:
        yield url, parsed.set(port=proxy.port).render_as_string(hide_password=False), proxy
    finally:
        proxy.close()
        drop_postgres(url, admin)


def test_the_database_cut_mid_request_gives_503_leaves_nothing_and_service_recovers(
    proxied: tuple[str, str, Proxy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, through_proxy, proxy = proxied
    token = prepare(direct, tmp_path)
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(through_proxy)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/obligations", headers=headers).status_code == 200
        first = client.post(
            "/api/v1/obligations/batch",
            json=batch("A", 3),
            headers=headers | {"Idempotency-Key": "a"},
        )
        assert first.status_code == 201, first.text

        # The database goes away inside the POST's transaction, its work done, before the commit.
        real_point = faults.point

        def cut_here(name: str) -> None:
            if name == "api.after_work":
                proxy.cut()
            real_point(name)

        monkeypatch.setattr(faults, "point", cut_here)
        response = client.post(
            "/api/v1/obligations/batch",
            json=batch("B", 4),
            headers=headers | {"Idempotency-Key": "b"},
        )
        monkeypatch.setattr(faults, "point", real_point)
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 503
        assert "Retry-After" in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"

        # While it is down: reads and writes get 503 problem documents, quickly.
        for method, path in (("get", "/api/v1/obligations"), ("post", "/api/v1/obligations/batch")):
            down = client.request(
                method,
                path,
                headers=headers | {"Idempotency-Key": "b"},
                json=batch("B", 4) if method == "post" else None,
            )
            assert down.status_code == 503, down.text
            assert down.headers["content-type"] == PROBLEM

        # Nothing of the interrupted request was written, not even its idempotency key.
        assert count(direct, "B") == 0
        engine = make_engine(direct)
        with reading(engine) as session:
            assert session.get(IdempotentRequest, (1, "b")) is None
        engine.dispose()
        assert census(direct)["ledger_breaks"] == []

        # Back up: the same process serves again (pool_pre_ping), no restart.
        proxy.restore()
        assert client.get("/api/v1/obligations", headers=headers).status_code == 200
        again = client.post(
            "/api/v1/obligations/batch",
            json=batch("B", 4),
            headers=headers | {"Idempotency-Key": "b"},
        )
        assert again.status_code == 201, again.text
    app.state.engine.dispose()
    assert count(direct, "A") == 3
    assert count(direct, "B") == 4
    final = census(direct)
    assert final["ledger_breaks"] == []
    assert final["audit_broken"] is None


def test_a_locked_sqlite_database_gives_503_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    token = prepare(url, tmp_path)
    headers = {"Authorization": f"Bearer {token}"}
    monkeypatch.setattr(database, "SQLITE_BUSY_MS", 300)  # not the 30 s a clearing run gets
    app = create_app(url)
    holder = sqlite3.connect(tmp_path / "house.db", isolation_level=None)
    with TestClient(app, raise_server_exceptions=False) as client:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
        try:
            response = client.post(
                "/api/v1/obligations/batch",
                json=batch("L", 2),
                headers=headers | {"Idempotency-Key": "l"},
            )
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == PROBLEM
            assert response.headers["Retry-After"] == "1"
            assert "busy" in response.json()["detail"]
            # Readers are not blocked by a writer (WAL).
            assert client.get("/api/v1/obligations", headers=headers).status_code == 200
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        again = client.post(
            "/api/v1/obligations/batch",
            json=batch("L", 2),
            headers=headers | {"Idempotency-Key": "l"},
        )
        assert again.status_code == 201, again.text
    app.state.engine.dispose()
    assert count(url, "L") == 2
