"""The test of the design (DESIGN §3.5): on a populated database, change any one money
cell by one minor unit, or delete any one record, and verification fails naming it."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from tahator.domain.audit import digest
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
        clearing.run_clearing(session, "op", date(2026, 11, 23), today=date(2026, 11, 23))
    with transaction(engine) as session:
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
        for view in pending[::2]:
            settlement.confirm(session, view.id, "bank")
    with transaction(engine) as session:
        import_obligations_file(
            session, obligations_file(tmp_path / "b.csv", _rows(2, "B", 30)), "t"
        )
    with transaction(engine) as session:
        clearing.run_clearing(session, "op", date(2026, 11, 30), today=date(2026, 11, 30))
    with transaction(engine) as session:
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
        collections = [v for v in pending if v.kind == InstructionKind.COLLECTION]
        settlement.confirm(session, collections[0].id, "bank")
    return engine


@pytest.mark.parametrize("dropped", [SetoffNotice, Novation])
def test_a_run_that_stored_less_than_it_planned_is_refused(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dropped: type
) -> None:
    """The proof digests the plan, so a bulk write that lost a row must fail the run
    (nothing stored) rather than prove rows that are not there."""
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        import_obligations_file(
            session, obligations_file(tmp_path / "a.csv", _rows(1, "A", 40)), "t"
        )
    written = clearing.insert_columns

    def losing(session: Session, model: Any, names: Any, rows: Any) -> None:
        written(session, model, names, rows[:-1] if model is dropped else rows)

    monkeypatch.setattr(clearing, "insert_columns", losing)
    with pytest.raises(RuntimeError, match="stored of"), transaction(engine) as session:
        clearing.run_clearing(session, "op", date(2026, 11, 23), today=date(2026, 11, 23))
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ClearingRun)) == 0


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

    return apply


def test_the_populated_database_verifies(populated: Engine) -> None:
    with transaction(populated) as session:
        assert _all_breaks(session) == []
        counts = proof.table_counts(session)
        rollovers = session.scalars(select(Rollover.amount)).all()
    # The story exercises every table: set-offs, novations, pro-rata and roll-overs.
    assert all(counts[t] for t in ("setoff_notices", "novations", "rollovers", "run_rates"))
    assert any(rollovers)


def test_a_runs_proof_is_of_the_rows_read_back(populated: Engine) -> None:
    """A run digests the rows it wrote from its plan, not from reading them back: the
    digests are those of every row read back, table by table, on each database."""
    with transaction(populated) as session:
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "clearing.run").order_by(AuditRecord.id)
        ).all()
        assert len(records) == 2
        for record in records:
            run_id = int(record.subject.removeprefix("clearing_run:"))
            tables = json.loads(record.after)["proof"]["tables"]
            read = proof.run_tables(session, run_id)
            if record is not records[-1]:  # the next run changed its obligations again
                del tables["obligations"], read["obligations"]
            assert tables == {name: digest(rows) for name, rows in read.items()}, run_id
            assert all(read[name] for name in ("journal_lines", "settlement_instructions"))


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
    name = table.__tablename__
    if table is SetoffNotice or table is Novation:
        return f"{name} run {values[0]} obligation {values[1]}"
    if table is Rollover:
        return f"{name} run {values[0]} firm {values[1]}"
    return f"{name} {values[0]}"


@pytest.mark.parametrize(
    ("table", "keys", "column"), COLUMNS, ids=[f"{t.__tablename__}.{c}" for t, _, c in COLUMNS]
)
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

        def edit(session: Session, where: list[Any] = where, name: str = name) -> str:
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


def _first_key(session: Session, table: type, *where: object) -> object:
    key = [getattr(table, c.name) for c in table.__table__.primary_key.columns]
    row = session.scalars(select(table).where(*where).order_by(*key).limit(1)).first()
    assert row is not None
    return row


EDITS: dict[str, tuple[Callable[[Session], str], str]] = {}
"""Named edits beyond one minor unit: the edit, and what the break must name."""


def _edit(expect: str) -> Callable[[Callable[[Session], str]], Callable[[Session], str]]:
    def register(function: Callable[[Session], str]) -> Callable[[Session], str]:
        EDITS[function.__name__] = (function, expect)
        return function

    return register


@_edit("settlement_instructions")
def instruction_status(session: Session) -> str:
    i = _first_key(session, SettlementInstruction, SettlementInstruction.status == "pending")
    session.execute(
        update(SettlementInstruction)
        .where(SettlementInstruction.id == i.id)
        .values(status="confirmed")
    )
    return f"settlement_instructions {i.id}"


@_edit("obligations")
def reassigned_debtor(session: Session) -> str:
    o = _first_key(session, Obligation)
    other = next(f for f in sorted(FIRMS) if f not in (o.debtor, o.creditor))
    session.execute(update(Obligation).where(Obligation.id == o.id).values(debtor=other))
    return f"obligations {o.id}"


@_edit("obligations")
def reassigned_creditor(session: Session) -> str:
    o = _first_key(session, Obligation)
    other = next(f for f in sorted(FIRMS, reverse=True) if f not in (o.debtor, o.creditor))
    session.execute(update(Obligation).where(Obligation.id == o.id).values(creditor=other))
    return f"obligations {o.id}"


@_edit("run_rates")
def run_rate(session: Session) -> str:
    rate = _first_key(session, RunRate, RunRate.currency == "IRR")
    session.execute(
        update(RunRate)
        .where(RunRate.run_id == rate.run_id, RunRate.currency == "IRR")
        .values(rate="1100000.01")
    )
    return f"run_rates run {rate.run_id} IRR"


@_edit("settlement_instructions")
def payout_raised_by_a_rollover_set_to_zero(session: Session) -> str:
    """The issue's edit: a creditor paid its roll-over too, the roll-over zeroed."""
    r = _first_key(session, Rollover, Rollover.amount > 0)
    payout = _first_key(
        session,
        SettlementInstruction,
        SettlementInstruction.run_id == r.run_id,
        SettlementInstruction.firm_id == r.firm_id,
    )
    session.execute(
        update(SettlementInstruction)
        .where(SettlementInstruction.id == payout.id)
        .values(amount=SettlementInstruction.amount + r.amount)
    )
    session.execute(
        update(Rollover)
        .where(Rollover.run_id == r.run_id, Rollover.firm_id == r.firm_id)
        .values(amount=0)
    )
    return f"settlement_instructions {payout.id}"


