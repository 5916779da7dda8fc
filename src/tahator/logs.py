"""Structured logs: one JSON line per request and per job, and the request id that ties
a line to the audit records the request or job wrote.

The id lives in a context variable: the ASGI middleware sets it for a request, the
worker for a job, and ``services.audit.record`` stores it with each record.

``configure()`` sends logger ``tahator`` (and its children) to stderr as JSON lines.
Nothing secret reaches a line: callers pass no password, token, cookie or webhook
secret, and as a second guard every line's fields named like one are replaced, bearer
tokens and ``password=``-style pairs in messages are masked, and query strings are cut
from paths (uvicorn's access log too, should it be on).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime

LOGGER = logging.getLogger("tahator")

_REQUEST_ID: ContextVar[str | None] = ContextVar("tahator_request_id", default=None)

_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
"""An ``X-Request-ID`` we take as it is: short, and nothing that could forge a log line
or a header."""


def request_id() -> str | None:
    """The id of the request or job being served here, if any."""
    return _REQUEST_ID.get()


def new_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def given_or_new(given: str | None) -> str:
    """``given`` (a client's or proxy's ``X-Request-ID``) when it is 1–64 characters of
    ``A-Z a-z 0-9 . _ -``; otherwise a fresh id."""
    return given if given is not None and _GIVEN_ID.fullmatch(given) else new_id()


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
    pass no secret: passwords, tokens and webhook secrets never reach a field (and a
    field named like one is replaced, a ``path`` loses its query string)."""
    record = {
        "ts": _now(),
        "kind": kind,
        "request_id": request_id(),
        **{name: _guarded(name, value) for name, value in fields.items()},
    }
    LOGGER.info(_dumps(record), extra={_JSON_LINE: True})


# --- redaction -------------------------------------------------------------------------

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|authori[sz]ation|cookie|credential|api[_-]?key",
    re.IGNORECASE,
)
"""Field names whose values are never logged."""
_SECRET_IN_TEXT = re.compile(
    r"(?P<key>\b(?:bearer|basic)\s+)(?P<value>[^\s\"',;]+)"
    r"|(?P<pair>\b(?:[a-z_]*(?:password|passwd|secret|token)[a-z_]*|authorization|cookie)"
    r"\"?\s*[=:]\s*\"?)(?P<pair_value>(?:(?:bearer|basic)\s+)?[^\s\"'&,;]+)",
    re.IGNORECASE,
)
"""``Bearer abc…`` and ``password=…``/``"access_token": "…"`` inside free text."""


def redact(text: str) -> str:
    """``text`` with bearer credentials and ``secret=value`` pairs masked."""

    def mask(match: re.Match[str]) -> str:
        prefix = match.group("key") if match.group("key") is not None else match.group("pair")
        return f"{prefix}{REDACTED}"

    return _SECRET_IN_TEXT.sub(mask, text)


def without_query(path: str) -> str:
    """``path`` without its query string (which may carry anything a client put there)."""
    return path.split("?", 1)[0]


def _guarded(name: str, value: object) -> object:
    if value is None:
        return None
    if _SECRET_NAME.search(name):
        return REDACTED
    if name == "path" and isinstance(value, str):
        return without_query(value)
    if isinstance(value, str):
        return redact(value)
    return value


# --- output ------------------------------------------------------------------------------

_JSON_LINE = "tahator_json_line"
"""Marks a record whose message ``line`` already made a JSON document."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dumps(document: dict[str, object]) -> str:
    return json.dumps(document, ensure_ascii=False, default=str, separators=(",", ":"))


class JsonFormatter(logging.Formatter):
    """``line``'s records as they are; any other record (a warning of ``tahator.api``,
    say) as one JSON line too, its message masked (``redact``)."""

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, _JSON_LINE, False):
            return record.getMessage()
        document: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "kind": "log",
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": request_id(),
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            document["error"] = redact(self.formatException(record.exc_info))
        return _dumps(document)


class AccessQueryFilter(logging.Filter):
    """Cuts the query string from uvicorn's access log lines (``serve`` turns that log
    off in favour of ours; this holds should anyone turn it back on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], without_query(args[2]), *args[3:])
        return True


class HandledErrorFilter(logging.Filter):
    """Drops uvicorn's report of an error the application already logged (its problem
    handler wrote one JSON line with the traceback; ``mark_logged``), so an error is one
    line, not two."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not getattr(error, _LOGGED, False)


_LOGGED = "_tahator_logged"


def mark_logged(error: BaseException) -> None:
    """Note that ``error`` has been logged (uvicorn then does not log it again)."""
    with suppress(AttributeError):
        setattr(error, _LOGGED, True)


def uvicorn_log_config(level: str) -> dict[str, object]:
    """uvicorn's ``log_config``: its loggers write JSON lines through ``JsonFormatter``
    too (its default prints plain text, and an error as a multi-line traceback, which
    breaks every ``jq`` reading the log).  A dict, so spawned workers apply it as well."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "filters": {
            "handled": {"()": f"{__name__}.HandledErrorFilter"},
            "query": {"()": f"{__name__}.AccessQueryFilter"},
        },
        "handlers": {
            "json": {"class": f"{__name__}._Stderr", "formatter": "json", "filters": ["handled"]}
        },
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {
                "handlers": ["json"],
                "filters": ["query"],
                "level": level.upper(),
                "propagate": False,
            },
        },
    }


_HANDLER_NAME = "tahator-json"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written (as ``logging``'s
    last resort does), not the stream of the moment ``configure`` ran."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        del value


def configure(level: int = logging.INFO) -> None:
    """Logger ``tahator`` and its children write JSON lines to stderr at ``level``.

    Idempotent: a second call (each server worker's ``create_app``, the CLI's
    ``serve`` or ``worker``) changes nothing.  The lines do not also propagate to the
    root logger, so nothing prints them twice.
    """
    if not any(h.get_name() == _HANDLER_NAME for h in LOGGER.handlers):
        handler = _Stderr()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        LOGGER.addHandler(handler)
    LOGGER.setLevel(level)
    LOGGER.propagate = False
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessQueryFilter) for f in access.filters):
        access.addFilter(AccessQueryFilter())
