"""The settlement bank's desk: payment files out (pain.001), statements in (camt)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from tahator import display
from tahator.domain.errors import NotFoundError, TahatorError
from tahator.i18n import _
from tahator.io import camt
from tahator.io.camt import MAX_BYTES
from tahator.services import bank_statements, clearing_desk, payment_files
from tahator.services import corridor as corridors
from tahator.services.access import SETTLERS
from tahator.services.bank_statements import Reason, StatementItem
from tahator.services.paging import row_id
from tahator.services.users import Principal
from tahator.signin import engine_of, today_of
from tahator.store.database import DatabaseBusyError, reading, transaction
from tahator.web.core import Form, PageError, Reader, User, allow, render, state_name

router = APIRouter(include_in_schema=False)


def _error_text(error: TahatorError) -> str:
    problems = getattr(error, "problems", None) or []
    return "; ".join(str(p) for p in problems) or str(error)


def _desk(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "bank.html",
        principal,
        status=status,
        batches=payment_files.payout_batches(session),
        messages=bank_statements.imported_messages(session),
        countries=dict(clearing_desk.countries(session)),
        **extra,
    )


@router.get("/bank", response_class=HTMLResponse)
def bank_desk(request: Request, principal: User, session: Reader) -> HTMLResponse:
    allow(principal, *SETTLERS)
    return _desk(request, principal, session)


@router.post("/bank/payment-file", response_model=None)
def payment_file(request: Request, principal: User, form: Form, session: Reader) -> Response:
    """The pain.001 of a run's payouts from one country's clearing account not sent
    before.  A form's POST (CSRF-checked): it marks the payouts sent, which a link a
    browser follows or prefetches must not do."""
    allow(principal, *SETTLERS)
    run_id = row_id(str(form.get("run", "")))
    country = str(form.get("country", ""))
    if run_id is None or country not in dict(clearing_desk.countries(session)):
        return _desk(
            request,
            principal,
            session,
            status=422,
            export_error=_("Choose a run and a clearing account's country."),
        )
    try:
        with transaction(engine_of(request)) as writer:
            made = payment_files.export_payouts(
                writer, run_id, country, principal.actor, today=today_of(request)
            )
    except DatabaseBusyError as error:
        return _desk(request, principal, session, status=503, export_error=str(error))
    except TahatorError as error:
        return _desk(request, principal, session, status=422, export_error=_error_text(error))
    return Response(
        made.content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{made.file_name}"'},
    )


@router.get("/bank/payment-files/{message_id}.xml", response_model=None)
def sent_payment_file(principal: User, session: Reader, message_id: str) -> Response:
    """A payment file as it was sent, again (the bank lost it, or checks it)."""
    allow(principal, *SETTLERS)
    try:
        sent = payment_files.stored(session, message_id)
    except NotFoundError as error:
        raise PageError(404, _("No payment file %(id)s.") % {"id": message_id}) from error
    return Response(
        sent.content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{sent.file_name}"'},
    )


@router.post("/bank/statements", response_class=HTMLResponse, response_model=None)
async def upload_statement(
    request: Request, principal: User, form: Form
) -> HTMLResponse | RedirectResponse:
    """Import a camt.054/053 file; the report's page after, or the desk saying why not."""
    allow(principal, *SETTLERS)
    upload = form.get("file")
    message, busy = "", False
    report: bank_statements.StatementReport | None = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        message = _("Choose the bank's camt.054 or camt.053 file.")
    else:
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            message = _("The file is larger than %(size)s MB.") % {
                "size": MAX_BYTES // 1024 // 1024
            }
        else:
            try:
                # Off the event loop: the import is a database transaction.
                report = await run_in_threadpool(_import, request, data, principal.actor)
            except DatabaseBusyError as error:
                message, busy = str(error), True
            except TahatorError as error:
                message = _error_text(error)
    if report is None:
        with reading(engine_of(request)) as session:
            return _desk(
                request,
                principal,
                session,
                status=503 if busy else 422,
                upload_error=message,
            )
    outcome = "again" if report.already_imported else "new"
    return RedirectResponse(
        f"/bank/statements/{quote(report.country, safe='')}/"
        f"{quote(report.message_id, safe='')}?imported={outcome}",
        status_code=303,
    )


