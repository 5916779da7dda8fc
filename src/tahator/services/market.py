"""The barter marketplace: matching runs, and the proposals (rings) that bind.

A matching run takes the open offers (``services.offers``), draws an arc from
each offer to every offer whose wants its goods meet (where the corridor allows
that direction and the receiver gets within the tolerance of what it gives),
and finds the rings that exchange the most value (``domain.matching``).  Each
ring is a proposal; it binds when every firm in it accepts.  Then each Pakistani
firm gets a barter application per foreign partner listing only the goods that
cross the border between them, with their true origin (goods passing between
two Pakistani firms are on none), and what the firms' goods differ by becomes
obligations for the offset clearing.  A declined proposal frees its offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.barter import Application, GoodsLine
from tahator.domain.corridor import to_unit_of_account
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.matching import (
    Answer,
    OfferStatus,
    ProposalStatus,
    best_rings,
    check_run,
    compatibility,
)
from tahator.domain.money import Amount, format_amount
from tahator.domain.policy import Policy
from tahator.domain.rings import ring_applications, ring_debts
from tahator.io.kidney import KepInstance
from tahator.services import access, audit, barter, screening, webhooks
from tahator.services import corridor as corridors
from tahator.services.common import check_day, check_past, now
from tahator.services.obligations import create_obligation
from tahator.store.bulk import insert_rows
from tahator.store.schema import Firm, MatchingRun, Offer, Proposal, ProposalLeg

PAYMENT_DAYS = 30
"""Obligations from a binding ring fall due this many days after it binds."""
CONTRACT_DAYS = 365
"""A ring's barter contracts last at most this long from its binding (or while its
offers are valid, if less)."""


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchingRunView:
    """A matching run: what it searched, the rings it proposed and what they exchange."""

    run_id: int
    as_of: date
    cap: int
    tolerance: str
    offers: int
    arcs: int
    """Compatible pairs of offers."""
    rings: int
    proposals: tuple[int, ...]
    value: Amount
    """What the rings exchange, in the unit of account."""
    bound: Amount
    """No set of rings exchanges more (equal to ``value`` when proven optimal)."""
    optimal: bool
    gap: float
    seconds: float


@dataclass(frozen=True)
class LegView:
    """One firm's place in a ring: the goods it gives and to whom."""

    position: int
    offer: str
    firm: str
    gives_hs: str
    description: str
    gives_to: str
    value: Amount
    answer: Answer


@dataclass(frozen=True)
class ProposalView:
    """A proposed ring, leg by leg, with each firm's answer."""

    id: int
    run_id: int
    state: ProposalStatus
    value: Amount
    unit_of_account: str
    decided_on: date | None
    legs: tuple[LegView, ...]


@dataclass(frozen=True)
class BoundProposal(ProposalView):
    """A ring that bound on the last firm's acceptance, with what the binding made."""

    applications: tuple[int, ...]
    """The barter applications filed: one per home firm and foreign partner, listing only
    the goods that cross the border between them."""
    obligations: tuple[str, ...]
    """References of the obligations for the differences in value."""


@dataclass(frozen=True)
class KepResult:
    """Best cycles of a kidney-exchange instance, in the published results' terms."""

    objective: float
    cycles: tuple[tuple[int, ...], ...]
    optimal: bool
    bound: float
    seconds: float
    variables: int


# --- matching --------------------------------------------------------------------------


