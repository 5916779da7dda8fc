"""Shared by the end-to-end tests: a ``tahator serve`` process, started and stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
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
    server = subprocess.Popen(
        [*TAHATOR, "--db", db, "serve", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
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
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        _, err = server.communicate(timeout=20)
        if stderr is not None:
            stderr.append(err)
