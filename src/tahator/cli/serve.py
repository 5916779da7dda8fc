"""``tahator serve``: the HTTP API and the web UI."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tahator import logs
from tahator.cli.common import (
    _database,
    _policy,
    fail,
    use_case,
)
from tahator.domain.errors import TahatorError

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

GRACE_SECONDS = 20
"""How long a stopping server lets requests in flight finish (systemd waits longer)."""


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers",
            help="Behind a reverse proxy: take the scheme and client address from its "
            "X-Forwarded-Proto and X-Forwarded-For, from --forwarded-allow-ips only "
            "(behind TLS the session cookie is then Secure)",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="With --proxy-headers: the proxy's addresses or networks, comma-separated "
            "(default 127.0.0.1; '*' trusts every client, only where no one else can connect)",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (/api/v1, docs at /api/docs) and the web UI."""
    from tahator.io.policy import load_policy
    from tahator.store.database import database_url

    trusted = _trusted_proxies(proxy_headers, forwarded_allow_ips)
    try:
        load_policy(_policy["path"])  # an invalid policy or calendar: exit 2, the reason
    except TahatorError as error:
        fail(error)
    url = database_url(_database["url"])
    with use_case(url, read_only=True):
        pass  # the database must be reachable and migrated before anyone is served
    _serve(url, host, port, workers, trusted)


def _trusted_proxies(proxy_headers: bool, forwarded_allow_ips: str | None) -> str | None:
    """The addresses whose ``X-Forwarded-*`` headers count, or ``None`` (ignore them all);
    exit 2 naming the option for a malformed list."""
    if not proxy_headers:
        if forwarded_allow_ips is not None:
            fail(TahatorError("--forwarded-allow-ips: only with --proxy-headers"))
        return None
    text = "127.0.0.1" if forwarded_allow_ips is None else forwarded_allow_ips
    items = [item.strip() for item in text.split(",")]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            fail(
                TahatorError(
                    f"--forwarded-allow-ips: {item!r} is not an address or network "
                    "(e.g. 127.0.0.1,10.0.0.0/8) or '*'"
                )
            )
    return ",".join(items)


def _serve(url: str, host: str, port: int, workers: int, trusted: str | None = None) -> None:
    """Serve the API and web UI; each worker builds its app from the environment.

    ``trusted``: the proxies whose ``X-Forwarded-Proto``/``-For`` uvicorn honours
    (``None``: none, the headers are ignored)."""

    from tahator.asgi import PROXY_HEADERS_VARIABLE, TRUSTED_PROXIES_VARIABLE
    from tahator.store.database import URL_VARIABLE

    os.environ[URL_VARIABLE] = url
    os.environ[PROXY_HEADERS_VARIABLE] = "off" if trusted is None else "on"
    if trusted is None:
        os.environ.pop(TRUSTED_PROXIES_VARIABLE, None)
    else:
        os.environ[TRUSTED_PROXIES_VARIABLE] = trusted  # the app applies them (ForwardedBy)
    if _policy["path"] is not None:
        os.environ["TAHATOR_POLICY"] = str(_policy["path"].resolve())

    listening = _listening_socket(host, port)  # a port in use: exit 2 before anything else
    with _metrics_folder(workers):
        _run(config_for(host, port, workers), listening, workers)


def config_for(host: str, port: int, workers: int) -> uvicorn.Config:
    """uvicorn's settings for ``serve``."""
    import uvicorn

    logs.configure()
    return uvicorn.Config(
        "tahator.cli.serve:application",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        log_config=logs.uvicorn_log_config("warning"),  # JSON lines, errors included
        # No access log: it would print every query string; the application logs one
        # JSON line per request instead (``tahator.asgi``), without them.
        access_log=False,
        # On SIGTERM (systemd stop, a rolling restart) requests in flight get this long.
        timeout_graceful_shutdown=GRACE_SECONDS,
        # The application applies X-Forwarded-* itself (``asgi.ForwardedBy``), from
        # $TAHATOR_FORWARDED_ALLOW_IPS: it must know whether the peer was a proxy.
        proxy_headers=False,
    )


def _run(config: uvicorn.Config, listening: socket.socket, workers: int) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    host, port = config.host, config.port
    print(f"Tahator on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    if workers == 1:
        uvicorn.Server(config).run(sockets=[listening])
    else:
        Multiprocess(config, sockets=[listening]).run()


METRICS_FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""Where prometheus-client's multiprocess mode keeps each worker process's counters."""


@contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    """Empty ``$PROMETHEUS_MULTIPROC_DIR`` (made if missing) before any worker starts:
    files of processes that are gone would otherwise be added to every scrape.  Only
    prometheus-client's own files (``*.db``) are removed, whatever the folder holds.

    Unset with several workers: a fresh private folder for this server, removed when it
    stops.  Without one each worker keeps its own counters and a scrape reads whichever
    answers, which Prometheus takes for counter resets."""
    folder = os.environ.get(METRICS_FOLDER_VARIABLE)
    if not folder:
        if workers == 1:
            yield
            return
        with tempfile.TemporaryDirectory(prefix="tahator-metrics-") as private:
            os.environ[METRICS_FOLDER_VARIABLE] = private  # the workers inherit it
            try:
                yield
            finally:
                del os.environ[METRICS_FOLDER_VARIABLE]
        return
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    except OSError as error:
        fail(TahatorError(f"${METRICS_FOLDER_VARIABLE} {folder}: {error.strerror}"))
    yield


def application() -> FastAPI:
    """For uvicorn in each worker process (spawned: nothing configured in the parent
    survives): the logs, then the application from the environment."""
    from tahator.asgi import factory

    logs.configure()
    return factory()


def _listening_socket(host: str, port: int) -> socket.socket:
    """The socket the server listens on (shared by its workers), made as a TCP socket by
    name.

    uvicorn's own (``Config.bind_socket``) leaves ``proto`` at 0, so asyncio never sets
    TCP_NODELAY on the connections it accepts and every keep-alive response after the
    first waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149): 52 ms per
    read against 10 ms with one worker, measured here.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        fail(TahatorError(f"cannot listen on {host}:{port}: {error.strerror}"))
    sock.set_inheritable(True)
    return sock
