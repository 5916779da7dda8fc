"""The marketplace and the reports (barter authorizations are ``web.barter``)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tahator import display
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.matching import OfferStatus
from tahator.domain.money import format_amount, parse_amount
from tahator.i18n import _
from tahator.io.barter_report import report_csv, report_document, report_pdf
from tahator.io.markets import load_trade_policy
from tahator.io.offers import OFFER_COLUMNS, OfferRow, RejectedOffer, parse_offer
from tahator.io.target_report import render_target_report
from tahator.services import access, market, market_views, offers, stats
from tahator.services import corridor as corridors
from tahator.services.barter_report import quarterly_report
from tahator.services.offers import OfferView
from tahator.services.users import Principal
from tahator.signin import engine_of, policy_of, today_of
from tahator.store.database import transaction
from tahator.web.core import Form, PageError, Reader, User, allow, render, templates
from tahator.web.forms import form_day, typed_day
from tahator.web.paging import window

router = APIRouter(include_in_schema=False)


def _quantity(text: str) -> str:
    """An offer's quantity (a decimal string, as given) for the reader: ``1,250.5``."""
    try:
        return display.number(Decimal(text))
    except (InvalidOperation, ValueError):
        return text


templates.env.filters["quantity"] = _quantity
QUARTER = re.compile(r"^\d{4}Q[1-4]$")


# --- the marketplace -----------------------------------------------------------------

OFFER_FIELDS = ("offer_id", *OFFER_COLUMNS[1:])
"""The offer form's fields (``offer_id`` optional: a new offer gets one made up;
``firm`` only for an operator: a trader offers its own firm's goods)."""
OFFERERS = ("operator", "trader")
_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_WANTS = re.compile(r"[\s,|،]+")


def _market_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    firm = access.firm_filter(principal, None)
    return render(
        request,
        "market.html",
        principal,
        status=status,
        offers=offers.offer_page(session, window(request, "o_"), firm),
        proposals=market_views.proposal_page(session, window(request, "p_"), firm),
        today=today_of(request),
        can_offer=principal.role in OFFERERS,
        currencies=sorted(corridors.load(session).digits),
        **extra,
    )


@router.get("/market", response_class=HTMLResponse)
def market_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return _market_page(request, principal, session)


def _offer_fields(
    values: dict[str, str], digits: Mapping[str, int], firm: str, offer_id: str, today: date
) -> tuple[OfferRow, list[Problem]]:
    """The form's offer, read as the offers file's rows are (``io.offers.parse_offer``);
    the value through ``parse_amount`` and the date through ``form_day`` first, whose
    problems come back beside the reader's."""
    own: list[Problem] = []
    currency = values.get("currency", "").strip().upper()
    value = values.get("value", "").translate(_LATIN).strip()
    if currency in digits:
        try:
            minor = parse_amount(value, digits[currency])
            value = format_amount(minor, digits[currency])
        except ValueError as error:
            own.append(Problem(str(error), field="value"))
            value = "1"
    until = values.get("valid_until", "").translate(_LATIN).strip()
    try:
        day = form_day(until, "valid_until")
        if day < today:
            own.append(Problem(_("must be today or later"), field="valid_until"))
        until = day.isoformat()
    except InputError as error:
        own.extend(error.problems)
        until = today.isoformat()
    fields = {
        "id": offer_id,
        "firm": firm,
        "gives_hs": values.get("gives_hs", "").translate(_LATIN),
        "description": values.get("description", ""),
        "quantity": values.get("quantity", "").translate(_LATIN),
        "unit": values.get("unit", ""),
        "value": value,
        "currency": currency,
        "wants_hs": "|".join(
            w for w in _WANTS.split(values.get("wants_hs", "").translate(_LATIN)) if w
        ),
        "valid_until": until,
    }
    row = parse_offer(fields, digits, "form", None)
    return row, own


