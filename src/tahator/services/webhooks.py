"""Webhooks: a firm's or a bank's URL for signed event POSTs (``domain.webhook``).

Who: a trader registers, reads and disables its own firm's; a bank user the banks'
(one per clearing account's country); the operator any; the auditor reads all.
Another's webhook does not exist to a trader or a bank user (``HiddenError``).  The
secret is made here, returned once (registration, rotation) and never again: not in
a view, an audit record or a log line.

The outbox and the events are ``webhook_outbox`` and ``webhook_events``; sending is
``webhook_delivery`` (all re-exported here: the worker calls ``remind_deadlines``
and ``deliver_due``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError, Problem
from tahator.domain.roles import Role
from tahator.domain.webhook import (
    BANK_EVENTS,
    EVENT_TYPES,
    ROTATION_OVERLAP,
    DeliveryStatus,
    masked_url,
)
from tahator.services import access, audit
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.services.webhook_delivery import DeliveryTally as DeliveryTally
from tahator.services.webhook_delivery import deliver_due as deliver_due
from tahator.services.webhook_delivery import host_problem
from tahator.services.webhook_events import authorization_cancelled as authorization_cancelled
from tahator.services.webhook_events import remind_deadlines as remind_deadlines
from tahator.services.webhook_events import ring_proposed as ring_proposed
from tahator.services.webhook_events import run_completed as run_completed
from tahator.services.webhook_outbox import enqueue as enqueue
from tahator.services.webhook_outbox import private_allowed
from tahator.store.schema import ClearingAccount, Firm, Webhook, WebhookDelivery

MAX_DELIVERIES = 200
"""Deliveries a log shows, newest first."""


@dataclass(frozen=True)
class WebhookView:
    """A webhook as listed and read: never its secret, its URL's query values masked."""

    id: int
    firm: str | None
    clearing_country: str | None
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Registered:
    """A webhook with its secret: answered once, at registration or rotation."""

    webhook: WebhookView
    secret: str


@dataclass(frozen=True)
class DeliveryView:
    """One delivery of one event to one webhook (the receiver's body is never kept)."""

    id: int
    webhook_id: int
    event_id: str
    event: str
    created_at: datetime
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


def _view(hook: Webhook) -> WebhookView:
    return WebhookView(
        hook.id,
        hook.firm_id,
        hook.clearing_country,
        masked_url(hook.url),
        tuple(hook.events),
        hook.active,
        hook.created_at,
        hook.created_by,
    )


def _delivery_view(d: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        d.id,
        d.webhook_id,
        d.event_id,
        d.event,
        d.created_at,
        DeliveryStatus(d.status),
        d.attempts,
        d.next_attempt_at if d.status == DeliveryStatus.PENDING.value else None,
        d.last_attempt_at,
        d.last_status,
        d.last_error,
        d.delivered_at,
    )


def _visible(principal: Principal) -> ColumnElement[bool]:
    """The webhooks ``principal`` sees: a trader its firm's, a bank user the banks'."""
    if principal.role == Role.TRADER:
        return Webhook.firm_id == (principal.firm or "")
    if principal.role == Role.BANK:
        return Webhook.clearing_country.is_not(None)
    if principal.role in access.WEBHOOK_READERS:
        return true()
    return false()


def _load(session: Session, principal: Principal, webhook_id: int, lock: bool = False) -> Webhook:
    query = select(Webhook).where(Webhook.id == webhook_id, _visible(principal))
    hook = session.scalar(query.with_for_update() if lock else query)
    access.hide_unless(hook is not None, f"webhook {webhook_id}")
    assert hook is not None
    return hook


def _check_manager(principal: Principal) -> None:
    if principal.role not in access.WEBHOOK_MANAGERS:
        raise InputError([Problem(f"a {principal.role} may not change webhooks")])


def _owner(
    session: Session, principal: Principal, firm: str | None, country: str | None
) -> tuple[str | None, str | None]:
    """The firm or bank (country) a new webhook is for, as ``principal`` may register."""
    if principal.role == Role.TRADER:
        if country is not None or (firm is not None and firm != principal.firm):
            raise InputError([Problem("a trader registers its own firm's webhooks", field="firm")])
        return principal.firm, None
    if principal.role == Role.BANK and firm is not None:
        raise InputError([Problem("a bank user registers the banks' webhooks", field="firm")])
    if (firm is None) == (country is None):
        raise InputError([Problem("give a firm or a clearing account's country", field="firm")])
    if firm is not None and session.get(Firm, firm) is None:
        raise InputError([Problem(f"no firm {firm}", field="firm")])
    if country is not None and session.get(ClearingAccount, country) is None:
        raise InputError([Problem(f"no clearing account of {country}", field="country")])
    return firm, country


def _events(events: Sequence[str] | None, bank: bool) -> list[str]:
    allowed = BANK_EVENTS if bank else EVENT_TYPES
    if events is None:
        return list(allowed)
    if not events:
        raise InputError([Problem("choose at least one event", field="events")])
    unknown = [e for e in events if e not in allowed]
    if unknown:
        raise InputError(
            [
                Problem(
                    f"unknown event {', '.join(unknown)}; one of {', '.join(allowed)}",
                    field="events",
                )
            ]
        )
    return sorted(set(events), key=allowed.index)


