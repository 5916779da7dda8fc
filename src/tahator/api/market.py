"""The barter marketplace: offers, matching runs and the rings they propose."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tahator.api.deps import (
    READERS,
    REQUEST,
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
from tahator.api.models import model_of, page_of
from tahator.api.problems import ApiError
from tahator.domain.matching import OfferStatus, ProposalStatus
from tahator.domain.policy import Policy
from tahator.formatting import jsonable
from tahator.io.offers import parse_offer
from tahator.services import access, market, offers
from tahator.services import corridor as corridors
from tahator.services.offers import OfferView
from tahator.services.users import Principal
from tahator.signin import today_of

router = APIRouter(tags=["market"])
AnyReader = Annotated[Principal, Depends(require(*READERS))]
Trader = Annotated[Principal, Depends(require("trader"))]
Offerer = Annotated[Principal, Depends(require("operator", "trader"))]
Operator = Annotated[Principal, Depends(require("operator"))]
PolicyDep = Annotated[Policy, Depends(policy_of)]


class OfferIn(BaseModel):
    id: str = Field(min_length=1, max_length=100)
    firm: str
    gives_hs: str = Field(description="The HS code of the goods given")
    description: str
    quantity: str
    unit: str
    value: str = Field(description="A decimal string in `currency`")
    currency: str
    wants_hs: list[str] = Field(min_length=1, description="HS prefixes of the goods wanted")
    valid_until: Day


OfferOut = model_of(OfferView, "OfferOut")


OfferPage = page_of(OfferOut, "OfferPage")


def _document(result: object) -> dict[str, Any]:
    """A service's result as its JSON document (keys: the result's field names)."""
    document: dict[str, Any] = jsonable(result)
    return document


class MatchIn(BaseModel):
    cap: int = Field(3, ge=2, le=6, description="Most offers in a ring")
    tolerance: Decimal | None = Field(None, ge=0, le=1, description="Default: the policy's")
    time_limit: float | None = Field(None, gt=0, le=3600, description="Seconds")
    as_of: Day | None = None


class AnswerIn(BaseModel):
    firm: str | None = Field(None, description="Default: the trader's own firm")
    as_of: Day | None = Field(
        None, description="Not for traders: a trader's answer takes today's date (422 if stated)"
    )


@router.post("/offers", status_code=201, response_model=OfferOut)
def post_offer(request: Request, body: OfferIn, principal: Offerer) -> JSONResponse:
    """Offer goods for goods."""
    access.hide_unless(access.acts_for(principal, body.firm), f"firm {body.firm}")
    fields = {
        "id": body.id,
        "firm": body.firm,
        "gives_hs": body.gives_hs,
        "description": body.description,
        "quantity": body.quantity,
        "unit": body.unit,
        "value": body.value,
        "currency": body.currency,
        "wants_hs": "|".join(body.wants_hs),
        "valid_until": body.valid_until.isoformat(),
    }

    def work(session: Session) -> tuple[int, Any]:
        # Problems name the body as the row after a header, as they always have.
        row = parse_offer(fields, corridors.load(session).digits, REQUEST.name, 2)
        result = offers.import_offers(session, [row], principal.actor, source=REQUEST.name)
        offer = offers.list_offers(session, offer_id=row.id)[0]
        return (201 if result.created else 200), jsonable(offer)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.get("/offers", response_model=OfferPage)
def list_offers(
    session: Reader,
    principal: AnyReader,
    status: OfferStatus | None = None,
    firm: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Offers on the marketplace; a trader sees its own."""
    found = offers.list_offers(session, status, access.firm_filter(principal, firm))
    return page([jsonable(o) for o in found], cursor, limit)


@router.get("/offers/{offer_id}", response_model=OfferOut)
def get_offer(offer_id: str, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """One offer."""
    found = offers.list_offers(session, offer_id=offer_id)
    if not found:
        raise ApiError(404, f"no offer {offer_id}")
    access.hide_unless(access.sees_offer(session, principal, offer_id), f"offer {offer_id}")
    return _document(found[0])


@router.post("/matching/runs", status_code=201)
def run_matching(
    request: Request, body: MatchIn, principal: Operator, policy: PolicyDep
) -> JSONResponse:
    """Find the rings of at most `cap` offers that exchange the most value, exactly."""

    def work(session: Session) -> tuple[int, Any]:
        result = market.match(
            session,
            policy,
            principal.actor,
            as_of=body.as_of or today_of(request),
            cap=body.cap,
            tolerance=body.tolerance,
            time_limit=body.time_limit,
        )
        return 201, jsonable(result)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.get("/matching/runs/{run_id:int}")
def matching_run(run_id: Id, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """A matching run: its rings, value, bound and gap."""
    view = market.matching_run_view(session, run_id)
    seen = access.visible_proposals(session, principal, view.proposals)
    view = replace(view, proposals=tuple(p for p in view.proposals if p in seen))
    return _document(view)


@router.get("/proposals")
def list_proposals(
    session: Reader,
    principal: AnyReader,
    state: ProposalStatus | None = None,
    firm: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Proposed rings; a trader sees those its firm is in."""
    found = market.list_proposals(session, state, access.firm_filter(principal, firm))
    return page([jsonable(p) for p in found], cursor, limit)


@router.get("/proposals/{proposal_id:int}")
def show_proposal(proposal_id: Id, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """One proposed ring, leg by leg, with each firm's answer."""
    view = market.show_proposal(session, proposal_id)
    access.hide_unless(
        access.sees_proposal(session, principal, proposal_id), f"proposal {proposal_id}"
    )
    return _document(view)


def _answer(
    request: Request,
    proposal_id: Id,
    body: AnswerIn,
    principal: Principal,
    accept: bool,
    policy: Policy,
) -> JSONResponse:
    firm = access.firm_filter(principal, body.firm) or ""
    day = access.acting_date(principal, body.as_of, policy)  # a trader's: today

    def work(session: Session) -> tuple[int, Any]:
        market.show_proposal(session, proposal_id)  # NotFoundError for an unknown proposal
        access.hide_unless(
            access.sees_proposal(session, principal, proposal_id), f"proposal {proposal_id}"
        )
        if accept:
            answered = market.accept(session, policy, proposal_id, firm, day, principal.actor)
        else:
            answered = market.decline(session, proposal_id, firm, day, principal.actor)
        return 200, jsonable(answered)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/proposals/{proposal_id:int}/accept")
def accept(
    request: Request, proposal_id: Id, body: AnswerIn, principal: Trader, policy: PolicyDep
) -> JSONResponse:
    """The trader's firm accepts the ring, which gives the barter order's undertaking for
    its foreign partners in it (not on the UN sanctions lists notified by the Ministry of
    Foreign Affairs); when every firm has, it binds and the applications carry it."""
    return _answer(request, proposal_id, body, principal, True, policy)


@router.post("/proposals/{proposal_id:int}/decline")
def decline(
    request: Request, proposal_id: Id, body: AnswerIn, principal: Trader, policy: PolicyDep
) -> JSONResponse:
    """The trader's firm declines the ring; its offers are free for the next run."""
    return _answer(request, proposal_id, body, principal, False, policy)
