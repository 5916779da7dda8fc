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


def chain_hash(previous_hash: str, entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and every field of ``entry``."""
    content = canonical(
        [
            previous_hash,
            entry.id,
            entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
            entry.actor,
            entry.action,
            entry.subject,
            entry.before,
            entry.after,
        ]
    )
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
