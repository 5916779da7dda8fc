"""How a webhook POST reaches its receiver, and no other host: the URL's host is
resolved once, every address it resolves to vetted (``domain.webhook.address_problem``),
and the connection dialled to the vetted address itself, so a name that answers a
public address to the check and a private one to the connect (DNS rebinding) reaches
nothing.  The request keeps the name: the Host header, TLS SNI and the certificate's
check are the original host's.  Every read and write of one POST shares one deadline,
so a receiver dripping bytes cannot hold a POST (and the worker) past it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from tahator.domain.webhook import address_problem, url_problem

DEADLINE = 10.0
"""Seconds one POST may take in all: connect, TLS, sending, the status line and headers."""


def resolve(url: str, allow_private: bool) -> tuple[tuple[str, ...], str | None]:
    """The addresses to dial for ``url``, in the resolver's order, and what is wrong
    with it (none, or ``None``): ``url_problem``, then the host resolved once and every
    address it gives vetted."""
    problem = url_problem(url, allow_private)
    if problem is not None:
        return (), problem
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return (), f"the URL's host {host} does not resolve"
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        return (), f"the URL's host {host} does not resolve"
    for address in addresses:
        problem = address_problem(address, allow_private)
        if problem is not None:
            return (), problem
    return addresses, None


class _Deadline:
    """Seconds left of one POST's deadline; a timeout of no more than what is left."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise error("the webhook's deadline passed")
        return remaining if timeout is None else min(timeout, remaining)


class _Stream(httpcore.NetworkStream):
    """A stream whose every read and write ends by the POST's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # server_hostname is the URL's host (httpcore passes it): SNI and the
        # certificate check are the name's, though the socket is the vetted address's.
        wait = self._deadline.left(timeout, httpcore.ConnectTimeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, wait)
        return _Stream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.SyncBackend):
    """Dials ``addresses`` in turn (the first that answers), whatever host httpcore asks
    for (the client sends to one URL)."""

    def __init__(self, addresses: Sequence[str], deadline: _Deadline) -> None:
        self._addresses = tuple(addresses)
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        del host  # the vetted addresses, never the name resolved again
        failed: Exception = httpcore.ConnectError("no address to connect to")
        for address in self._addresses:
            wait = self._deadline.left(timeout, httpcore.ConnectTimeout)
            try:
                inner = super().connect_tcp(address, port, wait, local_address, socket_options)
            except httpcore.ConnectError as error:
                failed = error
                continue
            return _Stream(inner, self._deadline)
        raise failed


def pinned_client(addresses: Sequence[str], deadline: float = DEADLINE) -> httpx.Client:
    """A client for one POST that connects only to ``addresses``, within ``deadline``."""
    transport = httpx.HTTPTransport(retries=0)
    # httpx has no public way to give its pool a network backend: the pool is replaced.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=1,
        network_backend=_PinnedBackend(addresses, _Deadline(deadline)),
    )
    return httpx.Client(
        transport=transport,
        timeout=min(5.0, deadline),
        follow_redirects=False,
        trust_env=False,
    )


__all__ = ["DEADLINE", "pinned_client", "resolve"]
