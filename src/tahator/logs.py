"""Structured logs: one JSON line per request and per job, and the request id that ties
a line to the audit records the request or job wrote.

The id lives in a context variable: the ASGI middleware sets it for a request, the
worker for a job, and ``services.audit.record`` stores it with each record.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

LOGGER = logging.getLogger("tahator")

_REQUEST_ID: ContextVar[str | None] = ContextVar("tahator_request_id", default=None)


def request_id() -> str | None:
    """The id of the request or job being served here, if any."""
    return _REQUEST_ID.get()


def new_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


@contextmanager
def acting_for(identifier: str) -> Iterator[None]:
    """Within the block, ``request_id()`` is ``identifier``."""
    token = _REQUEST_ID.set(identifier)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


def line(kind: str, **fields: object) -> None:
    """Log one JSON line: ``{"ts", "kind", "request_id", **fields}`` at INFO.  Callers
    pass no secret: passwords, tokens and webhook secrets never reach a field."""
    record = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "kind": kind,
        "request_id": request_id(),
        **fields,
    }
    LOGGER.info(json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")))