@_edit("obligations")
def open_obligation_halved_with_its_journal_lines(session: Session) -> str:
    """The issue's edit: amount, remaining and both registration lines halved alike."""
    o = _first_key(
        session, Obligation, Obligation.status == "open", Obligation.remaining == Obligation.amount
    )
    half = o.amount // 2
    session.execute(
        update(Obligation).where(Obligation.id == o.id).values(amount=half, remaining=half)
    )
    entry = _registration_entry(session, o.id)
    for account, sign in ((f"receivable:{o.creditor}", 1), (f"payable:{o.debtor}", -1)):
        session.execute(
            update(JournalLine)
            .where(
                JournalLine.entry_id == entry,
                JournalLine.account == account,
                JournalLine.currency == o.currency,
            )
            .values(amount=JournalLine.amount - sign * (o.amount - half))
        )
    return f"obligations {o.id}"


@pytest.mark.parametrize("name", sorted(EDITS))
def test_the_issues_edits_are_named(
    tamper: Callable[[Callable[[Session], str]], list[str]], name: str
) -> None:
    edit, _ = EDITS[name]
    named: list[str] = []
    breaks = tamper(lambda session: named.append(edit(session)) or "")
    assert any(b.startswith(named[0] + ":") or b.startswith(named[0] + " ") for b in breaks), (
        named,
        breaks[:3],
    )


DELETABLE = [
    (Obligation, ("id",)),
    (SetoffNotice, ("run_id", "obligation_id")),
    (Novation, ("run_id", "obligation_id")),
    (SettlementInstruction, ("id",)),
    (Rollover, ("run_id", "firm_id")),
    (RunRate, ("run_id", "currency")),
    (JournalLine, ("id",)),
    (JournalEntry, ("id",)),
    (ClearingRun, ("id",)),
]


