"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every error the API gives has this shape; validation errors name each field.
A 5xx is a bug, except 503 when the database cannot be reached or is busy.

``title`` and the ``detail`` this layer writes are in the request's language
(``tahator.i18n``: the reader's cookie, then ``Accept-Language``); a domain's or a
service's message (English, naming values) is passed on as it is, and so is a field
error of the request's validation (Pydantic's own words).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tahator.domain.errors import InputError, NotFoundError, TahatorError
from tahator.i18n import N_, _, ngettext
from tahator.store.database import DatabaseBusyError

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger("tahator.api")


TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    406: N_("Not Acceptable"),
    409: N_("Conflict"),
    413: N_("Request Entity Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Entity"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}
"""Each status's title (Python's reason phrase, as before), for the catalogue."""


def title(status: int) -> str:
    """The problem document's title for ``status``, in the request's language."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    english = TITLES.get(status, phrase)
    return _(english) if english else str(status)


class FieldError(BaseModel):
    """One thing wrong with one field of the request."""

    field: str | None = Field(None, description="The field, e.g. `body.amount` or `amount`")
    detail: str
    line: int | None = Field(None, description="The line of an uploaded file, where one applies")


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ApiError(Exception):
    """An error an endpoint raises to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers


def problem(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ProblemDocument(
        title=title(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    ).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def input_problems(error: InputError) -> list[FieldError]:
    return [FieldError(field=p.field, detail=p.message, line=p.line) for p in error.problems]


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem document."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return problem(
            request, error.status, error.detail, errors=error.errors, headers=error.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if getattr(request.state, "body_too_large", False):
            return problem(request, 413, _("the request body is too large"))
        detail = str(error.detail)
        try:
            if detail == HTTPStatus(error.status_code).phrase:  # Starlette's own: "Not Found"
                detail = title(error.status_code)
        except ValueError:
            pass
        if error.status_code == 405:
            # Starlette names only the first matching route's methods; name them all.
            return problem(request, 405, detail, headers={"Allow": _allowed(request)})
        return problem(request, error.status_code, detail, headers=dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(field=".".join(str(part) for part in e["loc"]), detail=e["msg"], line=None)
            for e in error.errors()
        ]
        return problem(request, 422, _("the request is not valid"), errors=errors)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, error: NotFoundError) -> JSONResponse:
        return problem(request, 404, str(error))

    @app.exception_handler(InputError)
    async def _input(request: Request, error: InputError) -> JSONResponse:
        errors = input_problems(error)
        count = len(errors)
        detail = (
            errors[0].detail
            if count == 1
            else ngettext("%(count)s problem", "%(count)s problems", count) % {"count": count}
        )
        return problem(request, 422, detail, errors=errors)

    @app.exception_handler(DatabaseBusyError)
    async def _busy(request: Request, error: DatabaseBusyError) -> JSONResponse:
        return problem(request, 503, str(error), headers={"Retry-After": "1"})

    @app.exception_handler(TahatorError)
    async def _tahator(request: Request, error: TahatorError) -> JSONResponse:
        return problem(request, 422, str(error))

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", error.orig)
        return problem(
            request, 503, _("the database is unavailable; try again"), headers={"Retry-After": "5"}
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, error: DataError) -> JSONResponse:
        # A value no column can hold: a NUL character, a number out of range.
        return problem(request, 422, _("a value cannot be stored (a NUL character, or too large?)"))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, error: DBAPIError) -> JSONResponse:
        if error.connection_invalidated:
            return problem(request, 503, _("the database connection was lost; try again"))
        log.exception("database error", exc_info=error)
        return problem(request, 500, _("an internal error; it has been logged"))

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=error)
        return problem(request, 500, _("an internal error; it has been logged"))


def _allowed(request: Request) -> str:
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDocument, "content": {PROBLEM_TYPE: {}}, "description": text}
    for status, text in (
        (400, "The body could not be parsed"),
        (401, "No or bad credentials"),
        (409, "A concurrent request changed the same thing"),
        (403, "The role may not do this"),
        (404, "Not found (or not visible to this user)"),
        (413, "The request is too large"),
        (422, "The request is not valid; each field named"),
        (429, "Too many failed sign-ins"),
        (503, "The database is unavailable or busy"),
    )
}
