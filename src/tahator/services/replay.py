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
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import ledger
from tahator.domain.audit import digest
from tahator.domain.obligations import ObligationStatus
from tahator.domain.returns import MOVING
from tahator.domain.run import OpenObligations, RunPlan, plan_run
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.formatting import jsonable
from tahator.services import corridor as corridors
from tahator.services import proof, replay_corridor, replay_seal, seal
from tahator.services.replay_events import instruction_event
from tahator.services.replay_state import Replay, check_registered, compare_lines, fields, keyed
from tahator.services.seal import ACTION
from tahator.store.schema import (
    AuditRecord,
    ClearingRun,
    Firm,
    JournalEntry,
    Obligation,
    ObligationLiability,
    Rollover,
    SettlementInstruction,
)

_MARKS = (
    SettlementInstruction.confirmed_by,
    SettlementInstruction.returned_by,
    SettlementInstruction.return_reason,
    SettlementInstruction.replaces,
)
_MARK_NAMES = ("confirmed_by", "returned_by", "return_reason", "replaces")
_SOURCES = ("obligations.register", "obligation.create", "clearing.run")
_CHANGED_LATER = ("settlement_instructions", "rollovers", "obligations")
"""Tables whose rows confirmations and returns change after the run."""


def replay(session: Session) -> list[str]:
    """Every stored record the recomputation disagrees with, first disagreement first."""
    r = Replay(session)
    r.rows = {row[0]: tuple(row) for row in proof.rows_of(session, select(*proof.REGISTERED))}
    r.country_of = dict(session.execute(select(Firm.id, Firm.country)).all())
    for oid, firm in session.execute(
        select(ObligationLiability.obligation_id, ObligationLiability.firm_id)
    ):
        r.stored_liable.setdefault(oid, set()).add(firm)
    corridor = corridors.load(session)
    r.digits = {**corridor.digits, "": corridor.unit_digits}
    r.unit = corridor.unit_of_account
    # A seal is the trusted starting point: history before the last one is not replayed.
    # But a seal over history that could be replayed is no starting point (it would hide
    # tampering before it): named, and the replay goes on from the seal before it.
    seals = session.scalars(
        select(AuditRecord.id).where(AuditRecord.action == ACTION).order_by(AuditRecord.id)
    ).all()
    unneeded = {s for s in seals if not seal.needed(session, before=s)}
    r.breaks += [
        f"audit record {s} seals history that could be replayed: every registration and "
        "run before it carries its digests"
        for s in sorted(unneeded)
    ]
    sealed = max((s for s in seals if s not in unneeded), default=None)
    records = session.execute(
        select(
            AuditRecord.id,
            AuditRecord.action,
            AuditRecord.subject,
            AuditRecord.after,
            AuditRecord.actor,
        )
        .where(
            AuditRecord.action.in_((*_SOURCES, *replay_corridor.ACTIONS, ACTION))
            | AuditRecord.subject.startswith("instruction:")
        )
        .where(AuditRecord.id >= (sealed or 0))
        .order_by(AuditRecord.id)
    ).all()
    for record_id, action, subject, after, actor in records:
        if action == ACTION and record_id in unneeded:
            continue
        # A value the replay cannot read (an edited record or row) is a break, named
        # with the record being replayed; the replay goes on with the next.
        try:
            _replay_record(r, record_id, action, subject, after, actor)
        except UNREADABLE as error:
            r.breaks.append(f"audit record {record_id} ({action}) cannot be replayed: {error}")
    _final(r)
    r.breaks += replay_corridor.state_breaks(r.corridor, proof.corridor_state(session))
    return r.breaks


UNREADABLE = (ValueError, TypeError, LookupError, ArithmeticError, AttributeError)
"""What reading an edited value raises (``JSONDecodeError`` is a ``ValueError``)."""


