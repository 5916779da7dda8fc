"""Shared by the end-to-end tests: a ``tahator serve`` process, started and stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

TAHATOR = [sys.executable, "-m", "tahator.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(db: str, *options: str, stderr: list[str] | None = None) -> Iterator[str]:
    """``tahator serve`` over ``db`` with ``options`` on a free port: its base URL once
    it answers; stopped afterwards, its stderr then appended to ``stderr``."""
    port = free_port()
    # Files, not pipes: every request logs a line, and a pipe nobody reads until the
    # end fills up and blocks the server.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        server = subprocess.Popen(
            [*TAHATOR, "--db", db, "serve", "--port", str(port), *options],
            stdout=out,
            stderr=err,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None:
                    err.seek(0)
                    raise AssertionError(f"the server exited: {err.read()}")
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)
            err.seek(0)
            if stderr is not None:
                stderr.append(err.read())
