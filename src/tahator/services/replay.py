"""The ledger's history recomputed from its sources (``tahator ledger verify``, DESIGN §3.5).

The audit log's records are the sources: each registration fixes its obligations
(a tag per row), each clearing run what it read besides them, each confirmation
an instruction's status.  Walking them in order, the replay rebuilds the open
obligations each run saw, re-runs the pure ``plan_run`` on them and compares what
it decides (notices, novations, instructions, roll-overs, totals, journal lines,
the obligations' new remaining amounts) with what is stored, naming each stored
record that disagrees.  At the end every obligation's remaining amount and
status, every instruction's status and every journal entry must be accounted for.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import ledger
from tahator.domain.audit import TAG_LENGTH, digest, expand_ranges, row_tag
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import OpenObligations, RunPlan, plan_run
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.formatting import jsonable
from tahator.services import proof
from tahator.store.schema import (
    AuditRecord,
    ClearingRun,
    Firm,
    JournalEntry,
    Obligation,
    SettlementInstruction,
)

_SOURCES = ("obligations.register", "obligation.create", "clearing.run")


@dataclass
class _Registered:
    """An obligation as registered, and what the replay says remains of it."""

    debtor: str
    creditor: str
    amount: int
    currency: str
    due: str
    remaining: int
    status: str


@dataclass
class _Replay:
    session: Session
    breaks: list[str] = field(default_factory=list)
    rows: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    """Stored obligations' registered columns, by id."""
    state: dict[int, _Registered] = field(default_factory=dict)
    country_of: dict[str, str] = field(default_factory=dict)
    covered_entries: set[int] = field(default_factory=set)
    planned: dict[int, tuple[int, str, int]] = field(default_factory=dict)
    """Instruction id → (run, kind, amount) as the recomputation issues it."""
    expected_status: dict[int, str] = field(default_factory=dict)
    opening: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    carried: dict[str, int] = field(default_factory=dict)
    runs: set[int] = field(default_factory=set)


def replay(session: Session) -> list[str]:
    """Every stored record the recomputation disagrees with, first disagreement first."""
    r = _Replay(session)
    r.rows = {row[0]: tuple(row) for row in proof.rows_of(session, select(*proof.REGISTERED))}
    r.country_of = dict(session.execute(select(Firm.id, Firm.country)).all())
    records = session.execute(
        select(AuditRecord.id, AuditRecord.action, AuditRecord.subject, AuditRecord.after)
        .where(AuditRecord.action.in_(_SOURCES) | AuditRecord.subject.startswith("instruction:"))
        .order_by(AuditRecord.id)
    ).all()
    for record_id, action, subject, after in records:
        document = json.loads(after)
        evidence = document.get("proof") if isinstance(document, dict) else None
        if action in ("obligations.register", "obligation.create"):
            _registration(r, record_id, evidence)
        elif action == "clearing.run":
            _run(r, record_id, int(subject.split(":")[1]), evidence)
        else:
            _instruction_event(r, record_id, int(subject.split(":")[1]), document, evidence)
    _final(r)
    return r.breaks


# --- registrations -------------------------------------------------------------------------


def _registration(r: _Replay, record_id: int, evidence: Any) -> None:
    if not isinstance(evidence, dict):
        r.breaks.append(f"audit record {record_id} registers obligations without their digest")
        return
    ids = expand_ranges(evidence["ids"])
    tags = evidence["tags"]
    found = []
    for position, oid in enumerate(ids):
        row = r.rows.get(oid)
        if row is None:
            r.breaks.append(f"obligations {oid}: missing (registered in audit record {record_id})")
            continue
        found.append(row)
        if row_tag(row) != tags[position * TAG_LENGTH : (position + 1) * TAG_LENGTH]:
            r.breaks.append(
                f"obligations {oid}: its id, reference, parties, amount, currency or due date "
                f"differ from what audit record {record_id} registered"
            )
        _, _, debtor, creditor, amount, currency, due = row
        r.state[oid] = _Registered(
            debtor, creditor, amount, currency, due.isoformat(), amount, ObligationStatus.OPEN.value
        )
    if len(found) == len(ids) and digest(found) != evidence["digest"]:
        r.breaks.append(
            f"obligations registered in audit record {record_id} differ from its digest"
        )
    entry_id = int(evidence["entry"])
    r.covered_entries.add(entry_id)
    builder = ledger.EntryBuilder()
    for oid in ids:
        if oid in r.state:
            o = r.state[oid]
            builder.transfer(
                ledger.receivable(o.creditor), ledger.payable(o.debtor), o.currency, o.amount
            )
    postings = builder.build(ledger.EntryKind.OBLIGATIONS, "").postings if builder else ()
    _compare_lines(r, entry_id, postings, f"the registration in audit record {record_id}")