def _replay_record(
    r: Replay, record_id: int, action: str, subject: str, after: str, actor: str
) -> None:
    document = json.loads(after)
    evidence = document.get("proof") if isinstance(document, dict) else None
    if action == ACTION:
        replay_seal.start(r, record_id, document.get("seal"))
    elif action in replay_corridor.ACTIONS:
        r.corridor.apply(action, subject, document)
    elif action in ("obligations.register", "obligation.create"):
        _registration(r, record_id, evidence)
    elif action == "clearing.run":
        _run(r, record_id, int(subject.split(":")[1]), evidence, document.get("cutoff_at"))
    else:
        instruction_event(r, record_id, int(subject.split(":")[1]), document, evidence, actor)


# --- registrations -------------------------------------------------------------------------


def _registration(r: Replay, record_id: int, evidence: Any) -> None:
    if not isinstance(evidence, dict):
        r.breaks.append(f"audit record {record_id} registers obligations without their digest")
        return
    ids = check_registered(r, record_id, evidence, "registered")
    _liabilities(r, record_id, ids, evidence.get("liable"))
    entry_id = int(evidence["entry"])
    r.covered_entries.add(entry_id)
    r.entry_marks[entry_id] = {
        "kind": ledger.EntryKind.OBLIGATIONS.value,
        "run_id": None,
        "instruction_id": None,
    }
    builder = ledger.EntryBuilder()
    for oid in ids:
        if oid in r.state:
            o = r.state[oid]
            builder.transfer(
                ledger.receivable(o.creditor), ledger.payable(o.debtor), o.currency, o.amount
            )
    postings = builder.build(ledger.EntryKind.OBLIGATIONS, "").postings if builder else ()
    compare_lines(r, entry_id, postings, f"the registration in audit record {record_id}")


def _liabilities(r: Replay, record_id: int, ids: Sequence[int], listed: Any) -> None:
    """The jointly liable firms the registration listed against the stored rows (a
    record made before they were listed is taken as the rows say)."""
    stored = {(oid, firm) for oid in ids for firm in r.stored_liable.get(oid, ())}
    registered = stored if listed is None else {(int(oid), str(firm)) for oid, firm in listed}
    for oid, firm in sorted(stored - registered):
        r.breaks.append(
            f"obligation_liabilities ({oid}, {firm}): audit record {record_id} registered "
            "no such liable firm"
        )
    for oid, firm in sorted(registered - stored):
        r.breaks.append(
            f"obligation_liabilities ({oid}, {firm}): missing (registered in audit record "
            f"{record_id})"
        )
    for oid, firm in registered:
        r.liable.setdefault(oid, set()).add(firm)


# --- clearing runs -------------------------------------------------------------------------


def _run(r: Replay, record_id: int, run_id: int, evidence: Any, cutoff: Any = None) -> None:
    r.runs.add(run_id)
    name = f"clearing run {run_id}"
    if not isinstance(evidence, dict):
        r.breaks.append(f"audit record {record_id} records {name} without its digests")
        return
    open_ = _open_obligations(r, cutoff)
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
    r.breaks += replay_corridor.input_breaks(r.corridor, name, inputs)
    if proof.firms_digest(r.country_of, open_, inputs.carried) != evidence["firms"]:
        r.breaks.append(f"{name}: the countries of its firms differ from what the run saw")
    opening = dict.fromkeys(inputs.opening, 0)
    for i in r.instructions.values():
        if i["status"] in MOVING and i["country"] in opening:
            sign = 1 if i["kind"] == InstructionKind.COLLECTION else -1
            opening[i["country"]] += sign * i["amount"]
    carried = {firm: amount for firm, amount in r.carried.items() if amount}
    if opening != dict(inputs.opening) or carried != dict(inputs.carried):
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
    _compare_run(r, run_id, plan, stored, int(evidence["counts"]["settlement_instructions"]))
    for key, value in evidence["tables"].items():
        if key in _CHANGED_LATER or len(r.breaks) > named:
            continue  # compared row by row at the end, after the returns
        if digest(stored.get(key, [])) != value:
            r.breaks.append(f"{key} of {name} differ from the digest in audit record {record_id}")
    changes = sorted((c.id, c.remaining, c.status.value) for c in plan.changes)
    if digest(changes) != evidence["tables"].get("obligations"):
        r.breaks.append(f"{name}: the obligations it changed differ from the recomputation's")
    for change in plan.changes:
        if change.id in r.state:
            r.state[change.id].remaining = change.remaining
            r.state[change.id].status = change.status.value
    r.rollovers.update({(run_id, firm): amount for firm, amount in plan.rollovers})
    r.novated.update({(run_id, n.obligation_id): n.amount for n in plan.novated})
    r.carried = dict(plan.rollovers)
    r.latest_run = run_id


