"""``tahator serve``: the HTTP API and the web UI."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from tahator.cli.common import (
    _database,
    _policy,
    fail,
    use_case,
)
from tahator.domain.errors import TahatorError


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
) -> None:
    """Serve the HTTP API (/api/v1, docs at /api/docs) and the web UI."""
    from tahator.store.database import database_url

    url = database_url(_database["url"])
    with use_case(url, read_only=True):
        pass  # the database must be reachable and migrated before anyone is served
    _serve(url, host, port, workers)


def _serve(url: str, host: str, port: int, workers: int) -> None:
    """Serve the API and web UI; each worker builds its app from the environment."""
    import uvicorn

    from tahator.store.database import URL_VARIABLE

    os.environ[URL_VARIABLE] = url
    if _policy["path"] is not None:
        os.environ["TAHATOR_POLICY"] = str(_policy["path"].resolve())

    from uvicorn.supervisors import Multiprocess

    listening = _listening_socket(host, port)  # a port in use: exit 2 before anything else
    config = uvicorn.Config(
        "tahator.asgi:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )
    print(f"Tahator on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    if workers == 1:
        uvicorn.Server(config).run(sockets=[listening])
    else:
        Multiprocess(config, sockets=[listening]).run()


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
