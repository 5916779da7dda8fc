"""Clearing runs, their set-off notices, settlement instructions and the ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tahator import i18n
from tahator.api.deps import (
    READERS,
    Cursor,
    Day,
    Id,
    Limit,
    Reader,
    page,
    release_reader,
    require,
    write,
)
from tahator.api.firms import AccountReader, account_out
from tahator.api.models import BankAccountIn, BankAccountOut, model_of, page_of
from tahator.api.problems import ApiError
from tahator.domain.settlement import InstructionStatus
from tahator.formatting import jsonable, not_allowed
from tahator.io import pain001
from tahator.io.notice import pdf_headers, printed_notice
from tahator.services import (
    access,
    bank_accounts,
    clearing,
    ledger,
    notice,
    payment_files,
    settlement,
)
from tahator.services.users import Principal
from tahator.signin import engine_of, today_of
from tahator.store.database import transaction

router = APIRouter(tags=["clearing"])
AnyReader = Annotated[Principal, Depends(require(*READERS))]
Operator = Annotated[Principal, Depends(require("operator"))]
Bank = Annotated[Principal, Depends(require("bank"))]
"""Roles that export payment files for the banks."""
LedgerReader = Annotated[Principal, Depends(require(*access.ACCOUNT_READERS))]


class RunIn(BaseModel):
    as_of: Day | None = None


RunOut = model_of(clearing.RunRow, "RunOut")
RunPage = page_of(RunOut, "RunPage")
Notice = model_of(clearing.NoticeView, "Notice")
NoticePage = page_of(Notice, "NoticePage")
Instruction = model_of(clearing.InstructionView, "Instruction")
InstructionPage = page_of(Instruction, "InstructionPage")


class Balance(BaseModel):
    key: str
    account: str
    currency: str
    balance: str


Verification = model_of(ledger.Verification, "Verification")


@router.post("/clearing/runs", status_code=201)
def start_run(request: Request, body: RunIn, principal: Operator) -> JSONResponse:
    """Run a clearing run: the largest set-off, then settlement through the clearing accounts."""

    def work(session: Session) -> tuple[int, Any]:
        today = today_of(request)
        return 201, jsonable(
            clearing.run_clearing(session, principal.actor, body.as_of or today, today=today)
        )

    return write(request, principal, body.model_dump(mode="json"), work)


@router.get("/clearing/runs", response_model=RunPage)
def list_runs(
    session: Reader, principal: AnyReader, cursor: Cursor = None, limit: Limit = 100
) -> dict[str, Any]:
    """Clearing runs, oldest first."""
    return page(jsonable(clearing.list_runs(session)), cursor, limit, key="run_id")


@router.get("/clearing/runs/{run_id:int}")
def show_run(run_id: Id, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """A run's totals, positions and instructions; a trader sees its own firm's part.
    What a role reads follows ``access.READERS``: customs gets no instructions, a trader
    and customs no clearing accounts' figures (``settlement`` is ``null``)."""
    document: dict[str, Any] = jsonable(
        clearing.show_run(session, run_id, access.firm_filter(principal, None), principal)
    )
    return document


@router.get("/clearing/runs/{run_id:int}/notices", response_model=NoticePage)
def notices(
    run_id: Id,
    session: Reader,
    principal: AnyReader,
    firm: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Set-off notices: what the run set off of each obligation."""
    rows = clearing.setoff_notices(session, run_id, access.firm_filter(principal, firm))
    return page(jsonable(rows), cursor, limit, key="obligation")


@router.get("/clearing/accounts/{country}/bank-account", response_model=BankAccountOut)
def get_clearing_bank_account(
    country: str, session: Reader, principal: AccountReader
) -> dict[str, Any]:
    """The bank account of a country's clearing account: where its debtors pay (customs
    reads no IBAN: ``access.BANK_ACCOUNT_READERS``)."""
    missing = f"no bank account registered for the clearing account of {country}"
    return account_out(bank_accounts.clearing_account(session, country), missing)


@router.put("/clearing/accounts/{country}/bank-account", response_model=BankAccountOut)
def put_clearing_bank_account(
    request: Request, country: str, body: BankAccountIn, principal: Operator
) -> JSONResponse:
    """Register or replace the bank account of a country's clearing account (an IBAN of
    that country; a 422 says why one is refused)."""

    def work(session: Session) -> tuple[int, Any]:
        account = bank_accounts.register_clearing_account(
            session, country, body.iban, body.bic, body.holder, principal.actor
        )
        return 200, jsonable(account)

    return write(request, principal, body.model_dump(), work)


@router.get("/settlement/instructions", response_model=InstructionPage)
def instructions(
    session: Reader,
    principal: AnyReader,
    status: InstructionStatus | None = None,
    firm: str | None = None,
    run_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Domestic payment instructions: collections from debtors, payouts to creditors."""
    if not access.sees_instructions(principal):
        raise ApiError(403, not_allowed(principal.role))
    rows = settlement.list_instructions(session, status, access.firm_filter(principal, firm))
    if run_id is not None:
        rows = [r for r in rows if r.run_id == run_id]
    return page(jsonable(rows), cursor, limit)


