"""The webhook POST's transport against real sockets on 127.0.0.1: it dials the vetted
address while the request keeps its host name, and one deadline bounds the whole
POST, so a receiver dripping bytes cannot hold the worker; the body is never read."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tahator.services.webhook_transport import pinned_client, resolve
from tests.receiver import receiving


@contextmanager
def dripping(head: bytes) -> Iterator[int]:
    """A server on 127.0.0.1 that answers each connection with ``head`` and then one
    byte every 0.2 s, for ever (until the test ends); its port."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                try:
                    connection.sendall(head)
                    while not stop.is_set():
                        connection.sendall(b"x")
                        time.sleep(0.2)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_the_vetted_address_is_dialled_and_the_host_name_kept() -> None:
    with receiving() as receiver:
        port = receiver.url.rsplit(":", 1)[1].split("/")[0]
        # The name does not resolve at all: only the pinned address can be reached.
        url = f"http://receiver.tahator.invalid:{port}/hook"
        # ::1 first: nothing listens there, so the next vetted address is dialled.
        with pinned_client(["::1", "127.0.0.1"]) as client:
            answer = client.post(url, content=b"{}")
    assert answer.status_code == 200
    assert receiver.got[0].headers["Host"] == f"receiver.tahator.invalid:{port}"


def test_a_name_resolving_to_loopback_is_refused_without_the_private_setting() -> None:
    addresses, problem = resolve("https://localhost/hook", allow_private=False)
    assert addresses == ()
    assert problem is not None
    assert "not on the public internet" in problem
    addresses, problem = resolve("https://localhost/hook", allow_private=True)
    assert problem is None
    assert set(addresses) <= {"127.0.0.1", "::1"}


def test_a_receiver_dripping_its_headers_is_cut_off_at_the_deadline() -> None:
    with dripping(b"HTTP/1.1 200 OK\r\nX-Slow: ") as port:
        started = time.monotonic()
        with (
            pinned_client(["127.0.0.1"], deadline=1.5) as client,
            pytest.raises(httpx.TimeoutException),
        ):
            client.post(f"http://127.0.0.1:{port}/hook", content=b"{}")
        # Each byte came well within the 5 s read timeout: only the total deadline ended it.
        assert time.monotonic() - started < 3


def test_a_receiver_dripping_its_body_is_not_waited_for() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n"
    with dripping(head) as port:
        started = time.monotonic()
        with (
            pinned_client(["127.0.0.1"], deadline=5) as client,
            client.stream("POST", f"http://127.0.0.1:{port}/hook", content=b"{}") as answer,
        ):
            status = answer.status_code
        assert status == 200
        assert time.monotonic() - started < 2
