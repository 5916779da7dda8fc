"""The dashboard, firms and obligations pages."""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tahator import formatting
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.local_text import Calendar
from tahator.domain.money import Amount
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import RunStatus
from tahator.i18n import _
from tahator.io.firms import FIRM_COLUMNS, FIRM_OPTIONAL, aliases_of, firm_record
from tahator.io.markets import load_trade_policy
from tahator.io.obligations import read_obligations
from tahator.services import (
    access,
    bank_accounts,
    barter,
    clearing,
    firms,
    ledger,
    obligations,
    screening_views,
    stats,
)
from tahator.services import corridor as corridors
from tahator.services import position as positions
from tahator.services.common import ImportResult
from tahator.services.paging import Page, page_of
from tahator.services.users import Principal
from tahator.signin import engine_of, policy_of, today_of
from tahator.store.database import transaction
from tahator.web.barter import CANCELLERS
from tahator.web.core import (
    Form,
    PageError,
    Reader,
    User,
    allow,
    choice,
    render,
    segment,
)
from tahator.web.paging import window
from tahator.web.schedule import next_clearing

router = APIRouter(include_in_schema=False)
FIRM_FIELDS = (*FIRM_COLUMNS, *FIRM_OPTIONAL)
MAX_UPLOAD = 8 * 1024 * 1024


# --- the dashboard -------------------------------------------------------------------


DEADLINE_DAYS = 30
"""How far ahead the dashboard lists obligations falling due."""


def _sum(amounts: Iterable[Amount]) -> Amount:
    """The total of ``amounts``; with none, a bare ``0`` (no decimals), as the dashboard
    has always shown it."""
    total: Amount | None = None
    for amount in amounts:
        total = amount if total is None else total + amount
    return Amount(0, "", 0) if total is None else total


def _dashboard(request: Request, session: Session, principal: Principal) -> dict[str, Any]:
    firm = access.firm_filter(principal, None)
    today = today_of(request)
    context: dict[str, Any] = {"today": today, "firm": firm}
    context["held_notice"] = screening_views.held_notice(session, firm)
    try:
        policy = load_trade_policy()
        report = stats.target_report(session, policy, principal)
    except TahatorError as error:
        report, context["target_error"] = None, str(error)
    if report is not None:
        status, this_year = report.status, str(today.year)
        context["target"] = status
        context["series"] = report.series
        context["year"] = this_year
        context["year_total"] = sum(
            (r.total for r in report.series if r.month.startswith(this_year)),
            replace(status.target, minor=0),
        )
        context["chart"] = formatting.jsonable(
            {
                "series": report.series,
                "target_path": report.target_path,
                "unit": status.unit_of_account,
                "target_year": status.target_year,
            }
        )
    if access.may_read(principal, access.Part.CLEARING_ACCOUNTS):
        context["imbalance"] = [
            r for r in ledger.balance_rows(session) if r.account.startswith("interaccount:")
        ]
    runs = [r for r in clearing.list_runs(session) if r.status == RunStatus.COMPLETED]
    if firm is not None:
        # A trader's version: the debt its firm owed that runs set off.  Each obligation
        # counts once, as a run counts it: the set-off of what the firm was owed is the
        # same debt seen from the other side (a cycle clears both by one amount).
        context["firm_setoff"] = _sum(
            n.setoff_unit
            for r in runs
            for n in clearing.setoff_notices(session, r.run_id, firm)
            if n.debtor == firm
        )
    # The share is the latest run's: a debt still open after a run (domestic, not yet
    # due, or left by the cycles) is read again by the next, so runs' totals may not be
    # added up.  What runs set off may: each set-off relieves a debt once.
    context["runs"] = len(runs)
    context["setoff_all"] = _sum(r.cleared for r in runs)
    latest = runs[-1] if runs else None
    context["setoff_total"] = latest.total if latest else None
    context["setoff_cleared"] = latest.cleared if latest else None
    context["setoff_share"] = None
    if latest is not None and latest.total.minor:
        context["setoff_share"] = Decimal(latest.cleared.minor) / latest.total.minor
    if principal.role in access.BARTER_READERS:
        authorizations = barter.list_authorizations(session, None, firm)
        context["by_state"] = sorted(Counter(str(a.state) for a in authorizations).items())
        # Customs' deadline view: every authorization still to balance, overdue first.
        context["barter_deadlines"] = barter.deadlines(session, policy_of(request), today, firm)
        context["can_cancel"] = principal.role in CANCELLERS
    context["deadlines"], context["deadline_days"] = [], DEADLINE_DAYS
    due = [
        o
        for o in obligations.list_obligations(session, firm, ObligationStatus.OPEN)
        if today <= o.due_date <= today + timedelta(days=DEADLINE_DAYS)
    ]
    context["deadlines"] += [
        {
            "what": _("Obligation %(reference)s (%(debtor)s → %(creditor)s) due")
            % {"reference": o.id, "debtor": o.debtor, "creditor": o.creditor},
            "href": f"/obligations?status=open&q={segment(o.id)}",
            "date": o.due_date,
            "days": (o.due_date - today).days,
        }
        for o in due[:50]
    ]
    context["deadlines"].sort(key=lambda d: d["date"])
    return context


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return render(request, "dashboard.html", principal, **_dashboard(request, session, principal))


