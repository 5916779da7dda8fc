"""Webhooks: a firm's or a bank's URL for signed event POSTs, and their delivery logs.

The secret is in the answer to registration and rotation only; never in a read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from tahator.api.deps import Id, Reader, require, write
from tahator.api.models import model_of
from tahator.formatting import jsonable
from tahator.i18n import _
from tahator.services import webhooks
from tahator.services.access import WEBHOOK_MANAGERS, WEBHOOK_READERS
from tahator.services.users import Principal

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
Manager = Annotated[Principal, Depends(require(*WEBHOOK_MANAGERS))]
Watcher = Annotated[Principal, Depends(require(*WEBHOOK_READERS))]
WebhookOut = model_of(webhooks.WebhookView, "Webhook")
RegisteredOut = model_of(webhooks.Registered, "RegisteredWebhook")
DeliveryOut = model_of(webhooks.DeliveryView, "WebhookDelivery")


def _without_secret(answer: Any) -> Any:
    """What an idempotent registration or rotation stores and replays: never the secret
    (the idempotency table would be a second copy of it, kept in backups)."""
    shown_once = _("the secret was shown once, in the first answer; rotate for a new one")
    return {**answer, "secret": None, "detail": shown_once}


class WebhookIn(BaseModel):
    """A webhook to register: for a firm (a trader's: its own) or a clearing account's
    bank (``country``); the events it wants (default every one it may get)."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000, description="https URL to POST to")
    events: list[str] | None = Field(default=None, max_length=10)
    firm: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=2)


@router.post("", status_code=201, response_model=RegisteredOut)
def register(request: Request, principal: Manager, body: WebhookIn) -> JSONResponse:
    """Register a webhook; the answer holds its ``secret``, the only time it is shown (an
    idempotent replay answers ``secret: null`` and says so)."""

    def work(session: Session) -> tuple[int, Any]:
        result = webhooks.register(
            session,
            principal,
            principal.actor,
            body.url,
            body.events,
            firm=body.firm,
            country=body.country,
        )
        return 201, jsonable(result)

    return write(request, principal, body.model_dump(), work, _without_secret)


@router.get("", response_model=list[WebhookOut])  # type: ignore[valid-type]
def list_webhooks(session: Reader, principal: Watcher) -> Any:
    """The webhooks the caller sees (a trader its firm's, a bank user the banks')."""
    return jsonable(webhooks.list_webhooks(session, principal))


@router.get("/{webhook_id}", response_model=WebhookOut)
def show(webhook_id: Id, session: Reader, principal: Watcher) -> Any:
    return jsonable(webhooks.show(session, principal, webhook_id))


@router.post("/{webhook_id}/disable", response_model=WebhookOut)
def disable(webhook_id: Id, request: Request, principal: Manager) -> JSONResponse:
    """Disable a webhook: no new deliveries, and its pending ones are not sent."""
    return write(
        request,
        principal,
        webhook_id,
        lambda s: (200, jsonable(webhooks.disable(s, principal, principal.actor, webhook_id))),
    )


@router.post("/{webhook_id}/rotate", response_model=RegisteredOut)
def rotate(webhook_id: Id, request: Request, principal: Manager) -> JSONResponse:
    """A new secret, in this answer only; deliveries from now on are signed with it."""
    return write(
        request,
        principal,
        webhook_id,
        lambda s: (200, jsonable(webhooks.rotate(s, principal, principal.actor, webhook_id))),
        _without_secret,
    )


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut])  # type: ignore[valid-type]
def deliveries(webhook_id: Id, session: Reader, principal: Watcher) -> Any:
    """The webhook's delivery log, newest first (the receivers' bodies are not kept)."""
    return jsonable(webhooks.deliveries(session, principal, webhook_id))


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
def redeliver(
    webhook_id: Id, delivery_id: Id, request: Request, principal: Manager
) -> JSONResponse:
    """Send a delivery again: the same event id and body; its attempts so far are kept."""
    return write(
        request,
        principal,
        [webhook_id, delivery_id],
        lambda s: (
            200,
            jsonable(webhooks.redeliver(s, principal, principal.actor, webhook_id, delivery_id)),
        ),
    )
