"""Signing in: tokens by OAuth2's password flow, and revoking them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from tahator import signin
from tahator.api.deps import Who, bearer, release_reader
from tahator.api.problems import ApiError
from tahator.signin import SESSION_COOKIE, engine_of

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    firm: str | None


def sign_in(request: Request, username: str, password: str) -> signin.SignedIn:
    """A new API token for the right password; 401 or 429 otherwise, the same for
    known and unknown usernames."""
    try:
        return signin.sign_in(
            engine_of(request), username, password, "api", signin.client_address(request)
        )
    except signin.LockedError as error:
        raise ApiError(429, str(error), headers={"Retry-After": str(error.retry_after)}) from None
    except signin.AuthenticationError as error:
        raise ApiError(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None


@router.post("/token", response_model=Token)
def token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=100)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
) -> dict[str, Any]:
    """Exchange a username and password (form fields, OAuth2's password flow) for a
    bearer token."""
    signed_in = sign_in(request, username, password)
    return {
        "access_token": signed_in.token,
        "token_type": "bearer",
        "expires_in": signed_in.lifetime,
    }


@router.post("/revoke", status_code=204, response_class=Response)
def revoke(request: Request, principal: Who) -> Response:
    """Revoke the token this request carries (sign out)."""
    credentials = request.headers.get("Authorization", "")
    scheme, _, value = credentials.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    release_reader(request)
    # Without a bearer token the request was signed in by the web UI's cookie.
    signin.sign_out(engine_of(request), token or request.cookies.get(SESSION_COOKIE, ""))
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(principal: Who) -> dict[str, Any]:
    """Who the token belongs to."""
    return {"username": principal.username, "role": principal.role, "firm": principal.firm}


__all__ = ["bearer", "router"]
