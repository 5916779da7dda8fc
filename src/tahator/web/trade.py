"""The marketplace and the reports (barter authorizations are ``web.barter``)."""

from __future__ import annotations

import json
import re
from decimal import InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError, TahatorError
from tahator.io.barter_report import report_csv, report_document, report_pdf
from tahator.io.markets import load_trade_policy
from tahator.io.target_report import render_target_report
from tahator.services import access, market, offers, stats
from tahator.services.barter_report import quarterly_report
from tahator.services.users import Principal
from tahator.signin import engine_of, policy_of, today_of
from tahator.store.database import transaction
from tahator.web.core import Form, PageError, Reader, User, allow, render
from tahator.web.forms import form_day, typed_day

router = APIRouter(include_in_schema=False)
QUARTER = re.compile(r"^\d{4}Q[1-4]$")


# --- the marketplace -----------------------------------------------------------------


def _market_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    firm = access.firm_filter(principal, None)
    return render(
        request,
        "market.html",
        principal,
        status=status,
        offers=offers.list_offers(session, None, firm)[:500],
        proposals=list(reversed(market.list_proposals(session, None, firm)))[:200],
        today=today_of(request),
        **extra,
    )


@router.get("/market", response_class=HTMLResponse)
def market_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return _market_page(request, principal, session)


@router.post("/market/match", response_class=HTMLResponse, response_model=None)
def run_matching(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, "operator")
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, list[str]] = {}
    cap = 3
    try:
        cap = int(values.get("cap") or 3)
        if not 2 <= cap <= 6:
            raise ValueError
    except ValueError:
        errors["cap"] = ["a whole number from 2 to 6"]
    as_of = today_of(request)
    if values.get("as_of"):
        try:
            as_of = typed_day(values["as_of"])
        except ValueError as error:
            errors["as_of"] = [str(error)]
    if not errors:
        try:
            with transaction(engine_of(request)) as writer:
                result = market.match(
                    writer,
                    policy_of(request),
                    principal.actor,
                    as_of=as_of,
                    cap=cap,
                    tolerance=None,
                    time_limit=60.0,
                )
        except TahatorError as error:
            errors[""] = [str(error)]
    if errors:
        return _market_page(request, principal, session, status=422, errors=errors, form=values)
    return RedirectResponse(f"/market?run={result.run_id}&rings={result.rings}", status_code=303)


@router.get("/market/proposals/{proposal_id:int}", response_class=HTMLResponse)
def proposal_page(
    request: Request, proposal_id: int, principal: User, session: Reader
) -> HTMLResponse:
    if not 1 <= proposal_id <= 2**63 - 1:
        raise PageError(404, f"no proposal {proposal_id}")
    view = market.show_proposal(session, proposal_id)
    access.hide_unless(
        access.sees_proposal(session, principal, proposal_id), f"proposal {proposal_id}"
    )
    return render(request, "proposal.html", principal, p=view)


@router.post("/market/proposals/{proposal_id:int}/{answer}")
def answer(
    request: Request, proposal_id: int, answer: str, principal: User, form: Form
) -> Response:
    if answer not in ("accept", "decline"):
        raise PageError(404, "no such page")
    allow(principal, "trader")
    firm = principal.firm or ""
    if not 1 <= proposal_id <= 2**63 - 1:
        raise PageError(404, f"no proposal {proposal_id}")
    stated = str(form.get("as_of", "")).strip()
    policy = policy_of(request)
    # A trader's answer takes today's date: a stated one is refused, naming the field.
    today = access.acting_date(principal, form_day(stated, "as_of") if stated else None, policy)
    with transaction(engine_of(request)) as writer:
        market.show_proposal(writer, proposal_id)  # NotFoundError for an unknown proposal
        access.hide_unless(
            access.sees_proposal(writer, principal, proposal_id), f"proposal {proposal_id}"
        )
        if answer == "accept":
            market.accept(writer, policy, proposal_id, firm, today, principal.actor)
        else:
            market.decline(writer, proposal_id, firm, today, principal.actor)
    return RedirectResponse(f"/market/proposals/{proposal_id}?done={answer}", status_code=303)


# --- reports -------------------------------------------------------------------------


def _quarter(text: str) -> str:
    text = text.strip().upper()
    if not QUARTER.match(text):
        raise PageError(422, f"{text!r} is not a quarter such as 2025Q4")
    return text


def _current_quarter(request: Request) -> str:
    today = today_of(request)
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, principal: User, session: Reader, quarter: str = ""
) -> HTMLResponse:
    allow(principal, *access.REPORT_READERS)
    chosen = quarter.strip().upper() or _current_quarter(request)
    if not QUARTER.match(chosen):
        return render(
            request,
            "reports.html",
            principal,
            status=422,
            quarter=quarter,
            report=None,
            error=f"{quarter!r} is not a quarter such as 2025Q4",
        )
    try:
        report = quarterly_report(session, policy_of(request), chosen)
    except (InputError, ValueError) as error:
        return render(
            request,
            "reports.html",
            principal,
            status=422,
            quarter=chosen,
            report=None,
            error=str(error),
        )
    return render(request, "reports.html", principal, quarter=chosen, report=report, error="")


BARTER_REPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}


@router.get("/reports/barter.{kind}")
def barter_report(
    request: Request, kind: str, principal: User, session: Reader, quarter: str = ""
) -> Response:
    allow(principal, *access.REPORT_READERS)
    if kind not in BARTER_REPORT_TYPES:
        raise PageError(404, "no such report")
    chosen = _quarter(quarter or _current_quarter(request))
    report = quarterly_report(session, policy_of(request), chosen)
    if kind == "json":
        body: str | bytes = json.dumps(report_document(report), indent=2, ensure_ascii=False)
    else:
        body = report_csv(report) if kind == "csv" else report_pdf(report)
    name = f"barter-report-{chosen}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=BARTER_REPORT_TYPES[kind], headers=disposition)


TARGET_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


@router.get("/reports/target.{kind}")
def target_report(kind: str, principal: User, session: Reader) -> Response:
    allow(principal, *access.REPORT_READERS)  # the reports page's roles
    if kind not in TARGET_TYPES:
        raise PageError(404, "no such report")
    report = stats.target_report(session, load_trade_policy(), principal)
    data = render_target_report(report, kind)
    headers = {"Content-Disposition": f'attachment; filename="trade-target.{kind}"'}
    return Response(data, media_type=TARGET_TYPES[kind], headers=headers)


__all__ = ["InvalidOperation", "router"]
