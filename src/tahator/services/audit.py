"""The audit log: every state change, who made it, and what it was before and after.

Use cases call :func:`record` inside their own transaction, so a change and its
record commit together or not at all.  Records form a hash chain
(``domain/audit.py``); :func:`verify` recomputes it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeAlias, cast
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from tahator import formatting, logs
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
from tahator.services.paging import Page, Window, paged
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
    request_id: str | None = None
    """The request or job that made the change (its ``X-Request-ID``, or the worker's
    ``job:…``), as its log line says; ``None`` outside a request or job."""


REQUEST_ID_LENGTH = 64
"""What ``AuditRecord.request_id`` holds; a longer id is cut (and hashed as cut)."""


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
    return _append(session, _Pending(actor, action, subject, _snapshot(before), _snapshot(after)))


@dataclass(frozen=True)
class _Pending:
    """A record made but not yet chained: its snapshots and the request that made it."""

    actor: str
    action: str
    subject: str
    before: str
    after: str
    request_id: str | None = dataclasses.field(default_factory=lambda: _acting())


def _acting() -> str | None:
    acting = logs.request_id()
    return acting[:REQUEST_ID_LENGTH] if acting else None


_PENDING = "tahator.audit.pending"
"""``Session.info`` key of the records ``record_at_commit`` holds until the commit."""


def record_at_commit(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    before: object = None,
    after: object = None,
) -> None:
    """``record``, chained when the session's transaction commits.

    The snapshots are made now; the chain's lock (PostgreSQL) is taken last in the
    transaction, after its other writes are flushed, so concurrent writers wait for
    each other only for the append and the commit.  Records made so append in their
    order; a rollback drops them with everything else.  Inside a savepoint it is
    ``record`` (a savepoint rolled back alone must take its records with it).
    """
    pending = _Pending(actor, action, subject, _snapshot(before), _snapshot(after))
    if session.in_nested_transaction():
        _append(session, pending)
        return
    held = session.info.get(_PENDING)
    if held is None:
        held = session.info[_PENDING] = []
        event.listen(session, "before_commit", _append_held)
        event.listen(session, "after_transaction_end", _drop_held)
    held.append(pending)


def _append_held(session: Session) -> None:
    held = session.info.pop(_PENDING, None)
    if held:
        session.flush()  # the transaction's own writes before the lock, not under it
        for pending in held:
            _append(session, pending)


def _drop_held(session: Session, ended: Any) -> None:
    # However the transaction itself ended (committed: already appended; rolled back
    # or closed: nothing of it stays), its held records go with it; a savepoint's
    # end leaves them.
    if ended.parent is None:
        session.info.pop(_PENDING, None)


def _append(session: Session, pending: _Pending) -> int:
    """Chain ``pending`` to the last record."""
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
        actor=pending.actor,
        action=pending.action,
        subject=pending.subject,
        before=pending.before,
        after=pending.after,
        request_id=pending.request_id,
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
            request_id=entry.request_id,
            previous_hash=previous_hash,
            hash=chain_hash(previous_hash, entry),
        )
    )
    session.flush()
    return entry.id


def _entry(row: AuditRecord) -> AuditEntry:
    return AuditEntry(
        row.id, row.at, row.actor, row.action, row.subject, row.before, row.after, row.request_id
    )


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
    request_id: str | None = None,
) -> list[AuditRecordView]:
    """Records with ids above ``after_id``, oldest first, filtered."""
    query = select(AuditRecord).where(AuditRecord.id > after_id).order_by(AuditRecord.id)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if action:
        query = query.where(AuditRecord.action == action)
    if subject:
        query = query.where(AuditRecord.subject == subject)
    if request_id:
        query = query.where(AuditRecord.request_id == request_id)
    return [_view(r) for r in session.scalars(query.limit(limit))]


def checkpoint(session: Session) -> Checkpoint:
    """The chain's head and the money tables' sizes now: to keep outside the database."""
    last_id, head, count = proof.chain_head(session)
    return Checkpoint(last_id, head, count, proof.table_counts(session))


def read_checkpoint(text_: str, source: str) -> Checkpoint:
    """A checkpoint file's text as written by ``checkpoint``; ``InputError`` if it is not one."""
    try:
        document = json.loads(text_)
    except (ValueError, RecursionError) as error:  # RecursionError: '[' * 100000
        raise InputError([Problem(f"not a checkpoint: not JSON ({error})", source)]) from error
    return checkpoint_from(document, source)


_LARGEST = 2**63 - 1
"""Ids and counts as the database holds them: a larger one names nothing."""


