"""Barter authorizations under the barter order, their declarations, and the report."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tahator.api.deps import (
    READERS,
    Cursor,
    Day,
    Id,
    Limit,
    Reader,
    page,
    policy_of,
    require,
    write,
)
from tahator.api.problems import ApiError
from tahator.domain.barter import AuthorizationStatus
from tahator.domain.corridor import parse_day
from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Policy
from tahator.formatting import jsonable
from tahator.io.application import parse_application
from tahator.io.barter_report import report_csv, report_document, report_pdf
from tahator.io.declarations import declaration_record
from tahator.services import access, barter, barter_report, barter_views, corridor
from tahator.services.users import Principal
from tahator.signin import today_of

router = APIRouter(tags=["barter"])
AnyReader = Annotated[Principal, Depends(require(*READERS))]
Applicant = Annotated[Principal, Depends(require(*access.APPLICANTS))]
Customs = Annotated[Principal, Depends(require("customs"))]
Sweeper = Annotated[Principal, Depends(require("customs", "operator"))]
Closer = Annotated[Principal, Depends(require("customs", "trader"))]
"""Customs, or a trader of the applicant (checked against the authorization)."""
BarterReader = Annotated[Principal, Depends(require(*access.BARTER_READERS))]
PolicyDep = Annotated[Policy, Depends(policy_of)]


class GoodsLine(BaseModel):
    hs: str = Field(description="HS code, 6 to 10 digits")
    description: str
    quantity: str = Field(description="A decimal string")
    unit: str
    value: str = Field(description="A decimal string in `currency`")
    currency: str


class ApplicationIn(BaseModel):
    applicant: str = Field(description="A firm or a consortium")
    counterparty: str
    partner_country: str
    imports: list[GoodsLine]
    exports: list[GoodsLine]
    valid_from: str
    valid_until: str
    origin_declared: bool
    undertaking: bool = Field(
        False,
        description="The applicant's undertaking for its foreign partner (not on a UN list "
        "notified by the Ministry of Foreign Affairs); required where the order in force says so",
    )
    reference: str | None = Field(
        None, description="The applicant's own; a retry files once, a changed retry is a 422"
    )
    as_of: Day | None = Field(
        None,
        description="The submission's business date (default today; only an operator states "
        "it, recording an application received earlier): no decision is dated before it",
    )


class AuthorizeIn(BaseModel):
    as_of: Day | None = Field(None, description="The authorization date (default today)")


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    as_of: Day | None = Field(None, description="The decision's business date (default today)")


class CloseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="Why it closes before its plan")
    as_of: Day | None = Field(
        None, description="The closing date (default today; only customs states it)"
    )


class CancelIn(BaseModel):
    as_of: Day | None = Field(
        None, description="The day it is cancelled as of: past its deadline (default today)"
    )


class DeclarationIn(BaseModel):
    direction: Literal["import", "export"]
    hs: str
    quantity: str
    unit: str
    value: str
    currency: str
    date: Day
    reference: str | None = Field(None, description="The goods declaration number")


class SweepIn(BaseModel):
    as_of: Day


class AuthorizationSummary(BaseModel):
    id: int
    state: str
    applicant: str
    counterparty: str
    partner_country: str
    approval_number: str | None
    deadline: str | None
    planned_import: str
    planned_export: str


class AuthorizationPage(BaseModel):
    items: list[AuthorizationSummary]
    next_cursor: str | None


@router.post("/barter/authorizations", status_code=201)
def apply(
    request: Request, body: ApplicationIn, principal: Applicant, policy: PolicyDep
) -> JSONResponse:
    """Apply for a barter authorization; refused whole, every failing rule named."""
    data = body.model_dump(exclude_none=True, exclude={"as_of"})

    def work(session: Session) -> tuple[int, Any]:
        digits = corridor.load(session).digits
        application = parse_application(data, digits, "application")
        if not access.may_apply_for(session, principal, application.applicant_id):
            raise ApiError(403, f"a trader applies for its own firm {principal.firm} only")
        if body.as_of is not None and principal.role != "operator":
            # A trader's actions carry the server's date.
            raise InputError([Problem("only an operator states the date", field="as_of")])
        result = barter.submit(
            session, policy, application, principal.actor, "application", as_of=body.as_of
        )
        return 201, jsonable(barter.show(session, policy, result.id))

    return write(request, principal, body.model_dump(mode="json", exclude_none=True), work)


@router.get("/barter/authorizations", response_model=AuthorizationPage)
def list_authorizations(
    session: Reader,
    principal: BarterReader,
    state: AuthorizationStatus | None = None,
    firm: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Authorizations, oldest first; a trader sees its own firm's."""
    rows = barter.list_authorizations(session, state, access.firm_filter(principal, firm))
    return page([jsonable(row) for row in rows], cursor, limit)


@router.get("/barter/authorizations/{authorization_id:int}")
def show(
    authorization_id: Id, session: Reader, principal: BarterReader, policy: PolicyDep
) -> dict[str, Any]:
    """An authorization with its lines, declarations, balance and deadline."""
    access.hide_unless(
        access.sees_authorization(session, principal, authorization_id),
        f"barter authorization {authorization_id}",
    )
    document: dict[str, Any] = jsonable(barter.show(session, policy, authorization_id))
    return document


