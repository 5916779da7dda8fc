"""Sending the outbox: the worker claims one due delivery at a time in a short
transaction (the row locked with ``SKIP LOCKED`` on PostgreSQL, its next attempt
pushed forward as a lease so no other worker takes it), POSTs it outside any
transaction to the address vetted for it (``webhook_transport``), then records how
it went: delivered on 2xx, else retried with backoff until given up."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from tahator import logs
from tahator.domain.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    DeliveryStatus,
    next_attempt,
    sign,
    url_problem,
)
from tahator.services.webhook_outbox import private_allowed
from tahator.services.webhook_transport import DEADLINE, pinned_client, resolve
from tahator.store.database import Factory
from tahator.store.schema import Webhook, WebhookDelivery

LEASE = timedelta(minutes=2)
"""How long a claimed delivery is another worker's to leave alone: far longer than
one POST may take (``webhook_transport.DEADLINE``)."""
BATCH = 50
"""Deliveries one pass sends at most (each claimed and leased on its own)."""
MAX_ERROR = 200

"""A unit of work: ``functools.partial(store.database.transaction, engine)``."""


@dataclass(frozen=True)
class DeliveryTally:
    """What one pass of ``deliver_due`` did."""

    delivered: int
    retried: int
    failed: int


def host_problem(url: str, allow_private: bool) -> str | None:
    """What is wrong with ``url`` as a webhook's, its host resolved (``None``: nothing):
    ``url_problem``, then every address the host resolves to must be allowed.  Checked
    at registration; the worker checks again, and dials the address it vetted."""
    if allow_private:
        return url_problem(url, allow_private)
    return resolve(url, allow_private)[1]


@dataclass(frozen=True)
class _Claimed:
    id: int
    url: str
    secret: str
    previous: str | None
    """The secret before a rotation, while it still signs (``ROTATION_OVERLAP``)."""
    event: str
    event_id: str
    body: str
    attempts: int


def _claim(factory: Factory, at: datetime) -> _Claimed | None:
    """Take the next due delivery of an active webhook, leased to this worker: one at a
    time, so a lease (``LEASE``) outlives the one POST (``DEADLINE``) it covers."""
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
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        row = session.execute(query).first()
        if row is None:
            return None
        delivery, hook = row
        delivery.next_attempt_at = at + LEASE
        overlap = hook.previous_until is not None and hook.previous_until > at
        return _Claimed(
            delivery.id,
            hook.url,
            hook.secret,
            hook.previous_secret if overlap else None,
            delivery.event,
            delivery.event_id,
            delivery.body,
            delivery.attempts,
        )


def _post(claimed: _Claimed) -> tuple[int | None, str | None]:
    """POST one delivery to the address its host resolves to now, vetted again (the
    name may resolve elsewhere since registration); its status and an error.  The
    response's body is never read: the status line and headers are all it is asked."""
    addresses, problem = resolve(claimed.url, private_allowed())
    if problem is not None:
        return None, problem
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(claimed.secret, int(time.time()), claimed.body, claimed.previous),
        EVENT_HEADER: claimed.event,
        DELIVERY_HEADER: claimed.event_id,
        "User-Agent": "Tahator-Webhooks/1",
    }
    try:
        with (
            pinned_client(addresses) as client,
            client.stream(
                "POST", claimed.url, content=claimed.body.encode(), headers=headers
            ) as response,
        ):
            status = response.status_code
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:MAX_ERROR]
    if 200 <= status < 300:
        return status, None
    return status, f"HTTP {status}"


def _record(factory: Factory, item: _Claimed, at: datetime) -> str:
    """Record how ``item``'s attempt went, in its own transaction: ``delivered``,
    ``retried`` or ``failed`` (given up)."""
    status, error = _post(item)
    attempts = item.attempts + 1
    outcome = "retried"
    with factory() as session:
        delivery = session.get(WebhookDelivery, item.id)
        if delivery is not None:
            delivery.attempts = attempts
            delivery.last_attempt_at = at
            delivery.last_status = status
            delivery.last_error = error
            if error is None:
                delivery.status = DeliveryStatus.DELIVERED.value
                delivery.delivered_at = at
                delivery.next_attempt_at = None
                outcome = "delivered"
            else:
                retry = next_attempt(attempts, at)
                delivery.next_attempt_at = retry
                if retry is None:
                    delivery.status = DeliveryStatus.FAILED.value
                    outcome = "failed"
    logs.line(
        "webhook",
        delivery=item.id,
        event=item.event,
        event_id=item.event_id,
        status=status,
        attempt=attempts,
        error=error,
    )
    return outcome


def deliver_due(factory: Factory, at: datetime) -> DeliveryTally:
    """Send up to ``BATCH`` deliveries due at ``at``, claimed one at a time; each result
    recorded in its own transaction."""
    done = {"delivered": 0, "retried": 0, "failed": 0}
    for _ in range(BATCH):
        item = _claim(factory, at)
        if item is None:
            break
        done[_record(factory, item, at)] += 1
    return DeliveryTally(done["delivered"], done["retried"], done["failed"])


__all__ = ["BATCH", "DEADLINE", "LEASE", "DeliveryTally", "Factory", "deliver_due", "host_problem"]
