"""Confirmations and returns in the replay (``services/replay.py``): the status they
give an instruction, the instructions a return adds or changes, the obligations it
reopens, and the journal lines they post."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from tahator.domain import ledger
from tahator.domain.audit import digest
from tahator.domain.money import parse_amount
from tahator.domain.obligations import ObligationStatus
from tahator.domain.returns import next_liable
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import proof
from tahator.services.replay_state import Replay, compare_lines
from tahator.store.schema import JournalEntry


def instruction_event(
    r: Replay,
    record_id: int,
    instruction_id: int,
    document: Any,
    evidence: Any,
    actor: str | None = None,
) -> None:
    """A bank's confirmation or return of an instruction: its status, the rows a return
    adds or changes, and the journal lines the record's digest covers."""
    entries: list[int] = []
    if isinstance(evidence, dict):
        entries = [int(e) for e in evidence.get("entries", [])]
        if digest(proof.entry_lines(r.session, entries)) != evidence["lines"]:
            r.breaks.append(
                f"journal lines of instruction {instruction_id} differ from the digest in "
                f"audit record {record_id}"
            )
    else:
        # A record without a digest (a return): the entries posted for the instruction
        # since the last record of it are the ones it made.
        entries = [
            e
            for e in r.session.scalars(
                select(JournalEntry.id).where(JournalEntry.instruction_id == instruction_id)
            )
            if e not in r.covered_entries
        ]
    r.covered_entries.update(entries)
    r.entry_marks.update({e: {"instruction_id": instruction_id} for e in entries})
    if not isinstance(document, dict):
        return
    if "status" in document:  # a confirmation: the instruction as it is afterwards
        _set_status(r, instruction_id, str(document["status"]))
        if instruction_id in r.instructions:
            r.instructions[instruction_id]["confirmed_by"] = actor
        kinds = (ledger.EntryKind.COLLECTION.value, ledger.EntryKind.PAYOUT.value)
        i = r.instructions.get(instruction_id)
        for entry_id, entry_kind in r.session.execute(
            select(JournalEntry.id, JournalEntry.kind).where(JournalEntry.id.in_(entries))
        ):
            if entry_kind in kinds and i is not None:
                compare_lines(r, entry_id, _confirmation(i), "its confirmation")
    elif isinstance(document.get("instruction"), dict):
        if instruction_id in r.instructions:
            r.instructions[instruction_id]["returned_by"] = actor
            r.instructions[instruction_id]["return_reason"] = document.get("reason")
        _returned(r, instruction_id, document, entries)


def _set_status(r: Replay, instruction_id: int, status: str) -> None:
    if instruction_id in r.instructions:
        r.instructions[instruction_id]["status"] = status


def _returned(r: Replay, instruction_id: int, document: Any, entries: list[int]) -> None:
    """A return, as its record says (``settlement.return``): the returned instruction,
    the collection asked instead, the payouts held, the obligations reopened."""
    returned = r.instructions.get(instruction_id)
    was = None if returned is None else returned["status"]
    _set_status(r, instruction_id, str(document["instruction"]["status"]))
    if returned is None:
        return
    if returned["kind"] == InstructionKind.PAYOUT:
        _reversal(r, instruction_id, returned, was == InstructionStatus.CONFIRMED, entries)
        r.carried[returned["firm"]] = r.carried.get(returned["firm"], 0) + returned["amount"]
        return
    if isinstance(document.get("collected_from"), dict):
        view = document["collected_from"]
        asked = _from_view(r, view)
        skipped = {str(s["firm"]) for s in document.get("skipped") or []}
        _check_liable(r, instruction_id, returned, asked["firm"], skipped)
        r.instructions[int(view["id"])] = asked
        r.replaces[int(view["id"])] = instruction_id
    held_from: dict[str, int] = {}
    for view in document.get("held") or []:
        held = _from_view(r, view)
        if held["country"] == returned["country"]:
            # Held for the returned collection's own account's shortfall: the claim
            # stays owed, and the next run carries it like a roll-over.
            r.carried[held["firm"]] = r.carried.get(held["firm"], 0) + held["amount"]
        else:
            held_from[held["firm"]] = held_from.get(held["firm"], 0) + held["amount"]
        iid = int(view["id"])
        if iid in r.instructions:  # the whole payout held
            r.instructions[iid]["status"] = held["status"]
            continue
        r.instructions[iid] = held
        for i in r.instructions.values():  # the rest of the payout stays pending
            same = (i["run"], i["firm"], i["kind"]) == (held["run"], held["firm"], held["kind"])
            if same and i["status"] == InstructionStatus.PENDING:
                for column in ("owed", "amount", "local_amount"):
                    i[column] -= held[column]
                break
    run_id = returned["run"]
    for oid in document.get("reopened") or []:
        o = r.state.get(int(oid))
        if o is not None:
            o.remaining += r.novated.get((run_id, int(oid)), 0)
            o.status = ObligationStatus.OPEN.value
    # What a creditor's part took beyond its held payout came off its roll-over: the
    # part is what the return moved off the creditor's payout account.
    parts = {
        account.removeprefix("payout:"): amount
        for _, _, account, _, amount in proof.entry_lines(r.session, entries)
        if account.startswith("payout:")
    }
    for firm, part in parts.items():
        taken = part - held_from.get(firm, 0)
        if taken > 0 and (run_id, firm) in r.rollovers and run_id == r.latest_run:
            r.rollovers[run_id, firm] -= taken
            r.carried[firm] = r.carried.get(firm, 0) - taken