def _offer_errors(problems: list[Problem]) -> dict[str, list[str]]:
    """Each problem beside its field (the file's ``id`` is the form's ``offer_id``)."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        name = "offer_id" if p.field == "id" else (p.field or "")
        errors.setdefault(name if name in OFFER_FIELDS else "", []).append(
            p.message if name in OFFER_FIELDS else str(p)
        )
    return errors


def _form_values(form: dict[str, Any]) -> dict[str, str]:
    return {k: str(v).strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@router.post("/market/offers", response_class=HTMLResponse, response_model=None)
def post_offer(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, *OFFERERS)
    values = _form_values(form)
    firm = access.acting_firm(principal) or values.get("firm", "")
    if access.acting_firm(principal) is None and not firm:
        errors = {"firm": [_("name the firm that offers the goods")]}
        return _market_page(
            request, principal, session, status=422, errors=errors, form=values, open_form=True
        )
    offer_id = values.get("offer_id") or f"OF-{secrets.token_hex(4).upper()}"
    try:
        with transaction(engine_of(request)) as writer:
            digits = corridors.load(writer).digits
            row, own = _offer_fields(values, digits, firm, offer_id, today_of(request))
            if own:
                said = row.problems if isinstance(row, RejectedOffer) else ()
                raise InputError(
                    [*own, *(p for p in said if p.field not in {q.field for q in own})]
                )
            made = offers.post_offer(writer, row, principal.actor, source="web form")
    except InputError as error:
        errors = _offer_errors(list(error.problems))
    except TahatorError as error:
        errors = {"": [str(error)]}
    else:
        return RedirectResponse(f"/market/offers/{made.id}?done=posted", status_code=303)
    return _market_page(
        request, principal, session, status=422, errors=errors, form=values, open_form=True
    )


def _offer(session: Session, principal: Principal, offer_id: str) -> OfferView:
    """The offer, or a 404 for one that does not exist or ``principal`` may not see."""
    found = offers.list_offers(session, offer_id=offer_id) if len(offer_id) <= 100 else []
    access.hide_unless(
        bool(found) and access.sees_offer(session, principal, offer_id), f"offer {offer_id}"
    )
    return found[0]


def _offer_page(
    request: Request,
    principal: Principal,
    session: Session,
    offer_id: str,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    offer = _offer(session, principal, offer_id)
    may_change = (
        principal.role in OFFERERS
        and access.acts_for(principal, offer.firm)
        and offer.status == OfferStatus.OPEN
    )
    return render(
        request,
        "offer.html",
        principal,
        status=status,
        o=offer,
        firm_name=market_views.firm_names(session, {offer.firm})[offer.firm],
        may_change=may_change,
        currencies=sorted(corridors.load(session).digits),
        **extra,
    )


@router.get("/market/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(request: Request, offer_id: str, principal: User, session: Reader) -> HTMLResponse:
    return _offer_page(request, principal, session, offer_id)


def _may_change(session: Session, principal: Principal, offer_id: str) -> OfferView:
    allow(principal, *OFFERERS)
    offer = _offer(session, principal, offer_id)
    if not access.acts_for(principal, offer.firm):
        raise PageError(403, _("only the offering firm changes its offer"))
    return offer


@router.post("/market/offers/{offer_id}/edit", response_class=HTMLResponse, response_model=None)
def edit_offer(
    request: Request, offer_id: str, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    offer = _may_change(session, principal, offer_id)
    values = _form_values(form)
    try:
        with transaction(engine_of(request)) as writer:
            digits = corridors.load(writer).digits
            row, own = _offer_fields(values, digits, offer.firm, offer.id, today_of(request))
            said = row.problems if isinstance(row, RejectedOffer) else ()
            if own:
                raise InputError(
                    [*own, *(p for p in said if p.field not in {q.field for q in own})]
                )
            offers.edit_offer(writer, offer.id, row, principal.actor)
    except InputError as error:
        errors = _offer_errors(list(error.problems))
    except TahatorError as error:
        errors = {"": [str(error)]}
    else:
        return RedirectResponse(f"/market/offers/{offer.id}?done=edited", status_code=303)
    return _offer_page(
        request, principal, session, offer.id, status=422, errors=errors, form=values
    )


@router.post("/market/offers/{offer_id}/withdraw", response_class=HTMLResponse, response_model=None)
def withdraw_offer(
    request: Request, offer_id: str, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    offer = _may_change(session, principal, offer_id)
    if form.get("confirm") != "yes":  # the first press asks; the second withdraws
        return _offer_page(request, principal, session, offer.id, confirm_withdraw=True)
    try:
        with transaction(engine_of(request)) as writer:
            offers.withdraw_offer(writer, offer.id, principal.actor)
    except TahatorError as error:
        return _offer_page(
            request, principal, session, offer.id, status=422, errors={"": [str(error)]}
        )
    return RedirectResponse(f"/market/offers/{offer.id}?done=withdrawn", status_code=303)


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
        errors["cap"] = [_("a whole number from 2 to 6")]
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


def _proposal_page(
    request: Request,
    principal: Principal,
    session: Session,
    proposal_id: int,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    if not 1 <= proposal_id <= 2**63 - 1:
        raise PageError(404, _("no such proposal"))
    detail = market_views.proposal_detail(session, proposal_id)
    access.hide_unless(
        access.sees_proposal(session, principal, proposal_id), f"proposal {proposal_id}"
    )
    return render(
        request, "proposal.html", principal, status=status, d=detail, p=detail.proposal, **extra
    )


@router.get("/market/proposals/{proposal_id:int}", response_class=HTMLResponse)
def proposal_page(
    request: Request, proposal_id: int, principal: User, session: Reader
) -> HTMLResponse:
    return _proposal_page(request, principal, session, proposal_id)


@router.post("/market/proposals/{proposal_id:int}/{answer}", response_model=None)
def answer(
    request: Request, proposal_id: int, answer: str, principal: User, form: Form, session: Reader
) -> Response:
    if answer not in ("accept", "decline"):
        raise PageError(404, _("no such page"))
    allow(principal, "trader")
    firm = principal.firm or ""
    if not 1 <= proposal_id <= 2**63 - 1:
        raise PageError(404, _("no such proposal"))
    if form.get("confirm") != "yes":  # the first press asks; the second answers
        return _proposal_page(request, principal, session, proposal_id, confirm=answer)
    stated = str(form.get("as_of", "")).strip()
    policy = policy_of(request)
    try:
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
    except InputError as error:
        message = "; ".join(str(p) for p in error.problems)
        return _proposal_page(request, principal, session, proposal_id, status=422, error=message)
    return RedirectResponse(f"/market/proposals/{proposal_id}?done={answer}", status_code=303)


# --- reports -------------------------------------------------------------------------


def _quarter(text: str) -> str:
    text = text.strip().upper()
    if not QUARTER.match(text):
        raise PageError(422, _("%(text)s is not a quarter such as 2025Q4") % {"text": repr(text)})
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
            error=_("%(text)s is not a quarter such as 2025Q4") % {"text": repr(quarter)},
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
        raise PageError(404, _("no such report"))
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
        raise PageError(404, _("no such report"))
    report = stats.target_report(session, load_trade_policy(), principal)
    data = render_target_report(report, kind)
    headers = {"Content-Disposition": f'attachment; filename="trade-target.{kind}"'}
    return Response(data, media_type=TARGET_TYPES[kind], headers=headers)


__all__ = ["InvalidOperation", "router"]