def match(
    session: Session,
    policy: Policy,
    actor: str,
    *,
    as_of: date,
    cap: int = 3,
    tolerance: Decimal | None = None,
    time_limit: float | None = None,
    today: date | None = None,
) -> MatchingRunView:
    """Find the best rings among the open offers valid on ``as_of``; record the run and
    one proposal a ring.  ``as_of`` may not be after today's business date (``today``
    as tests give it): a run dated ahead would match on rules and rates not yet in force."""
    check_past(as_of, policy.zone, today)
    rules = policy.rules_on(as_of)
    tolerance = rules.tolerance if tolerance is None else tolerance
    check_run(cap, tolerance, time_limit)
    corridor = corridors.load(session)
    offers = list(
        session.scalars(
            select(Offer)
            .where(Offer.status == OfferStatus.OPEN, Offer.valid_until >= as_of)
            .order_by(Offer.id)
            .with_for_update()
        )
    )
    # Offers of firms that sanctions screening stops take no part in matching.
    screening.ensure_screened(session, {o.firm for o in offers}, actor)
    stopped = {f.id for f in screening.stopped_firms(session)}
    offers = [o for o in offers if o.firm not in stopped]
    countries = _countries(session)
    rates = corridors.rates_on(session, as_of, {o.currency for o in offers})
    values = [
        to_unit_of_account(
            o.value,
            corridor.digits[o.currency],
            rates[o.currency].per_unit_of_account,
            corridor.unit_digits,
        )
        for o in offers
    ]
    tails, heads = compatibility(offers, countries, values, policy, rules, tolerance)
    weights = np.array([values[t] for t in tails.tolist()], dtype=np.float64)
    packing = best_rings(len(offers), tails, heads, weights, cap, time_limit=time_limit)
    run = MatchingRun(
        as_of=as_of,
        cap=cap,
        tolerance=str(tolerance),
        offers=len(offers),
        arcs=int(tails.size),
        objective=round(packing.objective),
        bound=round(packing.bound),
        optimal=packing.optimal,
        seconds=f"{packing.seconds:.3f}",
        created_at=now(),
        created_by=actor,
    )
    session.add(run)
    session.flush()
    for cycle in packing.cycles:
        proposal = Proposal(
            run_id=run.id, state=ProposalStatus.PROPOSED, value=sum(values[i] for i in cycle)
        )
        session.add(proposal)
        session.flush()
        insert_rows(
            session,
            ProposalLeg,
            [
                {
                    "proposal_id": proposal.id,
                    "position": position,
                    "offer_id": offers[i].id,
                    "firm": offers[i].firm,
                    "gives": values[i],
                    "answer": Answer.PENDING,
                    "answered_at": None,
                    "answered_by": None,
                }
                for position, i in enumerate(cycle)
            ],
        )
        for i in cycle:
            offers[i].status = OfferStatus.PROPOSED
        webhooks.ring_proposed(session, proposal)
    view = matching_run_view(session, run.id)
    audit.record(
        session,
        actor,
        "matching.run",
        f"matching_run:{run.id}",
        None,
        {
            "cap": view.cap,
            "offers": view.offers,
            "arcs": view.arcs,
            "rings": view.rings,
            "value": format_amount(view.value.minor, view.value.digits),
            "bound": format_amount(view.bound.minor, view.bound.digits),
            "optimal": view.optimal,
        },
    )
    return view


def matching_run_view(session: Session, run_id: int) -> MatchingRunView:
    corridor = corridors.load(session)
    run = session.get(MatchingRun, run_id)
    if run is None:
        raise NotFoundError(f"no matching run {run_id}")
    proposals = tuple(
        session.scalars(select(Proposal.id).where(Proposal.run_id == run_id).order_by(Proposal.id))
    )
    gap = 0.0 if run.optimal or not run.bound else (run.bound - run.objective) / run.bound
    unit = corridor.unit_of_account, corridor.unit_digits
    return MatchingRunView(
        run_id=run.id,
        as_of=run.as_of,
        cap=run.cap,
        tolerance=run.tolerance,
        offers=run.offers,
        arcs=run.arcs,
        rings=len(proposals),
        proposals=proposals,
        value=Amount(run.objective, *unit),
        bound=Amount(run.bound, *unit),
        optimal=run.optimal,
        gap=round(gap, 6),
        seconds=float(run.seconds),
    )


# --- proposals -------------------------------------------------------------------------


def _countries(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Firm.id, Firm.country)).all())


