"""The composition root: the one ASGI application, the API under ``/api/v1`` beside the
web UI (siblings that never import each other), behind the guards every request passes.

``create_app`` reads the database URL and policy from the environment
(``TAHATOR_DATABASE_URL``, ``TAHATOR_POLICY``), so each uvicorn worker builds
its own engine: ``serve``, the demo and the tests build the application here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tahator import logs, web
from tahator.api import app as api
from tahator.api import health, problems
from tahator.api.app import API_PREFIX
from tahator.io.policy import load_policy
from tahator.store.database import POOL_SIZE, make_engine
from tahator.web.language import ReaderMiddleware

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Larger requests get a 413 before anything reads them."""

WORKER_THREADS = POOL_SIZE
"""Requests a worker admits at once, and the threads it runs blocking endpoints on
(anyio's default is 40).  More only contend for the GIL and for connections: with 40
threads and a pool of 15, reads waited for connections and opened and closed PostgreSQL
connections under load."""

WRITERS = WORKER_THREADS // 2
"""Of the requests a worker admits at once, how many may change something (``Admission``)."""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # No inline or evaluated script or style anywhere: every script and stylesheet is a
    # file of /static or of the API docs' assets.  Bars are SVG rectangles sized by
    # attributes; Plotly's rules come from /static/plotly.css (dashboard.html tells
    # plotly.js so) and it sets element styles only through the CSSOM, which CSP allows.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
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
SIGN_IN_PATHS = frozenset({f"{API_PREFIX}/auth/token", "/login"})


