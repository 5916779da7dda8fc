"""Clearing runs, set-off notices and settlement instructions."""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tahator.domain.errors import TahatorError
from tahator.domain.returns import REASONS
from tahator.domain.settlement import InstructionStatus
from tahator.formatting import jsonable
from tahator.io.tables import write_csv
from tahator.services import access, clearing, settlement
from tahator.services.users import Principal
from tahator.signin import engine_of, today_of
from tahator.store.database import DatabaseBusyError, transaction
from tahator.web.core import Form, PageError, Reader, User, allow, choice, render
from tahator.web.forms import typed_day

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
)


def _clearing_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    firm = access.firm_filter(principal, None)
    pending = (
        settlement.list_instructions(session, InstructionStatus.PENDING, firm)
        if access.sees_instructions(principal)
        else []
    )
    return render(
        request,
        "clearing.html",
        principal,
        status=status,
        runs=list(reversed(clearing.list_runs(session))),
        pending=pending,
        sees_instructions=access.sees_instructions(principal),
        return_reasons=REASONS,
        today=today_of(request),
        **extra,
    )


@router.get("/clearing", response_class=HTMLResponse)
def clearing_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return _clearing_page(request, principal, session)


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
        raise PageError(404, f"no clearing run {run_id}")
    return run_id


@router.get("/clearing/runs/{run_id:int}", response_class=HTMLResponse)
def run_page(
    request: Request, run_id: int, principal: User, session: Reader, firm: str = ""
) -> HTMLResponse:
    firm_filter = access.firm_filter(principal, firm or None)
    view = clearing.show_run(session, _run_id(run_id), firm_filter, principal)
    notices = clearing.setoff_notices(session, run_id, firm_filter)
    return render(
        request,
        "run.html",
        principal,
        run=view,
        notices=notices[:1000],
        notice_count=len(notices),
        firm=firm,
        sees_instructions=access.sees_instructions(principal),
        return_reasons=REASONS,
    )


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
        raise PageError(403, "a customs officer may not see settlement instructions")
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
        raise PageError(404, f"no instruction {instruction_id}")
    with transaction(engine_of(request)) as writer:
        done = settlement.confirm(writer, instruction_id, principal.actor)
    return RedirectResponse(_back(form, f"confirmed={done.id}"), status_code=303)


@router.post("/settlement/{instruction_id:int}/return")
def return_instruction(
    request: Request, instruction_id: int, principal: User, form: Form
) -> Response:
    """A bank marks a pending instruction returned, with an ISO 20022 reason code."""
    allow(principal, "bank")
    if not 1 <= instruction_id <= 2**63 - 1:
        raise PageError(404, f"no instruction {instruction_id}")
    reason = str(form.get("reason", ""))
    with transaction(engine_of(request)) as writer:
        done = settlement.return_instruction(writer, instruction_id, reason, principal.actor)
    query = f"returned={done.instruction.id}&reason={done.reason}"
    return RedirectResponse(_back(form, query), status_code=303)


def _back(form: Any, query: str) -> str:
    """Where a bank's action returns to: the clearing page it came from, never elsewhere."""
    back = str(form.get("back", ""))
    target = back if back.startswith("/clearing") and not back.startswith("//") else "/clearing"
    return f"{target}{'&' if '?' in target else '?'}{query}"
