"""Barter authorizations in the web UI: the list with customs' deadline view, the
application form, an authorization's page and what customs and the applicant do there."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from tahator.domain.barter import AuthorizationStatus
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.i18n import _
from tahator.io.application import parse_application
from tahator.io.declarations import declaration_record
from tahator.services import access, barter, barter_views, firms
from tahator.services import corridor as corridors
from tahator.services.barter import AuthorizationDetail
from tahator.services.users import Principal
from tahator.signin import engine_of, policy_of, today_of
from tahator.store.database import transaction
from tahator.web.core import Form, PageError, Reader, User, allow, choice, render
from tahator.web.forms import form_day, typed_day
from tahator.web.paging import window

router = APIRouter(include_in_schema=False)
LINE_FIELDS = ("hs", "description", "quantity", "unit", "value", "currency")
CANCELLERS = ("customs", "operator")
"""Who cancels an overdue authorization: those who run the sweep, whose code path it is."""
CLOSERS = ("customs", "trader")
"""Who closes an authorization on purpose: customs, or a trader of the applicant."""
ACTIONS = {
    "authorize": ("customs",),
    "reject": ("customs",),
    "declare": ("customs",),
    "cancel": CANCELLERS,
    "close": CLOSERS,
}
FORM_FIELDS = {"as_of", "reason", "direction", "hs", "quantity", "unit", "value", "currency"}
FORM_FIELDS |= {"date", "reference"}


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


def _firm_country(session: Session, principal: Principal) -> str | None:
    """The country of the firm a trader acts for (``None`` for other roles)."""
    acting = access.acting_firm(principal)
    if acting is None:
        return None
    found = firms.list_firms(session, acting)
    return found[0].country if found else None


def _barter_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    allow(principal, *access.BARTER_READERS)
    state = choice(AuthorizationStatus, request.query_params.get("state"))
    policy = policy_of(request)
    today = today_of(request)
    firm = access.firm_filter(principal, None)
    listed = barter_views.authorization_page(session, window(request, "a_"), state, firm)
    rows = []
    for a in listed.rows:
        view = barter.show(session, policy, a.id)
        rows.append((view, _bar(view, today)))
    country = _firm_country(session, principal)
    # The barter order binds the home country's applicants; the partner firm is the
    # counterparty.
    home = policy.home_country
    return render(
        request,
        "barter.html",
        principal,
        status=status,
        rows=rows,
        listed=listed,
        names=barter_views.party_names(session),
        state=state or "",
        states=tuple(AuthorizationStatus),
        can_apply=principal.role in access.APPLICANTS and country in (None, home),
        foreign_firm=country not in (None, home),
        rules=policy.rules_on(today),
        deadlines=barter_views.deadline_page(session, policy, today, window(request, "d_"), firm),
        can_cancel=principal.role in CANCELLERS,
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
        "undertaking": bool(values.get("undertaking")),
    }
    return data, values


@router.post("/barter/apply", response_class=HTMLResponse, response_model=None)
def apply(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, *access.APPLICANTS)
    if _firm_country(session, principal) not in (None, policy_of(request).home_country):
        raise PageError(
            403, _("the barter order binds Pakistani applicants: your firm cannot apply")
        )
    data, values = _application(principal, form)
    fields = {
        "applicant",
        "counterparty",
        "partner_country",
        "valid_from",
        "valid_until",
        "origin_declared",
        "undertaking",
        *(f"{d}_{f}" for d in ("import", "export") for f in LINE_FIELDS),
    }
    try:
        with transaction(engine_of(request)) as writer:
            digits = corridors.load(writer).digits
            application = parse_application(data, digits, "application", typed_day)
            result = barter.submit(
                writer, policy_of(request), application, principal.actor, "application"
            )
    except InputError as error:
        errors = _errors(list(error.problems), fields)
    except TahatorError as error:
        errors = {"": [str(error)]}
    else:
        return RedirectResponse(f"/barter/{result.id}", status_code=303)
    return _barter_page(
        request, principal, session, status=422, errors=errors, form=values, open_form=True
    )


def _authorization_page(
    request: Request,
    principal: Principal,
    session: Session,
    authorization_id: int,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    allow(principal, *access.BARTER_READERS)
    _visible(session, principal, authorization_id)
    view = barter.show(session, policy_of(request), authorization_id)
    today = today_of(request)
    return render(
        request,
        "authorization.html",
        principal,
        status=status,
        a=view,
        bar=_bar(view, today),
        imbalance=barter_views.imbalance(view),
        names=barter_views.party_names(session),
        today=today,
        can_cancel=principal.role in CANCELLERS,
        can_close=_may_close(session, principal, view),
        currencies=sorted(corridors.load(session).digits),
        **extra,
    )


def _visible(session: Session, principal: Principal, authorization_id: int) -> None:
    """A 404 for an authorization that does not exist or that ``principal`` may not see."""
    if not 1 <= authorization_id <= 2**63 - 1:
        raise PageError(404, _("no such barter authorization"))
    access.hide_unless(
        access.sees_authorization(session, principal, authorization_id),
        f"barter authorization {authorization_id}",
    )


def _may_close(session: Session, principal: Principal, view: AuthorizationDetail) -> bool:
    """Customs, or a trader of the applicant (a consortium's lead or member included); not
    the counterparty's trader."""
    if principal.role == "customs":
        return True
    return principal.role == "trader" and access.may_apply_for(session, principal, view.applicant)


@router.get("/barter/{authorization_id:int}", response_class=HTMLResponse)
def authorization_page(
    request: Request, authorization_id: int, principal: User, session: Reader
) -> HTMLResponse:
    return _authorization_page(request, principal, session, authorization_id)


def _act(
    request: Request,
    writer: Session,
    principal: Principal,
    authorization_id: int,
    action: str,
    values: dict[str, str],
) -> None:
    """Do ``action`` on the authorization, with the form's ``values``."""
    policy = policy_of(request)
    raw = values.get("as_of", "")
    # Only customs and operators state the business date; a trader acts on today's.
    if raw and principal.role not in CANCELLERS:
        raise InputError([Problem(_("only customs states the date"), field="as_of")])
    day = form_day(raw, "as_of") if raw else today_of(request)
    if action == "authorize":
        barter.authorize(writer, policy, authorization_id, day, principal.actor)
    elif action == "reject":
        reason = values.get("reason", "")
        barter.reject(writer, policy, authorization_id, reason, principal.actor, as_of=day)
    elif action == "cancel":
        barter.cancel(writer, policy, authorization_id, day, principal.actor)
    elif action == "close":
        view = barter.show(writer, policy, authorization_id)
        if not _may_close(writer, principal, view):
            raise PageError(403, _("only customs or a trader of the applicant closes it"))
        barter.close(
            writer,
            policy,
            authorization_id,
            values.get("reason", ""),
            day,
            principal.actor,
            by_trader=principal.role == "trader",
        )
    else:
        record, problems = declaration_record(
            direction=values.get("direction", ""),
            hs=values.get("hs", ""),
            quantity=values.get("quantity", ""),
            unit=values.get("unit", ""),
            value=values.get("value", ""),
            currency=values.get("currency", "").upper(),
            on=form_day(values.get("date", ""), "date"),
            reference=values.get("reference") or None,
            digits=corridors.load(writer).digits,
        )
        barter.declare(
            writer, policy, authorization_id, record, actor=principal.actor, problems=problems
        )


@router.post(
    "/barter/{authorization_id:int}/{action}", response_class=HTMLResponse, response_model=None
)
def authorization_action(
    request: Request,
    authorization_id: int,
    action: str,
    principal: User,
    form: Form,
    session: Reader,
) -> HTMLResponse | RedirectResponse:
    if action not in ACTIONS:
        raise PageError(404, _("no such page"))
    allow(principal, *ACTIONS[action])
    _visible(session, principal, authorization_id)
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    try:
        with transaction(engine_of(request)) as writer:
            _act(request, writer, principal, authorization_id, action, values)
    except InputError as error:
        return _authorization_page(
            request,
            principal,
            session,
            authorization_id,
            status=422,
            action=action,
            errors=_errors(list(error.problems), FORM_FIELDS),
            form=values,
        )
    return RedirectResponse(f"/barter/{authorization_id}?done={action}", status_code=303)


__all__ = ["router"]