class Admission:
    """Admits at most ``WORKER_THREADS`` requests into a worker at once, and of those at
    most ``WRITERS`` that change something; the others wait here, in the event loop,
    holding neither a thread nor a database connection.

    Without the first bound a burst deadlocked: requests that had taken a connection for
    their token look-up waited for a thread, while every thread waited for a connection
    (until the pool's 30 s timeout, then a 500).  Without the second, writes waiting for
    each other (the audit chain and the ledger take turns) filled every thread behind a
    clearing run, and reads waited too.  Sign-ins are not held behind other writes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Per event loop: a semaphore belongs to the loop it first waits in (a worker has
        # one; a test client may start several).
        self.gates: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[asyncio.Semaphore, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Health probes pass: they hold no pooled connection, and a probe queued behind
        # a burst would take a busy but healthy worker out of rotation.
        if scope["type"] != "http" or scope["path"] in health.HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if loop not in self.gates:
            self.gates[loop] = (asyncio.Semaphore(WORKER_THREADS), asyncio.Semaphore(WRITERS))
        admitted, writers = self.gates[loop]
        writes = scope["method"] not in READ_METHODS and scope["path"] not in SIGN_IN_PATHS
        async with writers if writes else contextlib.nullcontext(), admitted:
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


REQUEST_ID_HEADER = "X-Request-ID"
KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
UNROUTED = "unrouted"
"""The route label of a request no route took (a 404, a 413 before routing): a path
that names nothing must not become a label of its own."""


class RequestLog:
    """Gives each request an id and, once answered, one JSON log line and its metrics.

    The id is the request's ``X-Request-ID`` when it is well formed (a proxy's, say),
    else a new one (``logs.given_or_new``); it is echoed in the response's
    ``X-Request-ID`` and is ``logs.request_id()`` while the request is served, so
    the audit records it writes carry it.  The line (``logs.line("request", …)``) has
    the method, route template, path without query string, status, duration and the
    signed-in user: no header, cookie, query string or body.  Outside ``Guard``, so
    refused and failed requests are logged and tagged too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER)
        if scope.get(TRUSTED_PEER):
            identifier, from_client = logs.given_or_new(given), None
        else:
            # Anyone may send the header: an id of our own goes into the audit trail (a
            # client could otherwise reuse another request's), theirs only into the log.
            identifier, from_client = logs.new_id(), given
        root_path = scope.get("root_path", "")
        begun = time.perf_counter()
        status = 500  # unless a response starts: an error that escaped everything
        started = False

        async def tagged(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = identifier
            await send(message)

        with logs.acting_for(identifier):
            try:
                await self.app(scope, receive, tagged)
            except Exception as error:
                if started and status == 500:
                    # The 500 was answered by the problem handler, which logged the
                    # error as a JSON line: uvicorn must not print it again as text.
                    logs.mark_logged(error)
                raise
            finally:
                self.done(scope, status, time.perf_counter() - begun, root_path, from_client)

    @staticmethod
    def route_of(scope: Scope, root_path: str) -> str:
        """The template of the route that took the request (``/api/v1/firms/{firm_id}``)."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            # FastAPI keeps an included router's routes as they were declared and applies
            # the including router's prefix as it matches: the API's is ours to add.
            if scope["path"].startswith(API_PREFIX) and not path.startswith(API_PREFIX):
                path = API_PREFIX + path
            return path
        mounted = scope.get("root_path", "")
        if mounted != root_path and mounted.startswith(root_path):
            return f"{mounted[len(root_path) :]}/{{path}}"  # a mount: /static/{path}
        return UNROUTED

    @classmethod
    def done(
        cls, scope: Scope, status: int, seconds: float, root_path: str, from_client: str | None
    ) -> None:
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
        route = cls.route_of(scope, root_path)
        health.REQUESTS.labels(method, route, str(status)).inc()
        health.LATENCY.labels(method, route).observe(seconds)
        principal = scope.get("state", {}).get("principal")
        logs.line(
            "request",
            method=method,
            route=route,
            path=scope["path"][:500],
            status=status,
            duration_ms=round(seconds * 1000, 1),
            user=getattr(principal, "actor", None),
            **({"client_request_id": from_client[:64]} if from_client else {}),
        )


TRUSTED_PROXIES_VARIABLE = "TAHATOR_FORWARDED_ALLOW_IPS"
"""Set by ``serve --proxy-headers``: the proxies whose ``X-Forwarded-*`` and
``X-Request-ID`` count (``ForwardedBy``)."""
TRUSTED_PEER = "tahator.trusted_peer"
"""In a request's scope: whether the connection came from a trusted proxy."""


class ForwardedBy:
    """Takes the scheme and client address from a trusted proxy's ``X-Forwarded-Proto``
    and ``-For`` (uvicorn's ``ProxyHeadersMiddleware``, here rather than in uvicorn),
    noting first whether the connection came from one: only then is its
    ``X-Request-ID`` taken (``RequestLog``).  Once uvicorn has rewritten the client
    address, whether the peer was a proxy can no longer be told."""

    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self.proxied = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            scope[TRUSTED_PEER] = client is not None and client[0] in self.proxied.trusted_hosts
        await self.proxied(scope, receive, send)  # type: ignore[arg-type]


PROXY_HEADERS_VARIABLE = "TAHATOR_PROXY_HEADERS"
"""Set by ``serve``: ``off`` when it ignores ``X-Forwarded-*`` (no ``--proxy-headers``)."""


class UntrustedProxyWarning:
    """Says once on stderr that requests carry ``X-Forwarded-For`` which ``serve`` ignores
    (no ``--proxy-headers``): behind a proxy every client then has the proxy's address,
    so one client's failed sign-ins slow everyone's (``services.throttle``)."""

    MESSAGE = (
        "tahator: warning: requests carry X-Forwarded-For but serve ignores it (no "
        "--proxy-headers): every client behind the proxy has its address, and sign-in "
        "throttling counts them as one; run serve --proxy-headers --forwarded-allow-ips PROXY"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.warned
            and scope["type"] == "http"
            and any(name == b"x-forwarded-for" for name, _ in scope["headers"])
        ):
            self.warned = True
            print(self.MESSAGE, file=sys.stderr, flush=True)
        await self.app(scope, receive, send)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    yield
    app.state.engine.dispose()


class GuardedApp(FastAPI):
    """FastAPI with ``Guard`` outside everything, Starlette's error middleware too: an
    unexpected error's 500 carries the secure headers like every other response (and,
    from ``RequestLog`` outside it, the request id and a log line)."""

    def build_middleware_stack(self) -> ASGIApp:
        # The reader (language, zone) is set outside the error middleware too, so that
        # an error page or problem document is in the user's language.
        logged = RequestLog(Guard(ReaderMiddleware(super().build_middleware_stack())))
        trusted = os.environ.get(TRUSTED_PROXIES_VARIABLE)
        return ForwardedBy(logged, trusted) if trusted else logged


def create_app(database_url: str | None = None, policy_path: Path | None = None) -> FastAPI:
    """The whole application over one database."""
    logs.configure()  # here, not only in ``serve``: each server worker builds its own app
    app = GuardedApp(
        lifespan=lifespan,
        title="Tahator",
        summary="A clearing house for cross-border trade without cross-border payments",
        version="1",
        openapi_url="/openapi.json",
        docs_url=None,  # tahator.api.docs serves it, from the package: FastAPI's uses a CDN
        redoc_url=None,
    )
    app.state.engine = make_engine(database_url)
    policy = policy_path or os.environ.get("TAHATOR_POLICY")
    app.state.policy_path = Path(policy) if policy else None
    # An invalid policy or calendar stops the server here, with the reason (an
    # ``InputError`` naming the file and fields), not each user's request later.
    load_policy(app.state.policy_path)

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(request: Request, error: BodyTooLargeError) -> Response:
        return problems.problem(request, 413, f"the request is larger than {MAX_BODY_BYTES} bytes")

    app.add_middleware(Admission)
    app.add_middleware(BodyLimit)
    if os.environ.get(PROXY_HEADERS_VARIABLE) == "off":
        app.add_middleware(UntrustedProxyWarning)
    app.include_router(health.router)  # /healthz, /readyz, /metrics: beside the API
    api.install(app)  # the API: its routers and problem documents
    web.install(app)  # the web UI: pages, static files, HTML error pages (after the API's)
    return app


def factory() -> FastAPI:
    """For ``uvicorn --factory``: the database and policy come from the environment."""
    return create_app()