def _check_url(url: str) -> None:
    problem = host_problem(url, private_allowed())
    if problem is not None:
        raise InputError([Problem(problem, field="url")])


def _audited(hook: Webhook) -> dict[str, object]:
    """What the audit log keeps of a webhook: never its secret, nor its URL's query values."""
    return {
        "firm": hook.firm_id,
        "clearing_country": hook.clearing_country,
        "url": masked_url(hook.url),
        "events": list(hook.events),
        "active": hook.active,
    }


def register(
    session: Session,
    principal: Principal,
    actor: str,
    url: str,
    events: Sequence[str] | None = None,
    *,
    firm: str | None = None,
    country: str | None = None,
) -> Registered:
    """Register a webhook (a trader's for its firm); the answer holds its secret, once."""
    _check_manager(principal)
    owner_firm, owner_country = _owner(session, principal, firm, country)
    subscribed = _events(events, owner_country is not None)
    _check_url(url)
    secret = secrets.token_hex(32)
    hook = Webhook(
        firm_id=owner_firm,
        clearing_country=owner_country,
        url=url,
        secret=secret,
        events=subscribed,
        active=True,
        created_at=now(),
        created_by=actor,
    )
    session.add(hook)
    session.flush()
    audit.record(session, actor, "webhook.register", f"webhook:{hook.id}", None, _audited(hook))
    return Registered(_view(hook), secret)


def list_webhooks(session: Session, principal: Principal) -> list[WebhookView]:
    """The webhooks ``principal`` sees, by id."""
    query = select(Webhook).where(_visible(principal)).order_by(Webhook.id)
    return [_view(h) for h in session.scalars(query)]


def show(session: Session, principal: Principal, webhook_id: int) -> WebhookView:
    return _view(_load(session, principal, webhook_id))


def disable(session: Session, principal: Principal, actor: str, webhook_id: int) -> WebhookView:
    """Disable a webhook: it gets no new deliveries, and its pending ones are not sent."""
    _check_manager(principal)
    hook = _load(session, principal, webhook_id, lock=True)
    before = _audited(hook)
    if hook.active:
        hook.active = False
        audit.record(
            session,
            actor,
            "webhook.disable",
            f"webhook:{hook.id}",
            before,
            _audited(hook),
        )
    return _view(hook)


def rotate(session: Session, principal: Principal, actor: str, webhook_id: int) -> Registered:
    """A new secret for a webhook (answered once); deliveries from now on are signed with
    it, and for ``ROTATION_OVERLAP`` (24 hours) with the previous one too, so receivers
    keep verifying while they take the new one."""
    _check_manager(principal)
    hook = _load(session, principal, webhook_id, lock=True)
    hook.previous_secret = hook.secret
    hook.previous_until = now() + ROTATION_OVERLAP
    hook.secret = secrets.token_hex(32)
    audit.record(
        session,
        actor,
        "webhook.rotate",
        f"webhook:{hook.id}",
        None,
        {"rotated_at": now().isoformat(), "previous_until": hook.previous_until.isoformat()},
    )
    return Registered(_view(hook), hook.secret)


def deliveries(
    session: Session, principal: Principal, webhook_id: int, limit: int = MAX_DELIVERIES
) -> list[DeliveryView]:
    """A webhook's delivery log, newest first."""
    _load(session, principal, webhook_id)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return [_delivery_view(d) for d in session.scalars(query)]


def redeliver(
    session: Session, principal: Principal, actor: str, webhook_id: int, delivery_id: int
) -> DeliveryView:
    """Send a delivery again (the same event id and body): pending now.  Its attempts are
    kept (the history stays true); one past the limit that fails again is given up
    again, so a redelivery is one more try, and each is in the audit log."""
    _check_manager(principal)
    hook = _load(session, principal, webhook_id)
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    access.hide_unless(
        delivery is not None and delivery.webhook_id == hook.id, f"delivery {delivery_id}"
    )
    assert delivery is not None
    if not hook.active:
        raise InputError([Problem(f"webhook {hook.id} is disabled")])
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status = DeliveryStatus.PENDING.value
    delivery.next_attempt_at = now()
    audit.record(
        session,
        actor,
        "webhook.redeliver",
        f"webhook_delivery:{delivery.id}",
        before,
        {"webhook": hook.id, "event_id": delivery.event_id, "status": delivery.status},
    )
    return _delivery_view(delivery)


__all__ = [
    "MAX_DELIVERIES",
    "DeliveryTally",
    "DeliveryView",
    "Registered",
    "WebhookView",
    "authorization_cancelled",
    "deliver_due",
    "deliveries",
    "disable",
    "enqueue",
    "list_webhooks",
    "redeliver",
    "register",
    "remind_deadlines",
    "ring_proposed",
    "rotate",
    "run_completed",
    "show",
]
