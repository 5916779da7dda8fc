"""Webhooks in the browser: register one, see them, their delivery logs, redeliver,
disable, rotate the secret (shown once, on the page that answers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tahator.domain.errors import NotFoundError, TahatorError
from tahator.domain.roles import Role
from tahator.domain.webhook import BANK_EVENTS, EVENT_TYPES
from tahator.i18n import _
from tahator.services import clearing_desk, webhooks
from tahator.services.access import WEBHOOK_MANAGERS, WEBHOOK_READERS
from tahator.services.users import Principal
from tahator.signin import engine_of
from tahator.store.database import DatabaseBusyError, transaction
from tahator.web.core import Form, PageError, Reader, User, allow, render

router = APIRouter(include_in_schema=False)


def _errors(error: TahatorError) -> dict[str, list[str]]:
    """A service's problems by form field (``url``, ``events`` …; ``form``: the rest)."""
    found: dict[str, list[str]] = {}
    for problem in getattr(error, "problems", None) or []:
        found.setdefault(problem.field or "form", []).append(problem.message)
    return found or {"form": [str(error)]}


def _page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "webhooks.html",
        principal,
        status=status,
        hooks=webhooks.list_webhooks(session, principal),
        manages=principal.role in WEBHOOK_MANAGERS,
        event_types=BANK_EVENTS if principal.role == Role.BANK else EVENT_TYPES,
        countries=clearing_desk.countries(session),
        **extra,
    )


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    allow(principal, *WEBHOOK_READERS)
    return _page(request, principal, session)


@router.post("/webhooks", response_class=HTMLResponse)
def register(request: Request, principal: User, form: Form, session: Reader) -> HTMLResponse:
    """Register; the page that answers shows the secret, the only time it is shown."""
    allow(principal, *WEBHOOK_MANAGERS)
    values = {k: str(v) for k, v in form.items() if k in ("url", "firm", "country")}
    # One checkbox per event type (the form dict keeps one value per name).
    events = [e for e in EVENT_TYPES if form.get(f"event:{e}")]
    try:
        with transaction(engine_of(request)) as writer:
            made = webhooks.register(
                writer,
                principal,
                principal.actor,
                values.get("url", "").strip(),
                events,
                firm=values.get("firm", "").strip() or None,
                country=values.get("country", "").strip() or None,
            )
    except DatabaseBusyError as error:
        return _page(request, principal, session, 503, errors={"form": [str(error)]}, form=values)
    except TahatorError as error:
        return _page(
            request, principal, session, 422, errors=_errors(error), form=values, chosen=events
        )
    session.rollback()  # a fresh snapshot: the list shows the new webhook
    return _page(request, principal, session, 201, secret=made.secret, made=made.webhook)


MAX_ID = 2**63 - 1
"""The largest id the database holds: a larger one is no webhook (a 404, not a 5xx)."""


def _webhook_id(webhook_id: int) -> int:
    if not 1 <= webhook_id <= MAX_ID:
        raise PageError(404, _("No webhook %(id)s.") % {"id": webhook_id})
    return webhook_id


def _webhook_page(
    request: Request,
    principal: Principal,
    session: Session,
    webhook_id: int,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    try:
        hook = webhooks.show(session, principal, webhook_id)
        log = webhooks.deliveries(session, principal, webhook_id)
    except NotFoundError as error:
        raise PageError(404, _("No webhook %(id)s.") % {"id": webhook_id}) from error
    return render(
        request,
        "webhook.html",
        principal,
        status=status,
        hook=hook,
        deliveries=log,
        manages=principal.role in WEBHOOK_MANAGERS,
        **extra,
    )


@router.get("/webhooks/{webhook_id}", response_class=HTMLResponse)
def webhook_page(
    request: Request, principal: User, session: Reader, webhook_id: int
) -> HTMLResponse:
    allow(principal, *WEBHOOK_READERS)
    return _webhook_page(request, principal, session, _webhook_id(webhook_id))


@router.post("/webhooks/{webhook_id}/{action}", response_model=None)
def act(
    request: Request, principal: User, form: Form, session: Reader, webhook_id: int, action: str
) -> Response:
    """Disable, rotate (the answer shows the new secret once) or redeliver one delivery."""
    allow(principal, *WEBHOOK_MANAGERS)
    _webhook_id(webhook_id)
    try:
        with transaction(engine_of(request)) as writer:
            if action == "disable":
                webhooks.disable(writer, principal, principal.actor, webhook_id)
            elif action == "rotate":
                rotated = webhooks.rotate(writer, principal, principal.actor, webhook_id)
            elif action == "redeliver":
                delivery = str(form.get("delivery", ""))
                if not (delivery.isascii() and delivery.isdigit() and 0 < int(delivery) <= MAX_ID):
                    raise PageError(422, _("Choose a delivery."))
                webhooks.redeliver(writer, principal, principal.actor, webhook_id, int(delivery))
            else:
                raise PageError(404, _("No such page."))
    except NotFoundError as error:
        raise PageError(404, _("No webhook %(id)s.") % {"id": webhook_id}) from error
    except TahatorError as error:
        problems = getattr(error, "problems", None) or []
        message = "; ".join(p.message for p in problems) or str(error)
        # Refused: the page again with why, as a 422 (register answers so too).
        return _webhook_page(request, principal, session, webhook_id, 422, error=message)
    session.rollback()
    if action == "rotate":
        return _webhook_page(request, principal, session, webhook_id, secret=rotated.secret)
    return RedirectResponse(f"/webhooks/{webhook_id}", status_code=303)
