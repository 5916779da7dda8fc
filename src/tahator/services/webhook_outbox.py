"""The webhooks' outbox: an event is written as one delivery row per subscribed
webhook in the transaction of its cause, so the cause and its event commit together
or not at all; the worker sends them later (``services.webhook_delivery``)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.webhook import DeliveryStatus, EventType
from tahator.services.common import now
from tahator.store.bulk import insert_rows
from tahator.store.schema import Webhook, WebhookDelivery

PRIVATE_SETTING = "TAHATOR_WEBHOOK_PRIVATE"
"""Set to ``1`` (the demo, the tests) to allow http and hosts on private or loopback
addresses: by default the worker POSTs only to https on the public internet."""


def private_allowed() -> bool:
    """Whether webhooks may point at http URLs and private or loopback hosts."""
    return os.environ.get(PRIVATE_SETTING) == "1"


def subscribed(
    session: Session, event: EventType, *, firms: Iterable[str] = (), countries: Iterable[str] = ()
) -> list[Webhook]:
    """The active webhooks of ``firms`` and of the banks of ``countries`` that subscribe
    to ``event``, by id."""
    firms, countries = list(firms), list(countries)
    if not firms and not countries:
        return []
    query = select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id)
    hooks = [
        h
        for h in session.scalars(query)
        if (h.firm_id in firms or h.clearing_country in countries) and event.value in h.events
    ]
    return hooks


def subscribers(session: Session, event: EventType) -> tuple[set[str], set[str]]:
    """The firms and the countries' banks with an active webhook for ``event``: a
    cause asks first, and builds no event nobody would receive (a large run)."""
    firms: set[str] = set()
    countries: set[str] = set()
    for firm, country, events in session.execute(
        select(Webhook.firm_id, Webhook.clearing_country, Webhook.events).where(
            Webhook.active.is_(True)
        )
    ):
        if event.value in events:
            if firm is not None:
                firms.add(firm)
            if country is not None:
                countries.add(country)
    return firms, countries


def body_of(event_id: str, event: EventType, created: datetime, data: Mapping[str, object]) -> str:
    """The JSON body as signed and sent: ``{"id", "type", "created", "data"}``."""
    document = {
        "id": event_id,
        "type": event.value,
        "created": created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def enqueue(
    session: Session,
    event: EventType,
    data: Mapping[str, object],
    *,
    firm: str | None = None,
    country: str | None = None,
    event_id: str | None = None,
) -> int:
    """One event for ``firm`` (or the bank of ``country``): a pending delivery to each of
    its active webhooks that subscribe to ``event``, in the caller's transaction.
    Return how many.  ``event_id`` (default a fresh UUID) is the same in every
    delivery and retry: receivers deduplicate on it."""
    hooks = subscribed(
        session, event, firms=[firm] if firm else [], countries=[country] if country else []
    )
    if not hooks:
        return 0
    at = now()
    identifier = event_id or str(uuid.uuid4())
    body = body_of(identifier, event, at, data)
    insert_rows(
        session,
        WebhookDelivery,
        [
            {
                "webhook_id": h.id,
                "event_id": identifier,
                "event": event.value,
                "body": body,
                "created_at": at,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": at,
                "last_attempt_at": None,
                "last_status": None,
                "last_error": None,
                "delivered_at": None,
            }
            for h in hooks
        ],
    )
    return len(hooks)


__all__ = ["PRIVATE_SETTING", "body_of", "enqueue", "private_allowed", "subscribed", "subscribers"]
