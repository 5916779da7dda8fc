"""What the risk criteria look at, gathered from a consignment and the records around it.

``services.consignments`` asks for these facts at the lane phase and hands them to the
pure ``domain.customs.select_lane``; each fact is as the records stood then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, DivisionByZero, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tahator.domain.customs import Inspection, LaneFacts
from tahator.domain.policy import Direction, Policy
from tahator.store.schema import (
    Authorization,
    AuthorizationLine,
    Consignment,
    Consortium,
    ConsortiumMember,
    Declaration,
    Firm,
    ScreeningHit,
)


def applicants(session: Session, firm_id: str) -> set[str]:
    """The firm and the consortia it leads or belongs to: whose authorizations are its."""
    led = select(Consortium.id).where(Consortium.lead_firm == firm_id)
    member = select(ConsortiumMember.consortium_id).where(ConsortiumMember.firm_id == firm_id)
    return {firm_id, *session.scalars(led), *session.scalars(member)}


def _first(session: Session, consignment: Consignment, declarations: Sequence[Declaration]) -> bool:
    """Whether the firm has neither an earlier consignment nor a declaration before this
    consignment's first (any other one, when it carries none)."""
    earlier_consignment = session.scalar(
        select(func.count())
        .select_from(Consignment)
        .where(Consignment.firm_id == consignment.firm_id, Consignment.id < consignment.id)
    )
    if earlier_consignment:
        return False
    query = (
        select(func.count())
        .select_from(Declaration)
        .join(Authorization, Authorization.id == Declaration.authorization_id)
        .where(Authorization.applicant.in_(applicants(session, consignment.firm_id)))
        .where(
            or_(
                Declaration.consignment_id.is_(None),
                Declaration.consignment_id != consignment.id,
            )
        )
    )
    if declarations:
        query = query.where(Declaration.id < min(d.id for d in declarations))
    return not session.scalar(query)


def _deviation(session: Session, declaration: Declaration) -> Decimal:
    """How far the declaration departs from its authorized line's plan, as a share: its
    unit value against the planned one, and its line's declared quantity so far against
    the planned quantity (only an excess counts).  0 without a line or comparable units."""
    if declaration.line is None:
        return Decimal(0)
    line = session.get(
        AuthorizationLine,
        (declaration.authorization_id, declaration.direction, declaration.line),
    )
    if line is None or line.unit != declaration.unit:
        return Decimal(0)
    try:
        planned_quantity = Decimal(line.quantity)
        quantity = Decimal(declaration.quantity)
        planned_price = Decimal(line.value_unit) / planned_quantity
        price = Decimal(declaration.value_unit) / quantity
        by_price = abs(price / planned_price - 1)
    except (InvalidOperation, DivisionByZero):
        return Decimal(0)
    declared_so_far = sum(
        (
            Decimal(q)
            for q in session.scalars(
                select(Declaration.quantity).where(
                    Declaration.authorization_id == declaration.authorization_id,
                    Declaration.direction == declaration.direction,
                    Declaration.line == declaration.line,
                    Declaration.id <= declaration.id,
                )
            )
        ),
        Decimal(0),
    )
    by_quantity = max(declared_so_far / planned_quantity - 1, Decimal(0))
    return max(by_price, by_quantity)


def _expected_origins(
    session: Session, policy: Policy, consignment: Consignment, declarations: Sequence[Declaration]
) -> frozenset[str]:
    """Where the goods should come from: home for an export; for an import, the partner
    country of each authorization and its counterparty's country."""
    if consignment.direction == Direction.EXPORT:
        return frozenset({policy.home_country})
    ids = {d.authorization_id for d in declarations}
    if not ids:
        return frozenset()
    rows = session.execute(
        select(Authorization.partner_country, Firm.country)
        .join(Firm, Firm.id == Authorization.counterparty)
        .where(Authorization.id.in_(ids))
    )
    return frozenset(country for row in rows for country in row)


def price_flagged(session: Session, consignment_id: int) -> bool:
    """Whether a declaration in the consignment carries a price-band flag (the lane's
    floor, ``domain.customs.lane_floor``)."""
    flagged = session.scalar(
        select(func.count())
        .select_from(Declaration)
        .where(Declaration.consignment_id == consignment_id, Declaration.flag.is_not(None))
    )
    return bool(flagged)


def gather(session: Session, policy: Policy, consignment: Consignment, at: datetime) -> LaneFacts:
    """The facts about ``consignment`` the criteria look at, as they stood at ``at``."""
    declarations = session.scalars(
        select(Declaration)
        .where(Declaration.consignment_id == consignment.id)
        .order_by(Declaration.id)
    ).all()
    screened = session.scalar(
        select(func.count())
        .select_from(ScreeningHit)
        .where(ScreeningHit.firm_id == consignment.firm_id)
    )
    discrepancy = session.scalar(
        select(func.count())
        .select_from(Consignment)
        .where(
            Consignment.firm_id == consignment.firm_id,
            Consignment.id != consignment.id,
            Consignment.inspection == Inspection.DISCREPANCY,
            Consignment.inspected_at <= at,
        )
    )
    return LaneFacts(
        direction=consignment.direction,
        hs=tuple(d.hs for d in declarations),
        price_flagged=any(d.flag is not None for d in declarations),
        first_declaration=_first(session, consignment, declarations),
        screening_hit=bool(screened),
        earlier_discrepancy=bool(discrepancy),
        plan_deviation=max((_deviation(session, d) for d in declarations), default=Decimal(0)),
        origin=consignment.origin,
        expected_origins=_expected_origins(session, policy, consignment, declarations),
    )
