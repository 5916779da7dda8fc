"""Failed sign-ins slow down whoever makes them, without keeping the owner out for long.

Three counts, each forgotten ``FORGET_AFTER`` = 1 h after its last failure:

- a username from one client address (the pair): ``PAIR_FREE`` = 3 failures free, then
  each failure makes that address's next attempt at that username wait 2, 4, 8 … s, at
  most ``MAX_WAIT`` = 5 min.  Only the guesser's own address waits: the owner, signing
  in from elsewhere, does not;
- a client address, whatever the usernames (many names tried from one place; an office
  shares one address): ``ADDRESS_FREE`` = 20 failures free, then 2, 4, 8 … s up to
  ``MAX_WAIT``.  Behind a reverse proxy, run ``serve --proxy-headers``: otherwise every
  client has the proxy's address (``serve`` warns when it sees ``X-Forwarded-For``);
- a username from all addresses (a guesser with many addresses): ``LOCK_AFTER`` = 50
  failures within the hour lock the user for ``LOCK_WAIT`` = 15 min, everywhere.  The lock
  revokes the user's tokens issued before it, is audited (``user.lock``), logged as a
  warning, and shown by ``users list``; the count starts again from zero, so each new
  lock takes another 50 failures, which at most 3 free and then doubling waits per
  address need many addresses to make.

An attempt while waiting is refused unchecked and not counted (it does not lengthen the
wait); a right password clears its pair's and its username's counts, never the
address's (an attacker's own account would clear it); ``users unlock`` clears a
username's counts from every address.

A username is counted whether or not anyone has it, so the answers (401, then 429 with
``Retry-After``) are the same for known and unknown users; only the side effects of a
lock (revoked tokens, the audit record) are the known user's, and nobody signing in sees
them.  Keys are hashes: no typed name or address is stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from tahator.store.schema import SignInFailures

PAIR_FREE = 3
ADDRESS_FREE = 20
LOCK_AFTER = 50
MAX_WAIT = timedelta(minutes=5)
LOCK_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def user_key(username: str) -> str:
    """The username's count from all addresses."""
    return _hash(f"user:{username}")


def address_key(address: str) -> str:
    return _hash(f"address:{address}")


def _pair_prefix(username: str) -> str:
    return "p" + _hash(f"pair:{username}")[:31]


def pair_key(username: str, address: str) -> str:
    """The username's count from one address: 64 characters whose first 32 name the
    username, so that an unlock finds them all."""
    return _pair_prefix(username) + _hash(f"pair-address:{address}")[:32]


def wait_after(failures: int, free: int) -> timedelta:
    """How long the next attempt waits after ``failures`` (``free`` of them free): 2, 4,
    8 … s, at most ``MAX_WAIT``."""
    if failures <= free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_WAIT)


def retry_after(until: datetime, at: datetime) -> int:
    """Whole seconds from ``at`` to ``until``, at least 1."""
    return max(1, int((until - at).total_seconds() + 0.999))


def waiting(session: Session, username: str, address: str, at: datetime) -> int | None:
    """Seconds the attempt must still wait (the longest of its pair's, its address's and
    its username's lock), or ``None``."""
    keys = (pair_key(username, address), address_key(address), user_key(username))
    untils = [
        until
        for until in session.scalars(
            select(SignInFailures.wait_until).where(
                SignInFailures.key.in_(keys), SignInFailures.wait_until > at
            )
        )
        if until is not None
    ]
    return retry_after(max(untils), at) if untils else None


def _row(session: Session, key: str, at: datetime) -> SignInFailures:
    """The key's row, created if missing (by a concurrent attempt too), locked."""
    values = {"key": key, "failures": 0, "last_failed_at": at, "wait_until": None}
    # The dialect's own INSERT, imported here: every CLI command loads this module, and
    # the PostgreSQL dialect alone takes 25 ms to import.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        session.execute(postgresql_insert(SignInFailures).values(values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(SignInFailures).values(values).on_conflict_do_nothing())
    row = session.scalar(select(SignInFailures).where(SignInFailures.key == key).with_for_update())
    assert row is not None
    return row


def _count(session: Session, key: str, at: datetime, free: int) -> SignInFailures:
    row = _row(session, key, at)
    row.failures += 1
    row.last_failed_at = at
    wait = wait_after(row.failures, free)
    row.wait_until = at + wait if wait else None
    return row


def count_failure(session: Session, username: str, address: str, at: datetime) -> bool:
    """Count a failed attempt against the pair, the address and the username; whether
    the username's lock began with it (its ``LOCK_AFTER``-th failure within the hour)."""
    session.execute(delete(SignInFailures).where(SignInFailures.last_failed_at < at - FORGET_AFTER))
    _count(session, address_key(address), at, ADDRESS_FREE)
    _count(session, pair_key(username, address), at, PAIR_FREE)
    user_row = _row(session, user_key(username), at)
    user_row.failures += 1
    user_row.last_failed_at = at
    if user_row.failures < LOCK_AFTER:
        return False
    user_row.failures = 0
    user_row.wait_until = at + LOCK_WAIT
    return True


def clear_success(session: Session, username: str, address: str) -> None:
    """Forget the pair's and the username's failures after a right password (the
    address's count stays)."""
    session.execute(
        delete(SignInFailures).where(
            SignInFailures.key.in_((pair_key(username, address), user_key(username)))
        )
    )


def _of_user(username: str) -> ColumnElement[bool]:
    return or_(
        SignInFailures.key == user_key(username),
        SignInFailures.key.startswith(_pair_prefix(username)),
    )


def clear_user(session: Session, username: str) -> None:
    """Forget a username's failures from every address (an operator's unlock)."""
    session.execute(delete(SignInFailures).where(_of_user(username)))


def waits_of(session: Session, usernames: list[str], at: datetime) -> dict[str, datetime]:
    """Until when each of ``usernames`` that must wait waits: its lock, or the longest
    wait of any address trying it."""
    found: dict[str, datetime] = {}
    for name in usernames:
        untils = [
            until
            for until in session.scalars(
                select(SignInFailures.wait_until).where(
                    _of_user(name),
                    SignInFailures.wait_until > at,
                )
            )
            if until is not None
        ]
        if untils:
            found[name] = max(untils)
    return found