@pytest.mark.parametrize(("table", "keys"), DELETABLE, ids=[t.__tablename__ for t, _ in DELETABLE])
def test_every_deleted_record_is_named(
    populated: Engine,
    tamper: Callable[[Callable[[Session], str]], list[str]],
    table: type,
    keys: tuple[str, ...],
) -> None:
    with transaction(populated) as session:
        targets = [tuple(getattr(r, k) for k in keys) for r in session.scalars(select(table)).all()]
    for key in targets:
        where = [getattr(table, k) == v for k, v in zip(keys, key, strict=True)]

        def edit(session: Session, where: list[Any] = where, key: tuple[object, ...] = key) -> str:
            # Rows that refer to it go too (as a database without foreign keys allows).
            _delete_dependants(session, table, key)
            session.execute(delete(table).where(*where))
            return ""

        breaks = tamper(edit)
        assert breaks, f"deleting {table.__tablename__} {key} passed"
        wanted = _deleted_names(table, key)
        assert any(any(w in b for w in wanted) for b in breaks), (key, breaks[:3])


def _delete_dependants(session: Session, table: type, key: tuple[object, ...]) -> None:
    if table is Obligation:
        for dependant in (SetoffNotice, Novation):
            session.execute(delete(dependant).where(dependant.obligation_id == key[0]))
        session.execute(
            text("DELETE FROM obligation_liabilities WHERE obligation_id = :i"), {"i": key[0]}
        )
    if table is SettlementInstruction:
        entries = select(JournalEntry.id).where(JournalEntry.instruction_id == key[0])
        session.execute(delete(JournalLine).where(JournalLine.entry_id.in_(entries)))
        session.execute(delete(JournalEntry).where(JournalEntry.instruction_id == key[0]))
    if table is JournalEntry:
        session.execute(delete(JournalLine).where(JournalLine.entry_id == key[0]))
    if table is ClearingRun:
        for dependant in (SetoffNotice, Novation, Rollover, RunRate):
            session.execute(delete(dependant).where(dependant.run_id == key[0]))
        entries = select(JournalEntry.id).where(JournalEntry.run_id == key[0])
        instructions = select(SettlementInstruction.id).where(
            SettlementInstruction.run_id == key[0]
        )
        entries = entries.union(
            select(JournalEntry.id).where(JournalEntry.instruction_id.in_(instructions))
        )
        ids = list(session.scalars(entries))
        session.execute(delete(JournalLine).where(JournalLine.entry_id.in_(ids)))
        session.execute(delete(JournalEntry).where(JournalEntry.id.in_(ids)))
        session.execute(delete(SettlementInstruction).where(SettlementInstruction.run_id == key[0]))


def _deleted_names(table: type, key: tuple[object, ...]) -> list[str]:
    name = table.__tablename__
    if table is SetoffNotice or table is Novation:
        return [f"{name} run {key[0]} obligation {key[1]}:"]
    if table is Rollover:
        return [f"{name} run {key[0]} firm {key[1]}:"]
    if table is RunRate:
        return [f"{name} run {key[0]} {key[1]}:"]
    if table is SettlementInstruction:
        return ["settlement_instructions run", f"instruction {key[0]} "]
    if table is JournalLine:
        return ["journal_lines of entry"]
    if table is JournalEntry:
        return ["journal_entries of run", "journal lines of instruction", f"of entry {key[0]}:"]
    return [f"{name} {key[0]}:"]


def _registration_entry(session: Session, obligation_id: int) -> int:
    """The journal entry of the registration that registered ``obligation_id``."""
    for (after,) in session.execute(
        select(AuditRecord.after).where(AuditRecord.action == "obligations.register")
    ):
        evidence = json.loads(after)["proof"]
        if any(first <= obligation_id <= last for first, last in evidence["ids"]):
            return int(evidence["entry"])
    raise AssertionError(f"no registration of obligation {obligation_id}")


