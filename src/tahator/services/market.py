"""The barter marketplace: offers, matching runs, and proposals that bind.

A matching run takes the open offers, draws an arc from each offer to every
offer whose wants its goods meet (where the corridor allows that direction and
the receiver gets within the tolerance of what it gives), and finds the rings
that exchange the most value (``domain.matching``).  Each ring is a proposal;
it binds when every firm in it accepts.  Then each Pakistani firm in it gets a
barter application for its legs, and what the firms' goods differ by becomes
obligations for the offset clearing.  A declined proposal frees its offers.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.barter import MAX_UNIT, Application, GoodsLine, parse_quantity
from tahator.domain.corridor import to_unit_of_account
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.matching import best_rings
from tahator.domain.money import format_amount, parse_amount
from tahator.domain.policy import Direction, Policy
from tahator.io.tables import Problems, read_table
from tahator.services import access, audit, barter, screening
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.services.obligations import create_obligation
from tahator.store.bulk import insert_rows
from tahator.store.schema import Firm, MatchingRun, Offer, Proposal, ProposalLeg

OFFER_COLUMNS = (
    "id",
    "firm",
    "gives_hs",
    "description",
    "quantity",
    "unit",
    "value",
    "currency",
    "wants_hs",
    "valid_until",
)
PAYMENT_DAYS = 30
"""Obligations from a binding ring fall due this many days after it binds."""


class OfferStatus:
    OPEN = "open"
    PROPOSED = "proposed"
    BOUND = "bound"


class ProposalState:
    PROPOSED = "proposed"
    BINDING = "binding"
    DECLINED = "declined"


def _is_hs(text: str, low: int = 4) -> bool:
    return text.isascii() and text.isdigit() and low <= len(text) <= 10


def import_offers(
    session: Session, path: Path, actor: str, *, data: bytes | None = None
) -> dict[str, int]:
    """Register the offers in ``path``, all or none; importing it again changes nothing."""
    corridor = corridors.load(session)
    table = read_table(path, OFFER_COLUMNS, data=data)
    c = table.columns
    problems = Problems()
    firms = set(session.scalars(select(Firm.id)))
    screening.ensure_screened(session, {c["firm"][r].strip() for r in range(table.rows)}, actor)
    stopped = {f.id: f.screening for f in screening.stopped_firms(session)}
    rows: dict[str, dict[str, Any]] = {}
    for row in range(table.rows):
        offer_id = c["id"][row].strip()
        firm = c["firm"][row].strip()
        gives = c["gives_hs"][row].strip()
        currency = c["currency"][row].strip().upper()
        wants = [w.strip() for w in c["wants_hs"][row].split("|") if w.strip()]
        if not offer_id or len(offer_id) > 100:
            problems.add(table.problem(row, "must be 1 to 100 characters", "id"))
        if firm not in firms:
            problems.add(table.problem(row, f"unknown firm {firm!r}", "firm"))
        elif firm in stopped:
            problems.add(
                table.problem(
                    row,
                    f"firm {firm} is held by sanctions screening and cannot offer goods "
                    "until the clearing house's review of it is settled",
                    "firm",
                )
            )
        if not _is_hs(gives):
            problems.add(table.problem(row, f"{gives!r} is not an HS code", "gives_hs"))
        if not wants or not all(_is_hs(w, 2) for w in wants):
            problems.add(
                table.problem(
                    row, f"{c['wants_hs'][row]!r} is not HS prefixes separated by |", "wants_hs"
                )
            )
        try:
            quantity = parse_quantity(c["quantity"][row])
        except ValueError as error:
            problems.add(table.problem(row, str(error), "quantity"))
            quantity = Decimal(0)
        if not c["unit"][row].strip() or len(c["unit"][row].strip()) > MAX_UNIT:
            problems.add(table.problem(row, f"must be 1 to {MAX_UNIT} characters", "unit"))
        value = 0
        if currency not in corridor.digits:
            problems.add(table.problem(row, f"{currency!r} is not a corridor currency", "currency"))
        else:
            try:
                value = parse_amount(c["value"][row].strip(), corridor.digits[currency])
                if value == 0:
                    problems.add(table.problem(row, "must be positive", "value"))
            except ValueError as error:
                problems.add(table.problem(row, str(error), "value"))
        try:
            valid_until = date.fromisoformat(c["valid_until"][row].strip())
        except ValueError:
            problems.add(
                table.problem(row, f"{c['valid_until'][row]!r} is not a date", "valid_until")
            )
            valid_until = date.min
        record = {
            "id": offer_id,
            "firm": firm,
            "gives_hs": gives,
            "description": c["description"][row].strip(),
            "quantity": str(quantity),
            "unit": c["unit"][row].strip(),
            "value": value,
            "currency": currency,
            "wants_hs": "|".join(wants),
            "valid_until": valid_until,
        }
        if rows.get(offer_id, record) != record:
            problems.add(
                table.problem(row, f"offer {offer_id!r} appears twice with different content", "id")
            )
        rows[offer_id] = record
    stored: dict[str, Offer] = {}
    ids = list(rows)
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        stored.update((o.id, o) for o in session.scalars(select(Offer).where(Offer.id.in_(chunk))))
    for row, offer_id in enumerate(c["id"]):
        offer = stored.get(offer_id.strip())
        given = rows.get(offer_id.strip())
        if offer is not None and given is not None:
            same = all(getattr(offer, key) == value for key, value in given.items())
            if not same:
                problems.add(
                    table.problem(
                        row,
                        f"offer {offer.id!r} is already registered with different content",
                        "id",
                    )
                )
    problems.raise_if_any()
    new = [r for r in rows.values() if r["id"] not in stored]
    created = now()
    insert_rows(
        session,
        Offer,
        [r | {"status": OfferStatus.OPEN, "created_at": created, "created_by": actor} for r in new],
    )
    if new:
        audit.record(
            session,
            actor,
            "offers.register",
            f"file:{path.name}",
            None,
            {"offers": [r["id"] for r in new]},
        )
    return {"rows": table.rows, "created": len(new), "unchanged": len(rows) - len(new)}


def list_offers(
    session: Session, status: str | None = None, firm: str | None = None
) -> list[dict[str, Any]]:
    digits = corridors.load(session).digits
    query = select(Offer).order_by(Offer.id)
    if status is not None:
        query = query.where(Offer.status == status)
    if firm is not None:
        query = query.where(access.offers_of(firm))
    return [
        {
            "id": o.id,
            "firm": o.firm,
            "gives_hs": o.gives_hs,
            "description": o.description,
            "quantity": o.quantity,
            "unit": o.unit,
            "value": format_amount(o.value, digits[o.currency]),
            "currency": o.currency,
            "wants_hs": o.wants_hs.split("|"),
            "valid_until": o.valid_until.isoformat(),
            "status": o.status,
        }
        for o in session.scalars(query)
    ]


def _allowed(policy: Policy, giver: str, receiver: str, hs: str) -> bool:
    """Whether goods ``hs`` may go from a firm of ``giver`` to one of ``receiver``."""
    if giver == receiver:
        return True
    home = policy.home_country
    if giver == home and receiver in policy.partners:
        return policy.prohibited_prefix(Direction.EXPORT, hs) is None
    if receiver == home and giver in policy.partners:
        return policy.prohibited_prefix(Direction.IMPORT, hs) is None
    return False


def compatibility(
    offers: list[Offer],
    countries: dict[str, str],
    values: list[int],
    policy: Policy,
    tolerance: Decimal,
) -> tuple[np.ndarray, np.ndarray]:
    """Arcs o → p: o's goods meet a prefix p wants, another firm, an allowed direction,
    and p receives within ``tolerance`` of the value it gives."""
    numerator, denominator = tolerance.as_integer_ratio()
    by_prefix: dict[str, list[int]] = {}
    for index, offer in enumerate(offers):
        for prefix in offer.wants_hs.split("|"):
            by_prefix.setdefault(prefix, []).append(index)
    tails, heads = [], []
    for o, offer in enumerate(offers):
        receivers: set[int] = set()
        for length in range(2, len(offer.gives_hs) + 1):
            receivers.update(by_prefix.get(offer.gives_hs[:length], ()))
        for p in sorted(receivers):
            other = offers[p]
            if other.firm == offer.firm:
                continue
            if abs(values[o] - values[p]) * denominator > numerator * values[p]:
                continue
            if not _allowed(policy, countries[offer.firm], countries[other.firm], offer.gives_hs):
                continue
            tails.append(o)
            heads.append(p)
    return np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64)


def match(
    session: Session,
    policy: Policy,
    actor: str,
    *,
    as_of: date,
    cap: int = 3,
    tolerance: Decimal | None = None,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Find the best rings among the open offers; record the run and one proposal a ring."""
    if not 2 <= cap <= 6:
        raise InputError([Problem(f"cap {cap} must be 2 to 6", field="cap")])
    tolerance = policy.tolerance if tolerance is None else tolerance
    if not (tolerance.is_finite() and 0 <= tolerance < 1 and tolerance == round(tolerance, 6)):
        raise InputError(
            [
                Problem(
                    f"tolerance {tolerance} must be 0 to below 1, to 6 decimals", field="tolerance"
                )
            ]
        )
    if time_limit is not None and not time_limit > 0:
        raise InputError([Problem("the time limit must be positive", field="time_limit")])
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
    countries = dict(session.execute(select(Firm.id, Firm.country)).all())
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
    tails, heads = compatibility(offers, countries, values, policy, tolerance)
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
            run_id=run.id, state=ProposalState.PROPOSED, value=sum(values[i] for i in cycle)
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
                    "answer": "pending",
                    "answered_at": None,
                    "answered_by": None,
                }
                for position, i in enumerate(cycle)
            ],
        )
        for i in cycle:
            offers[i].status = OfferStatus.PROPOSED
    view = matching_run_view(session, run.id)
    audit.record(
        session,
        actor,
        "matching.run",
        f"matching_run:{run.id}",
        None,
        {k: view[k] for k in ("cap", "offers", "arcs", "rings", "value", "bound", "optimal")},
    )
    return view


