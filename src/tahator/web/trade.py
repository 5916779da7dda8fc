"""Barter authorizations, the marketplace and the reports."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tahator.domain.barter import AuthorizationStatus
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.io.application import parse_application
from tahator.io.barter_report import report_csv, report_document
from tahator.io.declarations import declaration_record
from tahator.io.markets import load_trade_policy
from tahator.io.target_report import render_target_report
from tahator.services import access, barter, market, offers, stats
from tahator.services import corridor as corridors
from tahator.services.barter import AuthorizationDetail
from tahator.services.barter_report import quarterly_report
from tahator.services.users import Principal
from tahator.signin import engine_of, policy_of, today_of
from tahator.store.database import transaction
from tahator.web.core import Form, PageError, Reader, User, allow, choice, render

router = APIRouter(include_in_schema=False)
LINE_FIELDS = ("hs", "description", "quantity", "unit", "value", "currency")
QUARTER = re.compile(r"^\d{4}Q[1-4]$")


def _errors(problems: list[Problem], fields: set[str]) -> dict[str, list[str]]:
    """Each problem beside its form field (``imports[1].value`` → ``import_value``);
    the others at the top of the form (key ``""``)."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        name = p.field or ""
        match = re.match(r"^(imports|exports)(?:\[\d+\])?(?:\.(\w+))?$", name)
        if match:
            name = f"{match.group(1)[:-1]}_{match.group(2) or 'hs'}"
        errors.setdefault(name if name in fields else "", []).append(
            p.message if name in fields else str(p).removeprefix("application: ")
        )
    return errors


# --- barter --------------------------------------------------------------------------


def _bar(view: AuthorizationDetail, today: date) -> dict[str, Any]:
    """The balance bars' lengths (percent of the largest value, at least one unit) and the
    days left to the deadline."""
    imported, exported = view.imported.minor, view.exported.minor
    top = max(imported, exported, view.planned_import.minor, 10**view.imported.digits)
    return {
        "import_pct": imported * 100 // top,
        "export_pct": exported * 100 // top,
        "days_left": (view.deadline - today).days if view.deadline else None,
    }


def _barter_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    allow(principal, *access.BARTER_READERS)
    state = choice(AuthorizationStatus, request.query_params.get("state"))
    policy = policy_of(request)
    today = today_of(request)
    rows = []
    for a in barter.list_authorizations(session, state, access.firm_filter(principal, None)):
        view = barter.show(session, policy, a.id)
        rows.append((view, _bar(view, today)))
    return render(
        request,
        "barter.html",
        principal,
        status=status,
        rows=rows,
        state=state or "",
        states=tuple(AuthorizationStatus),
        can_apply=principal.role in access.APPLICANTS,
        today=today,
        currencies=sorted(corridors.load(session).digits),
        **extra,
    )


@router.get("/barter", response_class=HTMLResponse)
def barter_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return _barter_page(request, principal, session)