def _proposal(
    session: Session, proposal_id: int, *, lock: bool = False
) -> tuple[Proposal, list[ProposalLeg]]:
    """A proposal and its legs; ``lock`` holds its row until the transaction ends (for a
    firm's answer), which a mere look must not do, and reads them afresh: objects this
    session loaded before the lock may hold another firm's answer since committed."""
    query = select(Proposal).where(Proposal.id == proposal_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    proposal = session.execute(query).scalar_one_or_none()
    if proposal is None:
        raise NotFoundError(f"no proposal {proposal_id}")
    legs = list(
        session.scalars(
            select(ProposalLeg)
            .where(ProposalLeg.proposal_id == proposal_id)
            .order_by(ProposalLeg.position)
            .execution_options(populate_existing=lock)
        )
    )
    return proposal, legs


def show_proposal(session: Session, proposal_id: int) -> ProposalView:
    corridor = corridors.load(session)
    proposal, legs = _proposal(session, proposal_id)
    offers = {
        o.id: o
        for o in session.scalars(select(Offer).where(Offer.id.in_([leg.offer_id for leg in legs])))
    }
    unit = corridor.unit_of_account, corridor.unit_digits
    return ProposalView(
        id=proposal.id,
        run_id=proposal.run_id,
        state=ProposalStatus(proposal.state),
        value=Amount(proposal.value, *unit),
        unit_of_account=corridor.unit_of_account,
        decided_on=proposal.decided_on,
        legs=tuple(
            LegView(
                position=leg.position,
                offer=leg.offer_id,
                firm=leg.firm,
                gives_hs=offers[leg.offer_id].gives_hs,
                description=offers[leg.offer_id].description,
                gives_to=legs[(leg.position + 1) % len(legs)].firm,
                value=Amount(leg.gives, *unit),
                answer=Answer(leg.answer),
            )
            for leg in legs
        ),
    )


def list_proposals(
    session: Session, state: ProposalStatus | None = None, firm: str | None = None
) -> list[ProposalView]:
    query = select(Proposal.id).order_by(Proposal.id)
    if state is not None:
        query = query.where(Proposal.state == state)
    if firm is not None:
        query = query.where(access.proposals_of(firm))
    return [show_proposal(session, proposal_id) for proposal_id in session.scalars(query)]


def _legs_of(legs: list[ProposalLeg], firm: str, proposal_id: int) -> list[ProposalLeg]:
    """The firm's legs: one, or more when it has several offers in the ring."""
    mine = [leg for leg in legs if leg.firm == firm]
    if not mine:
        raise InputError([Problem(f"{firm} is not in proposal {proposal_id}", field="firm")])
    return mine


def decline(session: Session, proposal_id: int, firm: str, as_of: date, actor: str) -> ProposalView:
    """A firm declines: the ring falls through and its offers are free again."""
    check_day(as_of)
    proposal, legs = _proposal(session, proposal_id, lock=True)
    if proposal.state != ProposalStatus.PROPOSED:
        raise InputError([Problem(f"proposal {proposal_id} is {proposal.state}")])
    for leg in _legs_of(legs, firm, proposal_id):
        leg.answer, leg.answered_at, leg.answered_by = Answer.DECLINED, now(), actor
    proposal.state, proposal.decided_on = ProposalStatus.DECLINED, as_of
    for offer in session.scalars(select(Offer).where(Offer.id.in_([leg.offer_id for leg in legs]))):
        offer.status = OfferStatus.OPEN
    audit.record(
        session,
        actor,
        "proposal.decline",
        f"proposal:{proposal_id}",
        {"state": ProposalStatus.PROPOSED.value},
        {"state": ProposalStatus.DECLINED.value, "firm": firm},
    )
    return show_proposal(session, proposal_id)


def accept(
    session: Session, policy: Policy, proposal_id: int, firm: str, as_of: date, actor: str
) -> ProposalView:
    """A firm accepts, which states its undertaking for its foreign partners in the ring;
    when the last one does, the ring binds (applications, obligations) and the answer
    is a ``BoundProposal``."""
    check_day(as_of)
    proposal, legs = _proposal(session, proposal_id, lock=True)
    if proposal.state != ProposalStatus.PROPOSED:
        raise InputError([Problem(f"proposal {proposal_id} is {proposal.state}")])
    mine = _legs_of(legs, firm, proposal_id)
    screening.require_clear(session, [leg.firm for leg in legs], actor)
    if all(leg.answer == Answer.ACCEPTED for leg in mine):
        raise InputError([Problem(f"{firm} has already accepted proposal {proposal_id}")])
    for leg in mine:
        leg.answer, leg.answered_at, leg.answered_by = Answer.ACCEPTED, now(), actor
    made: tuple[tuple[int, ...], tuple[str, ...]] | None = None
    if all(other.answer == Answer.ACCEPTED for other in legs):
        made = _bind(session, policy, proposal, legs, as_of, actor)
    audit.record(
        session,
        actor,
        "proposal.accept",
        f"proposal:{proposal_id}",
        {"state": ProposalStatus.PROPOSED.value},
        {"state": str(proposal.state), "firm": firm},
    )
    view = show_proposal(session, proposal_id)
    if made is None:
        return view
    applications, obligations = made
    return BoundProposal(
        **{f: getattr(view, f) for f in ProposalView.__dataclass_fields__},
        applications=applications,
        obligations=obligations,
    )


def _bind(
    session: Session,
    policy: Policy,
    proposal: Proposal,
    legs: list[ProposalLeg],
    as_of: date,
    actor: str,
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Every firm accepted: for each home firm and foreign partner, an application for
    only the goods crossing the border between them (``domain.rings.ring_applications``),
    and obligations for the differences (``domain.rings.ring_debts``)."""
    corridor = corridors.load(session)
    offers = {
        o.id: o
        for o in session.scalars(select(Offer).where(Offer.id.in_([leg.offer_id for leg in legs])))
    }
    countries = _countries(session)
    applications = []
    for made in ring_applications(
        [leg.firm for leg in legs], [countries[leg.firm] for leg in legs], policy.home_country
    ):
        imported = [offers[legs[position].offer_id] for position in made.imports]
        exported = [offers[legs[position].offer_id] for position in made.exports]
        application = Application(
            applicant_id=made.applicant,
            counterparty_id=made.partner,
            partner_country=made.partner_country,
            imports=tuple(_line(offer) for offer in imported),
            exports=tuple(_line(offer) for offer in exported),
            valid_from=as_of,
            valid_until=min(
                [offer.valid_until for offer in imported + exported]
                + [as_of + timedelta(days=CONTRACT_DAYS)]
            ),
            origin_declared=True,
            # Accepting a ring states the undertaking for the foreign partners (the
            # proposal page and ``tahator proposals accept`` say so).
            undertaking=True,
            proposal=proposal.id,
        )
        filed = barter.submit(
            session, policy, application, actor, f"proposal {proposal.id}", as_of=as_of
        )
        applications.append(filed.id)
    obligations = []
    for debt in ring_debts([leg.firm for leg in legs], [leg.gives for leg in legs]):
        obligation = create_obligation(
            session,
            reference=f"RING-{proposal.id}-{debt.position}",
            debtor=debt.debtor,
            creditor=debt.creditor,
            amount=debt.amount,
            currency=corridor.unit_of_account,
            due_date=as_of + timedelta(days=PAYMENT_DAYS),
            origin=f"barter ring {proposal.id}",
            actor=actor,
        )
        obligations.append(obligation.reference)
    proposal.state, proposal.decided_on = ProposalStatus.BINDING, as_of
    for offer in offers.values():
        offer.status = OfferStatus.BOUND
    return tuple(applications), tuple(obligations)


def _line(offer: Offer) -> GoodsLine:
    return GoodsLine(
        offer.gives_hs,
        offer.description,
        Decimal(offer.quantity),
        offer.unit,
        offer.value,
        offer.currency,
    )


# --- the kidney-exchange reference instances -------------------------------------------


def match_kep(instance: KepInstance, cap: int, time_limit: float | None = None) -> KepResult:
    """Best cycles of a kidney-exchange instance (``io.kidney.read_kep``)."""
    check_run(cap)
    packing = best_rings(
        instance.vertices,
        instance.tails,
        instance.heads,
        instance.weights,
        cap,
        time_limit=time_limit,
    )
    return KepResult(
        objective=round(packing.objective, 9),
        cycles=packing.cycles,
        optimal=packing.optimal,
        bound=round(packing.bound, 9),
        seconds=round(packing.seconds, 3),
        variables=packing.variables,
    )