# --- clearing runs -------------------------------------------------------------------------


def _run(r: _Replay, record_id: int, run_id: int, evidence: Any) -> None:
    r.runs.add(run_id)
    name = f"clearing run {run_id}"
    if not isinstance(evidence, dict):
        r.breaks.append(f"audit record {record_id} records {name} without its digests")
        return
    open_ = _open_obligations(r)
    if proof.open_digest(open_) != evidence["open"]:
        r.breaks.append(
            f"{name}: the open obligations it saw ({evidence['open']['count']}) differ from "
            f"the recomputation's ({open_.count})"
        )
    try:
        inputs = proof.decode_inputs(evidence["inputs"], open_, r.country_of)
    except (ValueError, KeyError) as error:
        r.breaks.append(f"{name}: {error}")
        return
    if proof.firms_digest(r.country_of, open_, inputs.carried) != evidence["firms"]:
        r.breaks.append(f"{name}: the countries of its firms differ from what the run saw")
    opening = {c: r.opening.get(c, 0) for c in inputs.opening}
    if opening != dict(inputs.opening) or r.carried != dict(inputs.carried):
        r.breaks.append(
            f"{name}: the clearing accounts it opened with differ from the recomputation of "
            "the runs before it"
        )
    try:
        plan = plan_run(inputs)
    except (ValueError, KeyError, ArithmeticError) as error:
        # Tampered sources can make the plan impossible (a firm owing itself, say).
        r.breaks.append(f"{name}: the recomputation fails on its sources: {error}")
        return
    stored = proof.run_tables(r.session, run_id)
    named = len(r.breaks)
    _compare_run(r, run_id, plan, stored)
    for key, value in evidence["tables"].items():
        rows = stored.get(key, [])
        if digest(rows) != value and key != "obligations" and len(r.breaks) == named:
            r.breaks.append(f"{key} of {name} differ from the digest in audit record {record_id}")
    changes = sorted((c.id, c.remaining, c.status.value) for c in plan.changes)
    if digest(changes) != evidence["tables"].get("obligations"):
        r.breaks.append(f"{name}: the obligations it changed differ from the recomputation's")
    for change in plan.changes:
        if change.id in r.state:
            r.state[change.id].remaining = change.remaining
            r.state[change.id].status = change.status.value
    for i in plan.instructions:
        r.opening[i.country] += i.amount if i.kind == InstructionKind.COLLECTION else -i.amount
    r.carried = dict(plan.rollovers)


def _open_obligations(r: _Replay) -> OpenObligations:
    """What ``load_open`` read for the run: open obligations with something remaining."""
    chosen = [
        (oid, o)
        for oid, o in sorted(r.state.items())
        if o.status == ObligationStatus.OPEN and o.remaining > 0
    ]
    return OpenObligations(
        [oid for oid, _ in chosen],
        [o.debtor for _, o in chosen],
        [o.creditor for _, o in chosen],
        [o.remaining for _, o in chosen],
        [o.currency for _, o in chosen],
        [o.due for _, o in chosen],
    )