# The instruction routes take any number: the service answers 404 for one it never gave.
@router.post("/settlement/instructions/{instruction_id:int}/confirm", response_model=Instruction)
def confirm(request: Request, instruction_id: int, principal: Bank) -> JSONResponse:
    """A bank confirms that a collection or payout was made."""

    def work(session: Session) -> tuple[int, Any]:
        return 200, jsonable(settlement.confirm(session, instruction_id, principal.actor))

    return write(request, principal, None, work)


class ReturnIn(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=20,
        description="ISO 20022 return reason code (ExternalReturnReason1Code): AC04, AM04, …",
    )


Returned = model_of(settlement.ReturnResult, "Returned")


@router.post("/settlement/instructions/{instruction_id:int}/return", response_model=Returned)
def return_instruction(
    request: Request, instruction_id: int, body: ReturnIn, principal: Bank
) -> JSONResponse:
    """A bank returns a pending collection or payout with an ISO 20022 reason code."""

    def work(session: Session) -> tuple[int, Any]:
        result = settlement.return_instruction(
            session, instruction_id, body.reason, principal.actor
        )
        return 200, jsonable(result)

    return write(request, principal, body.model_dump(), work)


PaymentFiler = Annotated[Principal, Depends(require(*access.SETTLERS))]


@router.post(
    "/settlement/payment-files",
    status_code=201,
    response_class=Response,
    responses={
        201: {
            "description": "An ISO 20022 pain.001.001.09 Customer Credit Transfer Initiation",
            "content": {pain001.MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
def payment_file(
    request: Request,
    principal: PaymentFiler,
    run: Annotated[int, Query(ge=1, le=2**63 - 1, description="The clearing run")],
    country: Annotated[
        str, Query(min_length=2, max_length=2, description="Whose clearing account pays")
    ],
) -> Response:
    """A run's pending payouts in ``country`` not sent before, as a new pain.001.001.09
    file its clearing account's bank executes (one payment per creditor).  A POST: it
    marks the payouts sent, which no link or prefetch may do.  A payout
    is sent in one file only: once all are sent, 422 naming the files, which
    ``/settlement/payment-files/{message_id}`` gives again.  Stored and audited; 422
    naming what is missing (a payee's or the clearing account's bank account)."""
    release_reader(request)
    with transaction(engine_of(request)) as session:
        exported = payment_files.export_payouts(
            session, run, country, principal.actor, today=today_of(request)
        )
    created = _file_response(exported, 201)
    created.headers["Location"] = f"/api/v1/settlement/payment-files/{exported.message_id}"
    return created


@router.get(
    "/settlement/payment-files/{message_id}",
    response_class=Response,
    responses={
        200: {
            "description": "A pain.001.001.09 file as it was sent",
            "content": {pain001.MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
def stored_payment_file(
    session: Reader,
    principal: PaymentFiler,
    message_id: Annotated[str, Path(min_length=1, max_length=35)],
) -> Response:
    """The payment file with this message id, byte for byte as it was sent (404 if none)."""
    return _file_response(payment_files.stored(session, message_id))


def _file_response(exported: payment_files.PaymentFile, status: int = 200) -> Response:
    return Response(
        exported.content,
        status_code=status,
        media_type=pain001.MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.file_name}"',
            "X-Message-Id": exported.message_id,
        },
    )


BalancePage = page_of(Balance, "BalancePage")


@router.get("/ledger/balances", response_model=BalancePage)
def balances(
    session: Reader,
    principal: LedgerReader,
    prefix: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Ledger accounts' balances per currency (sums of journal lines), by account;
    ``prefix`` keeps e.g. ``clearing:`` or ``interaccount:``."""
    rows = [
        jsonable(row) | {"key": f"{row.account} {row.currency}"}
        for row in ledger.balance_rows(session)
        if prefix is None or row.account.startswith(prefix)
    ]
    return page(rows, cursor, limit, key="key")


@router.get("/ledger/verify", response_model=Verification)
def verify(session: Reader, principal: LedgerReader) -> dict[str, Any]:
    """Check the ledger's invariants; each break named."""
    document: dict[str, Any] = jsonable(ledger.verify(session))
    return document


NoticeReader = Annotated[Principal, Depends(require(*access.INSTRUCTION_READERS))]


@router.get(
    "/clearing/runs/{run_id:int}/notices/{firm_id}.pdf",
    response_model=None,
    responses={
        200: {
            "description": "The firm's set-off notice for the run, as a PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def notice_pdf(
    run_id: Id,
    firm_id: str,
    session: Reader,
    principal: NoticeReader,
    language: Annotated[
        str | None,
        Query(pattern="^(en|fa|ur)$", description="en, fa or ur (default: Accept-Language)"),
    ] = None,
) -> Response:
    """A firm's set-off notice for a run as a PDF in the reader's language: what the run
    set off against what, the firm's settlement instructions, the run's rates and its
    audit record's hash.  A trader reads only its own firm's."""
    firm = access.firm_filter(principal, firm_id) or firm_id
    document = notice.setoff_notice(session, run_id, firm)
    printed = printed_notice(document, language or i18n.language())
    return Response(
        printed.body, media_type="application/pdf", headers=pdf_headers(printed.file_name)
    )
