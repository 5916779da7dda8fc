"""Failed sign-ins slow down whoever makes them: per username and per client address.

A username is counted whether or not anyone has it, so the answers (401, then 429 with
``Retry-After``) are the same for known and unknown users; only the side effects of a
lock (revoking the user's tokens, an audit record) are the known user's, and nobody
signing in sees them.

The numbers (a username's owner is kept out at most ``MAX_WAIT``, never 15 minutes):

- a username: ``USER_FREE`` = 3 failures free; then each failure makes the next attempt
  wait 2, 4, 8, 16, 32, 64 s; from ``LOCK_AFTER`` = 10 failures, ``MAX_WAIT`` = 5 min
  each (the lock: the user's tokens issued before it are revoked);
- a client address (many usernames tried from one place; an office shares one):
  ``ADDRESS_FREE`` = 20 failures free, then 2, 4, 8 … s up to ``MAX_WAIT``;
- an attempt while waiting is refused unchecked and not counted (it does not lengthen
  the wait); a right password clears its username's count, never the address's (an
  attacker's own account would clear it); counts are forgotten ``FORGET_AFTER`` = 1 h
  after their last failure.

So one address tries a username at most about 12 times an hour once locked, and tries
at most about 32 passwords an hour across usernames.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tahator.store.schema import SignInFailures

USER_FREE = 3
LOCK_AFTER = 10
ADDRESS_FREE = 20
MAX_WAIT = timedelta(minutes=5)
FORGET_AFTER = timedelta(hours=1)


def user_key(username: str) -> str:
    return hashlib.sha256(f"user:{username}".encode()).hexdigest()


def address_key(address: str) -> str:
    return hashlib.sha256(f"address:{address}".encode()).hexdigest()


def wait_after(failures: int, free: int, lock_after: int | None = None) -> timedelta:
    """How long the next attempt waits after ``failures`` (``free`` of them free; from
    ``lock_after`` on, ``MAX_WAIT``)."""
    if failures <= free:
        return timedelta(0)
    if lock_after is not None and failures >= lock_after:
        return MAX_WAIT
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_WAIT)


def retry_after(until: datetime, at: datetime) -> int:
    """Whole seconds from ``at`` to ``until``, at least 1."""
    return max(1, int((until - at).total_seconds() + 0.999))


def waiting(session: Session, username: str, address: str, at: datetime) -> int | None:
    """Seconds the attempt must still wait (the longer of the username's and the
    address's), or ``None``."""
    untils = [
        until
        for until in session.scalars(
            select(SignInFailures.wait_until).where(
                SignInFailures.key.in_((user_key(username), address_key(address))),
                SignInFailures.wait_until > at,
            )
        )
        if until is not None
    ]
    return retry_after(max(untils), at) if untils else None


def _row(session: Session, key: str, at: datetime) -> SignInFailures:
    """The key's row, created if missing (by a concurrent attempt too), locked."""
    values = {"key": key, "failures": 0, "last_failed_at": at, "wait_until": None}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql_insert(SignInFailures).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(SignInFailures).values(values).on_conflict_do_nothing())
    row = session.scalar(select(SignInFailures).where(SignInFailures.key == key).with_for_update())
    assert row is not None
    return row


def count_failure(session: Session, username: str, address: str, at: datetime) -> bool:
    """Count a failed attempt against the username and the address; whether the
    username's lock began with it (its ``LOCK_AFTER``-th failure)."""
    session.execute(delete(SignInFailures).where(SignInFailures.last_failed_at < at - FORGET_AFTER))
    address_row = _row(session, address_key(address), at)
    address_row.failures += 1
    address_row.last_failed_at = at
    wait = wait_after(address_row.failures, ADDRESS_FREE)
    address_row.wait_until = at + wait if wait else None
    user_row = _row(session, user_key(username), at)
    user_row.failures += 1
    user_row.last_failed_at = at
    wait = wait_after(user_row.failures, USER_FREE, LOCK_AFTER)
    user_row.wait_until = at + wait if wait else None
    return user_row.failures == LOCK_AFTER


def clear_user(session: Session, username: str) -> None:
    """Forget a username's failures (a right password, or an operator's unlock)."""
    session.execute(delete(SignInFailures).where(SignInFailures.key == user_key(username)))


def waits_of(session: Session, usernames: list[str], at: datetime) -> dict[str, datetime]:
    """Until when each of ``usernames`` that must wait waits."""
    by_key = {user_key(name): name for name in usernames}
    rows = session.execute(
        select(SignInFailures.key, SignInFailures.wait_until).where(
            SignInFailures.key.in_(list(by_key)), SignInFailures.wait_until > at
        )
    ).all()
    return {by_key[key]: until for key, until in rows if until is not None}
