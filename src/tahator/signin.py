"""Signing in and sessions, shared by the API and the web UI (which never import each
other): the application's database and policy, passwords exchanged for tokens, the
session cookie, and who a token belongs to.

A token of kind ``api`` is sent as a bearer token; one of kind ``session`` lives in
the web UI's HTTP-only cookie (the API accepts it too, so pages' scripts can call it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tahator.domain.policy import Policy
from tahator.services import users
from tahator.services.common import business_today
from tahator.services.users import AuthenticationError, LockedError, Principal
from tahator.store.database import reading, transaction

SESSION_COOKIE = "tahator_session"
TokenKind = Literal["api", "session"]

__all__ = [
    "SESSION_COOKIE",
    "AuthenticationError",
    "LockedError",
    "SignedIn",
    "TokenKind",
    "engine_of",
    "policy_of",
    "principal_of",
    "sign_in",
    "sign_out",
    "today_of",
]


def engine_of(request: Request) -> Engine:
    """The database of the application serving ``request``."""
    engine: Engine = request.app.state.engine
    return engine


def today_of(request: Request) -> date:
    """Today in the corridor's business time zone (the policy's ``corridor.zone``)."""
    return business_today(policy_of(request).zone)


def policy_of(request: Request) -> Policy:
    """The policy the application runs under (the shipped one unless configured)."""
    from tahator.io.policy import load_policy

    return load_policy(request.app.state.policy_path)


@dataclass(frozen=True)
class SignedIn:
    """A new token and how many seconds it lives."""

    token: str
    lifetime: int


def sign_in(engine: Engine, username: str, password: str, kind: TokenKind) -> SignedIn:
    """A new token of ``kind`` for the right password; ``AuthenticationError`` or
    ``LockedError`` otherwise.

    The password is checked outside any write transaction; the attempt is then
    counted in a short one, committed even when it failed (the count is the point).
    """
    failure: AuthenticationError | LockedError | None = None
    try:
        with reading(engine) as session:
            matched = users.password_matches(session, username, password)
        with transaction(engine) as session:
            try:
                principal = users.settle_sign_in(session, username, password, matched)
            except (AuthenticationError, LockedError) as error:
                failure = error
            else:
                token, lifetime = users.issue_token(session, principal, kind=kind)
    except LockedError as error:
        failure = error
    if failure is not None:
        raise failure
    return SignedIn(token, lifetime)


def principal_of(session: Session, token: str, kind: TokenKind) -> Principal | None:
    """The user a live token of ``kind`` belongs to, or ``None``."""
    return users.principal_for(session, token, kind)


def sign_out(engine: Engine, token: str) -> None:
    """Revoke ``token`` (an API token or a session's)."""
    with transaction(engine) as session:
        users.revoke_token(session, token)
