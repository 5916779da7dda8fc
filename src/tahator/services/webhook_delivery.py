"""Sending the outbox: the worker claims due deliveries in a short transaction (rows
locked with ``SKIP LOCKED`` on PostgreSQL, their next attempt pushed forward as a
lease so no other worker takes them), POSTs each outside any transaction, then
records how it went: delivered on 2xx, else retried with backoff until given up."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator import logs
from tahator.domain.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    DeliveryStatus,
    address_problem,
    next_attempt,
    sign,
    url_problem,
)
from tahator.services.webhook_outbox import private_allowed
from tahator.store.schema import Webhook, WebhookDelivery

TIMEOUT = 5.0
"""Seconds a receiver has to answer."""
LEASE = timedelta(minutes=2)
"""How long a claimed delivery is another worker's to leave alone (longer than a POST)."""
BATCH = 50
MAX_ERROR = 200

Factory = Callable[[], AbstractContextManager[Session]]
"""A unit of work: ``functools.partial(store.database.transaction, engine)``."""


@dataclass(frozen=True)
class DeliveryTally:
    """What one pass of ``deliver_due`` did."""

    delivered: int
    retried: int
    failed: int


def host_problem(url: str, allow_private: bool) -> str | None:
    """What is wrong with ``url`` as a webhook's, its host resolved (``None``: nothing):
    ``url_problem``, then every address the host resolves to must be allowed."""
    problem = url_problem(url, allow_private)
    if problem is not None or allow_private:
        return problem
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"the URL's host {host} does not resolve"
    for info in infos:
        problem = address_problem(str(info[4][0]), allow_private)
        if problem is not None:
            return problem
    return None


@dataclass(frozen=True)
class _Claimed:
    id: int
    url: str
    secret: str
    event: str
    event_id: str
    body: str
    attempts: int


def _claim(factory: Factory, at: datetime) -> list[_Claimed]:
    """Take up to ``BATCH`` due deliveries of active webhooks, leased to this worker."""
    with factory() as session:
        query = (
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
                WebhookDelivery.next_attempt_at <= at,
                Webhook.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        claimed = []
        for delivery, hook in session.execute(query).all():
            delivery.next_attempt_at = at + LEASE
            claimed.append(
                _Claimed(
                    delivery.id,
                    hook.url,
                    hook.secret,
                    delivery.event,
                    delivery.event_id,
                    delivery.body,
                    delivery.attempts,
                )
            )
        return claimed


def _post(client: httpx.Client, claimed: _Claimed) -> tuple[int | None, str | None]:
    """POST one delivery; its status and an error, the body not kept."""
    problem = host_problem(claimed.url, private_allowed())
    if problem is not None:  # checked again: the host may resolve elsewhere now
        return None, problem
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(claimed.secret, int(time.time()), claimed.body),
        EVENT_HEADER: claimed.event,
        DELIVERY_HEADER: claimed.event_id,
        "User-Agent": "Tahator-Webhooks/1",
    }
    try:
        response = client.post(claimed.url, content=claimed.body.encode(), headers=headers)
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:MAX_ERROR]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def deliver_due(factory: Factory, at: datetime) -> DeliveryTally:
    """Send every delivery due at ``at``; each result recorded in its own transaction."""
    claimed = _claim(factory, at)
    delivered = retried = failed = 0
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
        for item in claimed:
            status, error = _post(client, item)
            attempts = item.attempts + 1
            with factory() as session:
                delivery = session.get(WebhookDelivery, item.id)
                if delivery is None:
                    continue
                delivery.attempts = attempts
                delivery.last_attempt_at = at
                delivery.last_status = status
                delivery.last_error = error
                if error is None:
                    delivery.status = DeliveryStatus.DELIVERED.value
                    delivery.delivered_at = at
                    delivery.next_attempt_at = None
                    delivered += 1
                else:
                    retry = next_attempt(attempts, at)
                    delivery.next_attempt_at = retry
                    if retry is None:
                        delivery.status = DeliveryStatus.FAILED.value
                        failed += 1
                    else:
                        retried += 1
            logs.line(
                "webhook",
                delivery=item.id,
                event=item.event,
                event_id=item.event_id,
                status=status,
                attempt=attempts,
                error=error,
            )
    return DeliveryTally(delivered, retried, failed)


__all__ = ["BATCH", "LEASE", "TIMEOUT", "DeliveryTally", "Factory", "deliver_due", "host_problem"]
