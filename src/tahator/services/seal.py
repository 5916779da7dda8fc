"""A seal: the money records as they stand, recorded in the audit chain (``tahator
audit seal``).

A database upgraded from before its use cases recorded digests (migration 0007,
or before the corridor's seed was audited) has history the replay cannot check.
The seal records one ``ledger.seal`` audit record holding every money row's digest,
and the state the replay needs to go on from it (what remains of each obligation,
each instruction, each roll-over, what the next run carries, the corridor); the
replay takes it as its trusted starting point: rows it covers are checked against
it, history before it is not replayed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain.audit import digest, id_ranges, row_tag
from tahator.domain.errors import InputError, Problem
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import RunStatus
from tahator.services import audit, proof
from tahator.services import corridor as corridors
from tahator.services.clearing import carried_over
from tahator.store.schema import (
    AuditRecord,
    ClearingRun,
    JournalEntry,
    JournalLine,
    Novation,
    Obligation,
    Rollover,
    RunRate,
    SetoffNotice,
    SettlementInstruction,
)

ACTION = "ledger.seal"
_SOURCES = ("obligations.register", "obligation.create", "clearing.run")


def seal(session: Session, actor: str) -> dict[str, int]:
    """Record the money rows as they stand as the replay's starting point; how many
    rows of each kind the seal covers.  ``InputError`` (nothing recorded) unless the
    history needs it, the audit chain is whole and the balances hold: a seal over
    history that could be replayed, or over broken records, would hide tampering."""
    reason = refusal(session)
    if reason is not None:
        raise InputError([Problem(f"cannot seal the ledger: {reason}")])
    document = state(session)
    audit.record(session, actor, ACTION, "ledger", None, {"seal": document})
    return {name: int(count) for name, count in document["counts"].items()}


def refusal(session: Session) -> str | None:
    """Why the ledger may not be sealed now, or None."""
    from tahator.services import ledger  # ledger → replay → seal

    if not needed(session):
        return (
            "every registration and run since the last seal carries its digests, so "
            "`ledger verify` replays them; a seal is only for history it cannot replay"
        )
    chain = audit.check_chain(session)
    if not chain.ok:
        return f"the audit log is broken at record {chain.first_break}: {chain.reason}"
    broken = ledger.invariant_breaks(session)
    if broken:
        return f"the ledger does not balance ({len(broken)} breaks, the first: {broken[0]})"
    return None


def needed(session: Session, before: int | None = None) -> bool:
    """Whether the history (up to audit record ``before``, if given) has money records
    the replay cannot check: a registration or run recorded without digests since the
    last seal, or a corridor with neither an audited seed nor a seal."""
    upto = AuditRecord.id < before if before is not None else AuditRecord.id.is_not(None)
    last = session.scalar(
        select(func.max(AuditRecord.id)).where(upto, AuditRecord.action == ACTION)
    )
    since = AuditRecord.id > (last or 0)
    if (
        last is None
        and session.scalar(
            select(AuditRecord.id).where(upto, AuditRecord.action == "corridor.seed").limit(1)
        )
        is None
    ):
        return True
    for (after,) in session.execute(
        select(AuditRecord.after).where(upto, since, AuditRecord.action.in_(_SOURCES))
    ):
        document = json.loads(after)
        if not isinstance(document, dict) or not isinstance(document.get("proof"), dict):
            return True
    if last is None:  # money rows written outside any audited use case
        registered = session.scalar(
            select(AuditRecord.id).where(upto, AuditRecord.action.in_(_SOURCES)).limit(1)
        )
        if registered is None:
            # Before a given record, whether rows then existed is unknown: taken as needed.
            return before is not None or session.scalar(select(Obligation.id).limit(1)) is not None
    return False


def state(session: Session) -> dict[str, Any]:
    """What a seal records."""
    unit = corridors.load(session).unit_of_account
    obligations = proof.rows_of(
        session,
        select(*proof.REGISTERED, Obligation.remaining, Obligation.status).order_by(Obligation.id),
    )
    registered = [tuple(row[: len(proof.REGISTERED)]) for row in obligations]
    ids = [row[0] for row in registered]
    moved = [
        [row[0], row[-2], row[-1]]
        for row in obligations
        if (row[-2], row[-1]) != (row[4], ObligationStatus.OPEN.value)
    ]
    instructions = [
        list(row)
        for row in proof.rows_of(
            session,
            select(
                *proof.ISSUED,
                SettlementInstruction.status,
                SettlementInstruction.run_id,
                SettlementInstruction.replaces,
            ).order_by(SettlementInstruction.id),
        )
    ]
    rollovers = [
        list(row)
        for row in proof.rows_of(
            session,
            select(Rollover.run_id, Rollover.firm_id, Rollover.amount).order_by(
                Rollover.run_id, Rollover.firm_id
            ),
        )
    ]
    runs = list(session.scalars(select(ClearingRun.id).order_by(ClearingRun.id)))
    entry = session.scalar(select(func.max(JournalEntry.id))) or 0
    tables = sealed_tables(session, max(runs, default=0), entry)
    countries = corridors.load(session).countries
    return {
        "unit": unit,
        "obligations": {
            "ids": id_ranges(ids),
            "tags": "".join(map(row_tag, registered)),
            "digest": digest(registered),
            "state": moved,
        },
        "liable": proof.liabilities(session, ids),
        "instructions": instructions,
        "rollovers": rollovers,
        "runs": runs,
        "latest_run": _latest_completed(session),
        "carried": carried_over(session, countries)[1],
        "entry": entry,
        "tables": {name: digest(rows) for name, rows in tables.items()},
        "corridor": proof.corridor_state(session),
        "counts": {
            "obligations": len(ids),
            "settlement_instructions": len(instructions),
            "rollovers": len(rollovers),
            "clearing_runs": len(runs),
            **{name: len(rows) for name, rows in tables.items()},
        },
    }


def _latest_completed(session: Session) -> int | None:
    return session.scalar(
        select(func.max(ClearingRun.id)).where(ClearingRun.status == RunStatus.COMPLETED.value)
    )


def sealed_tables(
    session: Session, last_run: int, last_entry: int
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows a seal covers by digest alone (nothing changes them later): the records,
    rates, notices and novations of runs up to ``last_run``, and the journal lines of
    entries up to ``last_entry``."""

    def rows(*columns: Any, where: Any = True) -> list[tuple[Any, ...]]:
        query = select(*columns).where(where).order_by(*columns[:2])
        return [tuple(row) for row in proof.rows_of(session, query)]

    return {
        "clearing_runs": rows(*proof.RUN_COLUMNS, where=ClearingRun.id <= last_run),
        "run_rates": rows(
            RunRate.run_id, RunRate.currency, RunRate.rate, where=RunRate.run_id <= last_run
        ),
        "setoff_notices": rows(
            SetoffNotice.run_id,
            SetoffNotice.obligation_id,
            SetoffNotice.before,
            SetoffNotice.setoff,
            SetoffNotice.after,
            SetoffNotice.setoff_unit,
            where=SetoffNotice.run_id <= last_run,
        ),
        "novations": rows(
            Novation.run_id,
            Novation.obligation_id,
            Novation.amount,
            where=Novation.run_id <= last_run,
        ),
        "journal_lines": rows(
            JournalLine.id,
            JournalLine.entry_id,
            JournalLine.account,
            JournalLine.currency,
            JournalLine.amount,
            where=JournalLine.entry_id <= last_entry,
        ),
    }
