"""A clearing house to serve in the API fault tests: a `tahator serve` process to kill,
and a TCP proxy in front of PostgreSQL to cut."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tahator.services import corridor, users
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.integration.conftest import firms_file, import_firms_file

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
PASSWORD = "correct horse battery"


def prepare(url: str, tmp_path: Path) -> str:
    """Migrate ``url``, register four firms and an operator; return the operator's token."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with transaction(engine) as session:
            corridor.seed(session)
            import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
            users.create_user(session, "op", "operator", PASSWORD, "test")
        with transaction(engine) as session:
            principal = users.authenticate(session, "op", PASSWORD)
            token, _ = users.issue_token(session, principal)
        return token
    finally:
        engine.dispose()


def batch(prefix: str, n: int) -> dict[str, object]:
    """A batch of ``n`` obligations whose references start with ``prefix``."""
    pairs = [("PK-1", "IR-1"), ("IR-1", "PK-2"), ("PK-2", "PK-1"), ("IR-2", "PK-1")]
    return {
        "obligations": [
            {
                "reference": f"{prefix}-{i}",
                "debtor": pairs[i % 4][0],
                "creditor": pairs[i % 4][1],
                "amount": f"{100 + i}.00",
                "currency": "USD",
                "due_date": "2026-06-30",
            }
            for i in range(n)
        ]
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``tahator serve`` in its own process (one worker, so a SIGKILL ends it)."""

    def __init__(self, url: str, log: Path, fault: str | None = None, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "TAHATOR_FAULT"}
        if fault is not None:
            env["TAHATOR_FAULT"] = fault
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "tahator"),
                "--db",
                url,
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"tahator serve exited: {log.read_text()}")
            try:
                if httpx.get(f"{self.base}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("tahator serve did not start within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Proxy:
    """A TCP forwarder to ``(host, port)`` on a loopback port of its own.

    ``cut()`` drops every connection through it and refuses new ones, as a database
    server that stopped would; ``restore()`` forwards again.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.live: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.live += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            live, self.live = self.live, []
        for end in live:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()
