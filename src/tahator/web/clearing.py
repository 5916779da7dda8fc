"""Clearing runs, set-off notices and settlement instructions."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tahator import display
from tahator.domain.errors import TahatorError
from tahator.domain.returns import REASONS
from tahator.domain.settlement import InstructionStatus
from tahator.formatting import jsonable
from tahator.i18n import _
from tahator.io.tables import write_csv
from tahator.services import access, bank_accounts, clearing, clearing_desk, settlement
from tahator.services.paging import row_id
from tahator.services.users import Principal
from tahator.signin import engine_of, today_of
from tahator.store.database import DatabaseBusyError, transaction
from tahator.web.core import Form, PageError, Reader, User, allow, choice, render
from tahator.web.forms import typed_day
from tahator.web.pages import ACCOUNT_FIELDS, account_errors
from tahator.web.paging import window, with_query

router = APIRouter(include_in_schema=False)
NOTICE_COLUMNS = (
    "obligation",
    "reference",
    "debtor",
    "creditor",
    "currency",
    "before",
    "setoff",
    "after",
    "setoff_unit",
)
INSTRUCTION_COLUMNS = (
    "id",
    "run_id",
    "firm",
    "country",
    "kind",
    "owed",
    "amount",
    "unpaid",
    "local_currency",
    "local_amount",
    "status",
    "confirmed_at",
    "confirmed_by",
    "return_reason",
    "reference",
)


def _instruction_filters(request: Request, session: Session) -> dict[str, Any]:
    """The clearing page's filters: country (a clearing account's), run, status
    (pending unless another or "any" is asked)."""
    params = request.query_params
    known = dict(clearing_desk.countries(session))
    country = params.get("country", "")
    run_text = params.get("run", "")
    status_text = params.get("status", "pending")
    return {
        "country": country if country in known else "",
        "run": row_id(run_text),
        "status": choice(InstructionStatus, status_text),
        "status_text": status_text if choice(InstructionStatus, status_text) else "any",
        "countries": tuple(known.items()),
    }


def _clearing_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    firm = access.firm_filter(principal, None)
    filters = _instruction_filters(request, session)
    lines = (
        clearing_desk.instruction_lines(
            session,
            window(request).within(clearing_desk.INSTRUCTION_SORTS),
            run=filters["run"],
            status=filters["status"],
            firm=firm,
            country=filters["country"] or None,
        )
        if access.sees_instructions(principal)
        else None
    )
    return render(
        request,
        "clearing.html",
        principal,
        status=status,
        runs=list(reversed(clearing.list_runs(session))),
        lines=lines,
        filters=filters,
        sees_instructions=access.sees_instructions(principal),
        return_reasons=REASONS,
        today=today_of(request),
        accounts=(
            bank_accounts.clearing_accounts(session)
            if principal.role in access.BANK_ACCOUNT_READERS
            else {}
        ),
        **extra,
    )


@router.get("/clearing", response_class=HTMLResponse)
def clearing_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return _clearing_page(request, principal, session)


def _backdated(session: Session, as_of: date, today: date) -> tuple[str, str] | None:
    """A warning and the words its confirmation box says, for a run as of a day before
    today: on the date of an earlier run, or simply back-dated.  (A day before the
    latest run's is refused by the service: runs follow the calendar.)"""
    if as_of >= today:
        return None
    earlier = clearing_desk.latest_run_on_or_after(session, as_of)
    if earlier is not None and earlier.as_of > as_of:
        return None  # the service refuses it, saying why
    if earlier is not None:
        return (
            _(
                "Run %(run)s is already as of %(day)s: this run would be back-dated onto "
                "its date, and settle only what was due by then."
            )
            % {"run": display.number(earlier.run_id), "day": display.calendar_day(earlier.as_of)},
            _("I know this date is not after run %(run)s's")
            % {"run": display.number(earlier.run_id)},
        )
    return (
        _(
            "%(day)s is before today's business date (%(today)s): the run would be "
            "back-dated, and settle only what was due by then."
        )
        % {"day": display.calendar_day(as_of), "today": display.calendar_day(today)},
        _("I know this date is before today's"),
    )


@router.post("/clearing/run", response_class=HTMLResponse, response_model=None)
def start_run(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, "operator")
    raw = str(form.get("as_of", "")).strip()
    as_of = today_of(request)
    if raw:
        try:
            as_of = typed_day(raw)
        except ValueError as error:
            return _clearing_page(
                request, principal, session, status=422, errors={"as_of": str(error)}, as_of=raw
            )
        warning = _backdated(session, as_of, today_of(request))
        if warning is not None and form.get("backdated") != "yes":
            return _clearing_page(
                request,
                principal,
                session,
                status=409,
                backdated=warning,
                as_of=raw,
            )
    try:
        with transaction(engine_of(request)) as writer:
            summary = clearing.run_clearing(writer, principal.actor, as_of, today=today_of(request))
    except DatabaseBusyError as error:
        return _clearing_page(request, principal, session, status=503, run_error=str(error))
    except TahatorError as error:
        return _clearing_page(
            request, principal, session, status=422, errors={"as_of": str(error)}, as_of=raw
        )
    return RedirectResponse(f"/clearing/runs/{summary.run_id}", status_code=303)


def _run_id(run_id: int) -> int:
    if not 1 <= run_id <= 2**63 - 1:
        raise PageError(404, _("no clearing run %(run)s") % {"run": run_id})
    return run_id


@router.get("/clearing/runs/{run_id:int}", response_class=HTMLResponse)
def run_page(
    request: Request, run_id: int, principal: User, session: Reader, firm: str = ""
) -> HTMLResponse:
    firm_filter = access.firm_filter(principal, firm or None)
    view = clearing.show_run(session, _run_id(run_id), firm_filter, principal)
    notices = clearing_desk.notice_page(
        session, run_id, window(request, "n_").within(clearing_desk.NOTICE_SORTS), firm_filter
    )
    shown = access.sees_instructions(principal)
    lines = (
        clearing_desk.instruction_lines(
            session,
            window(request, "i_").within(clearing_desk.INSTRUCTION_SORTS),
            run=run_id,
            firm=firm_filter,
        )
        if shown
        else None
    )
    accounts = (
        clearing_desk.account_summary(session, run_id)
        if access.may_read(principal, access.Part.CLEARING_ACCOUNTS)
        else ()
    )
    return render(
        request,
        "run.html",
        principal,
        run=view,
        notices=notices,
        lines=lines,
        accounts=accounts,
        firm=firm,
        sees_instructions=shown,
        notice_pdf=_notice_pdf(principal, run_id, firm_filter),
        return_reasons=REASONS,
    )


def _notice_pdf(principal: Principal, run_id: int, firm: str | None) -> str | None:
    """Where the page offers the set-off notice PDF (``web.notice``): to the roles that
    read it, once a firm is chosen (a trader's own, always)."""
    if principal.role not in access.INSTRUCTION_READERS or not firm:
        return None
    asked = firm if access.sees_every_firm(principal) else None  # a trader's is implied
    return with_query(f"/clearing/runs/{run_id}/notice.pdf", firm=asked)


def _csv(name: str, columns: tuple[str, ...], results: list[Any]) -> Response:
    rows: list[dict[str, Any]] = jsonable(results)
    out = io.StringIO(newline="")
    cells = [["" if r.get(c) is None else str(r.get(c)) for r in rows] for c in columns]
    write_csv(out, columns, cells)  # cells safe for spreadsheets
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/clearing/runs/{run_id:int}/notices.csv")
def notices_csv(run_id: int, principal: User, session: Reader, firm: str = "") -> Response:
    rows = clearing.setoff_notices(
        session, _run_id(run_id), access.firm_filter(principal, firm or None)
    )
    return _csv(f"setoff-notices-run-{run_id}.csv", NOTICE_COLUMNS, rows)


@router.get("/clearing/instructions.csv")
def instructions_csv(
    principal: User, session: Reader, run: int | None = None, status: str = ""
) -> Response:
    if not access.sees_instructions(principal):
        raise PageError(403, _("a customs officer may not see settlement instructions"))
    rows = settlement.list_instructions(
        session, choice(InstructionStatus, status), access.firm_filter(principal, None)
    )
    if run is not None:
        rows = [r for r in rows if r.run_id == run]
    suffix = f"-run-{run}" if run is not None else ""
    return _csv(f"settlement-instructions{suffix}.csv", INSTRUCTION_COLUMNS, rows)


@router.post("/settlement/{instruction_id:int}/confirm")
def confirm(request: Request, instruction_id: int, principal: User, form: Form) -> Response:
    allow(principal, "bank")
    if not 1 <= instruction_id <= 2**63 - 1:
        raise PageError(404, _("no instruction %(id)s") % {"id": instruction_id})
    with transaction(engine_of(request)) as writer:
        done = settlement.confirm(writer, instruction_id, principal.actor)
    return RedirectResponse(
        _back(form, {"confirmed": str(done.id)}, f"instruction-{done.id}"), status_code=303
    )


@router.post("/settlement/{instruction_id:int}/return")
def return_instruction(
    request: Request, instruction_id: int, principal: User, form: Form
) -> Response:
    """A bank marks a pending instruction returned, with an ISO 20022 reason code."""
    allow(principal, "bank")
    if not 1 <= instruction_id <= 2**63 - 1:
        raise PageError(404, _("no instruction %(id)s") % {"id": instruction_id})
    reason = str(form.get("reason", ""))
    with transaction(engine_of(request)) as writer:
        done = settlement.return_instruction(writer, instruction_id, reason, principal.actor)
    changes = {"returned": str(done.instruction.id), "reason": done.reason}
    return RedirectResponse(
        _back(form, changes, f"instruction-{done.instruction.id}"), status_code=303
    )


PICK = "pick-"
"""A selected instruction's checkbox: ``pick-<id>`` (one name each: the form is read
as a dict)."""


def _picked(form: dict[str, Any]) -> list[int]:
    ids = []
    for key in form:
        number = row_id(key.removeprefix(PICK)) if key.startswith(PICK) else None
        if number is not None:
            ids.append(number)
    return sorted(set(ids))


def _country(form: dict[str, Any], session: Session) -> str | None:
    asked = str(form.get("country", ""))
    if not asked:
        return None
    if asked not in dict(clearing_desk.countries(session)):
        raise PageError(422, _("no clearing account of %(country)s") % {"country": asked})
    return asked


@router.post("/settlement/review", response_class=HTMLResponse)
def review(request: Request, principal: User, form: Form, session: Reader) -> HTMLResponse:
    """The bank's confirmation step: what "confirm selected" would confirm, with totals
    per currency, and the button that confirms it."""
    allow(principal, "bank")
    ids = _picked(form)
    country = _country(form, session)
    lines = clearing_desk.chosen_lines(session, ids)
    refused = [
        line
        for line in lines
        if line.instruction.status != InstructionStatus.PENDING
        or (country is not None and line.instruction.country != country)
    ]
    missing = sorted(set(ids) - {line.instruction.id for line in lines})
    return render(
        request,
        "confirm_selected.html",
        principal,
        status=200 if ids and not refused and not missing else 422,
        lines=lines,
        refused=refused,
        missing=missing,
        totals=clearing_desk.totals_by_currency(lines),
        country=country or "",
        back=_back_target(form),
        picked=ids,
    )


@router.post("/settlement/confirm")
def confirm_selected(request: Request, principal: User, form: Form) -> Response:
    """Confirm every instruction the confirmation step listed: all or none."""
    allow(principal, "bank")
    ids = _picked(form)
    with transaction(engine_of(request)) as writer:
        country = _country(form, writer)
        done = settlement.confirm_many(writer, ids, principal.actor, country)
    return RedirectResponse(
        _back(form, {"confirmed_count": str(len(done))}, "instructions"), status_code=303
    )


_NOTES = ("confirmed", "returned", "reason", "confirmed_count")
"""What a redirect after an action says in the query: left out of the next ``back``."""


def _back_target(form: Any) -> str:
    """Where a bank's action returns to: the clearing page it came from (with its
    filters and page), never elsewhere."""
    back = str(form.get("back", ""))
    target = back if back.startswith("/clearing") and not back.startswith("//") else "/clearing"
    return with_query(target.split("#")[0], **dict.fromkeys(_NOTES))


def _back(form: Any, notes: dict[str, str], fragment: str) -> str:
    """The page the bank came from, saying what was done, scrolled to ``fragment``."""
    return f"{with_query(_back_target(form), **notes)}#{fragment}"


@router.post(
    "/clearing/accounts/{country}/bank-account", response_class=HTMLResponse, response_model=None
)
def register_clearing_account(
    request: Request, country: str, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    """The operator registers (or replaces) a clearing account's bank account; a refused
    IBAN, BIC or holder is shown in the page and nothing changes."""
    allow(principal, *access.ACCOUNT_REGISTRARS)
    values = {k: str(form.get(k, "")).strip() for k in ACCOUNT_FIELDS}
    try:
        with transaction(engine_of(request)) as writer:
            account = bank_accounts.register_clearing_account(
                writer, country, values["iban"], values["bic"], values["holder"], principal.actor
            )
    except TahatorError as error:
        return _clearing_page(
            request,
            principal,
            session,
            status=422,
            account_country=country.upper(),
            account_errors=account_errors(error),
            account_form=values,
        )
    return RedirectResponse(f"/clearing?account={account.owner}#clearing-accounts", status_code=303)
