"""``/healthz``, ``/readyz`` and ``/metrics``: what a load balancer, an orchestrator and
Prometheus ask the service.

- ``GET /healthz``: 200 while the process serves requests; touches no database.
- ``GET /readyz``: 200 when the database answers and is at ``store.migrate.HEAD``;
  503 with a short JSON reason otherwise, within a few seconds (its own connection
  with short timeouts, ``services.health.probe_engine``).  Both pass by ``Admission``:
  a probe is never queued behind requests.
- ``GET /metrics``: the Prometheus text format, for an operator (bearer token or web
  session) or a scraper sending ``Authorization: Bearer $TAHATOR_METRICS_TOKEN``
  (unset: operators only).  Requests by route template and status with their latency
  (``asgi.RequestLog``), figures read from the database at each scrape
  (``DatabaseCollector``), and the process's own (CPU, memory, open files).

They are operations endpoints beside the API, not part of it: the OpenAPI document
leaves them out.

Several server processes (``serve --workers N``): each keeps its own counters, and a
scrape reaches one of them.  Set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder,
writable by the service and emptied at each start, in the environment of every
process; the counters and histograms then live in files there and every scrape adds
up all processes' (``prometheus_client.multiprocess``); left unset, ``serve`` makes a
private one for its workers and removes it when it stops.  The process figures are then
left out (they would be one process's); the database's are the same whichever answers.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import weakref
from collections.abc import Iterator
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from tahator.api.deps import bearer, current_principal
from tahator.api.problems import ApiError
from tahator.formatting import not_allowed
from tahator.services import health
from tahator.signin import engine_of
from tahator.store.database import reading

router = APIRouter(include_in_schema=False, tags=["operations"])

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
"""Served before ``Admission`` and without a request log's user look-up: cheap."""
METRICS_TOKEN_VARIABLE = "TAHATOR_METRICS_TOKEN"
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
PROBE_WAIT_SECONDS = health.PROBE_TIMEOUT_SECONDS + 1
"""The most ``/readyz`` waits for the database before answering 503 anyway."""

disable_created_metrics()  # type: ignore[no-untyped-call]  # a ``_created`` series per label set says nothing here

REQUESTS = Counter(
    "tahator_http_requests",
    "HTTP requests answered, by method, route template (not the path: no ids) and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "tahator_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


# --- health ------------------------------------------------------------------------------


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive and serving (nothing else is checked)."""
    return {"status": "ok"}


PROBE_THREADS = 2
"""Threads readiness probes may take at once: their own, never the requests' (a probe
must answer while every request thread waits for the database)."""
_probes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)
"""Per event loop, as ``asgi.Admission``'s gates (a test client may start several)."""


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and is migrated to this version's schema; 503 and
    the reason otherwise."""
    probe = _probe_engine(request)
    verdict = health.Readiness(
        False, f"the database did not answer within {PROBE_WAIT_SECONDS} seconds"
    )
    with anyio.move_on_after(PROBE_WAIT_SECONDS):
        verdict = await anyio.to_thread.run_sync(
            health.readiness, probe, limiter=_probe_limiter(), abandon_on_cancel=True
        )
    if verdict.ready:
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        {"status": "unavailable", "reason": verdict.reason},
        status_code=503,
        headers={"Retry-After": "5", "Cache-Control": "no-store"},
    )


def _probe_limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _probes:
        _probes[loop] = anyio.CapacityLimiter(PROBE_THREADS)
    return _probes[loop]


def _probe_engine(request: Request) -> Engine:
    state = request.app.state
    probe: Engine | None = getattr(state, "probe_engine", None)
    if probe is None:
        probe = state.probe_engine = health.probe_engine(engine_of(request))
    return probe


# --- metrics -----------------------------------------------------------------------------


def scraper(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Admit the scrape token (compared in constant time) or a signed-in operator;
    401 without credentials, 403 for another role."""
    expected = os.environ.get(METRICS_TOKEN_VARIABLE, "")
    if (
        expected
        and credentials is not None
        and credentials.scheme.lower() == "bearer"
        and hmac.compare_digest(credentials.credentials.encode(), expected.encode())
    ):
        return
    with reading(engine_of(request)) as session:
        principal = current_principal(request, credentials, session)
    if principal.role != "operator":
        raise ApiError(403, not_allowed(principal.role))


@router.get("/metrics", dependencies=[Depends(scraper)])
async def metrics(request: Request) -> Response:
    """The Prometheus text format (version 0.0.4)."""
    # The database's figures through the probe engine, within the probe's wait: a scrape
    # answers (``tahator_database_up 0``) while the database is down or hangs, rather
    # than hanging on the service's pool.
    figures: health.Figures | None = None
    with anyio.move_on_after(PROBE_WAIT_SECONDS):
        figures = await anyio.to_thread.run_sync(
            health.figures_within,
            _probe_engine(request),
            limiter=_probe_limiter(),
            abandon_on_cancel=True,
        )
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROCESS_VARIABLE):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector(figures))
    return Response(
        await anyio.to_thread.run_sync(generate_latest, registry),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )


class _ThisProcess(Collector):
    """This process's metrics: the requests it served, its CPU, memory and files."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class DatabaseCollector(Collector):
    """Figures read from the database for this scrape (``services.health.figures``):
    what every server process would say alike.  ``None`` (the database could not be
    read in time) gives ``tahator_database_up 0`` and no figures, not a failed scrape."""

    def __init__(self, figures: health.Figures | None) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("tahator_database_up", "1 when the database could be read")
        up.add_metric([], 0 if self.figures is None else 1)
        yield up
        if self.figures is not None:
            yield from _figures(self.figures)


def _figures(figures: health.Figures) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "tahator_clearing_runs",
        "Completed clearing runs, by unit of account",
        labels=["unit_of_account"],
    )
    cleared = CounterMetricFamily(
        "tahator_cleared_value_minor_units",
        "Value cleared by completed runs, in the unit of account's minor units "
        "(cents for USD), by unit of account",
        labels=["unit_of_account"],
    )
    for unit in figures.cleared:
        runs.add_metric([unit.unit_of_account], unit.runs)
        cleared.add_metric([unit.unit_of_account], unit.cleared)
    yield runs
    yield cleared
    if figures.last_run_seconds is not None:
        yield GaugeMetricFamily(
            "tahator_clearing_last_run_duration_seconds",
            "How long the latest completed clearing run took",
            value=figures.last_run_seconds,
        )
    jobs = CounterMetricFamily(
        "tahator_jobs_run",
        "Scheduled job occurrences recorded, by job and outcome (done; covered: a clearing "
        "run already done by hand, so not run again)",
        labels=["job", "outcome"],
    )
    for job, outcome, count in figures.jobs_run:
        jobs.add_metric([job, outcome], count)
    yield jobs
    for name, text, counts in (
        (
            "tahator_job_failures",
            "Failed attempts at scheduled jobs (each retried or given up), by job",
            figures.job_failures,
        ),
    ):
        family = CounterMetricFamily(name, text, labels=["job"])
        for job, count in counts:
            family.add_metric([job], count)
        yield family
    deliveries = GaugeMetricFamily(
        "tahator_webhook_deliveries",
        "Webhook deliveries by status (pending, delivered, failed: given up)",
        labels=["status"],
    )
    for status, count in figures.deliveries:
        deliveries.add_metric([status], count)
    yield deliveries
    yield GaugeMetricFamily(
        "tahator_screening_queue_firms",
        "Firms whose screening hits await an operator's decision",
        value=figures.screening_queue,
    )