def matching_run_view(session: Session, run_id: int) -> dict[str, Any]:
    digits = corridors.load(session).unit_digits
    run = session.get(MatchingRun, run_id)
    if run is None:
        raise NotFoundError(f"no matching run {run_id}")
    proposals = list(
        session.scalars(select(Proposal.id).where(Proposal.run_id == run_id).order_by(Proposal.id))
    )
    gap = 0.0 if run.optimal or not run.bound else (run.bound - run.objective) / run.bound
    return {
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "cap": run.cap,
        "tolerance": run.tolerance,
        "offers": run.offers,
        "arcs": run.arcs,
        "rings": len(proposals),
        "proposals": proposals,
        "value": format_amount(run.objective, digits),
        "bound": format_amount(run.bound, digits),
        "optimal": run.optimal,
        "gap": round(gap, 6),
        "seconds": float(run.seconds),
    }


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


def show_proposal(session: Session, proposal_id: int) -> dict[str, Any]:
    corridor = corridors.load(session)
    proposal, legs = _proposal(session, proposal_id)
    offers = {
        o.id: o
        for o in session.scalars(select(Offer).where(Offer.id.in_([leg.offer_id for leg in legs])))
    }
    return {
        "id": proposal.id,
        "run_id": proposal.run_id,
        "state": proposal.state,
        "value": format_amount(proposal.value, corridor.unit_digits),
        "unit_of_account": corridor.unit_of_account,
        "decided_on": proposal.decided_on.isoformat() if proposal.decided_on else None,
        "legs": [
            {
                "position": leg.position,
                "offer": leg.offer_id,
                "firm": leg.firm,
                "gives_hs": offers[leg.offer_id].gives_hs,
                "description": offers[leg.offer_id].description,
                "gives_to": legs[(leg.position + 1) % len(legs)].firm,
                "value": format_amount(leg.gives, corridor.unit_digits),
                "answer": leg.answer,
            }
            for leg in legs
        ],
    }