@router.post("/barter/authorizations/{authorization_id:int}/authorize")
def authorize(
    request: Request,
    authorization_id: Id,
    body: AuthorizeIn,
    principal: Customs,
    policy: PolicyDep,
) -> JSONResponse:
    """Customs authorizes: an approval number linked to the NTN, and a deadline."""

    def work(session: Session) -> tuple[int, Any]:
        day = access.acting_date(principal, body.as_of, policy)
        view = barter.authorize(session, policy, authorization_id, day, principal.actor)
        return 200, jsonable(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/barter/authorizations/{authorization_id:int}/reject")
def reject(
    request: Request, authorization_id: Id, body: RejectIn, principal: Customs, policy: PolicyDep
) -> JSONResponse:
    """Customs rejects an application, with a reason."""

    def work(session: Session) -> tuple[int, Any]:
        day = access.acting_date(principal, body.as_of, policy)
        view = barter.reject(
            session, policy, authorization_id, body.reason, principal.actor, as_of=day
        )
        return 200, jsonable(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/barter/authorizations/{authorization_id:int}/close")
def close(
    request: Request, authorization_id: Id, body: CloseIn, principal: Closer, policy: PolicyDep
) -> JSONResponse:
    """Close an authorization on purpose before its plan is reached (customs, or a trader
    of the applicant), with a reason: it is balanced, its residual becomes an obligation."""

    def work(session: Session) -> tuple[int, Any]:
        access.hide_unless(
            access.sees_authorization(session, principal, authorization_id),
            f"barter authorization {authorization_id}",
        )
        applicant = barter.show(session, policy, authorization_id).applicant
        if principal.role != "customs" and not access.may_apply_for(session, principal, applicant):
            raise ApiError(403, "only customs or a trader of the applicant closes it")
        day = access.acting_date(principal, body.as_of, policy)  # a trader's: today
        view = barter.close(
            session,
            policy,
            authorization_id,
            body.reason,
            day,
            principal.actor,
            by_trader=principal.role == "trader",
        )
        return 200, jsonable(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/barter/authorizations/{authorization_id:int}/cancel")
def cancel(
    request: Request, authorization_id: Id, body: CancelIn, principal: Sweeper, policy: PolicyDep
) -> JSONResponse:
    """Cancel one authorization past its deadline, as the sweep does: closed on its
    deadline, its imbalance becomes an obligation; 422 if it is not overdue."""

    def work(session: Session) -> tuple[int, Any]:
        day = access.acting_date(principal, body.as_of, policy)
        view = barter.cancel(session, policy, authorization_id, day, principal.actor)
        return 200, jsonable(view)

    return write(request, principal, body.model_dump(mode="json"), work)


class DeadlineRow(BaseModel):
    id: int
    approval_number: str | None
    applicant: str
    counterparty: str
    deadline: str
    days_left: int = Field(description="Negative: days past the deadline")
    overdue: bool
    planned_import: str
    planned_export: str
    imported: str
    exported: str
    reached: bool = Field(description="Both sides reached the plan within tolerance")


class Deadlines(BaseModel):
    as_of: str
    items: list[DeadlineRow]


@router.get("/barter/deadlines", response_model=Deadlines)
def deadlines(
    request: Request,
    session: Reader,
    principal: BarterReader,
    policy: PolicyDep,
    as_of: Annotated[str | None, Query(description="YYYY-MM-DD (default today)")] = None,
) -> dict[str, Any]:
    """Authorized authorizations by days left to their deadline, overdue first; a trader
    sees those its firm is a party to."""
    try:
        day = parse_day(as_of) if as_of is not None else today_of(request)
    except ValueError as error:
        raise InputError([Problem(str(error), field="as_of")]) from None
    firm = access.firm_filter(principal, None)
    rows = barter_views.deadlines(session, policy, day, firm)
    return {"as_of": day.isoformat(), "items": [jsonable(row) for row in rows]}


@router.post("/barter/authorizations/{authorization_id:int}/declarations", status_code=201)
def declare(
    request: Request,
    authorization_id: Id,
    body: DeclarationIn,
    principal: Customs,
    policy: PolicyDep,
) -> JSONResponse:
    """Record a goods declaration against an authorization (customs)."""

    def work(session: Session) -> tuple[int, Any]:
        record, problems = declaration_record(
            direction=body.direction,
            hs=body.hs,
            quantity=body.quantity,
            unit=body.unit,
            value=body.value,
            currency=body.currency,
            on=body.date,
            reference=body.reference,
            digits=corridor.load(session).digits,
        )
        view = barter.declare(
            session, policy, authorization_id, record, actor=principal.actor, problems=problems
        )
        return 201, jsonable(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/barter/sweep")
def sweep(request: Request, body: SweepIn, principal: Sweeper, policy: PolicyDep) -> JSONResponse:
    """Cancel what is past its deadline; its imbalance becomes an obligation."""

    def work(session: Session) -> tuple[int, Any]:
        return 200, jsonable(barter.sweep(session, policy, body.as_of, principal.actor))

    return write(request, principal, body.model_dump(mode="json"), work)


Quarter = Annotated[str, Query(pattern=r"^\d{4}Q[1-4]$", description="e.g. 2025Q4")]


REPORT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@router.get(
    "/reports/barter",
    response_model=None,
    responses={
        200: {
            "description": "The report as JSON (the default), long-format CSV or a one-page PDF",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def quarterly_report(
    quarter: Quarter,
    session: Reader,
    principal: Annotated[Principal, Depends(require(*access.REPORT_READERS))],
    policy: PolicyDep,
    output_format: Annotated[
        Literal["json", "csv", "pdf"], Query(alias="format", description="json, csv or pdf")
    ] = "json",
) -> Response:
    """The quarterly barter report to the Ministry of Commerce, with the versions of the
    barter order governing what it counts."""
    report = barter_report.quarterly_report(session, policy, quarter)
    if output_format == "json":
        return JSONResponse(report_document(report))
    body = report_csv(report).encode("utf-8") if output_format == "csv" else report_pdf(report)
    name = f"barter-report-{report.quarter}.{output_format}"
    return Response(
        body,
        media_type=REPORT_TYPES[output_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