def _reversal(
    r: Replay, instruction_id: int, payout: Mapping[str, Any], confirmed: bool, entries: list[int]
) -> None:
    """A payout returned after it was confirmed reverses its confirmation in one entry
    (``settlement.return``); one returned pending reverses nothing."""
    reversals = [
        entry_id
        for entry_id, kind in r.session.execute(
            select(JournalEntry.id, JournalEntry.kind).where(JournalEntry.id.in_(entries))
        )
        if kind == ledger.EntryKind.REVERSAL
    ]
    if len(reversals) != int(confirmed):
        r.breaks.append(
            f"payout {instruction_id} returned {'after' if confirmed else 'before'} its "
            f"confirmation: {len(reversals)} journal entries reverse it, the recomputation "
            f"says {int(confirmed)}"
        )
    for entry_id in reversals:
        compare_lines(
            r, entry_id, ledger.reversal(_confirmation(payout)), "the reversal of its confirmation"
        )


def _check_liable(
    r: Replay,
    instruction_id: int,
    returned: Mapping[str, Any],
    firm: str,
    skipped: set[str],
) -> None:
    """The firm a returned collection was asked of instead: the next jointly liable
    member of the obligations it was to pay (``settlement.return``'s rule, passing over
    the members screening stopped, as the return recorded), or the debtor again when
    none is left."""
    chain = [instruction_id]
    while chain[-1] in r.replaces:
        chain.append(r.replaces[chain[-1]])
    tried = {r.instructions[i]["firm"] for i in chain if i in r.instructions}
    debtor = r.instructions[chain[-1]]["firm"] if chain[-1] in r.instructions else firm
    run_id = returned["run"]
    later = {oid for run, oid in r.novated if run > run_id}
    covered = [
        oid
        for run, oid in r.novated
        if run == run_id
        and oid not in later
        and oid in r.state
        and r.state[oid].debtor == debtor
        and r.state[oid].status == ObligationStatus.IN_SETTLEMENT
    ]
    member = (
        next_liable((frozenset(r.liable.get(oid, ())) for oid in covered), tried, skipped)
        if covered
        else None
    )
    if firm != (member or debtor):
        r.breaks.append(
            f"settlement_instructions asked after the return of {instruction_id}: asked of "
            f"{firm}, the recomputation asks {member or debtor}"
        )


def _from_view(r: Replay, view: Mapping[str, Any]) -> dict[str, Any]:
    """An instruction as a record shows it (``InstructionView``), in minor units."""
    unit, local = r.digits[""], r.digits[str(view["local_currency"])]
    return {
        "run": int(view["run_id"]),
        "firm": str(view["firm"]),
        "country": str(view["country"]),
        "kind": str(view["kind"]),
        "owed": parse_amount(str(view["owed"]), unit),
        "amount": parse_amount(str(view["amount"]), unit),
        "local_currency": str(view["local_currency"]),
        "local_amount": parse_amount(str(view["local_amount"]), local),
        "status": str(view["status"]),
        "currency": r.unit,
    }


def _confirmation(i: Mapping[str, Any]) -> tuple[ledger.Posting, ...]:
    """The postings of a confirmed instruction, as ``settlement.confirm`` makes them."""
    collecting = i["kind"] == InstructionKind.COLLECTION
    return ledger.confirmation(collecting, i["country"], i["firm"], i["currency"], i["amount"])[1]