def _application(
    principal: Principal, form: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    acting = access.acting_firm(principal)
    if acting is not None:  # a trader applies for its own firm
        values["applicant"] = acting

    def line(direction: str) -> dict[str, str]:
        return {f: values.get(f"{direction}_{f}", "") for f in LINE_FIELDS}

    data: dict[str, Any] = {
        "applicant": values.get("applicant", ""),
        "counterparty": values.get("counterparty", ""),
        "partner_country": values.get("partner_country", "").upper(),
        "imports": [line("import")],
        "exports": [line("export")],
        "valid_from": values.get("valid_from", ""),
        "valid_until": values.get("valid_until", ""),
        "origin_declared": bool(values.get("origin_declared")),
    }
    return data, values


@router.post("/barter/apply", response_class=HTMLResponse, response_model=None)
def apply(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, *access.APPLICANTS)
    data, values = _application(principal, form)
    fields = {
        "applicant",
        "counterparty",
        "partner_country",
        "valid_from",
        "valid_until",
        "origin_declared",
        *(f"{d}_{f}" for d in ("import", "export") for f in LINE_FIELDS),
    }
    try:
        with transaction(engine_of(request)) as writer:
            digits = corridors.load(writer).digits
            application = parse_application(data, digits, "application")
            result = barter.submit(
                writer, policy_of(request), application, principal.actor, "application"
            )
    except InputError as error:
        return _barter_page(
            request,
            principal,
            session,
            status=422,
            errors=_errors(list(error.problems), fields),
            form=values,
            open_form=True,
        )
    except TahatorError as error:
        return _barter_page(
            request,
            principal,
            session,
            status=422,
            errors={"": [str(error)]},
            form=values,
            open_form=True,
        )
    return RedirectResponse(f"/barter/{result.id}", status_code=303)


def _authorization_page(
    request: Request,
    principal: Principal,
    session: Session,
    authorization_id: int,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    allow(principal, *access.BARTER_READERS)
    if not 1 <= authorization_id <= 2**63 - 1:
        raise PageError(404, f"no barter authorization {authorization_id}")
    access.hide_unless(
        access.sees_authorization(session, principal, authorization_id),
        f"barter authorization {authorization_id}",
    )
    view = barter.show(session, policy_of(request), authorization_id)
    today = today_of(request)
    return render(
        request,
        "authorization.html",
        principal,
        status=status,
        a=view,
        bar=_bar(view, today),
        today=today,
        currencies=sorted(corridors.load(session).digits),
        **extra,
    )


@router.get("/barter/{authorization_id:int}", response_class=HTMLResponse)
def authorization_page(
    request: Request, authorization_id: int, principal: User, session: Reader
) -> HTMLResponse:
    return _authorization_page(request, principal, session, authorization_id)


@router.post(
    "/barter/{authorization_id:int}/{action}", response_class=HTMLResponse, response_model=None
)
def customs_action(
    request: Request,
    authorization_id: int,
    action: str,
    principal: User,
    form: Form,
    session: Reader,
) -> HTMLResponse | RedirectResponse:
    if action not in ("authorize", "reject", "declare"):
        raise PageError(404, "no such page")
    allow(principal, "customs")
    if not 1 <= authorization_id <= 2**63 - 1:
        raise PageError(404, f"no barter authorization {authorization_id}")
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    policy = policy_of(request)
    try:
        with transaction(engine_of(request)) as writer:
            if action == "authorize":
                raw = values.get("as_of", "")
                day = _day(raw, "as_of") if raw else today_of(request)
                barter.authorize(writer, policy, authorization_id, day, principal.actor)
            elif action == "reject":
                barter.reject(
                    writer, policy, authorization_id, values.get("reason", ""), principal.actor
                )
            else:
                record, problems = declaration_record(
                    direction=values.get("direction", ""),
                    hs=values.get("hs", ""),
                    quantity=values.get("quantity", ""),
                    unit=values.get("unit", ""),
                    value=values.get("value", ""),
                    currency=values.get("currency", "").upper(),
                    on=_day(values.get("date", ""), "date"),
                    reference=values.get("reference") or None,
                    digits=corridors.load(writer).digits,
                )
                barter.declare(
                    writer,
                    policy,
                    authorization_id,
                    record,
                    actor=principal.actor,
                    problems=problems,
                )
    except InputError as error:
        fields = {"as_of", "reason", "direction", "hs", "quantity", "unit", "value", "currency"}
        fields |= {"date", "reference"}
        return _authorization_page(
            request,
            principal,
            session,
            authorization_id,
            status=422,
            action=action,
            errors=_errors(list(error.problems), fields),
            form=values,
        )
    return RedirectResponse(f"/barter/{authorization_id}?done={action}", status_code=303)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError([Problem("a date as YYYY-MM-DD", field=field)]) from None


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
            as_of = date.fromisoformat(values["as_of"])
        except ValueError:
            errors["as_of"] = ["a date as YYYY-MM-DD"]
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
    with transaction(engine_of(request)) as writer:
        market.show_proposal(writer, proposal_id)  # NotFoundError for an unknown proposal
        access.hide_unless(
            access.sees_proposal(writer, principal, proposal_id), f"proposal {proposal_id}"
        )
        today = today_of(request)
        if answer == "accept":
            market.accept(writer, policy_of(request), proposal_id, firm, today, principal.actor)
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
        report = quarterly_report(session, chosen)
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


@router.get("/reports/barter.{kind}")
def barter_report(
    request: Request, kind: str, principal: User, session: Reader, quarter: str = ""
) -> Response:
    allow(principal, *access.REPORT_READERS)
    if kind not in ("csv", "json"):
        raise PageError(404, "no such report")
    chosen = _quarter(quarter or _current_quarter(request))
    report = quarterly_report(session, chosen)
    name = f"barter-report-{chosen}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "json":
        return Response(
            json.dumps(report_document(report), indent=2, ensure_ascii=False),
            media_type="application/json",
            headers=disposition,
        )
    return Response(report_csv(report), media_type="text/csv; charset=utf-8", headers=disposition)


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