def _open_obligations(r: Replay, cutoff: Any = None) -> OpenObligations:
    """What ``load_open`` read for the run: open obligations with something remaining,
    registered by the run's filing cut-off if it had one (as its audit record says)."""
    chosen = [
        (oid, o)
        for oid, o in sorted(r.state.items())
        if o.status == ObligationStatus.OPEN and o.remaining > 0
    ]
    if cutoff is not None and chosen:
        closes = datetime.fromisoformat(str(cutoff))
        # Only the late ones, by a range of ids: a list of every open id would pass
        # PostgreSQL's 65,535 bind parameters with a large book (DESIGN §7: 100k).
        late = set(
            r.session.scalars(
                select(Obligation.id).where(
                    Obligation.id.between(chosen[0][0], chosen[-1][0]),
                    Obligation.created_at > closes,
                )
            )
        )
        chosen = [(oid, o) for oid, o in chosen if oid not in late]
    return OpenObligations(
        [oid for oid, _ in chosen],
        [o.debtor for _, o in chosen],
        [o.creditor for _, o in chosen],
        [o.remaining for _, o in chosen],
        [o.currency for _, o in chosen],
        [o.due for _, o in chosen],
    )


def _compare_run(
    r: Replay,
    run_id: int,
    plan: RunPlan,
    stored: Mapping[str, list[tuple[Any, ...]]],
    issued_count: int,
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
        fields(r, name, stored_run, expected)
        if json.loads(json.dumps(jsonable(plan.figures), default=str)) != figures:
            r.breaks.append(f"{name}: its figures differ from the recomputation's")
    rates = dict(stored["run_rates"])
    planned_rates = {rate.currency: str(rate.per_unit_of_account) for rate in plan.rates}
    keyed(r, f"run_rates run {run_id}", rates, planned_rates, ("rate",))
    notices = {row[0]: row[1:] for row in stored["setoff_notices"]}
    planned_notices = {n.obligation_id: tuple(n)[1:] for n in plan.notices}
    fields_ = ("before", "setoff", "after", "setoff_unit")
    keyed(r, f"setoff_notices run {run_id} obligation", notices, planned_notices, fields_)
    novations = {oid: (amount,) for oid, amount in stored["novations"]}
    planned_novations = {n.obligation_id: (n.amount,) for n in plan.novated}
    keyed(r, f"novations run {run_id} obligation", novations, planned_novations, ("amount",))
    issued = stored["settlement_instructions"][:issued_count]  # later ones are returns'
    _compare_instructions(r, run_id, plan, issued)
    _compare_entries(r, run_id, plan)


def _compare_instructions(
    r: Replay, run_id: int, plan: RunPlan, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Match the run's stored instructions to the recomputation's; they are compared at
    the end, when the returns that change them have been applied."""
    # A firm's instruction past 64 bits is issued in parts: matched in order.
    planned: dict[tuple[str, str], list[Any]] = {}
    for planned_one in plan.instructions:
        planned.setdefault((planned_one.firm, planned_one.kind.value), []).append(planned_one)
    for iid, firm, _, kind, *_ in rows:
        if not planned.get((firm, kind)):
            r.breaks.append(
                f"settlement_instructions {iid} (run {run_id}, {kind} of {firm}): "
                "the recomputation issues no such instruction"
            )
            continue
        i = planned[firm, kind].pop(0)
        r.instructions[iid] = {
            "run": run_id,
            "firm": firm,
            "country": i.country,
            "kind": kind,
            "owed": i.owed,
            "amount": i.amount,
            "local_currency": i.local_currency,
            "local_amount": i.local_amount,
            "status": InstructionStatus.PENDING.value,
            "currency": plan.unit_of_account,
        }
    for (firm, kind), left in sorted(planned.items()):
        for missing in left:
            r.breaks.append(
                f"settlement_instructions run {run_id}: the {kind} of {firm} is missing "
                f"(the recomputation issues {missing.amount})"
            )


def _compare_entries(r: Replay, run_id: int, plan: RunPlan) -> None:
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
        r.entry_marks[stored[memo]] = {"kind": entry.kind.value, "instruction_id": None}
        compare_lines(r, stored[memo], entry.postings, f"clearing run {run_id}")
    for memo in sorted(set(stored) - set(planned)):
        r.breaks.append(
            f"journal_entries {stored[memo]} ({memo!r}): the recomputation of run {run_id} "
            "posts no such entry"
        )


def _final(r: Replay) -> None:
    """What remains of each obligation, each instruction's status, and every journal
    entry, runs and obligations accounted for."""
    for oid, remaining, status in r.session.execute(
        select(Obligation.id, Obligation.remaining, Obligation.status).order_by(Obligation.id)
    ):
        o = r.state.get(oid)
        if o is None:
            r.breaks.append(f"obligations {oid}: no audit record registers it")
            continue
        fields(
            r,
            f"obligations {oid}",
            {"remaining": remaining, "status": status},
            {"remaining": o.remaining, "status": o.status},
        )
    for (
        iid,
        firm,
        country,
        kind,
        owed,
        amount,
        local_currency,
        local_amount,
        status,
        *marks,
    ) in proof.rows_of(
        r.session,
        select(*proof.ISSUED, SettlementInstruction.status, *_MARKS).order_by(
            SettlementInstruction.id
        ),
    ):
        i = r.instructions.pop(iid, None)
        name = f"settlement_instructions {iid} ({kind} of {firm})"
        if i is None:
            r.breaks.append(f"{name}: no recorded run or return issued it")
            continue
        stored = {"firm": firm, "country": country, "kind": kind, "owed": owed}
        stored |= {"amount": amount, "local_currency": local_currency}
        stored |= {"local_amount": local_amount, "status": status}
        stored |= dict(zip(_MARK_NAMES, marks, strict=True))
        said = {k: v for k, v in i.items() if k not in ("run", "currency", "sealed")}
        # Who confirmed or returned it and why, as its records say (a sealed one's
        # only from records after the seal); which return a collection replaces.
        if not i.get("sealed"):
            said = dict.fromkeys(_MARK_NAMES[:3]) | said
        if kind == InstructionKind.COLLECTION:
            said["replaces"] = r.replaces.get(iid)
        fields(r, name, stored, said)
    for iid, i in sorted(r.instructions.items()):
        r.breaks.append(
            f"settlement_instructions {iid}: missing (the {i['kind']} of {i['firm']} "
            f"in run {i['run']})"
        )
    rollovers = {
        (run_id, firm): (amount,)
        for run_id, firm, amount in proof.rows_of(
            r.session, select(Rollover.run_id, Rollover.firm_id, Rollover.amount)
        )
    }
    expected = {key: (amount,) for key, amount in r.rollovers.items()}
    for run_id, firm in sorted(set(rollovers) | set(expected)):
        keyed(
            r,
            f"rollovers run {run_id} firm",
            {firm: rollovers[run_id, firm]} if (run_id, firm) in rollovers else {},
            {firm: expected[run_id, firm]} if (run_id, firm) in expected else {},
            ("amount",),
        )
    for run_id in r.session.scalars(select(ClearingRun.id).order_by(ClearingRun.id)):
        if run_id not in r.runs:
            r.breaks.append(f"clearing_runs {run_id}: no audit record records it")
    for entry_id, kind, memo, run_id, instruction_id in r.session.execute(
        select(
            JournalEntry.id,
            JournalEntry.kind,
            JournalEntry.memo,
            JournalEntry.run_id,
            JournalEntry.instruction_id,
        ).order_by(JournalEntry.id)
    ):
        stored_marks = {"kind": kind, "run_id": run_id, "instruction_id": instruction_id}
        fields(r, f"journal_entries {entry_id}", stored_marks, r.entry_marks.get(entry_id, {}))
        if entry_id not in r.covered_entries:
            r.breaks.append(
                f"journal_entries {entry_id} ({kind}, {memo!r}): no audit record covers it"
            )
