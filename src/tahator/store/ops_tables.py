"""The tables that let Tahator run by itself: the scheduled jobs' runs and failures,
and the webhooks firms and banks subscribe with their deliveries.

``tahator.store.schema`` re-exports them with the other tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from tahator.store.base import Base
from tahator.store.types import UtcDateTime


class JobRun(Base):
    """One occurrence of a scheduled job, done.  Inserted in the transaction that does
    the job's work, so the work and this row commit together or not at all; the
    primary key makes a second worker's insert of the same occurrence fail (exactly
    once, by the database, with no lock of our own)."""

    __tablename__ = "job_runs"
    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    occurrence: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The occurrence's key: its date (``2026-01-29``), or date and time."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    worker: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer)
    """Attempts it took, this one included (failures are in ``job_failures``)."""
    outcome: Mapped[dict[str, object]] = mapped_column(JSON)
    """What the job did, as shown to the operator (e.g. the run's id, what was cancelled)."""


class JobFailure(Base):
    """A failed attempt at one occurrence: recorded in its own transaction after the
    job's own rolled back (nothing half-applied); the next attempt waits for
    ``retry_at`` (exponential backoff) and stops after the worker's limit."""

    __tablename__ = "job_failures"
    __table_args__ = (Index("ix_job_failures_job_occurrence", "job", "occurrence"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(40))
    occurrence: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    worker: Mapped[str] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(Text)
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When the next attempt may start; ``None`` once the worker gave up."""


class Webhook(Base):
    """A subscriber's URL for signed event POSTs: a firm's, or a bank's (the bank that
    holds one country's clearing account)."""

    __tablename__ = "webhooks"
    __table_args__ = (
        CheckConstraint("(firm_id IS NULL) <> (clearing_country IS NULL)", name="one_owner"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firm_id: Mapped[str | None] = mapped_column(ForeignKey("firms.id"), index=True)
    clearing_country: Mapped[str | None] = mapped_column(
        ForeignKey("clearing_accounts.country"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    """The HMAC-SHA256 key, shown once at registration; kept to sign each delivery."""
    previous_secret: Mapped[str | None] = mapped_column(String(128))
    """The key before the last rotation: deliveries are signed with it too until
    ``previous_until`` (24 hours), so receivers have a day to take the new one."""
    previous_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    events: Mapped[list[str]] = mapped_column(JSON)
    """The event types subscribed to."""
    active: Mapped[bool] = mapped_column(Boolean, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class WebhookDelivery(Base):
    """One event for one subscriber: the exact body signed and sent, and how sending it
    went.  Written in the transaction of the event's cause (an outbox), delivered by
    the worker, retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    """The event's id (a UUID), the same in every retry: receivers deduplicate on it."""
    event: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    """The JSON body exactly as signed and sent."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20))
    """``pending``, ``delivered`` or ``failed`` (given up)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    """The receiver's HTTP status at the last attempt (``None``: no answer)."""
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


__all__ = ["JobFailure", "JobRun", "Webhook", "WebhookDelivery"]
