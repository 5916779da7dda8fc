"""``/readyz`` against a real PostgreSQL server that stops and starts again: a private
cluster (``initdb``, ``pg_ctl``) in a temporary folder on a free port, so the shared
server on 5432 is never touched."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tahator.api.health import METRICS_TOKEN_VARIABLE
from tahator.asgi import create_app
from tahator.store import migrate
from tahator.store.database import make_engine
from tests.e2e.conftest import free_port


def _bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        on_path = shutil.which("pg_ctl")
        assert on_path, "no PostgreSQL server binaries (pg_ctl, initdb) on this machine"
        return Path(on_path).parent
    return Path(found[-1]).parent


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own: ``stop()`` and ``start()`` it at will."""

    folder: Path
    port: int
    as_owner: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *arguments: str) -> None:
        subprocess.run(
            [*self.as_owner, str(_bin() / "pg_ctl"), "-D", str(self.folder / "data"), *arguments],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # initdb refuses to run as root: then the cluster belongs to the postgres user.
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="tahator-pg-"))
    if as_owner:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(
        [
            *as_owner,
            str(_bin() / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    running = Cluster(folder, free_port(), as_owner)
    running.start()
    try:
        yield running
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
            running.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _ready(client: TestClient) -> tuple[int, str, float]:
    started = time.monotonic()
    response = client.get("/readyz")
    return response.status_code, response.text, time.monotonic() - started


def test_readyz_is_503_while_postgresql_is_stopped_and_200_when_it_is_back(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(METRICS_TOKEN_VARIABLE, "scrape")
    app = create_app(cluster.url)
    with TestClient(app) as client:
        assert _ready(client)[0] == 503  # not migrated yet
        engine = make_engine(cluster.url)
        migrate.upgrade(engine)
        engine.dispose()
        assert _ready(client)[:2] == (200, '{"status":"ready"}')
        assert client.get("/api/v1/firms").status_code == 401  # the pool holds connections

        cluster.stop()
        status, text, took = _ready(client)
        assert status == 503, text
        assert "cannot be reached" in text
        assert took < 4
        assert client.get("/healthz").status_code == 200  # alive, though not ready
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape"})
        assert scraped.status_code == 200
        assert "tahator_database_up 0.0" in scraped.text

        cluster.start()
        status, text, _ = _ready(client)
        assert status == 200, text
    app.state.engine.dispose()


def test_readyz_answers_503_quickly_when_the_server_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A host that accepts the connection but never speaks (a hung server, a black
    hole): the probe gives up after its timeouts instead of hanging."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setenv(METRICS_TOKEN_VARIABLE, "scrape")
    app = create_app(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    try:
        with TestClient(app) as client:
            status, text, took = _ready(client)
            assert status == 503, text
            assert took < 5, took
            assert client.get("/healthz").status_code == 200
            # A scrape reads the figures the same way: it answers, database down.
            started = time.monotonic()
            scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape"})
            assert time.monotonic() - started < 5
            assert scraped.status_code == 200
            assert "tahator_database_up 0.0" in scraped.text
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
        app.state.engine.dispose()


def test_the_probe_engine_connects_as_the_service_does_with_timeouts_added() -> None:
    """Built by ``make_engine``: the URL's own settings (TLS, options) kept, the probe's
    timeouts added to them."""
    from tahator.services.health import probe_engine

    url = (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        "?sslmode=disable&options=-c%20work_mem%3D8MB"
    )
    service = make_engine(url)
    probe = probe_engine(service)
    try:
        with probe.connect() as connection:
            assert connection.exec_driver_sql("show work_mem").scalar() == "8MB"
            assert connection.exec_driver_sql("show statement_timeout").scalar() == "2s"
        assert probe.url.query["sslmode"] == "disable"
    finally:
        probe.dispose()
        service.dispose()