def checkpoint_from(document: Any, source: str = "") -> Checkpoint:
    """``document`` (decoded JSON) as a checkpoint, checked strictly: ``InputError``
    "not a checkpoint: …" unless every field is as ``checkpoint`` writes it, so that a
    malformed file is never taken for a tampered chain."""

    def count(value: Any, name: str) -> int:
        if type(value) is not int or not 0 <= value <= _LARGEST:
            raise _not_a_checkpoint(
                f"{name} is {repr(value)[:40]}, not a whole number of 0 or more", source
            )
        return value

    if not isinstance(document, dict):
        raise _not_a_checkpoint("not a JSON object", source)
    missing = [key for key in ("last_id", "hash", "records", "counts") if key not in document]
    if missing:
        raise _not_a_checkpoint(f"no {', '.join(missing)}", source)
    last_id, records = count(document["last_id"], "last_id"), count(document["records"], "records")
    head = document["hash"]
    if not (isinstance(head, str) and (_HASH.fullmatch(head) or (head == "" and last_id == 0))):
        raise _not_a_checkpoint("hash is not 64 lowercase hexadecimal digits", source)
    counts = document["counts"]
    if not isinstance(counts, dict):
        raise _not_a_checkpoint("counts is not a JSON object", source)
    known = {table.__tablename__ for table in proof.MONEY_TABLES}
    unknown = sorted(set(counts) - known)
    if unknown:
        raise _not_a_checkpoint(f"counts names no money table: {', '.join(unknown)}", source)
    return Checkpoint(
        last_id, head, records, {name: count(n, f"counts.{name}") for name, n in counts.items()}
    )


_HASH = re.compile("[0-9a-f]{64}")


def _not_a_checkpoint(reason: str, source: str) -> InputError:
    return InputError([Problem(f"not a checkpoint: {reason}", source)])


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


@dataclass(frozen=True)
class AuditFilter:
    """Which records an auditor asks for: text in the actor, action or subject (any
    case, anywhere), and a range of days the records were made on, in ``zone`` (the
    zone the auditor reads times in, so a day means what the page shows)."""

    actor: str = ""
    action: str = ""
    subject: str = ""
    since: date | None = None
    until: date | None = None
    zone: str = "UTC"


AUDIT_SORTS = ("id", "at", "actor", "action", "subject")


def record_page(session: Session, window: Window, asked: AuditFilter) -> Page[AuditRecordView]:
    """One page of the audit log, newest first unless sorted otherwise (``AUDIT_SORTS``),
    filtered by ``asked``; the window's search looks in actor, action, subject and
    request id."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc())
    for column, text_ in (
        (AuditRecord.actor, asked.actor),
        (AuditRecord.action, asked.action),
        (AuditRecord.subject, asked.subject),
    ):
        if text_.strip():
            query = query.where(func.lower(column).contains(text_.strip().lower(), autoescape=True))
    zone = ZoneInfo(asked.zone)
    if asked.since is not None:
        start = datetime.combine(asked.since, time(), zone).astimezone(UTC)
        query = query.where(AuditRecord.at >= start)
    if asked.until is not None:
        end = datetime.combine(asked.until + timedelta(days=1), time(), zone).astimezone(UTC)
        query = query.where(AuditRecord.at < end)
    page = paged(
        session,
        query,
        window,
        sorts={key: getattr(AuditRecord, key).expression for key in AUDIT_SORTS},
        searched=[
            AuditRecord.actor.expression,
            AuditRecord.action.expression,
            AuditRecord.subject.expression,
            AuditRecord.request_id.expression,  # a log line's id finds what it changed
        ],
        tiebreak=[AuditRecord.id.desc()],
    )
    # ``paged`` gives rows for a select of an entity's many columns; an entity otherwise.
    records = [r if isinstance(r, AuditRecord) else r[0] for r in page.rows]
    return Page(tuple(_view(r) for r in records), page.total, page.window)


def _view(r: AuditRecord) -> AuditRecordView:
    return AuditRecordView(
        id=r.id,
        at=r.at,
        actor=r.actor,
        action=r.action,
        subject=r.subject,
        before=cast(JsonValue, json.loads(r.before)),
        after=cast(JsonValue, json.loads(r.after)),
        hash=r.hash,
        request_id=r.request_id,
    )


def actions(session: Session) -> tuple[str, ...]:
    """The actions the log holds, for a filter's choices."""
    return tuple(session.scalars(select(AuditRecord.action).distinct().order_by("action")))
