"""The audit log: every state change, who made it, and what it was before and after.

Use cases call :func:`record` inside their own transaction, so a change and its
record commit together or not at all.  Records form a hash chain
(``domain/audit.py``); :func:`verify` recomputes it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tahator.domain.audit import GENESIS, AuditEntry, ChainBreak, canonical, chain_hash, first_break
from tahator.services.common import now
from tahator.store.schema import AuditRecord

_CHAIN_LOCK = 0x7A4A7A
"""PostgreSQL advisory lock key that serializes appends to the chain."""


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one record, chained to the last; return its id.

    ``before`` and ``after`` are JSON-able values (``None`` when the thing did not
    exist before, or no longer exists after).
    """
    if session.get_bind().dialect.name == "postgresql":
        # Two writers must not both chain to the same last record.  (SQLite's
        # BEGIN IMMEDIATE already serializes every writer.)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = session.execute(
        select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    previous_hash = last.hash if last else GENESIS
    entry = AuditEntry(
        id=(last.id + 1) if last else 1,
        at=now(),
        actor=actor,
        action=action,
        subject=subject,
        before=canonical(before),
        after=canonical(after),
    )
    session.add(
        AuditRecord(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            subject=entry.subject,
            before=entry.before,
            after=entry.after,
            previous_hash=previous_hash,
            hash=chain_hash(previous_hash, entry),
        )
    )
    session.flush()
    return entry.id


def _entry(row: AuditRecord) -> AuditEntry:
    return AuditEntry(row.id, row.at, row.actor, row.action, row.subject, row.before, row.after)


def verify(session: Session) -> tuple[int, ChainBreak | None]:
    """How many records there are, and the first break in their chain (``None`` if whole)."""
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
    return len(rows), first_break((_entry(r), r.previous_hash, r.hash) for r in rows)


def list_records(
    session: Session,
    *,
    after_id: int = 0,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """Records with ids above ``after_id``, oldest first, filtered."""
    query = select(AuditRecord).where(AuditRecord.id > after_id).order_by(AuditRecord.id)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if action:
        query = query.where(AuditRecord.action == action)
    if subject:
        query = query.where(AuditRecord.subject == subject)
    return [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "actor": r.actor,
            "action": r.action,
            "subject": r.subject,
            "before": json.loads(r.before),
            "after": json.loads(r.after),
            "hash": r.hash,
        }
        for r in session.scalars(query.limit(limit))
    ]