def test_a_truncated_or_rewritten_chain_fails_against_its_checkpoint(
    populated: Engine, database_url: str, tmp_path: Path
) -> None:
    from tests.conftest import Cli

    cli = Cli()
    saved = tmp_path / "head.json"
    code, out, _ = cli("--db", database_url, "audit", "checkpoint", "-o", saved)
    assert code == 0, out
    head = json.loads(saved.read_text())
    assert head["counts"]["journal_lines"] > 0
    assert head["last_id"] == head["records"]
    assert cli("--db", database_url, "audit", "verify", "--checkpoint", saved)[0] == 0
    assert cli("--db", database_url, "ledger", "verify")[0] == 0

    # Deleting the last record leaves a whole chain: only the checkpoint tells.
    with transaction(populated) as session:
        session.execute(delete(AuditRecord).where(AuditRecord.id == head["last_id"]))
    assert cli("--db", database_url, "audit", "verify")[0] == 0
    code, _, err = cli("--db", database_url, "audit", "verify", "--checkpoint", saved)
    assert code == 1
    assert f"audit record {head['last_id']}, the checkpoint's head, is gone" in err
    # ... and the ledger's replay misses the confirmation it recorded.
    code, _, err = cli("--db", database_url, "ledger", "verify")
    assert code == 1
    assert "status is confirmed, the recomputation says pending" in err

    # A chain rebuilt to the same length: the head's hash differs.
    with transaction(populated) as session:
        audit.record(session, "forger", "settlement.confirm", "instruction:0", None, None)
    code, _, err = cli("--db", database_url, "audit", "verify", "--checkpoint", saved)
    assert code == 1
    assert "no longer has the checkpoint's hash" in err

    code, _, err = cli("--db", database_url, "audit", "verify", "--checkpoint", tmp_path / "none")
    assert code == 2
    assert "cannot read the checkpoint" in err


def test_returns_are_replayed_and_what_they_changed_is_still_proved(
    populated: Engine, tamper: Callable[[Callable[[Session], str]], list[str]]
) -> None:
    """A returned collection reopens obligations and holds payouts, a returned payout is
    carried: the replay follows, and a cell they changed, changed again, is named."""
    with transaction(populated) as session:
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
        collection = next(v for v in pending if v.kind == InstructionKind.COLLECTION)
        returned = settlement.return_instruction(session, collection.id, "AM04", "bank")
    with transaction(populated) as session:
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
        payout = next(v for v in pending if v.kind == InstructionKind.PAYOUT)
        settlement.return_instruction(session, payout.id, "AC04", "bank")
    with transaction(populated) as session:
        assert _all_breaks(session) == []
        clearing.run_clearing(session, "op", date(2026, 12, 7), today=date(2026, 12, 7))
    with transaction(populated) as session:
        assert _all_breaks(session) == []
    assert returned.reopened or returned.held or returned.collected_from
    changed = [v.id for v in returned.held] or [collection.id]

    def raise_held(session: Session) -> str:
        session.execute(
            update(SettlementInstruction)
            .where(SettlementInstruction.id == changed[0])
            .values(amount=SettlementInstruction.amount + 1)
        )
        return ""

    assert any(b.startswith(f"settlement_instructions {changed[0]} ") for b in tamper(raise_held))
    for oid in returned.reopened:

        def shrink(session: Session, oid: int = oid) -> str:
            session.execute(
                update(Obligation)
                .where(Obligation.id == oid)
                .values(remaining=Obligation.remaining - 1)
            )
            return ""

        assert any(b.startswith(f"obligations {oid}:") for b in tamper(shrink))


def test_a_malformed_checkpoint_file_or_unwritable_output_is_exit_2(
    populated: Engine, database_url: str, tmp_path: Path
) -> None:
    """Exit 1 says the chain was tampered with: a bad file or place is exit 2, with the
    reason, never a traceback."""
    from tests.conftest import Cli

    cli = Cli()
    saved = tmp_path / "head.json"
    assert cli("--db", database_url, "audit", "checkpoint", "-o", saved)[0] == 0
    head = json.loads(saved.read_text())
    bad = tmp_path / "bad.json"
    for content, reason in [
        (json.dumps({**head, "last_id": 10**30}).encode(), "last_id is 1000"),
        (json.dumps({**head, "counts": {"evil": 1}}).encode(), "counts names no money table"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[" * 100_000, "not JSON"),
        (b" " * (1 << 20) + b"{}", "larger than 1 MiB"),
    ]:
        bad.write_bytes(content)
        code, _, err = cli("--db", database_url, "audit", "verify", "--checkpoint", bad)
        assert (code, "Traceback" in err) == (2, False), err
        assert f"not a checkpoint: {reason}" in err

    (tmp_path / "dir").mkdir()
    for place in [tmp_path / "dir", "/nonexistent/x.json", "/dev/full", ""]:
        code, _, err = cli("--db", database_url, "audit", "checkpoint", "-o", place)
        assert (code, "Traceback" in err) == (2, False), err
        assert "cannot write here" in err