def _import(request: Request, data: bytes, actor: str) -> bank_statements.StatementReport:
    with transaction(engine_of(request)) as writer:
        message = camt.read(data, corridors.load(writer).digits)
        return bank_statements.import_statement(writer, message, actor)


@router.get("/bank/statements/{country}/{message_id:path}", response_class=HTMLResponse)
def statement_report(
    request: Request,
    country: str,
    message_id: str,
    principal: User,
    session: Reader,
    imported: str = "",
) -> HTMLResponse:
    allow(principal, *SETTLERS)
    try:
        report = bank_statements.stored_report(session, country, message_id)
    except NotFoundError:
        raise PageError(
            404, _("No bank statement %(id)s was imported.") % {"id": message_id[:40]}
        ) from None
    return render(
        request,
        "bank_report.html",
        principal,
        report=report,
        why=reason,
        fresh=imported == "new",
        again=imported == "again",
    )


def reason(item: StatementItem) -> str:
    """Why ``item`` was not applied, in the reader's language with local amounts."""
    if item.reason is None:
        return ""  # applied: nothing to explain
    texts = {
        Reason.UNREADABLE: "%(problem)s",
        Reason.NOT_BOOKED: _("status %(status)s: only booked (BOOK) entries apply"),
        Reason.NOT_ADDING_UP: _("the entry's transactions do not add up to its amount"),
        Reason.REVERSAL: _("a reversal without a return reason: for the bank to look at"),
        Reason.NO_REFERENCE: _("no reference: no creditor reference or end-to-end id"),
        Reason.UNKNOWN_COLLECTION: _(
            "%(references)s: not a collection's creditor reference this clearing house gave"
        ),
        Reason.UNKNOWN_PAYOUT: _(
            "%(references)s: not a payout's end-to-end id this clearing house gave"
        ),
        Reason.UNKNOWN_INSTRUCTION: _(
            "%(references)s: not an instruction's reference this clearing house gave"
        ),
        Reason.OTHER_COUNTRY: _(
            "instruction %(instruction)s is of %(other)s's clearing account, not %(country)s's"
        ),
        Reason.CURRENCY: _("in %(currency)s; instruction %(instruction)s is in %(expected)s"),
        Reason.AMOUNT: _(
            "%(amount)s; instruction %(instruction)s is for %(expected)s "
            "(a partial or over payment is not applied)"
        ),
        Reason.NOT_PENDING: _("instruction %(instruction)s is %(status)s, not pending"),
        Reason.BAD_RETURN_REASON: "%(problem)s",
        Reason.PAYOUT_RETURN_DEBIT: _(
            "a payout's return is a credit (its money back in), not a debit: not applied"
        ),
        Reason.COLLECTION_RETURN_CREDIT: _(
            "a collection's return is a debit (its money back out), not a credit: not applied"
        ),
        Reason.CONFIRMED_COLLECTION_RETURNED: _(
            "a collection returned after it was confirmed is for the operator"
        ),
        Reason.ALREADY_CONFIRMED: _("instruction %(instruction)s was confirmed already"),
        Reason.ALREADY_RETURNED: _("instruction %(instruction)s was returned already"),
    }
    values = {
        **item.details,
        "instruction": display.number(int(item.details.get("instruction", item.instruction or 0))),
        "amount": display.money(item.amount),
        "status": state_name(item.details.get("status", "")),
        "expected": display.money(item.expected)
        if item.expected is not None
        else item.details.get("expected", ""),
    }
    # Each value isolated (FSI…PDI): an amount with its Latin currency code, or a
    # reference, would otherwise run into its neighbours in a right-to-left sentence.
    isolated = {key: f"\u2068{value}\u2069" for key, value in values.items()}
    return texts[item.reason] % isolated
