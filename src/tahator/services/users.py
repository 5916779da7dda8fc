"""Users, passwords and access tokens: who may sign in, as what, for how long.

Passwords are hashed with Argon2id and must be hard to guess (length, and zxcvbn's
estimate, which knows the common passwords).  Repeated failures slow sign-ins down per
username and client address, and many from everywhere lock the user for a while,
revoking its tokens (``throttle``); tokens are random, stored only as SHA-256 hashes,
expire, and can be revoked.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tahator.domain.corridor import COUNTRY_NAMES
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.identifiers import identifier_problem, normalize_identifier
from tahator.domain.roles import Role
from tahator.i18n import DEFAULT_ZONE, LANGUAGES, ZONES, Reader
from tahator.services import audit, throttle
from tahator.services.common import now
from tahator.store.schema import AccessToken, Firm, User

ROLES = tuple(Role)
MIN_PASSWORD_LENGTH = 12
MAX_USERNAME = 80
"""So that ``ROLE:USERNAME`` fits the 100 characters of every actor column."""
TOKEN_LIFETIME = timedelta(hours=1)
SESSION_LIFETIME = timedelta(hours=8)
MIN_GUESSES_SCORE = 3
"""zxcvbn's score a password needs (0-4; 3: "safely unguessable", about 10^8 guesses):
zxcvbn (Dropbox's estimator) ranks a password against the 30,000 most common ones,
English words, names and keyboard, date and repeated patterns; it runs offline."""
CHECKED_LENGTH = 72
"""zxcvbn's longest input; a longer password is judged by its first 72 characters."""
TOO_MANY = "too many failed sign-ins"
GUESSABLE = (
    "tahator",
    "demo",
    "clearing",
    "barter",
    *(word.lower() for word in COUNTRY_NAMES.values()),
    *(code.lower() for code in COUNTRY_NAMES),
)
"""Words an attacker of this site tries first, given to zxcvbn as ``user_inputs`` with
the user's own name: the site's name, the demo password's words
(``tahator-demo-2025``), the corridor's countries by name and code."""

_log = logging.getLogger("tahator.security")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown users so that timing reveals
    nobody; made on first use (a fifth of a second), not by every process that
    imports this module."""
    return _hasher.hash("a password nobody has, for timing")


class AuthenticationError(TahatorError):
    """Wrong username or password (deliberately not saying which)."""


class LockedError(TahatorError):
    """Too many failed sign-ins: wait ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, with the one firm a trader acts for."""

    user_id: int
    username: str
    role: Role
    firm: str | None
    reader: Reader | None = None
    """The user's saved language, zone and rial choice; ``None`` until one is saved."""

    @property
    def actor(self) -> str:
        """How the audit log and every ``created_by`` name this user."""
        return f"{self.role}:{self.username}"


def _principal(user: User) -> Principal:
    reader = None
    if user.language or user.time_zone or user.toman:
        reader = Reader(user.language or LANGUAGES[0], user.time_zone or DEFAULT_ZONE, user.toman)
    return Principal(user.id, user.username, Role(user.role), user.firm_id, reader)


def home_zone(session: Session, principal: Principal) -> str:
    """The zone ``principal`` sees times in: the saved one, else its firm's country's
    (Iran's for an Iranian firm), else Pakistan's, where the corridor's dates are."""
    if principal.reader is not None:
        return principal.reader.zone
    country = session.scalar(select(Firm.country).where(Firm.id == principal.firm))
    return "Asia/Tehran" if country == "IR" else DEFAULT_ZONE


def save_reader(session: Session, principal: Principal, reader: Reader) -> Reader:
    """Save ``principal``'s language, time zone and rial choice (audited); refuses a
    language or zone Tahator does not offer."""
    problems = []
    if reader.language not in LANGUAGES:
        problems.append(Problem(f"one of {', '.join(LANGUAGES)}", field="language"))
    if reader.zone not in ZONES:
        problems.append(Problem(f"one of {', '.join(ZONES)}", field="zone"))
    if problems:
        raise InputError(problems)
    user = session.get(User, principal.user_id)
    if user is None:
        raise TahatorError("the user no longer exists")
    before = {"language": user.language, "zone": user.time_zone, "toman": user.toman}
    user.language, user.time_zone, user.toman = reader.language, reader.zone, reader.toman
    after = {"language": reader.language, "zone": reader.zone, "toman": reader.toman}
    if before != after:
        audit.record(
            session, principal.actor, "user.preferences", f"user:{user.username}", before, after
        )
    return reader


@dataclass(frozen=True)
class UserView:
    """A user as an operator sees it (never its password hash)."""

    id: int
    username: str
    role: str
    firm: str | None
    disabled: bool
    locked_until: datetime | None


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    actor: str,
    firm: str | None = None,
    *,
    demo: bool = False,
) -> UserView:
    """Register a user; every rule broken is named, nothing stored.

    A username is an identifier (``domain.identifiers``), stored NFKC-normalized.
    ``demo``: a demonstration's user, whose password is the published demo one (only
    ``tahator demo`` passes it: anyone else choosing that password is refused)."""
    problems: list[Problem] = []
    username = normalize_identifier(username)
    wrong_username = identifier_problem(username, MAX_USERNAME)
    if wrong_username is not None:
        problems.append(Problem(wrong_username, field="username"))
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(Problem(f"{username!r} is taken", field="username"))
    if role not in ROLES:
        problems.append(Problem(f"must be one of {', '.join(ROLES)}", field="role"))
    if role == "trader":
        if not firm:
            problems.append(Problem("a trader acts for one firm: give --firm", field="firm"))
        elif session.get(Firm, firm) is None:
            problems.append(Problem(f"no firm {firm!r}", field="firm"))
    elif firm:
        problems.append(Problem("only a trader is bound to a firm", field="firm"))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            Problem(
                f"at least {MIN_PASSWORD_LENGTH} characters, got {len(password)}", field="password"
            )
        )
    elif not demo:
        weakness = password_weakness(password, [username, role, firm or "", *GUESSABLE])
        if weakness:
            problems.append(Problem(weakness, field="password"))
    if problems:
        raise InputError(problems)
    user = User(
        username=username,
        role=role,
        firm_id=firm if role == "trader" else None,
        password_hash=_hasher.hash(password),
        disabled=False,
        created_at=now(),
        created_by=actor,
    )
    session.add(user)
    session.flush()
    view = user_view(user)
    audit.record(session, actor, "user.create", f"user:{username}", None, view)
    return view


