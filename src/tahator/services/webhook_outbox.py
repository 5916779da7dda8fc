"""The webhooks' outbox: an event is written as one delivery row per subscribed
webhook in the transaction of its cause, so the cause and its event commit together
or not at all; the worker sends them later (``services.webhook_delivery``)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Subscriptions:
    """Who gets what, read once per cause: the ids of the active webhooks subscribing
    to each event, by (event, firm) and by (event, bank's country)."""

    firms: Mapping[tuple[str, str], tuple[int, ...]]
    countries: Mapping[tuple[str, str], tuple[int, ...]]

    def hooks(
        self, event: EventType, *, firm: str | None = None, country: str | None = None
    ) -> tuple[int, ...]:
        """The webhooks of ``firm`` (or the bank of ``country``) subscribing to ``event``."""
        if firm is not None:
            return self.firms.get((event.value, firm), ())
        if country is not None:
            return self.countries.get((event.value, country), ())
        return ()

    def subscribers(self, event: EventType) -> tuple[set[str], set[str]]:
        """The firms and the countries' banks with an active webhook for ``event``: a
        cause asks first, and builds no event nobody would receive (a large run)."""
        return (
            {firm for e, firm in self.firms if e == event.value},
            {country for e, country in self.countries if e == event.value},
        )


def subscriptions(session: Session) -> Subscriptions:
    """Every active webhook's subscriptions, in one read."""
    firms: dict[tuple[str, str], list[int]] = {}
    countries: dict[tuple[str, str], list[int]] = {}
    query = (
        select(Webhook.id, Webhook.firm_id, Webhook.clearing_country, Webhook.events)
        .where(Webhook.active.is_(True))
        .order_by(Webhook.id)
    )
    for hook, firm, country, events in session.execute(query):
        for event in events:
            if firm is not None:
                firms.setdefault((event, firm), []).append(hook)
            if country is not None:
                countries.setdefault((event, country), []).append(hook)
    return Subscriptions(
        {k: tuple(v) for k, v in firms.items()}, {k: tuple(v) for k, v in countries.items()}
    )


def subscribers(session: Session, event: EventType) -> tuple[set[str], set[str]]:
    """``Subscriptions.subscribers`` of a fresh read."""
    return subscriptions(session).subscribers(event)


def body_of(event_id: str, event: EventType, created: datetime, data: Mapping[str, object]) -> str:
    """The JSON body as signed and sent: ``{"id", "type", "created", "data"}``."""
    document = {
        "id": event_id,
        "type": event.value,
        "created": created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Outbox:
    """A cause's deliveries, gathered and then written in one insert (``flush``), in the
    caller's transaction: a run's events cost one read of the subscriptions and one
    write, whatever the number of firms and webhooks."""

    def __init__(self, session: Session, subscribed: Subscriptions | None = None) -> None:
        self.session = session
        self.subscriptions = subscribed if subscribed is not None else subscriptions(session)
        self.at = now()
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        event: EventType,
        data: Mapping[str, object],
        *,
        firm: str | None = None,
        country: str | None = None,
        event_id: str | None = None,
    ) -> int:
        """One event for ``firm`` (or the bank of ``country``): a pending delivery to each
        of its active webhooks that subscribe to ``event``.  Return how many.
        ``event_id`` (default a fresh UUID) is the same in every delivery and retry:
        receivers deduplicate on it."""
        hooks = self.subscriptions.hooks(event, firm=firm, country=country)
        if not hooks:
            return 0
        identifier = event_id or str(uuid.uuid4())
        body = body_of(identifier, event, self.at, data)
        self.rows.extend(
            {
                "webhook_id": hook,
                "event_id": identifier,
                "event": event.value,
                "body": body,
                "created_at": self.at,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": self.at,
                "last_attempt_at": None,
                "last_status": None,
                "last_error": None,
                "delivered_at": None,
            }
            for hook in hooks
        )
        return len(hooks)

    def flush(self) -> int:
        """Write the gathered deliveries; return how many."""
        count = len(self.rows)
        if self.rows:
            insert_rows(self.session, WebhookDelivery, self.rows)
            self.rows = []
        return count


def enqueue(
    session: Session,
    event: EventType,
    data: Mapping[str, object],
    *,
    firm: str | None = None,
    country: str | None = None,
    event_id: str | None = None,
) -> int:
    """One event written at once (``Outbox.add`` then ``flush``); return how many deliveries."""
    outbox = Outbox(session)
    outbox.add(event, data, firm=firm, country=country, event_id=event_id)
    return outbox.flush()


__all__ = [
    "PRIVATE_SETTING",
    "Outbox",
    "Subscriptions",
    "body_of",
    "enqueue",
    "private_allowed",
    "subscribers",
    "subscriptions",
]
