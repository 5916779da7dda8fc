"""The HTTP API under ``/api/v1``: its routers and its RFC 9457 problem documents.

``install(app)`` puts it on the application that the composition root
(``tahator.asgi``) builds; the API knows nothing of the web UI beside it.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from tahator.api import (
    audit,
    auth,
    bank,
    barter,
    border,
    clearing,
    customs,
    docs,
    firms,
    market,
    obligations,
    problems,
    schedule,
    screening,
    webhooks,
)

API_PREFIX = "/api/v1"


def install(app: FastAPI) -> None:
    """Answer ``app``'s errors with problem documents and serve the API's routers."""
    problems.install(app)
    api = APIRouter(prefix=API_PREFIX, responses=problems.ERROR_RESPONSES)
    for module in (
        auth,
        firms,
        obligations,
        clearing,
        bank,
        barter,
        market,
        screening,
        border,
        customs,
        audit,
        schedule,
        webhooks,
    ):
        api.include_router(module.router)
    app.include_router(api)
    docs.install(app)  # Swagger UI at /api/docs, from the installed package
