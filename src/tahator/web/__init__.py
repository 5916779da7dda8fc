"""The web UI: server-rendered pages over the same services as the API.

``install(app)`` mounts the pages, the static files (Plotly's JS from the
installed package: nothing from a CDN) and HTML error pages on the application.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tahator.web import (
    audit,
    auth,
    bank,
    barter,
    clearing,
    consignments,
    core,
    customs,
    language,
    notice,
    pages,
    position,
    schedule,
    screening,
    trade,
    webhooks,
)


def install(app: FastAPI) -> None:
    for module in (
        auth,
        language,
        pages,
        position,
        clearing,
        bank,
        audit,
        barter,
        trade,
        screening,
        notice,
        schedule,
        webhooks,
        consignments,
        customs,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=core.HERE / "static"), name="static")
    core.install_errors(app)
    core.load_templates()
