"""Webhooks without I/O: the event types, the signature receivers verify, the retry
schedule and what a subscriber's URL may be.

A delivery carries ``Tahator-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256 of ``f"{t}.{body}"`` under the subscriber's secret: the timestamp is
signed with the body, so a captured delivery cannot be replayed outside the
tolerance window (``verify``).  Resolving a URL's host is the service's (I/O); which
addresses are refused is decided here (``address_problem``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from tahator.domain.retry import backoff


class EventType(StrEnum):
    """What a subscriber may be told of."""

    RUN_COMPLETED = "run.completed"
    INSTRUCTION_ISSUED = "instruction.issued"
    AUTHORIZATION_DEADLINE = "authorization.deadline"
    AUTHORIZATION_CANCELLED = "authorization.cancelled"
    RING_PROPOSED = "ring.proposed"


EVENT_TYPES = tuple(e.value for e in EventType)
BANK_EVENTS = (EventType.RUN_COMPLETED.value,)
"""What a bank (a clearing account's) webhook is told: a run's instructions of its country."""
REMINDER_DAYS = (14, 7, 1)
"""Days before an authorization's deadline its parties are reminded."""

SIGNATURE_HEADER = "Tahator-Signature"
EVENT_HEADER = "Tahator-Event"
DELIVERY_HEADER = "Tahator-Delivery"
TOLERANCE = 300
"""Seconds a receiver accepts a signature's timestamp off its own clock."""

MAX_ATTEMPTS = 8
"""Attempts before a delivery is given up (status ``failed``)."""
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
MAX_URL = 2000
ROTATION_OVERLAP = timedelta(hours=24)
"""How long a rotated-out secret still signs deliveries (as a second ``v1``)."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def signature(secret: str, timestamp: int, body: str) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    message = f"{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: str, previous: str | None = None) -> str:
    """The ``Tahator-Signature`` header's value for ``body`` sent at ``timestamp``; after
    a rotation, a second ``v1`` under the ``previous`` secret (receivers accept either)."""
    header = f"t={timestamp},v1={signature(secret, timestamp, body)}"
    if previous is not None:
        header += f",v1={signature(previous, timestamp, body)}"
    return header


def verify(secret: str, header: str, body: str, now: int, tolerance: int = TOLERANCE) -> bool:
    """Whether ``header`` (a ``Tahator-Signature`` value) signs ``body`` under ``secret``
    with a timestamp within ``tolerance`` seconds of ``now`` (unix seconds).  For
    receivers: compare in constant time, and refuse old timestamps (replays)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    # Every candidate compared, in constant time each: a rotated secret may send two.
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


def next_attempt(attempts: int, at: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts ending at ``at``: 1 minute,
    then twice as long each time up to 6 hours; ``None`` once ``MAX_ATTEMPTS`` failed."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return at + backoff(attempts, FIRST_RETRY, LONGEST_RETRY)


def url_problem(url: str, allow_private: bool) -> str | None:
    """What is wrong with ``url`` as a webhook's (``None``: nothing): http(s) only
    (https unless ``allow_private``), no user or password in it, a host, not too long;
    a literal IP address is checked as ``address_problem`` does."""
    if len(url) > MAX_URL:
        return f"a URL of at most {MAX_URL} characters"
    if not url.isascii() or not url.isprintable() or " " in url:
        return "the URL must be printable ASCII without spaces"
    try:
        parts = urlsplit(url)
        if parts.port == 0:  # reading the port also refuses one out of range (ValueError)
            return "the URL's port must be 1 to 65535"
    except ValueError:
        return "not a URL"
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        return "the URL must be https" if not allow_private else "the URL must be http or https"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "the URL may not hold a user name or password"
    if not parts.hostname:
        return "the URL has no host"
    if parts.fragment:
        return "the URL may not have a fragment"
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    return address_problem(str(literal), allow_private)


MASK = "***"


def masked_url(url: str) -> str:
    """``url`` as shown and audited: each query value hidden (``?token=***``), since
    receivers often put a token there; the scheme, host, path and names stay."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    names = [pair.partition("=")[0] for pair in parts.query.split("&")]
    query = "&".join(f"{name}={MASK}" if name else MASK for name in names)
    return parts._replace(query=query).geturl()


def address_problem(address: str, allow_private: bool) -> str | None:
    """Why the worker may not POST to ``address`` (``None``: it may): loopback, private,
    link-local, multicast, reserved or unspecified addresses are the clearing house's
    own network (SSRF) unless ``allow_private``."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return f"{address} is not an address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private:
        return None
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return f"the URL's host resolves to {ip}, an address not on the public internet"
    return None


__all__ = [
    "BANK_EVENTS",
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "EVENT_TYPES",
    "MAX_ATTEMPTS",
    "REMINDER_DAYS",
    "ROTATION_OVERLAP",
    "SIGNATURE_HEADER",
    "TOLERANCE",
    "DeliveryStatus",
    "EventType",
    "address_problem",
    "masked_url",
    "next_attempt",
    "sign",
    "signature",
    "url_problem",
    "verify",
]