def list_proposals(
    session: Session, state: str | None = None, firm: str | None = None
) -> list[dict[str, Any]]:
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


def decline(
    session: Session, proposal_id: int, firm: str, as_of: date, actor: str
) -> dict[str, Any]:
    """A firm declines: the ring falls through and its offers are free again."""
    proposal, legs = _proposal(session, proposal_id, lock=True)
    if proposal.state != ProposalState.PROPOSED:
        raise InputError([Problem(f"proposal {proposal_id} is {proposal.state}")])
    for leg in _legs_of(legs, firm, proposal_id):
        leg.answer, leg.answered_at, leg.answered_by = "declined", now(), actor
    proposal.state, proposal.decided_on = ProposalState.DECLINED, as_of
    for offer in session.scalars(select(Offer).where(Offer.id.in_([leg.offer_id for leg in legs]))):
        offer.status = OfferStatus.OPEN
    audit.record(
        session,
        actor,
        "proposal.decline",
        f"proposal:{proposal_id}",
        {"state": ProposalState.PROPOSED},
        {"state": ProposalState.DECLINED, "firm": firm},
    )
    return show_proposal(session, proposal_id)


def accept(
    session: Session, policy: Policy, proposal_id: int, firm: str, as_of: date, actor: str
) -> dict[str, Any]:
    """A firm accepts; when the last one does, the ring binds (applications, obligations)."""
    proposal, legs = _proposal(session, proposal_id, lock=True)
    if proposal.state != ProposalState.PROPOSED:
        raise InputError([Problem(f"proposal {proposal_id} is {proposal.state}")])
    mine = _legs_of(legs, firm, proposal_id)
    screening.require_clear(session, [leg.firm for leg in legs], actor)
    if all(leg.answer == "accepted" for leg in mine):
        raise InputError([Problem(f"{firm} has already accepted proposal {proposal_id}")])
    for leg in mine:
        leg.answer, leg.answered_at, leg.answered_by = "accepted", now(), actor
    view: dict[str, Any] = {}
    if all(other.answer == "accepted" for other in legs):
        view = _bind(session, policy, proposal, legs, as_of, actor)
    audit.record(
        session,
        actor,
        "proposal.accept",
        f"proposal:{proposal_id}",
        {"state": ProposalState.PROPOSED},
        {"state": proposal.state, "firm": firm},
    )
    return show_proposal(session, proposal_id) | view


