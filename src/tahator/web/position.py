"""A firm's position (what it owes and is owed, due and overdue, per counterparty and
net) and its statement for a period, as CSV and PDF.

A trader sees its own firm's; the operator and the auditor any firm's (``?firm=``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError, NotFoundError
from tahator.i18n import _
from tahator.io.statement import statement_csv, statement_pdf
from tahator.services import access
from tahator.services import position as positions
from tahator.services import statement as statements
from tahator.services.paging import page_of
from tahator.services.users import Principal
from tahator.signin import policy_of, today_of
from tahator.web.core import PageError, Reader, User, allow, describe, render
from tahator.web.forms import form_day
from tahator.web.paging import window
from tahator.web.schedule import next_clearing

router = APIRouter(include_in_schema=False)
READERS = ("trader", "operator", "auditor")
"""Who reads a position: a trader its own firm's, the others any firm's."""
COUNTERPARTY_SORTS = {
    "firm": lambda c: c.firm.casefold(),
    "name": lambda c: c.name.casefold(),
    "owes": lambda c: c.local.owes.minor,
    "owed": lambda c: c.local.owed.minor,
    "overdue": lambda c: c.local.owes_overdue.minor + c.local.owed_overdue.minor,
    "net": lambda c: c.local.net.minor,
}


def _firm(principal: Principal, asked: str) -> str | None:
    """The firm whose position is read: a trader's own (asking for another's is a
    404), or the one an operator or auditor asked for (``None``: not chosen yet)."""
    allow(principal, *READERS)
    return access.firm_filter(principal, asked.strip() or None)


def _period(request: Request, given_from: str, given_to: str) -> tuple[date, date]:
    """The statement's period from the query; by default this month to today."""
    today = today_of(request)
    errors: list[Any] = []
    days: dict[str, date] = {}
    for field, text, default in (
        ("from", given_from, today.replace(day=1)),
        ("to", given_to, today),
    ):
        try:
            days[field] = form_day(text, field) if text.strip() else default
        except InputError as error:
            errors.extend(error.problems)
    if errors:
        raise InputError(errors)
    statements.check_period(days["from"], days["to"])
    return days["from"], days["to"]


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    firm: str | None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    context: dict[str, Any] = {"chosen": firm or "", "may_choose": principal.role != "trader"}
    today = today_of(request)
    context.setdefault("period_from", today.replace(day=1).isoformat())
    context.setdefault("period_to", today.isoformat())
    if firm is not None:
        try:
            found = positions.position(session, firm, today)
        except NotFoundError:
            raise PageError(404, _("There is no such firm, or it is not visible to you.")) from None
        except InputError as error:
            context["position_error"] = "; ".join(describe(p) for p in error.problems)
        else:
            context["position"] = found
            context["page"] = page_of(
                found.counterparties,
                window(request),
                COUNTERPARTY_SORTS,
                text=lambda c: " ".join((c.firm, c.name, *c.aliases)),
            )
    context["next_clearing"] = next_clearing(request, session)
    context.update(extra)
    return render(request, "position.html", principal, status=status, **context)


@router.get("/position", response_class=HTMLResponse)
def position_page(
    request: Request, principal: User, session: Reader, firm: str = ""
) -> HTMLResponse:
    """The position of the trader's firm, or of ``?firm=`` for the operator and auditor."""
    return _page(request, principal, session, _firm(principal, firm))


def _statement(
    request: Request, principal: Principal, session: Session, firm: str, from_: str, to: str
) -> statements.Statement | HTMLResponse:
    chosen = _firm(principal, firm)
    if chosen is None:
        return _page(
            request, principal, session, None, 422, statement_error=_("Choose a firm first.")
        )
    try:
        start, end = _period(request, from_, to)
        return statements.statement(session, chosen, start, end, policy_of(request).zone)
    except NotFoundError:
        raise PageError(404, _("There is no such firm, or it is not visible to you.")) from None
    except InputError as error:
        return _page(
            request,
            principal,
            session,
            chosen,
            422,
            statement_error="; ".join(describe(p) for p in error.problems),
            period_from=from_,
            period_to=to,
        )


def _download(statement: statements.Statement, kind: str) -> Response:
    name = f"statement-{statement.firm}-{statement.from_}-{statement.to}.{kind}"
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if kind == "csv":
        return Response(
            statement_csv(statement), media_type="text/csv; charset=utf-8", headers=headers
        )
    return Response(statement_pdf(statement), media_type="application/pdf", headers=headers)


@router.get("/position/statement.{kind}", response_model=None)
def statement_download(
    request: Request,
    principal: User,
    session: Reader,
    kind: str,
    firm: str = "",
    to: str = "",
) -> Response:
    """The statement of ``?from=`` to ``?to=`` as CSV (machine formats) or a PDF in the
    reader's language."""
    if kind not in ("csv", "pdf"):
        raise PageError(404, _("There is no such page, or it is not visible to you."))
    found = _statement(request, principal, session, firm, request.query_params.get("from", ""), to)
    return found if isinstance(found, HTMLResponse) else _download(found, kind)
