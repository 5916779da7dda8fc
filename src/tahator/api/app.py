"""The ASGI application: the API under ``/api/v1`` (and, with it, the web UI).

``create_app`` reads the database URL and policy from the environment
(``TAHATOR_DATABASE_URL``, ``TAHATOR_POLICY``), so each uvicorn worker builds
its own engine.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tahator import web
from tahator.api import (
    audit,
    auth,
    barter,
    border,
    clearing,
    firms,
    market,
    obligations,
    problems,
    screening,
)
from tahator.store.database import POOL_SIZE, make_engine

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 16 * 1024 * 1024
"""Larger requests get a 413 before anything reads them."""

WORKER_THREADS = POOL_SIZE
"""Threads each worker runs blocking endpoints on (anyio's default is 40).  More only
contend for the GIL and for connections: with 40 and a pool of 15, reads waited for a
connection and opened and closed PostgreSQL connections under load."""

WRITERS = WORKER_THREADS // 2
"""Requests that change something, at most, in a worker's threads at once (``WriteGate``)."""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'; frame-ancestors 'none'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


class Guard:
    """Refuses bodies that announce more than ``MAX_BODY_BYTES`` (413) and puts secure
    headers on every response.

    Plain ASGI rather than ``BaseHTTPMiddleware``, which runs each request in a task of
    its own and streams the response through a queue: a measurable share of a read.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith(API_PREFIX)

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if api:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            response = problems.problem(
                Request(scope), 413, f"the request is larger than {MAX_BODY_BYTES} bytes"
            )
            await response(scope, receive, secured)
            return
        await self.app(scope, receive, secured)


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteGate:
    """Lets at most ``WRITERS`` requests that change something into a worker at once;
    the others wait here, in the event loop, holding no thread.

    Writes wait on each other (the audit chain and the ledger take their turn), and
    while they wait they would hold worker threads: with enough of them waiting behind a
    clearing run, reads found no thread free.  Reads never wait here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gate: asyncio.Semaphore | None = None  # made in the worker's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await self.app(scope, receive, send)
            return
        if self.gate is None:
            self.gate = asyncio.Semaphore(WRITERS)
        async with self.gate:
            await self.app(scope, receive, send)


TOO_LARGE = "body_too_large"


class BodyTooLargeError(Exception):
    """A request body grew past ``MAX_BODY_BYTES`` while it was read."""


class BodyLimit:
    """Counts the bytes of every request body as it arrives, so a chunked body (which
    names no length) is cut off at ``MAX_BODY_BYTES`` too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    # FastAPI turns any error while reading a body into a 400; the
                    # problem handler sees this mark and answers 413 instead.
                    scope.setdefault("state", {})[TOO_LARGE] = True
                    raise BodyTooLargeError
            return message

        await self.app(scope, limited, send)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    yield
    app.state.engine.dispose()


class GuardedApp(FastAPI):
    """FastAPI with ``Guard`` outside everything, Starlette's error middleware too: an
    unexpected error's 500 carries the secure headers like every other response."""

    def build_middleware_stack(self) -> ASGIApp:
        return Guard(super().build_middleware_stack())


def create_app(database_url: str | None = None, policy_path: Path | None = None) -> FastAPI:
    """The whole application over one database."""
    app = GuardedApp(
        lifespan=lifespan,
        title="Tahator",
        summary="A clearing house for cross-border trade without cross-border payments",
        version="1",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.engine = make_engine(database_url)
    policy = policy_path or os.environ.get("TAHATOR_POLICY")
    app.state.policy_path = Path(policy) if policy else None
    problems.install(app)

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(request: Request, error: BodyTooLargeError) -> Response:
        return problems.problem(request, 413, f"the request is larger than {MAX_BODY_BYTES} bytes")

    app.add_middleware(WriteGate)
    app.add_middleware(BodyLimit)
    api = APIRouter(prefix=API_PREFIX, responses=problems.ERROR_RESPONSES)
    for module in (
        auth,
        firms,
        obligations,
        clearing,
        barter,
        market,
        screening,
        border,
        audit,
    ):
        api.include_router(module.router)
    app.include_router(api)
    web.install(app)  # the web UI: pages, static files, HTML error pages
    return app


def factory() -> FastAPI:
    """For ``uvicorn --factory``: the database and policy come from the environment."""
    return create_app()