def _compare_run(
    r: _Replay, run_id: int, plan: RunPlan, stored: Mapping[str, list[tuple[Any, ...]]]
) -> None:
    name = f"clearing_runs {run_id}"
    run_rows = stored["clearing_runs"]
    if not run_rows:
        r.breaks.append(f"{name}: missing")
    else:
        _, as_of, unit, count, total, cleared, remainder, figures = run_rows[0]
        stored_run = {"as_of": as_of, "unit_of_account": unit, "obligations": count}
        stored_run |= {"total": total, "cleared": cleared, "remainder": remainder}
        expected = {"as_of": plan.as_of, "unit_of_account": plan.unit_of_account}
        expected |= {"obligations": plan.obligations, "total": plan.total}
        expected |= {"cleared": plan.cleared, "remainder": plan.remainder}
        _fields(r, name, stored_run, expected)
        if json.loads(json.dumps(jsonable(plan.figures), default=str)) != figures:
            r.breaks.append(f"{name}: its figures differ from the recomputation's")
    rates = dict(stored["run_rates"])
    planned_rates = {rate.currency: str(rate.per_unit_of_account) for rate in plan.rates}
    _keyed(r, f"run_rates run {run_id}", rates, planned_rates, ("rate",))
    notices = {row[0]: row[1:] for row in stored["setoff_notices"]}
    planned_notices = {n.obligation_id: tuple(n)[1:] for n in plan.notices}
    fields_ = ("before", "setoff", "after", "setoff_unit")
    _keyed(r, f"setoff_notices run {run_id} obligation", notices, planned_notices, fields_)
    novations = {oid: (amount,) for oid, amount in stored["novations"]}
    planned_novations = {n.obligation_id: (n.amount,) for n in plan.novated}
    _keyed(r, f"novations run {run_id} obligation", novations, planned_novations, ("amount",))
    rollovers = {firm: (amount,) for firm, amount in stored["rollovers"]}
    planned_rollovers = {firm: (amount,) for firm, amount in plan.rollovers}
    _keyed(r, f"rollovers run {run_id} firm", rollovers, planned_rollovers, ("amount",))
    _compare_instructions(r, run_id, plan, stored["settlement_instructions"])
    _compare_entries(r, run_id, plan)


def _compare_instructions(
    r: _Replay, run_id: int, plan: RunPlan, rows: Sequence[tuple[Any, ...]]
) -> None:
    planned = {(i.firm, i.kind.value): i for i in plan.instructions}
    seen = set()
    for iid, firm, country, kind, owed, amount, local_currency, local_amount in rows:
        name = f"settlement_instructions {iid} (run {run_id}, {kind} of {firm})"
        i = planned.get((firm, kind))
        if i is None:
            r.breaks.append(f"{name}: the recomputation issues no such instruction")
            continue
        seen.add((firm, kind))
        r.planned[iid] = (run_id, kind, i.amount)
        r.expected_status[iid] = InstructionStatus.PENDING.value
        stored = {"country": country, "owed": owed, "amount": amount}
        stored |= {"local_currency": local_currency, "local_amount": local_amount}
        expected = {"country": i.country, "owed": i.owed, "amount": i.amount}
        expected |= {"local_currency": i.local_currency, "local_amount": i.local_amount}
        _fields(r, name, stored, expected)
    for firm, kind in sorted(set(planned) - seen):
        r.breaks.append(
            f"settlement_instructions run {run_id}: the {kind} of {firm} is missing "
            f"(the recomputation issues {planned[firm, kind].amount})"
        )


def _compare_entries(r: _Replay, run_id: int, plan: RunPlan) -> None:
    """The run's journal entries against the plan's, matched by memo (which names the run)."""
    stored = dict(
        r.session.execute(
            select(JournalEntry.memo, JournalEntry.id).where(JournalEntry.run_id == run_id)
        ).all()
    )
    entries = [plan.setoff_entry(run_id), plan.novation_entry(run_id)]
    planned = {e.memo: e for e in entries if e is not None}
    for memo, entry in planned.items():
        if memo not in stored:
            r.breaks.append(f"journal_entries of run {run_id}: {memo!r} is missing")
            continue
        r.covered_entries.add(stored[memo])
        _compare_lines(r, stored[memo], entry.postings, f"clearing run {run_id}")
    for memo in sorted(set(stored) - set(planned)):
        r.breaks.append(
            f"journal_entries {stored[memo]} ({memo!r}): the recomputation of run {run_id} "
            "posts no such entry"
        )


def _compare_lines(
    r: _Replay, entry_id: int, postings: Iterable[ledger.Posting], source: str
) -> None:
    expected = {(p.account, p.currency): p.amount for p in postings}
    seen = set()
    for line_id, _, account, currency, amount in proof.entry_lines(r.session, [entry_id]):
        key = (account, currency)
        name = f"journal_lines {line_id} (entry {entry_id}, {account} {currency})"
        if key in seen or key not in expected:
            r.breaks.append(f"{name}: {source} posts no such line")
        elif amount != expected[key]:
            r.breaks.append(
                f"{name}: amount is {amount}, the recomputation of {source} says {expected[key]}"
            )
        seen.add(key)
    for account, currency in sorted(set(expected) - seen):
        r.breaks.append(
            f"journal_lines of entry {entry_id}: {account} {currency} is missing "
            f"({source} posts {expected[account, currency]})"
        )


