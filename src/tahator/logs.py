"""Structured logs: one JSON line per request and per job, and the request id that ties
a line to the audit records the request or job wrote.

The id lives in a context variable: the ASGI middleware sets it for a request, the
worker for a job, and ``services.audit.record`` stores it with each record.
"""

from __future__ import annotations

import json
import logging
import sys
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


class _JsonLines(logging.Formatter):
    """``line()``'s records as they are (already JSON); any other record of the
    ``tahator`` loggers (a warning, an exception) as one JSON line too."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == LOGGER.name:
            return record.getMessage()
        fields: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "kind": "log",
            "request_id": request_id(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        return json.dumps(fields, ensure_ascii=False, default=str, separators=(",", ":"))


def configure() -> None:
    """Send the ``tahator`` loggers to stderr, one JSON line a record, at INFO (journald or
    the container runtime collects stderr).  Idempotent: a second call adds nothing."""
    if any(getattr(handler, "_tahator", False) for handler in LOGGER.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLines())
    handler._tahator = True  # type: ignore[attr-defined]
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
