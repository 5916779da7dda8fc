"""The audit log for auditors and operators: every state change, filtered and paged,
and the hash chain verified on request (the same check as ``GET /api/v1/audit/verify``)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tahator import i18n
from tahator.i18n import _
from tahator.services import audit
from tahator.services.users import Principal
from tahator.web.core import Reader, User, allow, render
from tahator.web.forms import typed_day
from tahator.web.paging import window

router = APIRouter(include_in_schema=False)
READERS = ("operator", "auditor")


def _day(text: str, field: str, errors: dict[str, str]) -> date | None:
    if not text.strip():
        return None
    try:
        return typed_day(text.strip())
    except ValueError as error:
        errors[field] = str(error)
        return None


def _page(
    request: Request, principal: Principal, session: Session, check: audit.ChainCheck | None
) -> HTMLResponse:
    allow(principal, *READERS)
    params = request.query_params
    errors: dict[str, str] = {}
    since = _day(params.get("since", ""), "since", errors)
    until = _day(params.get("until", ""), "until", errors)
    if since and until and until < since:
        errors["until"] = _("the last day is before the first")
    asked = audit.AuditFilter(
        actor=params.get("actor", "")[:100],
        action=params.get("action", "")[:100],
        subject=params.get("subject", "")[:200],
        since=None if errors else since,
        until=None if errors else until,
        zone=i18n.reader().zone,
    )
    page = audit.record_page(session, window(request).within(audit.AUDIT_SORTS), asked)
    return render(
        request,
        "audit.html",
        principal,
        status=422 if errors else 200,
        records=page,
        asked=asked,
        form={key: params.get(key, "") for key in ("actor", "action", "subject", "since", "until")},
        errors={key: [message] for key, message in errors.items()},
        actions=audit.actions(session),
        check=check,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return _page(request, principal, session, None)


@router.get("/audit/verify", response_class=HTMLResponse)
def verify(request: Request, principal: User, session: Reader) -> HTMLResponse:
    """Recompute the chain (read-only, so a plain link or GET form runs it)."""
    allow(principal, *READERS)
    return _page(request, principal, session, audit.check_chain(session))