def password_weakness(password: str, context: list[str]) -> str | None:
    """Why ``password`` is too easy to guess (a common password, a word, a pattern, the
    user's own name), or ``None``."""
    from zxcvbn import zxcvbn  # here: its dictionaries take 50 ms to load, for every command

    words = [c for c in context if c]
    checked = password[:CHECKED_LENGTH]
    result = zxcvbn(checked, user_inputs=words)
    if int(result["score"]) >= MIN_GUESSES_SCORE:
        # zxcvbn prices a known word cheaply but what surrounds it as random: the rest,
        # once the known words are gone, must be hard to guess on its own
        # (``Tahator12345!`` leaves ``12345!``).
        rest = checked
        for word in sorted(words, key=len, reverse=True):
            if len(word) >= 4:
                rest = re.sub(re.escape(word), "", rest, flags=re.IGNORECASE)
        if rest == checked or int(zxcvbn(rest or "a", user_inputs=words)["score"]) >= (
            MIN_GUESSES_SCORE
        ):
            return None
        result = {"feedback": {"warning": "it is made of this site's or your own names"}}
    feedback = result.get("feedback") or {}
    hint = str(feedback.get("warning") or "").rstrip(".")
    return (
        "too easy to guess"
        + (f" ({hint.lower()})" if hint else "")
        + (": use several uncommon words, or let a password manager make one")
    )


def user_view(user: User, locked_until: datetime | None = None) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        role=user.role,
        firm=user.firm_id,
        disabled=user.disabled,
        locked_until=locked_until,
    )


def list_users(session: Session) -> list[UserView]:
    found = list(session.scalars(select(User).order_by(User.id)))
    waits = throttle.waits_of(session, [u.username for u in found], now())
    return [user_view(u, waits.get(u.username)) for u in found]


def _too_many(seconds: int) -> LockedError:
    return LockedError(f"{TOO_MANY}; try again in {seconds} s", seconds)


def password_matches(session: Session, username: str, password: str, address: str) -> bool:
    """Whether ``password`` is the user's; ``LockedError`` while the username or the
    client ``address`` must wait (``throttle``: the same for unknown usernames).

    Run it in a read-only session: the Argon2 check takes a fifth of a second on
    purpose, and must not hold the database's write lock meanwhile.  An unknown
    user costs the same time as a known one, so timing reveals nobody.
    """
    wait = throttle.waiting(session, username, address, now())
    if wait is not None:
        raise _too_many(wait)
    user = session.scalar(select(User).where(User.username == username))
    dummy = _dummy_hash()
    stored = user.password_hash if user is not None and not user.disabled else dummy
    try:
        return _hasher.verify(stored, password) and stored is not dummy
    except (VerificationError, InvalidHashError):
        return False


