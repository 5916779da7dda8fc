"""A database whose older records carry no digests (upgraded from before migration
0007, or seeded before the seed was audited) is sealed, and ``ledger verify`` goes
on from the seal: what came before is not replayed, what the seal covers is checked."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select, update

from tahator.domain.audit import GENESIS, chain_hash
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import audit as audit_service
from tahator.services import clearing, corridor, ledger, seal, settlement
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, JournalLine, Obligation, SettlementInstruction
from tests.conftest import Cli
from tests.integration.conftest import firms_file, import_firms_file, import_obligations_file

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}


def _register(engine: Engine, path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    lines = ["id,debtor,creditor,amount,currency,due_date"]
    lines += [f"{i},{d},{c},{a},USD,2026-06-30" for i, d, c, a in rows]
    path.write_text("\n".join(lines) + "\n")
    with transaction(engine) as session:
        import_obligations_file(session, path, "test")


def _breaks(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return list(ledger.verify(session).breaks)


def _as_before_digests(engine: Engine) -> None:
    """The audit records as a database from before digests has them: no ``proof`` in
    any, and a seed that recorded nothing."""
    with transaction(engine) as session:
        for record_id, after in session.execute(select(AuditRecord.id, AuditRecord.after)):
            document = json.loads(after)
            if isinstance(document, dict) and ({"proof", "corridor"} & set(document)):
                document.pop("proof", None)
                document.pop("corridor", None)
                session.execute(
                    update(AuditRecord)
                    .where(AuditRecord.id == record_id)
                    .values(after=json.dumps(document))
                )
        # Such a database's chain is whole: rehashed as it was written.
        previous = GENESIS
        for row in session.scalars(select(AuditRecord).order_by(AuditRecord.id)):
            row.previous_hash = previous
            row.hash = previous = chain_hash(previous, audit_service._entry(row))


def _history(engine: Engine, tmp_path: Path) -> None:
    """Registrations, a run with a payout confirmed and a collection returned."""
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_credit_line(session, "IR", 50_00, "op")
    _register(
        engine,
        tmp_path / "a.csv",
        [
            ("A", "IR-1", "PK-1", "100.00"),
            ("B", "PK-2", "IR-2", "70.00"),
            ("C", "PK-1", "IR-1", "20.00"),
        ],
    )
    with transaction(engine) as session:
        run_id = clearing.run_clearing(
            session, "op", date(2026, 11, 23), today=date(2026, 11, 23)
        ).run_id
    with transaction(engine) as session:
        views = [v for v in settlement.list_instructions(session) if v.run_id == run_id]
        payout = next(v for v in views if v.kind == InstructionKind.PAYOUT)
        settlement.confirm(session, payout.id, "bank")
        collection = next(v for v in views if v.kind == InstructionKind.COLLECTION)
        settlement.return_instruction(session, collection.id, "AM04", "bank")


def test_a_database_without_digests_verifies_once_sealed_and_tampering_after_is_named(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    _history(engine, tmp_path)
    assert _breaks(engine) == []
    _as_before_digests(engine)
    unsealed = _breaks(engine)
    assert any("without their digest" in b for b in unsealed)
    assert any("no audited starting point" in b for b in unsealed)
    with transaction(engine) as session:
        assert seal.needed(session)
    code, out, err = Cli()("--db", database_url, "audit", "seal")
    assert code == 0, err
    assert "ledger sealed: " in out
    with transaction(engine) as session:
        assert not seal.needed(session)
    assert _breaks(engine) == []

    # The history goes on from the seal: a run, a confirmation and a return after it.
    _register(engine, tmp_path / "b.csv", [("D", "IR-2", "PK-2", "30.00")])
    with transaction(engine) as session:
        clearing.run_clearing(session, "op", date(2026, 11, 30), today=date(2026, 11, 30))
    with transaction(engine) as session:
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
        settlement.confirm(session, pending[0].id, "bank")
        collections = [v for v in pending[1:] if v.kind == InstructionKind.COLLECTION]
        if collections:
            settlement.return_instruction(session, collections[0].id, "AM04", "bank")
    assert _breaks(engine) == []

    with transaction(engine) as session:
        sealed_obligation = session.scalar(select(Obligation.id).order_by(Obligation.id))
        sealed_line = session.scalar(select(JournalLine.id).order_by(JournalLine.id))
        first_instruction = session.scalar(
            select(SettlementInstruction.id).order_by(SettlementInstruction.id)
        )
        session.execute(
            update(Obligation)
            .where(Obligation.id == sealed_obligation)
            .values(amount=Obligation.amount + 1)
        )
        session.execute(
            update(JournalLine)
            .where(JournalLine.id == sealed_line)
            .values(amount=JournalLine.amount + 1)
        )
        session.execute(
            update(SettlementInstruction)
            .where(SettlementInstruction.id == first_instruction)
            .values(owed=SettlementInstruction.owed + 1)
        )
    breaks = _breaks(engine)
    assert any(b.startswith(f"obligations {sealed_obligation}: ") for b in breaks)
    assert any(b.startswith("journal_lines sealed in audit record") for b in breaks)
    assert any(b.startswith(f"settlement_instructions {first_instruction} ") for b in breaks)


def test_db_upgrade_seals_a_database_without_digests(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    _history(engine, tmp_path)
    _as_before_digests(engine)
    code, out, err = Cli()("--db", database_url, "db", "upgrade")
    assert code == 0, err
    assert "sealed" in out
    assert _breaks(engine) == []
    code, out, err = Cli()("--db", database_url, "db", "upgrade")
    assert code == 0, err
    assert "sealed" not in out


def test_seal_refuses_over_replayable_history_and_a_seal_laid_anyway_is_named(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """The attack: tamper with digested records, then seal them so that the replay
    starts from the tampered state."""
    _history(engine, tmp_path)
    with transaction(engine) as session:
        first = session.scalar(select(SettlementInstruction.id).order_by(SettlementInstruction.id))
        session.execute(
            update(SettlementInstruction)
            .where(SettlementInstruction.id == first)
            .values(local_amount=SettlementInstruction.local_amount * 10)
        )
    assert _breaks(engine) != []
    code, _, err = Cli()("--db", database_url, "audit", "seal")
    assert code == 2
    assert "cannot seal the ledger: every registration and run" in err
    # A seal laid anyway (an older binary, or straight into the database) is named,
    # and the tampering before it still is.
    with transaction(engine) as session:
        audit_service.record(
            session, "x", seal.ACTION, "ledger", None, {"seal": seal.state(session)}
        )
    code, _out, err = Cli()("--db", database_url, "ledger", "verify")
    assert code == 1
    assert "seals history that could be replayed" in err
    assert f"settlement_instructions {first}" in err


def test_seal_refuses_over_a_broken_chain_or_ledger(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    _history(engine, tmp_path)
    _as_before_digests(engine)
    with transaction(engine) as session:
        session.execute(update(Obligation).values(remaining=Obligation.remaining + 1))
    code, _, err = Cli()("--db", database_url, "audit", "seal")
    assert code == 2
    assert "the ledger does not balance" in err
    with transaction(engine) as session:
        session.execute(update(Obligation).values(remaining=Obligation.remaining - 1))
        session.execute(update(AuditRecord).where(AuditRecord.id == 2).values(actor="mallory"))
    code, _, err = Cli()("--db", database_url, "audit", "seal")
    assert code == 2
    assert "the audit log is broken at record 2" in err
    code, _out, err = Cli()("--db", database_url, "db", "upgrade")
    assert code == 0, err
    assert "money records not sealed: the audit log is broken" in err
