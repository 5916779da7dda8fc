"""Signing in and sessions, shared by the API and the web UI (which never import each
other): the application's database and policy, passwords exchanged for tokens, the
session cookie, and who a token belongs to.

A token of kind ``api`` is sent as a bearer token; one of kind ``session`` lives in
the web UI's HTTP-only cookie.  The API accepts the cookie too, so pages' scripts can
call it, but a write so signed in must prove it came from this site (``cross_site``):
the cookie rides along with any form another site makes a browser post.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Literal

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tahator.domain.identifiers import normalize_identifier
from tahator.domain.policy import Policy
from tahator.i18n import DEFAULT_ZONE, Reader
from tahator.services import users
from tahator.services.common import business_today
from tahator.services.users import AuthenticationError, LockedError, Principal
from tahator.store.database import reading, transaction

SESSION_COOKIE = "tahator_session"
CSRF_HEADER = "X-CSRF-Token"
"""Where a script of this site's pages puts the session's CSRF token (``csrf_token``),
which base.html carries in ``<meta name="csrf-token">``."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TokenKind = Literal["api", "session"]

__all__ = [
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "AuthenticationError",
    "LockedError",
    "SignedIn",
    "TokenKind",
    "client_address",
    "cross_site",
    "csrf_matches",
    "csrf_token",
    "engine_of",
    "foreign_origin",
    "own_origin",
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
    """The policy the application runs under (the shipped one unless configured).

    ``create_app`` refused to start with an invalid one; should the file be edited into
    an invalid one while serving, that is the server's fault (a 500, logged with the
    reason), never the client's 422 naming the server's settings."""
    from tahator.domain.errors import InputError
    from tahator.io.policy import load_policy

    try:
        return load_policy(request.app.state.policy_path)
    except InputError as error:
        raise PolicyBrokenError(str(error)) from error


class PolicyBrokenError(RuntimeError):
    """The server's policy file became invalid while it served."""


def csrf_token(key: str, purpose: str = "session") -> str:
    """A token bound to a secret the browser holds in an HTTP-only cookie (the session's
    token, or the sign-in form's key): a forged cross-site form cannot know it."""
    return hmac.new(key.encode(), f"tahator-csrf:{purpose}".encode(), hashlib.sha256).hexdigest()


def own_origin(request: Request) -> str:
    """This site's origin as a browser names it: the scheme (``https`` behind a TLS proxy
    whose ``X-Forwarded-Proto`` is trusted, see ``serve --proxy-headers``) and the host
    the browser asked for."""
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}"


def cross_site(request: Request, session_token: str) -> str | None:
    """Why a write signed in by the session cookie is refused, or ``None`` when it came
    from this site's own pages.

    Both must hold: the request is same-origin (its ``Origin`` is this site's; without
    an ``Origin``, ``Sec-Fetch-Site: same-origin``; neither means refused: browsers send
    at least one, and a script that sends neither holds a bearer token instead), and it
    carries the session's CSRF token in ``X-CSRF-Token``, which no other site can read.
    ``Sec-Fetch-Site: none`` (typed into the address bar) is refused too: no page of
    this site makes an API write that way.
    """
    refused = foreign_origin(request)
    if refused is not None:
        return refused
    if not csrf_matches(session_token, request.headers.get(CSRF_HEADER)):
        return f"the {CSRF_HEADER} header does not carry this session's token"
    return None


def foreign_origin(request: Request) -> str | None:
    """Why ``request`` is not same-origin, or ``None`` when it is: its ``Origin`` is this
    site's, or it names none (or ``null``) and says ``Sec-Fetch-Site: same-origin``.
    Every cookie-signed write asks this (API writes and every web form, the sign-in
    form too): cookies are shared across a host's ports, so a token alone does not
    prove the form is this site's.

    ``Origin: null`` is what a browser sends with a form this site's own pages post,
    their ``Referrer-Policy`` being ``no-referrer``; the browser's ``Sec-Fetch-Site``,
    which no page can set, then tells this site's forms (``same-origin``) from another
    port's (``same-site``) or a sandboxed frame's (``cross-site``)."""
    origin = request.headers.get("origin")
    if origin == own_origin(request):
        return None
    if origin not in (None, "null"):
        return f"the request came from {origin!r}, not from this site"
    if request.headers.get("sec-fetch-site") != "same-origin":
        return "the request names no Origin of this site"
    return None


def csrf_matches(key: str, given: object, purpose: str = "session") -> bool:
    """Whether ``given`` is ``key``'s CSRF token, compared in constant time (as bytes:
    ``compare_digest`` refuses a string with non-ASCII characters, which anyone can send)."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(csrf_token(key, purpose).encode(), given.encode())


@dataclass(frozen=True)
class SignedIn:
    """A new token and how many seconds it lives."""

    token: str
    lifetime: int
    reader: Reader | None = None
    """The user's saved language, zone and rial choice, if any (the web sets cookies)."""
    zone: str = DEFAULT_ZONE
    """The zone the user sees times in: the saved one, else the firm's country's."""


def client_address(request: Request) -> str:
    """The address sign-ins are throttled by: the peer's, or the one a trusted proxy
    names (``serve --proxy-headers``)."""
    return request.client.host if request.client else "unknown"


def sign_in(
    engine: Engine, username: str, password: str, kind: TokenKind, address: str
) -> SignedIn:
    """A new token of ``kind`` for the right password; ``AuthenticationError`` or
    ``LockedError`` otherwise, alike for known and unknown usernames.

    The password is checked outside any write transaction; the attempt is then
    counted in a short one, committed even when it failed (the count is the point).
    Failures are throttled per username and per client ``address`` (``throttle``).
    The username is NFKC-normalized first, as it was when the user was created.
    """
    username = normalize_identifier(username)
    failure: AuthenticationError | LockedError | None = None
    try:
        with reading(engine) as session:
            matched = users.password_matches(session, username, password, address)
        with transaction(engine) as session:
            try:
                principal = users.settle_sign_in(session, username, password, matched, address)
            except (AuthenticationError, LockedError) as error:
                failure = error
            else:
                token, lifetime = users.issue_token(session, principal, kind=kind)
                zone = users.home_zone(session, principal)
    except LockedError as error:
        failure = error
    if failure is not None:
        raise failure
    return SignedIn(token, lifetime, principal.reader, zone)


def principal_of(session: Session, token: str, kind: TokenKind) -> Principal | None:
    """The user a live token of ``kind`` belongs to, or ``None``."""
    return users.principal_for(session, token, kind)


def sign_out(engine: Engine, token: str) -> None:
    """Revoke ``token`` (an API token or a session's)."""
    with transaction(engine) as session:
        users.revoke_token(session, token)
