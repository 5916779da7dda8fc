"""The test of the design (DESIGN §3.5): on a populated database, change any one money
cell by one minor unit, or delete any one record, and verification fails naming it."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from tahator.domain.audit import Checkpoint
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import audit, clearing, corridor, ledger, proof, settlement
from tahator.store.database import transaction
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
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)

FIRMS = {f"PK-{i}": "PK" for i in range(1, 5)} | {f"IR-{i}": "IR" for i in range(1, 5)}
CURRENCIES = {"PK": "PKR", "IR": "IRR"}
AMOUNTS = {"PKR": (10_000, 9_000_000), "IRR": (10_000_000, 30_000_000_000), "USD": (100, 40_000)}


def _rows(seed: int, prefix: str, count: int) -> list[tuple[str, str, str, str, str]]:
    """Random obligations between the firms, in the debtor's currency or USD."""
    rng = random.Random(seed)
    firms = sorted(FIRMS)
    rows = []
    for n in range(count):
        debtor, creditor = rng.sample(firms, 2)
        currency = rng.choice([CURRENCIES[FIRMS[debtor]], "USD"])
        low, high = AMOUNTS[currency]
        minor = rng.randint(low, high)
        whole = f"{minor // 100}.{minor % 100:02d}" if currency != "IRR" else str(minor // 100)
        rows.append((f"{prefix}{n}", debtor, creditor, whole, currency))
    return rows


@pytest.fixture
def populated(engine: Engine, tmp_path: Path) -> Engine:
    """Two registrations, two clearing runs with pro-rata payouts and roll-overs, and
    confirmations between and after them."""
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_credit_line(session, "PK", 50_000)
        corridor.set_credit_line(session, "IR", 0)
    with transaction(engine) as session:
        import_obligations_file(
            session, obligations_file(tmp_path / "a.csv", _rows(1, "A", 40)), "t"
        )
    with transaction(engine) as session:
        clearing.run_clearing(session, "op", date(2026, 11, 23))
    with transaction(engine) as session:
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
        for view in pending[::2]:
            settlement.confirm(session, view.id, "bank")
    with transaction(engine) as session:
        import_obligations_file(
            session, obligations_file(tmp_path / "b.csv", _rows(2, "B", 30)), "t"
        )
    with transaction(engine) as session:
        clearing.run_clearing(session, "op", date(2026, 11, 30))
    with transaction(engine) as session:
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
        collections = [v for v in pending if v.kind == InstructionKind.COLLECTION]
        settlement.confirm(session, collections[0].id, "bank")
    return engine


def _all_breaks(session: Session) -> list[str]:
    chain = audit.check_chain(session)
    broken = [] if chain.ok else [f"audit record {chain.first_break}: {chain.reason}"]
    return broken + list(ledger.verify(session).breaks)


@pytest.fixture
def tamper(populated: Engine) -> Iterator[Callable[[Callable[[Session], str]], list[str]]]:
    """Apply one edit in a transaction, verify inside it, roll it back; the breaks."""

    def apply(edit: Callable[[Session], str]) -> list[str]:
        with populated.connect() as connection:
            outer = connection.begin()
            session = Session(bind=connection)
            try:
                edit(session)
                session.flush()
                return _all_breaks(session)
            finally:
                session.close()
                outer.rollback()

    yield apply


def test_the_populated_database_verifies(populated: Engine) -> None:
    with transaction(populated) as session:
        assert _all_breaks(session) == []
        counts = proof.table_counts(session)
        rollovers = session.scalars(select(Rollover.amount)).all()
    # The story exercises every table: set-offs, novations, pro-rata and roll-overs.
    assert all(counts[t] for t in ("setoff_notices", "novations", "rollovers", "run_rates"))
    assert any(rollovers)


# Every money-bearing column: (table, key columns, column).
COLUMNS = [
    (Obligation, ("id",), "amount"),
    (Obligation, ("id",), "remaining"),
    (SetoffNotice, ("run_id", "obligation_id"), "before"),
    (SetoffNotice, ("run_id", "obligation_id"), "setoff"),
    (SetoffNotice, ("run_id", "obligation_id"), "after"),
    (SetoffNotice, ("run_id", "obligation_id"), "setoff_unit"),
    (SettlementInstruction, ("id",), "owed"),
    (SettlementInstruction, ("id",), "amount"),
    (SettlementInstruction, ("id",), "local_amount"),
    (Rollover, ("run_id", "firm_id"), "amount"),
    (ClearingRun, ("id",), "total"),
    (ClearingRun, ("id",), "cleared"),
    (ClearingRun, ("id",), "remainder"),
    (Novation, ("run_id", "obligation_id"), "amount"),
    (JournalLine, ("id",), "amount"),
]


def _name(table: type, keys: tuple[str, ...], row: object) -> str:
    """How a break names the row: ``TABLE KEY`` as the replay writes it."""
    values = [getattr(row, k) for k in keys]
    name = table.__tablename__  # type: ignore[attr-defined]
    if table is SetoffNotice or table is Novation:
        return f"{name} run {values[0]} obligation {values[1]}"
    if table is Rollover:
        return f"{name} run {values[0]} firm {values[1]}"
    return f"{name} {values[0]}"


@pytest.mark.parametrize(
    ("table", "keys", "column"), COLUMNS, ids=[f"{t.__tablename__}.{c}" for t, _, c in COLUMNS]
)  # type: ignore[attr-defined]
def test_every_cell_changed_by_one_minor_unit_is_named(
    populated: Engine,
    tamper: Callable[[Callable[[Session], str]], list[str]],
    table: type,
    keys: tuple[str, ...],
    column: str,
) -> None:
    with transaction(populated) as session:
        rows = session.scalars(select(table)).all()
        targets = [(tuple(getattr(r, k) for k in keys), _name(table, keys, r)) for r in rows]
    assert targets
    for key, name in targets:
        where = [getattr(table, k) == v for k, v in zip(keys, key, strict=True)]

        def edit(session: Session) -> str:
            cell = getattr(table, column)
            session.execute(update(table).where(*where).values({column: cell + 1}))
            return name

        breaks = tamper(edit)
        assert breaks, f"{name}.{column} + 1 passed verification"
        assert any(b.startswith(name + ":") or b.startswith(name + " ") for b in breaks), (
            name,
            column,
            breaks[:3],
        )
