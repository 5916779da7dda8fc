"""The barter tables: authorizations, their goods and declarations, the marketplace.

``tahator.store.schema`` re-exports them with the other tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from tahator.store.base import FIRM_ID, Base
from tahator.store.types import UtcDateTime


class Authorization(Base):
    """A barter authorization: an application and, once customs decides, its life."""

    __tablename__ = "authorizations"
    __table_args__ = (UniqueConstraint("applicant", "reference"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(100))
    """The applicant's own reference: a retried application with it is not filed twice."""
    applicant: Mapped[str] = mapped_column(FIRM_ID)
    """A firm id, or a consortium id when ``consortium`` is set."""
    consortium: Mapped[bool] = mapped_column(Boolean, default=False)
    counterparty: Mapped[str] = mapped_column(ForeignKey("firms.id"))
    partner_country: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    origin_declared: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(20), index=True)
    planned_import: Mapped[int] = mapped_column(BigInteger)
    planned_export: Mapped[int] = mapped_column(BigInteger)
    approval_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    authorized_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)
    """The day it was balanced or cancelled."""
    settlement_obligation: Mapped[int | None] = mapped_column(ForeignKey("obligations.id"))
    """The obligation carrying its residual or imbalance, if any."""
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_on: Mapped[date] = mapped_column(Date)
    """The submission's business date in the corridor's zone (stated, or that day): no
    decision is dated before it."""
    policy_version: Mapped[str | None] = mapped_column(String(40))
    """The version of the order that governs it: in force on its authorization date."""
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    """The barter ring it was filed for: its plan's differences are already obligations."""
    undertaking: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The applicant's undertaking that its foreign partner is not sanctioned."""
    decided_on: Mapped[date | None] = mapped_column(Date)
    """The business date customs authorized or rejected it."""
    closed_by: Mapped[str | None] = mapped_column(String(100))
    close_reason: Mapped[str | None] = mapped_column(Text)
    """Why it was closed on purpose before its plan was reached, if it was."""


class AuthorizationLine(Base):
    """Goods an application plans to import or export."""

    __tablename__ = "authorization_lines"
    authorization_id: Mapped[int] = mapped_column(ForeignKey("authorizations.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(10), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    hs: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    value_unit: Mapped[int] = mapped_column(BigInteger)
    """In the unit of account, at the rate of the contract's first day."""


class Declaration(Base):
    """A goods declaration quoting an authorization, at its assessed value."""

    __tablename__ = "declarations"
    __table_args__ = (UniqueConstraint("reference"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    authorization_id: Mapped[int] = mapped_column(ForeignKey("authorizations.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(100))
    """The goods declaration's (GD) number, unique in the corridor: declaring it again on
    the same authorization is not counted twice; on another, it is refused."""
    direction: Mapped[str] = mapped_column(String(10))
    hs: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    rate: Mapped[str] = mapped_column(String(40))
    value_unit: Mapped[int] = mapped_column(BigInteger)
    declared_on: Mapped[date] = mapped_column(Date)
    line: Mapped[int | None] = mapped_column(Integer)
    """The position of the authorized line of its direction that it is counted against."""
    flag: Mapped[str | None] = mapped_column(Text)
    """Why customs should review it (a unit value outside its band), if anything."""
    consignment_id: Mapped[int | None] = mapped_column(ForeignKey("consignments.id"), index=True)
    """The consignment that carries the goods, once customs knows it."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class Offer(Base):
    """A firm's offer on the barter marketplace: goods it gives, goods it wants."""

    __tablename__ = "offers"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    firm: Mapped[str] = mapped_column(ForeignKey("firms.id"), index=True)
    gives_hs: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    wants_hs: Mapped[str] = mapped_column(Text)
    """HS prefixes the firm wants in return, ``|``-separated."""
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    """``open``, ``proposed`` (in a pending proposal) or ``bound``."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class MatchingRun(Base):
    __tablename__ = "matching_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date)
    cap: Mapped[int] = mapped_column(Integer)
    tolerance: Mapped[str] = mapped_column(String(20))
    offers: Mapped[int] = mapped_column(Integer)
    arcs: Mapped[int] = mapped_column(Integer)
    objective: Mapped[int] = mapped_column(BigInteger)
    """Value exchanged by the proposed rings, unit of account."""
    bound: Mapped[int] = mapped_column(BigInteger)
    optimal: Mapped[bool] = mapped_column(Boolean)
    seconds: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class Proposal(Base):
    """A barter ring proposed by a matching run; binding once every firm accepts."""

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_runs.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    """``proposed``, ``binding`` or ``declined``."""
    value: Mapped[int] = mapped_column(BigInteger)
    decided_on: Mapped[date | None] = mapped_column(Date)


class ProposalLeg(Base):
    """One offer in a ring: its firm gives its goods to the next leg's firm."""

    __tablename__ = "proposal_legs"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"))
    firm: Mapped[str] = mapped_column(ForeignKey("firms.id"))
    gives: Mapped[int] = mapped_column(BigInteger)
    """Value of the goods it gives, unit of account, at the run's rates."""
    answer: Mapped[str] = mapped_column(String(20))
    """``pending``, ``accepted`` or ``declined``."""
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(100))
