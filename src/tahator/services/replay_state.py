"""The replay's state as it walks the audit log (``services/replay.py``), and how it
names a stored row that differs from the recomputation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tahator.domain import ledger
from tahator.domain.audit import TAG_LENGTH, digest, expand_ranges, row_tag
from tahator.domain.obligations import ObligationStatus
from tahator.services import proof, replay_corridor


@dataclass
class Registered:
    """An obligation as registered, and what the replay says remains of it."""

    debtor: str
    creditor: str
    amount: int
    currency: str
    due: str
    remaining: int
    status: str


@dataclass
class Replay:
    session: Session
    breaks: list[str] = field(default_factory=list)
    rows: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    """Stored obligations' registered columns, by id."""
    state: dict[int, Registered] = field(default_factory=dict)
    country_of: dict[str, str] = field(default_factory=dict)
    covered_entries: set[int] = field(default_factory=set)
    entry_marks: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Journal entry → what its record says of its kind, run and instruction."""
    liable: dict[int, set[str]] = field(default_factory=dict)
    """Obligation → its jointly liable firms, as registered."""
    stored_liable: dict[int, set[str]] = field(default_factory=dict)
    """Obligation → its jointly liable firms, as stored."""
    replaces: dict[int, int] = field(default_factory=dict)
    """A collection asked after a return → the returned collection it replaces."""
    instructions: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Instruction id → its columns as the recomputation and the return records say."""
    rollovers: dict[tuple[int, str], int] = field(default_factory=dict)
    """(run, firm) → what the recomputation leaves unpaid, less what returns took."""
    novated: dict[tuple[int, int], int] = field(default_factory=dict)
    """(run, obligation) → what the run handed to the clearing accounts."""
    carried: dict[str, int] = field(default_factory=dict)
    """What the next run carries: the latest run's roll-overs and payouts returned since."""
    runs: set[int] = field(default_factory=set)
    latest_run: int | None = None
    digits: dict[str, int] = field(default_factory=dict)
    """Currency → its minor digits; ``""`` → the unit of account's."""
    unit: str = ""
    corridor: replay_corridor.History = field(default_factory=replay_corridor.History)
    """What runs read of the corridor, as audited so far."""


def compare_lines(
    r: Replay, entry_id: int, postings: Iterable[ledger.Posting], source: str
) -> None:
    # An amount past 64 bits is posted in parts: the lines of one account and currency
    # are compared as a whole (their amounts, in any order).
    expected: dict[tuple[str, str], list[int]] = {}
    for p in postings:
        expected.setdefault((p.account, p.currency), []).append(p.amount)
    stored: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for line_id, _, account, currency, amount in proof.entry_lines(r.session, [entry_id]):
        stored.setdefault((account, currency), []).append((line_id, amount))
    for (account, currency), lines in stored.items():
        name = f"journal_lines {lines[0][0]} (entry {entry_id}, {account} {currency})"
        amounts = sorted(amount for _, amount in lines)
        if (account, currency) not in expected:
            r.breaks.append(f"{name}: {source} posts no such line")
        elif amounts != sorted(expected[account, currency]):
            said = sum(expected[account, currency])
            r.breaks.append(
                f"{name}: amount is {sum(amounts)}, the recomputation of {source} says {said}"
            )
    for account, currency in sorted(set(expected) - set(stored)):
        r.breaks.append(
            f"journal_lines of entry {entry_id}: {account} {currency} is missing "
            f"({source} posts {sum(expected[account, currency])})"
        )


def keyed(
    r: Replay,
    name: str,
    stored: Mapping[Any, Any],
    planned: Mapping[Any, Any],
    fields_: Sequence[str],
) -> None:
    """Rows keyed alike: each missing, extra or differing one named."""
    for key in sorted(set(stored) | set(planned), key=str):
        if key not in stored:
            r.breaks.append(f"{name} {key}: missing (the recomputation says {planned[key]})")
        elif key not in planned:
            r.breaks.append(f"{name} {key}: the recomputation has no such row")
        else:
            values = stored[key] if isinstance(stored[key], tuple) else (stored[key],)
            wanted = planned[key] if isinstance(planned[key], tuple) else (planned[key],)
            fields(
                r,
                f"{name} {key}",
                dict(zip(fields_, values, strict=True)),
                dict(zip(fields_, wanted, strict=True)),
            )


def fields(r: Replay, name: str, stored: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    for key, value in expected.items():
        if stored.get(key) != value:
            r.breaks.append(f"{name}: {key} is {stored.get(key)}, the recomputation says {value}")


def check_registered(
    r: Replay, record_id: int, evidence: Mapping[str, Any], verb: str
) -> list[int]:
    """Check the obligation rows audit record ``record_id`` ``verb`` (registered,
    sealed) against its row tags and digest, and enter them in the replay as open and
    whole (a seal then gives their state); return their ids."""
    ids = expand_ranges(evidence["ids"])
    tags = evidence["tags"]
    found = []
    for position, oid in enumerate(ids):
        row = r.rows.get(oid)
        if row is None:
            r.breaks.append(f"obligations {oid}: missing ({verb} in audit record {record_id})")
            continue
        found.append(row)
        if row_tag(row) != tags[position * TAG_LENGTH : (position + 1) * TAG_LENGTH]:
            r.breaks.append(
                f"obligations {oid}: its id, reference, parties, amount, currency or due date "
                f"differ from what audit record {record_id} {verb}"
            )
        _, _, debtor, creditor, amount, currency, due = row
        r.state[oid] = Registered(
            debtor, creditor, amount, currency, due.isoformat(), amount, ObligationStatus.OPEN.value
        )
    if len(found) == len(ids) and digest(found) != evidence["digest"]:
        r.breaks.append(f"obligations {verb} in audit record {record_id} differ from its digest")
    return ids