def _bind(
    session: Session,
    policy: Policy,
    proposal: Proposal,
    legs: list[ProposalLeg],
    as_of: date,
    actor: str,
) -> dict[str, Any]:
    """Every firm accepted: applications for the Pakistani firms, obligations for the differences.

    Each firm receives the previous leg's goods and gives its own.  Barter covers
    the smallest value in the ring; each firm owes its supplier the rest of what
    it received, so every firm's net position is what it received less what it
    gave.
    """
    corridor = corridors.load(session)
    offers = {
        o.id: o
        for o in session.scalars(select(Offer).where(Offer.id.in_([leg.offer_id for leg in legs])))
    }
    countries = dict(session.execute(select(Firm.id, Firm.country)).all())
    count = len(legs)
    applications = []
    for position, leg in enumerate(legs):
        if countries[leg.firm] != policy.home_country:
            continue
        supplier, customer = legs[position - 1], legs[(position + 1) % count]
        foreign = [
            other for other in (customer, supplier) if countries[other.firm] != policy.home_country
        ]
        if not foreign:
            continue  # goods move within the country: no barter authorization needed
        received, given = offers[supplier.offer_id], offers[leg.offer_id]
        application = Application(
            applicant_id=leg.firm,
            counterparty_id=foreign[0].firm,
            partner_country=countries[foreign[0].firm],
            imports=(_line(received, corridor.digits),),
            exports=(_line(given, corridor.digits),),
            valid_from=as_of,
            valid_until=min(received.valid_until, given.valid_until, as_of + timedelta(days=365)),
            origin_declared=True,
        )
        applications.append(
            barter.submit(session, policy, application, actor, f"proposal {proposal.id}")["id"]
        )
    floor = min(leg.gives for leg in legs)
    obligations = []
    for position, leg in enumerate(legs):
        supplier = legs[position - 1]
        amount = supplier.gives - floor
        if amount:
            obligation = create_obligation(
                session,
                reference=f"RING-{proposal.id}-{position}",
                debtor=leg.firm,
                creditor=supplier.firm,
                amount=amount,
                currency=corridor.unit_of_account,
                due_date=as_of + timedelta(days=PAYMENT_DAYS),
                origin=f"barter ring {proposal.id}",
                actor=actor,
            )
            obligations.append(obligation.reference)
    proposal.state, proposal.decided_on = ProposalState.BINDING, as_of
    for offer in offers.values():
        offer.status = OfferStatus.BOUND
    return {"applications": applications, "obligations": obligations}


