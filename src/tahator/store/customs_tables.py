"""The customs tables: consignments at a border crossing with the time of each phase,
and the lane selections (risk-based, seeded, overridable) that route them.

``tahator.store.schema`` re-exports them with the other tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tahator.store.base import Base
from tahator.store.types import UtcDateTime


class Consignment(Base):
    """Goods crossing the border in one vehicle, declared by one firm: the declarations
    it carries (``declarations.consignment_id``), its lane and each phase's time (UTC),
    as the WCO Time Release Study measures them."""

    __tablename__ = "consignments"
    __table_args__ = (Index("ix_consignments_crossing_arrived", "crossing", "arrived_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    """Customs' number for it (the manifest or cargo reference), unique in the corridor."""
    crossing: Mapped[str] = mapped_column(String(20))
    """A border crossing's code from the corridor policy's ``[[customs.crossings]]``."""
    direction: Mapped[str] = mapped_column(String(10))
    """``import`` or ``export``, seen from the corridor's home country."""
    vehicle: Mapped[str] = mapped_column(String(40))
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), index=True)
    """The declarant: its traders see the consignment's status, never the rules."""
    origin: Mapped[str | None] = mapped_column(String(2))
    """The goods' country of origin, where declared."""
    lane: Mapped[str | None] = mapped_column(String(10))
    """The lane in force: the latest selection's (green, yellow, red, blue)."""
    inspection: Mapped[str | None] = mapped_column(String(20))
    """The inspection's result: ``clear`` or ``discrepancy``."""
    inspection_note: Mapped[str | None] = mapped_column(Text)
    lodged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lane_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    documents_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    inspected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    exited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """Exit on the other side, where known."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class LaneSelection(Base):
    """One lane decision for a consignment: the risk score and the criteria that hit, the
    recorded seed and draw that make the random part reproducible, the rules' digest; or
    an officer's override of the one before, with the reason."""

    __tablename__ = "lane_selections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"), index=True)
    lane: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    hits: Mapped[list[str]] = mapped_column(JSON)
    """The ids of the policy's criteria that hit."""
    seed: Mapped[str] = mapped_column(String(64))
    draw: Mapped[int] = mapped_column(Integer)
    """The seeded uniform draw, in millionths (0–999,999)."""
    random: Mapped[bool] = mapped_column(Boolean)
    """Whether the draw, not the score, chose the lane."""
    rules: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the risk rules in force, as canonical JSON."""
    selected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    selected_by: Mapped[str] = mapped_column(String(100))
    overrides: Mapped[int | None] = mapped_column(ForeignKey("lane_selections.id"))
    """The selection an officer overrode with this one."""
    reason: Mapped[str | None] = mapped_column(Text)
    """The officer's reason for an override (required then)."""


__all__ = ["Consignment", "LaneSelection"]
