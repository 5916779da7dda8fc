"""The marketplace's proposals as their pages show them: a ring's goods, quantities,
values and firms' names, the day to answer by, and proposals a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tahator.domain.matching import Answer, ProposalStatus
from tahator.domain.money import Amount
from tahator.services import access
from tahator.services import corridor as corridors
from tahator.services.market import ProposalView, show_proposal
from tahator.services.paging import Page, Window, paged, row_id
from tahator.store.schema import Firm, Offer, Proposal, ProposalLeg


@dataclass(frozen=True)
class RingGoods:
    """One leg of a ring as its page shows it: who gives what, how much, to whom."""

    position: int
    offer: str
    firm: str
    firm_name: str
    gives_to: str
    gives_to_name: str
    gives_hs: str
    description: str
    quantity: str
    unit: str
    offered: Amount
    """The offer's value in its own currency."""
    value: Amount
    """What the run valued it at, in the unit of account."""
    wants_hs: tuple[str, ...]
    valid_until: date
    answer: Answer


@dataclass(frozen=True)
class ProposalDetail:
    """A proposed ring with its goods, its firms' names and the day to answer by."""

    proposal: ProposalView
    legs: tuple[RingGoods, ...]
    answer_by: date | None
    """The last day every firm can still answer (the first of its offers' validity ends
    then: after it the ring cannot bind); ``None`` once the ring is decided."""


@dataclass(frozen=True)
class ListedProposal:
    """A proposal in a list, with its legs' firms' names (in the legs' order)."""

    proposal: ProposalView
    names: tuple[str, ...]


PROPOSAL_SORTS = ("id", "state", "value")


def firm_names(session: Session, ids: set[str] | frozenset[str]) -> dict[str, str]:
    """Firms' names by id (an unknown id: itself)."""
    found = dict(session.execute(select(Firm.id, Firm.name).where(Firm.id.in_(ids))).all())
    return {i: found.get(i, i) for i in ids}


def proposal_detail(session: Session, proposal_id: int) -> ProposalDetail:
    view = show_proposal(session, proposal_id)
    digits = corridors.load(session).digits
    legs = {
        leg.position: leg
        for leg in session.scalars(
            select(ProposalLeg).where(ProposalLeg.proposal_id == proposal_id)
        )
    }
    offers = {
        o.id: o
        for o in session.scalars(
            select(Offer).where(Offer.id.in_([leg.offer_id for leg in legs.values()]))
        )
    }
    names = firm_names(session, {leg.firm for leg in view.legs})
    goods = []
    for leg in view.legs:
        offer = offers[legs[leg.position].offer_id]
        goods.append(
            RingGoods(
                position=leg.position,
                offer=leg.offer,
                firm=leg.firm,
                firm_name=names[leg.firm],
                gives_to=leg.gives_to,
                gives_to_name=names[leg.gives_to],
                gives_hs=leg.gives_hs,
                description=leg.description,
                quantity=offer.quantity,
                unit=offer.unit,
                offered=Amount(offer.value, offer.currency, digits[offer.currency]),
                value=leg.value,
                wants_hs=tuple(offer.wants_hs.split("|")),
                valid_until=offer.valid_until,
                answer=leg.answer,
            )
        )
    open_ = view.state == ProposalStatus.PROPOSED and goods
    answer_by = min(g.valid_until for g in goods) if open_ else None
    return ProposalDetail(view, tuple(goods), answer_by)


def proposal_page(
    session: Session, window: Window, firm: str | None = None
) -> Page[ListedProposal]:
    """A page of proposals (those with a leg of ``firm``'s, if given), newest first unless
    sorted by ``PROPOSAL_SORTS``; searched by the proposal's number or a firm's id or
    name in it (case-insensitive)."""
    query: Any = select(Proposal.id).order_by(Proposal.id.desc())
    if firm is not None:
        query = query.where(access.proposals_of(firm))
    window = window.within(PROPOSAL_SORTS)
    text = window.search.casefold()
    if text:
        in_ring = (
            select(ProposalLeg.proposal_id)
            .join(Firm, Firm.id == ProposalLeg.firm)
            .where(
                or_(
                    func.lower(Firm.id).contains(text, autoescape=True),
                    func.lower(Firm.name).contains(text, autoescape=True),
                )
            )
        )
        wanted = Proposal.id.in_(in_ring)
        number = row_id(text)
        query = query.where(or_(Proposal.id == number, wanted) if number else wanted)
    page = paged(
        session,
        query,
        Window(window.page, window.size, window.sort, window.descending),
        sorts={
            "id": Proposal.id.expression,
            "state": Proposal.state.expression,
            "value": Proposal.value.expression,
        },
        tiebreak=[Proposal.id.desc()],
    )
    views = [show_proposal(session, int(i)) for i in page.rows]
    names = firm_names(session, {leg.firm for v in views for leg in v.legs})
    rows = tuple(ListedProposal(v, tuple(names[leg.firm] for leg in v.legs)) for v in views)
    return Page(rows, page.total, window)