def _keyed(
    r: _Replay,
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
            _fields(
                r,
                f"{name} {key}",
                dict(zip(fields_, values, strict=True)),
                dict(zip(fields_, wanted, strict=True)),
            )


def _fields(r: _Replay, name: str, stored: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    for key, value in expected.items():
        if stored.get(key) != value:
            r.breaks.append(f"{name}: {key} is {stored.get(key)}, the recomputation says {value}")


# --- confirmations, returns and what must be accounted for ---------------------------------


def _instruction_event(
    r: _Replay, record_id: int, instruction_id: int, document: Any, evidence: Any
) -> None:
    if isinstance(document, dict) and "status" in document:
        r.expected_status[instruction_id] = str(document["status"])
    if not isinstance(evidence, dict):
        return
    entries = [int(e) for e in evidence.get("entries", [])]
    if digest(proof.entry_lines(r.session, entries)) != evidence["lines"]:
        r.breaks.append(
            f"journal lines of instruction {instruction_id} differ from the digest in audit "
            f"record {record_id}"
        )
    r.covered_entries.update(entries)
    planned = r.planned.get(instruction_id)
    if planned is None:
        return
    _, kind, amount = planned
    kinds = (ledger.EntryKind.COLLECTION.value, ledger.EntryKind.PAYOUT.value)
    for entry_id, entry_kind in r.session.execute(
        select(JournalEntry.id, JournalEntry.kind).where(JournalEntry.id.in_(entries))
    ):
        if entry_kind in kinds:
            _compare_lines(
                r, entry_id, _confirmation(r, instruction_id, kind, amount), "its confirmation"
            )


def _confirmation(r: _Replay, instruction_id: int, kind: str, amount: int) -> list[ledger.Posting]:
    """The postings of a confirmed instruction, as ``settlement.confirm`` makes them."""
    row = r.session.get(SettlementInstruction, instruction_id)
    assert row is not None
    unit = r.session.scalar(select(ClearingRun.unit_of_account).where(ClearingRun.id == row.run_id))
    account = ledger.clearing(row.country)
    if kind == InstructionKind.COLLECTION:
        return list(ledger.transfer(account, ledger.collection(row.firm_id), str(unit), amount))
    return list(ledger.transfer(ledger.payout(row.firm_id), account, str(unit), amount))


def _final(r: _Replay) -> None:
    """What remains of each obligation, each instruction's status, and every journal
    entry, runs and obligations accounted for."""
    for oid, remaining, status in r.session.execute(
        select(Obligation.id, Obligation.remaining, Obligation.status).order_by(Obligation.id)
    ):
        o = r.state.get(oid)
        if o is None:
            r.breaks.append(f"obligations {oid}: no audit record registers it")
            continue
        _fields(
            r,
            f"obligations {oid}",
            {"remaining": remaining, "status": status},
            {"remaining": o.remaining, "status": o.status},
        )
    for iid, run_id, status in r.session.execute(
        select(
            SettlementInstruction.id, SettlementInstruction.run_id, SettlementInstruction.status
        ).order_by(SettlementInstruction.id)
    ):
        if iid not in r.planned:
            if run_id not in r.runs:
                r.breaks.append(f"settlement_instructions {iid}: no recorded run issued it")
            continue
        expected = r.expected_status.get(iid, InstructionStatus.PENDING.value)
        if status != expected:
            r.breaks.append(
                f"settlement_instructions {iid}: status is {status}, "
                f"its audit records say {expected}"
            )
    for run_id in r.session.scalars(select(ClearingRun.id).order_by(ClearingRun.id)):
        if run_id not in r.runs:
            r.breaks.append(f"clearing_runs {run_id}: no audit record records it")
    for entry_id, kind, memo in r.session.execute(
        select(JournalEntry.id, JournalEntry.kind, JournalEntry.memo).order_by(JournalEntry.id)
    ):
        if entry_id not in r.covered_entries:
            r.breaks.append(
                f"journal_entries {entry_id} ({kind}, {memo!r}): no audit record covers it"
            )