def settle_sign_in(
    session: Session, username: str, password: str, matched: bool, address: str
) -> Principal:
    """Count the attempt ``password_matches`` judged: the user, or
    ``AuthenticationError`` / ``LockedError``.

    A failure is counted before it is raised: the caller commits this session
    even then (the count is the point).  The lock (``throttle.LOCK_AFTER`` failures from
    all addresses) revokes the user's tokens issued before it (whoever holds one may be
    the guesser), is audited and logged as a warning for the operator.
    """
    at = now()
    wait = throttle.waiting(session, username, address, at)
    if wait is not None:
        # Another attempt failed while this one was being checked.
        raise _too_many(wait)
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None or user.disabled or not matched:
        if throttle.count_failure(session, username, address, at) and user is not None:
            revoked = session.execute(
                update(AccessToken)
                .where(
                    AccessToken.user_id == user.id,
                    AccessToken.revoked_at.is_(None),
                    AccessToken.created_at <= at,
                )
                .values(revoked_at=at)
            )
            audit.record(
                session,
                f"system:{username}",
                "user.lock",
                f"user:{username}",
                None,
                {
                    "failed_logins": throttle.LOCK_AFTER,
                    "locked_until": at + throttle.LOCK_WAIT,
                    "tokens_revoked": int(revoked.rowcount),  # type: ignore[attr-defined]
                },
            )
            _log.warning(
                "user %r locked until %s after %d failed sign-ins within %s; tokens revoked",
                username,
                (at + throttle.LOCK_WAIT).isoformat(timespec="seconds"),
                throttle.LOCK_AFTER,
                throttle.FORGET_AFTER,
            )
        raise AuthenticationError("wrong username or password")
    throttle.clear_success(session, username, address)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return _principal(user)


def authenticate(
    session: Session, username: str, password: str, address: str = "local"
) -> Principal:
    """Both steps in one session, for scripts and tests that hold no lock worth sparing."""
    matched = password_matches(session, username, password, address)
    return settle_sign_in(session, username, password, matched, address)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, principal: Principal, *, kind: str = "api", lifetime: timedelta | None = None
) -> tuple[str, int]:
    """A new random token for ``principal`` and its lifetime in seconds."""
    lifetime = lifetime or (SESSION_LIFETIME if kind == "session" else TOKEN_LIFETIME)
    token = secrets.token_urlsafe(32)
    at = now()
    session.add(
        AccessToken(
            token_hash=_digest(token),
            user_id=principal.user_id,
            kind=kind,
            created_at=at,
            expires_at=at + lifetime,
        )
    )
    return token, int(lifetime.total_seconds())


def principal_for(session: Session, token: str, kind: str = "api") -> Principal | None:
    """The user a live token of ``kind`` belongs to, or ``None``."""
    row = session.execute(
        select(User, AccessToken.expires_at, AccessToken.revoked_at)
        .join(AccessToken, AccessToken.user_id == User.id)
        .where(AccessToken.token_hash == _digest(token), AccessToken.kind == kind)
    ).first()
    if row is None:
        return None
    user, expires_at, revoked_at = row
    if revoked_at is not None or expires_at <= now() or user.disabled:
        return None
    return _principal(user)


def revoke_token(session: Session, token: str) -> bool:
    """Revoke one token; whether it was live."""
    result = session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == _digest(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(session: Session, username: str, actor: str) -> int:
    """Revoke every live token of a user (a stolen laptop, a leaver); how many."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError([Problem(f"no user {username!r}", field="username")])
    result = session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    audit.record(session, actor, "user.revoke_tokens", f"user:{username}", None, {"revoked": count})
    return count


def unlock(session: Session, username: str, actor: str) -> UserView:
    """Clear a user's failed sign-ins and lock (its client addresses' counts stay)."""
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        raise InputError([Problem(f"no user {username!r}", field="username")])
    before = user_view(user, throttle.waits_of(session, [username], now()).get(username))
    throttle.clear_user(session, username)
    audit.record(session, actor, "user.unlock", f"user:{username}", before, user_view(user))
    return user_view(user)
