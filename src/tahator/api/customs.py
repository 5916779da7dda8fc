"""Consignments at the border: registration, each phase's time, lane overrides, and the
risk criteria's hit rates.

Customs (and the operator) write; an auditor reads everything; a trader reads its own
firm's consignments' status (``services.consignment_reading``), never how a lane was
chosen nor the rules; a bank has no part in customs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from sqlalchemy.orm import Session

from tahator.api.deps import (
    Cursor,
    Day,
    Id,
    Limit,
    Reader,
    decode_cursor,
    encode_cursor,
    policy_of,
    require,
    write,
)
from tahator.api.problems import ApiError
from tahator.domain.corridor import FIRST_DAY, LAST_DAY
from tahator.domain.customs import Lane, Phase
from tahator.domain.policy import Policy
from tahator.formatting import jsonable
from tahator.i18n import _
from tahator.services import access, consignment_reading, consignments
from tahator.services.users import Principal

router = APIRouter(tags=["customs"])
ConsignmentReader = Annotated[Principal, Depends(require(*access.CONSIGNMENT_READERS))]
Officer = Annotated[Principal, Depends(require(*access.CONSIGNMENT_WRITERS))]
RuleReader = Annotated[Principal, Depends(require(*access.LANE_DETAIL_READERS))]
PolicyDep = Annotated[Policy, Depends(policy_of)]


def _moment(value: Any) -> Any:
    # Only ISO 8601 text with its offset: a number of seconds, or a time without a zone
    # (whose zone? Taftan's clock is Pakistan's, Mirjaveh's Iran's), is refused.
    stamp: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str) and "T" in value:
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            stamp = None
    if stamp is None:
        raise ValueError(_("must be a time, ISO 8601 with its offset: 2026-11-23T08:30:00Z"))
    if stamp.tzinfo is None:
        raise ValueError(_("must say its offset from UTC: 2026-11-23T08:30:00+05:00 or …Z"))
    return stamp


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Moment = Annotated[datetime, BeforeValidator(_moment), AfterValidator(_utc)]
"""A timestamp in a JSON body: ISO 8601 with an offset, stored in UTC."""


class ConsignmentIn(BaseModel):
    reference: str = Field(min_length=1, max_length=40, description="Customs' cargo reference")
    crossing: str = Field(min_length=1, max_length=20, description="A crossing's code: TFN …")
    direction: Literal["import", "export"] = Field(description="Seen from the home country")
    vehicle: str = Field(min_length=1, max_length=40, description="The truck's registration")
    firm_id: str = Field(min_length=1, max_length=100, description="The declarant")
    origin: str | None = Field(None, pattern="^[A-Z]{2}$", description="ISO 3166 alpha-2")
    declaration_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=100, description="Declarations it carries"
    )
    lodged_at: Moment | None = Field(
        None, description="Lodged before arrival (pre-arrival lodgement), if it was"
    )


class PhaseIn(BaseModel):
    at: Moment | None = Field(None, description="When (default now); never in the future")
    result: Literal["clear", "discrepancy"] | None = Field(
        None, description="The inspection's result (phase `inspected` only)"
    )
    note: str | None = Field(
        None, max_length=consignments.MAX_TEXT, description="What the inspection found"
    )


class DeclarationsIn(BaseModel):
    declaration_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        min_length=1, max_length=100, description="Declarations lodged after registration"
    )


class OverrideIn(BaseModel):
    lane: Lane
    reason: str = Field(
        min_length=1, max_length=consignments.MAX_TEXT, description="Why: required, audited"
    )


def _document(view: consignments.ConsignmentView) -> dict[str, Any]:
    document: dict[str, Any] = jsonable(view)
    return document


@router.post("/consignments", status_code=201)
def register(
    request: Request, body: ConsignmentIn, principal: Officer, policy: PolicyDep
) -> JSONResponse:
    """Register a consignment at a crossing with the declarations it carries."""

    def work(session: Session) -> tuple[int, Any]:
        record = consignments.ConsignmentRecord(
            reference=body.reference,
            crossing=body.crossing,
            direction=body.direction,
            vehicle=body.vehicle,
            firm_id=body.firm_id,
            origin=body.origin,
            declaration_ids=tuple(body.declaration_ids),
            lodged_at=body.lodged_at,
        )
        return 201, _document(consignments.register(session, policy, record, principal.actor))

    return write(request, principal, body.model_dump(mode="json"), work)


@router.get("/consignments")
def listing(
    session: Reader,
    principal: ConsignmentReader,
    policy: PolicyDep,
    firm: Annotated[str | None, Query(max_length=100)] = None,
    crossing: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[Day | None, Query(alias="from", description="Arrived on or after")] = None,
    end: Annotated[Day | None, Query(alias="to", description="Arrived on or before")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Consignments by number; a trader's are its firm's, their status only."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, int):
        raise ApiError(422, _("the cursor is not one this API gave"))
    views = consignment_reading.listed(
        session,
        principal,
        firm_id=firm,
        crossing=crossing,
        start=start,
        end=end,
        zone=policy.zone,
        after=after or 0,
        limit=limit + 1,
    )
    items = [_document(view) for view in views[:limit]]
    more = len(views) > limit
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}


@router.get("/consignments/{consignment_id}")
def one(session: Reader, principal: ConsignmentReader, consignment_id: Id) -> dict[str, Any]:
    """A consignment: its phases, its lane and (to customs) how the lane was chosen."""
    return _document(consignment_reading.shown(session, principal, consignment_id))


@router.post("/consignments/{consignment_id}/phases/{phase}")
def record_phase(
    request: Request,
    consignment_id: Id,
    phase: Phase,
    body: PhaseIn,
    principal: Officer,
    policy: PolicyDep,
) -> JSONResponse:
    """Record a phase's time (default now): arrival, the lane (chosen by the risk rules,
    seeded and recorded), documents checked, inspected (with its result), released,
    exited.  In order, never in the future."""

    def work(session: Session) -> tuple[int, Any]:
        view = consignments.record_phase(
            session,
            policy,
            consignment_id,
            phase,
            body.at,
            principal.actor,
            result=body.result,
            note=body.note,
        )
        return 200, _document(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/consignments/{consignment_id}/declarations")
def link_declarations(
    request: Request, consignment_id: Id, body: DeclarationsIn, principal: Officer
) -> JSONResponse:
    """Add declarations lodged after the consignment was registered (before its lane is
    selected: the risk rules look at them)."""

    def work(session: Session) -> tuple[int, Any]:
        view = consignments.link_declarations(
            session, consignment_id, tuple(body.declaration_ids), principal.actor
        )
        return 200, _document(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/consignments/{consignment_id}/lane")
def override(
    request: Request, consignment_id: Id, body: OverrideIn, principal: Officer
) -> JSONResponse:
    """Override the lane in force, with a reason (audited, before and after)."""

    def work(session: Session) -> tuple[int, Any]:
        view = consignments.override_lane(
            session, consignment_id, body.lane, body.reason, principal.actor
        )
        return 200, _document(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.get("/customs/criteria")
def criteria(
    session: Reader,
    principal: RuleReader,
    policy: PolicyDep,
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    """Each risk criterion's hit rate over the lanes selected in the period: selections
    it hit, how many were inspected, and the discrepancies found."""
    first, last = start or FIRST_DAY, end or LAST_DAY
    rows: list[dict[str, Any]] = jsonable(
        consignments.criterion_rates(session, policy, first, last)
    )
    return rows
