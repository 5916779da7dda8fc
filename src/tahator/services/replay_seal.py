"""The replay's start from a seal (``services/seal.py``): the state the seal recorded
is taken as given, and every row it covers is checked against it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tahator.domain.audit import digest, expand_ranges
from tahator.services import seal as seals
from tahator.services.replay_state import Replay, check_registered
from tahator.store.schema import JournalEntry


def start(r: Replay, record_id: int, sealed: Any) -> None:
    """Begin the replay from the seal in audit record ``record_id``."""
    if not isinstance(sealed, dict):
        r.breaks.append(f"audit record {record_id} seals the ledger without its state")
        return
    _obligations(r, record_id, sealed["obligations"])
    for oid, firm in sealed["liable"]:
        r.liable.setdefault(int(oid), set()).add(str(firm))
    ids = expand_ranges(sealed["obligations"]["ids"])
    stored = {(oid, firm) for oid in ids for firm in r.stored_liable.get(oid, ())}
    listed = {(int(oid), str(firm)) for oid, firm in sealed["liable"]}
    for oid, firm in sorted(stored - listed):
        r.breaks.append(
            f"obligation_liabilities ({oid}, {firm}): audit record {record_id} sealed no "
            "such liable firm"
        )
    for oid, firm in sorted(listed - stored):
        r.breaks.append(
            f"obligation_liabilities ({oid}, {firm}): missing (sealed in audit record {record_id})"
        )
    unit = str(sealed["unit"])
    for row in sealed["instructions"]:
        iid, firm, country, kind, owed, amount, local_currency, local_amount = row[:8]
        status, run_id, replaces = row[8:]
        r.instructions[int(iid)] = {
            "run": int(run_id),
            "firm": firm,
            "country": country,
            "kind": kind,
            "owed": int(owed),
            "amount": int(amount),
            "local_currency": local_currency,
            "local_amount": int(local_amount),
            "status": status,
            "currency": unit,
            "sealed": True,
        }
        if replaces is not None and kind == "collection":
            r.replaces[int(iid)] = int(replaces)
    r.rollovers = {(int(run), str(firm)): int(amount) for run, firm, amount in sealed["rollovers"]}
    r.runs = {int(run) for run in sealed["runs"]}
    r.latest_run = None if sealed["latest_run"] is None else int(sealed["latest_run"])
    r.carried = {str(firm): int(amount) for firm, amount in sealed["carried"].items()}
    r.corridor.start(sealed["corridor"])
    last_run, last_entry = max(r.runs, default=0), int(sealed["entry"])
    tables = seals.sealed_tables(r.session, last_run, last_entry)
    for name, rows in tables.items():
        if digest(rows) != sealed["tables"].get(name):
            r.breaks.append(f"{name} sealed in audit record {record_id} differ from its digest")
    r.novated = {(int(run), int(oid)): int(amount) for run, oid, amount in tables["novations"]}
    r.covered_entries.update(
        r.session.scalars(select(JournalEntry.id).where(JournalEntry.id <= last_entry))
    )


def _obligations(r: Replay, record_id: int, sealed: Any) -> None:
    check_registered(r, record_id, sealed, "sealed")
    for oid, remaining, status in sealed["state"]:
        if int(oid) in r.state:
            r.state[int(oid)].remaining = int(remaining)
            r.state[int(oid)].status = str(status)
