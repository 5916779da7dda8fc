"""`tahator users`, `tahator audit` and `tahator serve` as a user runs them."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import uvloop

from tahator.cli import _listening_socket
from tests.conftest import Cli
from tests.e2e.conftest import TAHATOR, serving
from tests.integration.conftest import firms_file

PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    firms = firms_file(tmp_path / "firms.csv", {"PK-1": "PK", "IR-1": "IR"})
    assert cli("--db", url, "firms", "import", firms)[0] == 0
    return url


def create_user(db: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TAHATOR, "--db", db, "users", "create", *args],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )


def test_users_are_created_from_standard_input_and_bad_ones_refused(db: str, cli: Cli) -> None:
    made = create_user(db, "op", "--role", "operator", "--password-stdin", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["role"] == "operator"
    short = create_user(db, "op2", "--role", "operator", "--password-stdin", password="short")
    assert short.returncode == 2
    assert "password: at least 12 characters" in short.stderr
    no_firm = create_user(db, "t", "--role", "trader", "--password-stdin")
    assert no_firm.returncode == 2
    assert "firm:" in no_firm.stderr
    unknown_firm = create_user(db, "t", "--role", "trader", "--firm", "XX-9", "--password-stdin")
    assert unknown_firm.returncode == 2
    on_command_line = create_user(db, "t2", "--role", "auditor")
    assert on_command_line.returncode == 2
    assert "--password-stdin" in on_command_line.stderr
    trader = create_user(db, "t", "--role", "trader", "--firm", "PK-1", "--password-stdin")
    assert trader.returncode == 0, trader.stderr
    code, out, _ = cli("--db", db, "users", "list", "--json")
    assert [(u["username"], u["role"], u["firm"]) for u in json.loads(out)] == [
        ("op", "operator", None),
        ("t", "trader", "PK-1"),
    ]
    code, out, _ = cli("--db", db, "audit", "verify")
    assert code == 0
    assert "audit log intact" in out
    code, out, _ = cli("--db", db, "audit", "list", "--action", "user.create", "--json")
    assert [r["subject"] for r in json.loads(out)] == ["user:op", "user:t"]


def test_serve_answers_over_http_with_two_workers(db: str) -> None:
    assert create_user(db, "op", "--role", "operator", "--password-stdin").returncode == 0
    with serving(db, "--workers", "2") as base:
        assert httpx.get(f"{base}/api/v1/firms").status_code == 401
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "op", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # Several requests, so both workers answer some; each must see the same database.
        for _ in range(6):
            firms = httpx.get(f"{base}/api/v1/firms", headers=headers).json()
            assert [f["id"] for f in firms["items"]] == ["IR-1", "PK-1"]


def test_several_workers_count_together_in_a_private_folder_removed_at_exit(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("TAHATOR_METRICS_TOKEN", "scrape-token-0123456789")
    folders = set(Path(tempfile.gettempdir()).glob("tahator-metrics-*"))
    with serving(db, "--workers", "2") as base:
        made = set(Path(tempfile.gettempdir()).glob("tahator-metrics-*")) - folders
        assert len(made) == 1
        for _ in range(20):
            assert httpx.get(f"{base}/healthz").status_code == 200
        counted = set()
        for _ in range(6):  # whichever worker answers, the same sum
            scraped = httpx.get(
                f"{base}/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"}
            )
            assert scraped.status_code == 200
            counted |= {
                line
                for line in scraped.text.splitlines()
                if line.startswith("tahator_http_requests_total") and '"/healthz"' in line
            }
        assert len(counted) == 1
        assert counted.pop().endswith(" 20.0")
    assert not made & set(Path(tempfile.gettempdir()).glob("tahator-metrics-*"))


def test_serve_refuses_a_database_that_is_not_ready(tmp_path: Path) -> None:
    done = subprocess.run(
        [*TAHATOR, "--db", f"sqlite:///{tmp_path / 'empty.db'}", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "tahator db upgrade" in done.stderr


async def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY on a connection the event loop accepts through ``listener``."""
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def made(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set_result(
            writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        )
        writer.close()

    server = await asyncio.start_server(made, sock=listener)
    _, writer = await asyncio.open_connection(*listener.getsockname())
    value = await asyncio.wait_for(accepted, 10)
    writer.close()
    server.close()
    return value


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_the_workers_shared_socket_turns_nagle_off_on_each_connection(loop: str) -> None:
    # Without TCP_NODELAY every keep-alive response after the first waited ~40 ms for the
    # client's delayed ACK (52 ms a read with two workers, 10 ms with one).
    listener = _listening_socket("127.0.0.1", 0)
    run = asyncio.run if loop == "asyncio" else uvloop.run
    assert run(_accepted_nodelay(listener)) == 1


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_refuses_a_port_in_use(db: str, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*TAHATOR, "--db", db, "serve", "--port", str(port), "--workers", workers],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Tahator on" not in done.stdout


CRASHING_SERVER = """
import sys, uvicorn
from tahator import logs
from tahator.asgi import create_app

app = create_app(sys.argv[1])

@app.get("/boom")
def boom() -> None:
    raise RuntimeError("boom: the handler failed")

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False, log_config=logs.uvicorn_log_config("warning"))
"""


def test_an_unhandled_error_is_one_json_line_with_its_traceback(db: str) -> None:
    from tests.e2e.conftest import free_port

    port = free_port()
    with tempfile.TemporaryFile("w+") as err:
        server = subprocess.Popen(
            [sys.executable, "-c", CRASHING_SERVER, db, str(port)], stderr=err, text=True
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/boom", timeout=1)
                    break
                except httpx.TransportError:
                    assert server.poll() is None
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            assert answer.status_code == 500
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=20)
        err.seek(0)
        text = err.read()
    # What deploy.md's `jq -c 'select(.status >= 500)'` reads: every line a JSON document.
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert "Exception in ASGI application" not in text
    failed = [line for line in lines if line.get("error")]
    assert len(failed) == 1, text
    assert "RuntimeError: boom: the handler failed" in failed[0]["error"]
    assert "Traceback" in failed[0]["error"]
    requests = [line for line in lines if line["kind"] == "request" and line["status"] >= 500]
    assert [r["request_id"] for r in requests] == [failed[0]["request_id"]]


def test_the_demo_serves_on_the_host_and_port_asked(tmp_path: Path) -> None:
    from tests.e2e.conftest import free_port

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    port = free_port()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        demo = subprocess.Popen(
            [*TAHATOR, "--db", url, "demo", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=err,
            text=True,
        )
        try:
            deadline = time.monotonic() + 240
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.TransportError:
                    pass
                assert demo.poll() is None, "the demo exited"
                assert time.monotonic() < deadline, "the demo did not serve"
                time.sleep(0.5)
            assert httpx.get(f"http://127.0.0.1:{port}/login").status_code == 200
        finally:
            demo.terminate()
            demo.wait(timeout=30)
        out.seek(0)
        assert f"http://127.0.0.1:{port}" in out.read()
    # The port taken: refused at once, before anything is built.
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = taken.getsockname()[1]
        done = subprocess.run(
            [*TAHATOR, "--db", f"sqlite:///{tmp_path / 'b.db'}", "demo", "--port", str(busy)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{busy}" in done.stderr
    assert not (tmp_path / "b.db").exists()