def _line(offer: Offer, digits: dict[str, int]) -> GoodsLine:
    return GoodsLine(
        offer.gives_hs,
        offer.description,
        Decimal(offer.quantity),
        offer.unit,
        offer.value,
        offer.currency,
    )


def read_kep(path: Path) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A kidney-exchange ``.input`` file: vertices and the arcs' tails, heads, weights."""
    label = str(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError([Problem(f"cannot read the file: {error}", label)]) from error
    problems = Problems()
    try:
        vertices, arcs = (int(x) for x in lines[0].split())
    except (ValueError, IndexError):
        raise InputError([Problem("the first line must be 'vertices arcs'", label, 1)]) from None
    tails, heads, weights = [], [], []
    seen = set()
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if not fields:
            continue
        if fields[:2] == ["-1", "-1"]:
            break
        try:
            tail, head, weight = int(fields[0]), int(fields[1]), float(fields[2])
        except (ValueError, IndexError):
            problems.add(Problem(f"{line.strip()!r} is not 'source target weight'", label, number))
            continue
        if tail < 0 or head < 0 or tail == head or not weight >= 0 or weight == float("inf"):
            problems.add(Problem(f"arc {tail} -> {head} ({weight}) is not allowed", label, number))
            continue
        if (tail, head) in seen:
            problems.add(Problem(f"arc {tail} -> {head} appears twice", label, number))
            continue
        seen.add((tail, head))
        tails.append(tail)
        heads.append(head)
        weights.append(weight)
    problems.raise_if_any()
    if len(tails) != arcs:
        raise InputError(
            [Problem(f"the header says {arcs} arcs, the file has {len(tails)}", label, 1)]
        )
    vertices = max([vertices, *(t + 1 for t in tails), *(h + 1 for h in heads)])
    return vertices, np.array(tails, np.int64), np.array(heads, np.int64), np.array(weights)


def match_kep(path: Path, cap: int, time_limit: float | None = None) -> dict[str, Any]:
    """Best cycles of a kidney-exchange instance, in the published results' terms."""
    if not 2 <= cap <= 6:
        raise InputError([Problem(f"cap {cap} must be 2 to 6", field="cap")])
    vertices, tails, heads, weights = read_kep(path)
    packing = best_rings(vertices, tails, heads, weights, cap, time_limit=time_limit)
    return {
        "objective": round(packing.objective, 9),
        "cycles": [list(c) for c in packing.cycles],
        "optimal": packing.optimal,
        "bound": round(packing.bound, 9),
        "seconds": round(packing.seconds, 3),
        "variables": packing.variables,
    }
