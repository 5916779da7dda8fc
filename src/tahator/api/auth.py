"""Signing in: tokens by OAuth2's password flow, and revoking them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from tahator.api.deps import SESSION_COOKIE, Who, bearer, engine_of, release_reader
from tahator.api.problems import ApiError
from tahator.services import users
from tahator.store.database import reading, transaction

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    firm: str | None


def sign_in(request: Request, username: str, password: str, kind: str) -> tuple[str, int]:
    """A new token of ``kind`` for the right password; 401 or 429 otherwise.

    The password is checked outside any write transaction; the attempt is then
    counted in a short one, committed even when it failed (the count is the point).
    """
    failure: users.AuthenticationError | users.LockedError | None = None
    engine = engine_of(request)
    try:
        with reading(engine) as session:
            matched = users.password_matches(session, username, password)
        with transaction(engine) as session:
            try:
                principal = users.settle_sign_in(session, username, password, matched)
            except (users.AuthenticationError, users.LockedError) as error:
                failure = error
            else:
                token, lifetime = users.issue_token(session, principal, kind=kind)
    except users.LockedError as error:
        failure = error
    if isinstance(failure, users.LockedError):
        raise ApiError(429, str(failure), headers={"Retry-After": str(failure.retry_after)})
    if failure is not None:
        raise ApiError(401, str(failure), headers={"WWW-Authenticate": "Bearer"})
    return token, lifetime


@router.post("/token", response_model=Token)
def token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=100)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
) -> dict[str, Any]:
    """Exchange a username and password (form fields, OAuth2's password flow) for a
    bearer token."""
    access_token, lifetime = sign_in(request, username, password, "api")
    return {"access_token": access_token, "token_type": "bearer", "expires_in": lifetime}


@router.post("/revoke", status_code=204, response_class=Response)
def revoke(request: Request, principal: Who) -> Response:
    """Revoke the token this request carries (sign out)."""
    credentials = request.headers.get("Authorization", "")
    scheme, _, value = credentials.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    release_reader(request)
    with transaction(engine_of(request)) as session:
        if token:
            users.revoke_token(session, token)
        elif request.cookies.get(SESSION_COOKIE):  # signed in by the web UI's cookie
            users.revoke_token(session, request.cookies[SESSION_COOKIE])
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(principal: Who) -> dict[str, Any]:
    """Who the token belongs to."""
    return {"username": principal.username, "role": principal.role, "firm": principal.firm}


__all__ = ["bearer", "router"]
