"""The border markets' tables: the residents registered to buy and their sales.

``tahator.store.schema`` re-exports them with the other tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tahator.store.base import Base
from tahator.store.types import UtcDateTime


class BorderResident(Base):
    """A border-district resident registered to buy at one border market."""

    __tablename__ = "border_residents"
    __table_args__ = (UniqueConstraint("market", "national_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    market: Mapped[str] = mapped_column(String(40))
    national_id: Mapped[str] = mapped_column(String(13))
    """A Pakistani CNIC (13 digits) or an Iranian national code (10), digits only."""
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(300))
    district: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    registered_by: Mapped[str] = mapped_column(String(100))


class BorderSale(Base):
    """A sale to a resident at a border market, within the resident's quotas."""

    __tablename__ = "border_sales"
    __table_args__ = (
        UniqueConstraint("market", "reference"),
        Index("ix_border_sales_resident_day", "resident_id", "sold_on"),
        Index("ix_border_sales_market_day", "market", "sold_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    market: Mapped[str] = mapped_column(String(40))
    resident_id: Mapped[int] = mapped_column(ForeignKey("border_residents.id"))
    reference: Mapped[str | None] = mapped_column(String(100))
    """The market's receipt number: a retried sale with it is recorded once."""
    hs: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    rate: Mapped[str] = mapped_column(String(40))
    value_unit: Mapped[int] = mapped_column(BigInteger)
    sold_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
