"""What every endpoint needs: the database, the signed-in user, role checks, pages
and idempotent writes."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tahator import faults
from tahator.api.problems import ApiError
from tahator.domain.audit import canonical
from tahator.domain.corridor import day_problem
from tahator.domain.local_text import SOLAR_HIJRI_YEARS, latin_digits
from tahator.formatting import not_allowed
from tahator.i18n import _
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.signin import (
    SAFE_METHODS,
    SESSION_COOKIE,
    TokenKind,
    cross_site,
    engine_of,
    principal_of,
)
from tahator.signin import policy_of as policy_of  # the routers' dependency
from tahator.store.database import reading, transaction
from tahator.store.schema import IdempotentRequest

bearer = HTTPBearer(auto_error=False, description="A token from `POST /api/v1/auth/token`")
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def read_session(request: Request) -> Iterator[Session]:
    """A read-only session for one request, shared by the look-up of who sent it and
    by the endpoint (FastAPI makes one per request): one pooled connection, not two."""
    with reading(engine_of(request)) as session:
        request.state.reader = session
        yield session


def release_reader(request: Request) -> None:
    """End the request's read transaction and give its connection back to the pool, so
    that a write does not hold two connections (the session reconnects if used again)."""
    reader: Session | None = getattr(request.state, "reader", None)
    if reader is not None:
        reader.rollback()


Reader = Annotated[Session, Depends(read_session)]


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session: Reader,
) -> Principal:
    """The user whose bearer token came with the request; 401 otherwise.

    The web UI's session cookie is accepted too, so its pages' scripts can call the API;
    but a write so signed in is refused (403, before the endpoint runs) unless
    it came from this site with the session's CSRF token (``signin.cross_site``).
    """
    token: str | None = None
    kind: TokenKind = "api"
    if credentials is not None and credentials.scheme.lower() == "bearer":
        token = credentials.credentials
    elif request.cookies.get(SESSION_COOKIE):
        token, kind = request.cookies[SESSION_COOKIE], "session"
        if request.method not in SAFE_METHODS:
            refused = cross_site(request, token)
            if refused is not None:
                raise ApiError(
                    403,
                    _(
                        "%(refused)s: a write signed in by the session cookie needs this "
                        "site's pages (Origin and X-CSRF-Token); other clients send a bearer "
                        "token"
                    )
                    % {"refused": refused},
                )
    if not token:
        raise ApiError(401, _("sign in: send a bearer token"), headers=UNAUTHORIZED_HEADERS)
    principal = principal_of(session, token, kind)
    if principal is None:
        raise ApiError(
            401, _("the token is unknown, expired or revoked"), headers=UNAUTHORIZED_HEADERS
        )
    request.state.principal = principal
    return principal


Who = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only ``roles``; 403 for the others."""

    # ``async``: a check without I/O need not hop to a worker thread.
    async def check(principal: Who) -> Principal:
        if principal.role not in roles:
            raise ApiError(403, not_allowed(principal.role))
        return principal

    return check


READERS = ("operator", "customs", "bank", "trader", "auditor")


REQUEST = Path("request")
"""How problems in a request's body are labelled where a service expects a file."""


# --- pages -------------------------------------------------------------------------

Id = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="A number the clearing house gave")]
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: Any) -> Any:
    # Not ``Strict()``: a strict date refuses every string once a model sits inside a
    # list (FastAPI validates those as Python objects), so batches of dates failed.
    # Persian and Arabic-Indic digits are read as the digits they are.
    if isinstance(value, str) and _ISO_DAY.fullmatch(latin := latin_digits(value)):
        return latin
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError(_("must be a date, YYYY-MM-DD"))


def _accepted_day(value: date) -> date:
    problem = day_problem(value)
    if problem is not None:
        if value.year in SOLAR_HIJRI_YEARS:
            problem = _(
                "%(problem)s: %(year)s is a Solar Hijri year, and these dates are Gregorian"
            ) % {"problem": problem, "year": value.year}
        raise ValueError(problem)
    return value


Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_accepted_day)]
"""A date in a JSON body: only ``YYYY-MM-DD`` (not a number of seconds since 1970), within
the accepted dates (``corridor.day_problem``)."""
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The key a cursor carries: a 64-bit non-negative integer or a string."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(422, _("the cursor is not one this API gave")) from error
    if (type(key) is int and 0 <= key < 2**63) or type(key) is str:
        return key
    raise ApiError(422, _("the cursor is not one this API gave"))


def page(
    items: list[dict[str, Any]], cursor: str | None, limit: int, key: str = "id"
) -> dict[str, Any]:
    """One page of ``items`` (in ascending ``key`` order) after the cursor's key."""
    after = decode_cursor(cursor)
    if after is not None:
        if not isinstance(after, type(items[0][key]) if items else (int, str)):
            raise ApiError(422, _("the cursor is not one this API gave"))
        items = [item for item in items if item[key] > after]
    chosen = items[:limit]
    more = len(items) > limit
    return {"items": chosen, "next_cursor": encode_cursor(chosen[-1][key]) if more else None}


# --- idempotent writes ---------------------------------------------------------------

MAX_KEY_LENGTH = 255


def write(
    request: Request,
    principal: Principal,
    fingerprint: Any,
    work: Callable[[Session], tuple[int, Any]],
    redact: Callable[[Any], Any] | None = None,
) -> JSONResponse:
    """Run ``work`` in one transaction and answer with what it returns.

    With an ``Idempotency-Key`` header, the first answer is stored in the same
    transaction as the change, and a retry with the same key gets it back without
    anything new being done; the same key with another request is a 422.  ``redact``
    gives what is stored (and replayed) of an answer holding what must not be kept
    (a webhook's secret).
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise ApiError(
            422,
            _("Idempotency-Key must be 1 to %(most)s printable characters")
            % {"most": MAX_KEY_LENGTH},
        )
    request_hash = hashlib.sha256(
        canonical(
            [request.method, request.url.path, str(request.query_params), fingerprint]
        ).encode()
    ).hexdigest()
    release_reader(request)
    engine = engine_of(request)
    for attempt in range(2):
        try:
            with transaction(engine) as session:
                if key is not None:
                    stored = session.get(IdempotentRequest, (principal.user_id, key))
                    if stored is not None:
                        if stored.body_hash != request_hash:
                            raise ApiError(
                                422,
                                _("this Idempotency-Key was used for a different request"),
                            )
                        return JSONResponse(
                            json.loads(stored.response),
                            status_code=stored.status,
                            headers={"Idempotent-Replayed": "true"},
                        )
                    # Claim the key first: a concurrent retry waits here, then replays.
                    claim = IdempotentRequest(
                        user_id=principal.user_id,
                        key=key,
                        method=request.method,
                        path=request.url.path[:500],
                        body_hash=request_hash,
                        status=0,
                        response="null",
                        media_type="application/json",
                        created_at=now(),
                    )
                    session.add(claim)
                    session.flush()
                status, payload = work(session)
                faults.point("api.after_work")
                content = jsonable_encoder(payload)
                if key is not None:
                    claim.status = status
                    claim.response = json.dumps(redact(content) if redact else content)
            return JSONResponse(content, status_code=status)
        except IntegrityError:
            # A concurrent request stored the same thing (or claimed the same key)
            # first: once more, now that it is committed, answers as a retry would.
            if attempt:
                raise ApiError(
                    409, _("a concurrent request changed the same thing; retry")
                ) from None
    raise AssertionError("unreachable")
