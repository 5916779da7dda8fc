"""The audit chain: each record's hash covers its content and the previous record's hash.

Changing, removing or reordering any record changes every hash after it, so a
verifier that recomputes the chain names the first record that was touched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""The ``previous_hash`` of the first record."""


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text for one value, so hashes repeat."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AuditEntry:
    """What one audit record says; ``before`` and ``after`` are canonical JSON texts."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    before: str
    after: str
    request_id: str | None = None
    """The request or job that made the change (``tahator.logs``); ``None`` for records
    made outside one, and for every record from before ids were kept."""


def chain_hash(previous_hash: str, entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and every field of ``entry``.

    The request id is covered only when there is one: a record without one hashes as
    every record did before ids were kept, so chains and checkpoints taken then verify.
    """
    fields: list[object] = [
        previous_hash,
        entry.id,
        entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        entry.actor,
        entry.action,
        entry.subject,
        entry.before,
        entry.after,
    ]
    if entry.request_id is not None:
        fields.append(entry.request_id)
    content = canonical(fields)
    return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first record whose stored hashes do not follow from the chain before it."""

    id: int
    reason: str


def first_break(records: Iterable[tuple[AuditEntry, str, str]]) -> ChainBreak | None:
    """Check ``(entry, previous_hash, hash)`` in id order; the first break, or ``None``."""
    expected_previous = GENESIS
    for entry, previous_hash, stored_hash in records:
        if previous_hash != expected_previous:
            return ChainBreak(entry.id, "its previous hash is not the hash of the record before it")
        if chain_hash(previous_hash, entry) != stored_hash:
            return ChainBreak(entry.id, "its content does not match its hash")
        expected_previous = stored_hash
    return None


TAG_LENGTH = 8
"""Hex digits of a row's tag: enough to name the row that changed; the full digest
beside the tags is what proves that nothing did."""


def row_tag(row: Iterable[Any]) -> str:
    """A short hash of one row: names the row that changed.  Fields joined by a unit
    separator, quick to compute; the table's ``digest`` is what proves."""
    text = "\x1f".join(map(str, row))
    return hashlib.sha256(text.encode()).hexdigest()[:TAG_LENGTH]


def digest(rows: Iterable[Iterable[Any]]) -> str:
    """SHA-256 over rows in order, as one canonical JSON list."""
    # JSON writes tuples as arrays: no copy of the rows.
    listed = rows if isinstance(rows, list) else list(rows)
    return hashlib.sha256(canonical(listed).encode()).hexdigest()


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as ``[first, last]`` runs: a registration's rows, compactly."""
    ranges: list[list[int]] = []
    for i in sorted(ids):
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges


def expand_ranges(ranges: Iterable[Iterable[int]]) -> list[int]:
    """The ids ``id_ranges`` compacted."""
    ids: list[int] = []
    for first, last in ranges:
        ids.extend(range(first, last + 1))
    return ids


@dataclass(frozen=True)
class Checkpoint:
    """The audit chain's head and the money tables' sizes, kept outside the database."""

    last_id: int
    hash: str
    records: int
    counts: dict[str, int]


def checkpoint_breaks(saved: Checkpoint, now: Checkpoint, hash_at_saved: str | None) -> list[str]:
    """How the chain and tables today contradict ``saved``: rewritten or truncated.

    ``hash_at_saved`` is today's hash of the record at ``saved.last_id`` (``None``:
    no such record).  Records and money rows are only ever appended, so fewer of
    either is a truncation.
    """
    breaks = []
    if saved.last_id == 0:
        pass  # taken of an empty chain: any chain extends it
    elif hash_at_saved is None:
        breaks.append(
            f"audit record {saved.last_id}, the checkpoint's head, is gone: "
            f"the chain was truncated to {now.records} records (the checkpoint had "
            f"{saved.records})"
        )
    elif hash_at_saved != saved.hash:
        breaks.append(
            f"audit record {saved.last_id} no longer has the checkpoint's hash "
            f"{saved.hash[:12]}…: the chain was rewritten"
        )
    if now.records < saved.records:
        breaks.append(
            f"the audit log has {now.records} records, fewer than the checkpoint's "
            f"{saved.records}: records were deleted"
        )
    for table, count in sorted(saved.counts.items()):
        if now.counts.get(table, 0) < count:
            breaks.append(
                f"{table} has {now.counts.get(table, 0)} rows, fewer than the "
                f"checkpoint's {count}: rows were deleted"
            )
    return breaks