# --- firms ---------------------------------------------------------------------------


def _screening_shown(principal: Principal, rows: list[firms.FirmView]) -> list[firms.FirmView]:
    """Firms as ``principal`` reads them: a trader sees its firm's screening in words."""
    return [
        replace(r, screening=screening_views.screening_shown(principal, r.screening)) for r in rows
    ]


def _firms_page(
    request: Request,
    principal: Principal,
    session: Session,
    country: str = "",
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The firm directory: every firm's public fields for a trader (so that it finds its
    counterparties), everything stored for the roles that see every firm; a page at a
    time, sorted and searched by id, name or alias."""
    country = country.strip().upper()[:2]
    asked = window(request)
    if access.sees_every_firm(principal):
        full = firms.page_firms(session, asked, country or None)
        page: Page[Any] = replace(full, rows=tuple(_screening_shown(principal, list(full.rows))))
    else:
        page = firms.directory(session, asked, country or None)
        # Its own firm's screening, in words: the one status a trader reads here.
        extra.setdefault(
            "own",
            next(
                iter(_screening_shown(principal, firms.list_firms(session, principal.firm or ""))),
                None,
            ),
        )
    consortia = firms.list_consortia(session)
    seen = access.visible_consortia(session, principal, (c.id for c in consortia))
    consortia_page = page_of(
        [c for c in consortia if c.id in seen],
        window(request, "c_"),
        {"id": lambda c: c.id, "name": lambda c: c.name.casefold()},
        text=lambda c: f"{c.id} {c.name} {' '.join(c.members)}",
    )
    return render(
        request,
        "firms.html",
        principal,
        status=status,
        page=page,
        directory=not access.sees_every_firm(principal),
        consortia=consortia_page,
        screening_words=screening_views.words,
        country=country,
        **extra,
    )


@router.get("/firms", response_class=HTMLResponse)
def firms_page(
    request: Request, principal: User, session: Reader, country: str = ""
) -> HTMLResponse:
    """The firm directory: ``?q=`` (id, name or alias, any case), ``?country=PK``,
    ``?sort=name`` (``-name``: descending; ``id``, ``name``, ``country``), ``?page=``,
    ``?size=``."""
    return _firms_page(request, principal, session, country)


@router.post("/firms", response_class=HTMLResponse, response_model=None)
def register_firm(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, "operator")
    values = {k: str(form.get(k, "")).strip() for k in FIRM_FIELDS}
    errors: dict[str, list[str]] = {}
    try:
        for k in ("id", "name", "country", "tax_id"):
            if not values[k]:
                errors.setdefault(k, []).append(_("required"))
        if not errors:
            problems: list[Problem] = []
            record = firm_record(
                "form",
                2,  # where a file's only row would be
                (values["id"], values["name"], values["country"], values["tax_id"]),
                aliases_of(values["aliases"].split(",")),
                (
                    bool(form.get("active_taxpayer")),
                    bool(form.get("psw_subscribed")),
                    bool(form.get("state_enterprise")),
                ),
                problems,
            )
            if record is None:
                raise InputError(problems)
            with transaction(engine_of(request)) as writer:
                firms.import_firms(writer, [record], principal.actor, source="form")
            values["id"] = record.id  # as stored (NFKC)
    except InputError as error:
        for p in error.problems:
            errors.setdefault(p.field if p.field in FIRM_FIELDS else "", []).append(p.message)
    if errors:
        return _firms_page(
            request, principal, session, status=422, errors=errors, form=values, open_form=True
        )
    return RedirectResponse(f"/firms/{segment(values['id'])}?registered=1", status_code=303)


ACCOUNT_FIELDS = ("iban", "bic", "holder")
"""A bank account form's fields (a firm's page, the clearing page)."""


def account_errors(error: TahatorError) -> dict[str, list[str]]:
    """A refused bank account's problems by form field (``""``: not one field's), as
    both registration forms show them."""
    problems = error.problems if isinstance(error, InputError) else [Problem(str(error))]
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.field if p.field in ACCOUNT_FIELDS else "", []).append(p.message)
    return errors


@router.get("/firms/{firm_id:path}", response_class=HTMLResponse)  # an id stored with "/"
def firm_page(
    request: Request,
    firm_id: str,
    principal: User,
    session: Reader,
    registered: str = "",
    account: str = "",
) -> HTMLResponse:
    return _firm_page(
        request, firm_id, principal, session, registered=bool(registered), saved=bool(account)
    )


def _firm_page(
    request: Request,
    firm_id: str,
    principal: Principal,
    session: Session,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    access.hide_unless(access.sees_firm(principal, firm_id), f"firm {firm_id}")
    rows = _screening_shown(principal, firms.list_firms(session, firm_id))
    if not rows:
        raise PageError(404, _("There is no such firm, or it is not visible to you."))
    detail = screening_views.firm_screening_for(session, rows[0].id, principal)
    # A trader reads only its own firm's (it sees no other firm's page).
    reads_account = principal.role in access.BANK_ACCOUNT_READERS
    return render(
        request,
        "firm.html",
        principal,
        status=status,
        firm=rows[0],
        screening_words=screening_views.words,
        hits=getattr(detail, "hits", None),  # only for the roles that read the detail
        page=(page := obligations.page_obligations(session, window(request, "o_"), firm_id)),
        prefix="o_",
        names=_party_names(session, page.rows),
        authorizations=page_of(
            barter.list_authorizations(session, None, firm_id),
            window(request, "a_"),
            {"id": lambda a: a.id, "deadline": lambda a: a.deadline},
            text=lambda a: f"{a.id} {a.applicant} {a.counterparty} {a.state}",
        ),
        account=bank_accounts.firm_account(session, rows[0].id) if reads_account else None,
        **extra,
    )


@router.post("/firms/{firm_id:path}/bank-account", response_class=HTMLResponse, response_model=None)
def register_account(
    request: Request, firm_id: str, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    """The operator registers (or replaces) a firm's bank account; a refused IBAN, BIC
    or holder is shown in the page and nothing changes."""
    allow(principal, *access.ACCOUNT_REGISTRARS)
    values = {k: str(form.get(k, "")).strip() for k in ACCOUNT_FIELDS}
    try:
        with transaction(engine_of(request)) as writer:
            bank_accounts.register_firm_account(
                writer, firm_id, values["iban"], values["bic"], values["holder"], principal.actor
            )
    except InputError as error:
        return _firm_page(
            request,
            firm_id,
            principal,
            session,
            status=422,
            account_errors=account_errors(error),
            account_form=values,
        )
    return RedirectResponse(f"/firms/{segment(firm_id)}?account=1#bank-account", status_code=303)


# --- obligations ---------------------------------------------------------------------

STATUSES = ("open", "set_off", "in_settlement", "settled")


def _obligations_page(
    request: Request,
    principal: Principal,
    session: Session,
    firm: str = "",
    status: str = "",
    code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    if status and status not in STATUSES:
        status = ""
    page = obligations.page_obligations(
        session,
        window(request),
        access.firm_filter(principal, firm.strip() or None),
        choice(ObligationStatus, status),
    )
    return render(
        request,
        "obligations.html",
        principal,
        status=code,
        page=page,
        names=_party_names(session, page.rows),
        firm=firm,
        filter_status=status,
        statuses=STATUSES,
        can_upload=principal.role in ("operator", "trader"),
        next_clearing=next_clearing(request, session),
        **extra,
    )


def _party_names(session: Session, rows: Iterable[obligations.ObligationView]) -> dict[str, str]:
    """The names of the firms party to ``rows``, by id (names are public: the directory)."""
    ids = {firm for r in rows for firm in (r.debtor, r.creditor)}
    return {firm: found[0] for firm, found in positions.firm_names(session, ids).items()}


@router.get("/obligations", response_class=HTMLResponse)
def obligations_page(
    request: Request,
    principal: User,
    session: Reader,
    firm: str = "",
    status: str = "",
    stored: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """Obligations a page at a time: ``?q=`` searches number, reference, a party's id or
    name (any case); ``?sort=`` one of ``services.obligations.OBLIGATION_SORTS``."""
    return _obligations_page(request, principal, session, firm, status, stored=stored)


TEMPLATE_HEADER = "id,debtor,creditor,amount,currency,due_date"


@router.get("/obligations/template.csv", response_model=None)
def obligations_template(principal: User) -> Response:
    """An empty CSV to fill in: the header the upload reads."""
    return Response(
        TEMPLATE_HEADER + "\n",
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="debts-template.csv"'},
    )


def _check(
    request: Request,
    principal: Principal,
    name: str,
    data: bytes,
    store: bool,
    calendar: Calendar = Calendar.GREGORIAN,
) -> tuple[list[Problem], ImportResult | None]:
    """Validate the whole file in a transaction; commit it only when ``store``; its due
    dates are read in ``calendar`` (the upload form's choice)."""
    owed_by = access.acting_firm(principal)

    def register(session: Session) -> ImportResult:
        digits = corridors.load(session).digits
        read = read_obligations(Path(name), digits, data=data, calendar=calendar)
        return obligations.import_obligations(
            session,
            read.records,
            principal.actor,
            source=read.source,
            problems=read.problems,
            owed_by=owed_by,
            registered_on=today_of(request),
        )

    if store:
        try:
            with transaction(engine_of(request)) as session:
                result = register(session)
        except InputError as error:
            return list(error.problems), None
        return [], result
    # A dry run: everything the import would do, then rolled back.
    session = Session(engine_of(request))
    try:
        checked = register(session)
    except InputError as error:
        return sorted(error.problems, key=lambda p: (p.line or 0, p.field or "")), None
    finally:
        session.rollback()
        session.close()
    return [], checked


def _calendar(form: dict[str, Any]) -> Calendar:
    """The calendar an upload's due dates are in: Solar Hijri only when asked for."""
    return (
        Calendar.SOLAR_HIJRI if form.get("calendar") == Calendar.SOLAR_HIJRI else Calendar.GREGORIAN
    )


def _file_name(raw: str) -> str:
    name = Path(raw.replace("\\", "/")).name.strip() or "upload.csv"
    return "".join(c for c in name if c.isprintable())[:100]


@router.post("/obligations/check", response_class=HTMLResponse)
async def check_upload(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse:
    """Step one: the validation report, before anything is stored."""
    allow(principal, "operator", "trader")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _obligations_page(
            request, principal, session, code=422, upload_error=_("Choose a CSV file to upload.")
        )
    data = await upload.read(MAX_UPLOAD + 1)
    name = _file_name(upload.filename)
    if len(data) > MAX_UPLOAD:
        return _obligations_page(
            request,
            principal,
            session,
            code=422,
            upload_error=_("%(name)s is larger than %(size)s MB.")
            % {"name": name, "size": MAX_UPLOAD // 1024 // 1024},
        )
    calendar = _calendar(form)
    problems, result = _check(request, principal, name, data, store=False, calendar=calendar)
    return _obligations_page(
        request,
        principal,
        session,
        code=422 if problems else 200,
        report={
            "name": name,
            "problems": [str(p) for p in sorted(problems, key=lambda p: p.line or 0)],
            "result": result,
            "data": base64.b64encode(data).decode(),
            "calendar": calendar.value,
        },
    )


@router.post("/obligations/store", response_class=HTMLResponse, response_model=None)
def store_upload(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    """Step two: store the checked file (validated again, all or nothing)."""
    allow(principal, "operator", "trader")
    name = _file_name(str(form.get("name", "")))
    try:
        data = base64.b64decode(str(form.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        return _obligations_page(
            request, principal, session, code=422, upload_error=_("Upload the file again.")
        )
    problems, result = _check(request, principal, name, data, store=True, calendar=_calendar(form))
    if problems:
        return _obligations_page(
            request,
            principal,
            session,
            code=422,
            report={
                "name": name,
                "problems": [str(p) for p in sorted(problems, key=lambda p: p.line or 0)],
                "result": None,
                "data": "",
            },
        )
    assert result is not None
    return RedirectResponse(f"/obligations?stored={result.created}", status_code=303)
