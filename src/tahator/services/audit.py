"""The audit log: every state change, who made it, and what it was before and after.

Use cases call :func:`record` inside their own transaction, so a change and its
record commit together or not at all.  Records form a hash chain
(``domain/audit.py``); :func:`verify` recomputes it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias, cast

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tahator import formatting
from tahator.domain.audit import (
    GENESIS,
    AuditEntry,
    ChainBreak,
    Checkpoint,
    canonical,
    chain_hash,
    checkpoint_breaks,
    first_break,
)
from tahator.domain.errors import InputError, Problem
from tahator.services import proof
from tahator.services.common import now
from tahator.store.schema import AuditRecord

_CHAIN_LOCK = 0x7A4A7A
"""PostgreSQL advisory lock key that serializes appends to the chain."""

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
"""What a record says a thing was before or after a change."""


@dataclass(frozen=True)
class AuditRecordView:
    """One record of the audit log, its ``before`` and ``after`` as stored."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    before: JsonValue
    after: JsonValue
    hash: str


def _snapshot(value: object) -> str:
    """``value`` as canonical JSON; a result dataclass as its JSON document."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = formatting.jsonable(value)
    return canonical(value)


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    before: object = None,
    after: object = None,
) -> int:
    """Append one record, chained to the last; return its id.

    ``before`` and ``after`` are JSON-able values or result dataclasses (``None``
    when the thing did not exist before, or no longer exists after).
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
        before=_snapshot(before),
        after=_snapshot(after),
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


@dataclass(frozen=True)
class ChainCheck:
    """The audit chain recomputed: whole, or where it first breaks and why."""

    ok: bool
    records: int
    first_break: int | None
    reason: str | None


def check_chain(session: Session) -> ChainCheck:
    """``verify`` as one result: how many records, and the first break if any."""
    count, broken = verify(session)
    return ChainCheck(
        ok=broken is None,
        records=count,
        first_break=broken.id if broken else None,
        reason=broken.reason if broken else None,
    )


def list_records(
    session: Session,
    *,
    after_id: int = 0,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
) -> list[AuditRecordView]:
    """Records with ids above ``after_id``, oldest first, filtered."""
    query = select(AuditRecord).where(AuditRecord.id > after_id).order_by(AuditRecord.id)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if action:
        query = query.where(AuditRecord.action == action)
    if subject:
        query = query.where(AuditRecord.subject == subject)
    return [
        AuditRecordView(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            subject=r.subject,
            before=cast(JsonValue, json.loads(r.before)),
            after=cast(JsonValue, json.loads(r.after)),
            hash=r.hash,
        )
        for r in session.scalars(query.limit(limit))
    ]


def checkpoint(session: Session) -> Checkpoint:
    """The chain's head and the money tables' sizes now: to keep outside the database."""
    last_id, head, count = proof.chain_head(session)
    return Checkpoint(last_id, head, count, proof.table_counts(session))


def read_checkpoint(text_: str, source: str) -> Checkpoint:
    """A checkpoint file's text as written by ``checkpoint``; ``InputError`` if it is not one."""
    try:
        document = json.loads(text_)
        saved = Checkpoint(
            int(document["last_id"]),
            str(document["hash"]),
            int(document["records"]),
            {str(k): int(v) for k, v in dict(document["counts"]).items()},
        )
    except (ValueError, KeyError, TypeError) as error:
        raise InputError([Problem(f"not a checkpoint: {error}", source)]) from error
    return saved


@dataclass(frozen=True)
class CheckpointCheck:
    """The chain recomputed and compared with a checkpoint kept outside the database."""

    ok: bool
    records: int
    breaks: tuple[str, ...]


def check_against(session: Session, saved: Checkpoint) -> CheckpointCheck:
    """Whether the chain is whole and still extends ``saved``: not rewritten, not truncated."""
    chain = check_chain(session)
    breaks = [] if chain.ok else [f"audit record {chain.first_break} is broken: {chain.reason}"]
    hash_at = session.scalar(select(AuditRecord.hash).where(AuditRecord.id == saved.last_id))
    breaks += checkpoint_breaks(saved, checkpoint(session), hash_at)
    return CheckpointCheck(not breaks, chain.records, tuple(breaks))
