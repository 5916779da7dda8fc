"""The batch write path: the audit record chained at commit, the proof read by key, and
how many statements a batch of 20 costs."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select, update
from sqlalchemy.orm import Session

from tahator.io.obligations import ObligationRecord
from tahator.services import audit, corridor, obligations, proof
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, ClearingAccount
from tests.integration.conftest import firms_file, import_firms_file

FIRMS = {f"F{n}": "PK" if n % 2 else "IR" for n in range(1, 11)}


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
    return engine


def batch(prefix: str, size: int = 20) -> list[ObligationRecord]:
    return [
        ObligationRecord(
            line=n + 2,
            reference=f"{prefix}-{n}",
            debtor=f"F{n % 10 + 1}",
            creditor=f"F{(n + 3) % 10 + 1}",
            amount=1_000 + n,
            currency="USD",
            due_date=date(2026, 12, 31),
        )
        for n in range(size)
    ]


def last_record(session: Session) -> AuditRecord:
    found = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1)).first()
    assert found is not None
    return found


def test_the_record_is_chained_at_commit_and_proves_what_registration_proves(
    house: Engine,
) -> None:
    with transaction(house) as session:
        before = last_record(session).id
        done = obligations.register_obligations(session, batch("A"), "test", source="api")
        # Not chained yet: it waits for the commit.
        assert last_record(session).id == before
    assert done.result.created == 20
    with transaction(house) as session:
        stored = last_record(session)
        assert stored.id == before + 1
        assert stored.action == "obligations.register"
        written = json.loads(stored.after)["proof"]
        # The same proof as the general path computes from the stored rows.
        keys = [(r.debtor, r.reference) for r in batch("A")]
        again = proof.registration(session, keys, written["entry"])
        assert written == json.loads(json.dumps(again, default=str))
        assert audit.verify(session)[1] is None
        # And again with the same batch: nothing new, no record.
        unchanged = obligations.register_obligations(session, batch("A"), "test", source="api")
    assert unchanged.result.unchanged == 20
    assert [o.number for o in unchanged.obligations] == [o.number for o in done.obligations]
    with transaction(house) as session:
        assert last_record(session).id == before + 1


def test_a_rolled_back_batch_leaves_no_record_and_the_session_no_pending_one(
    house: Engine,
) -> None:
    with transaction(house) as session:
        before = last_record(session).id

    def failing() -> None:
        with transaction(house) as session:
            obligations.register_obligations(session, batch("B"), "test", source="api")
            raise RuntimeError("the request failed after its work")

    with pytest.raises(RuntimeError):
        failing()
    with Session(house, expire_on_commit=False) as session:
        session.begin()
        obligations.register_obligations(session, batch("C"), "test", source="api")
        session.rollback()
        with session.begin():  # the same session, a new transaction: nothing left over
            audit.record(session, "test", "thing.change", "thing:1", None, {"n": 1})
    with transaction(house) as session:
        assert last_record(session).id == before + 1
        assert last_record(session).action == "thing.change"
        assert audit.verify(session)[1] is None


def test_records_held_for_the_commit_chain_in_order_after_the_immediate_ones(
    house: Engine,
) -> None:
    with transaction(house) as session:
        before = last_record(session).id
        audit.record_at_commit(session, "test", "held.first", "thing:1", None, {"n": 1})
        audit.record(session, "test", "now", "thing:0", None, {"n": 0})
        audit.record_at_commit(session, "test", "held.second", "thing:2", None, {"n": 2})
        with session.begin_nested():  # inside a savepoint: at once
            audit.record_at_commit(session, "test", "savepoint", "thing:3", None, {"n": 3})
    with transaction(house) as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.id > before)).all()
        assert [r.action for r in sorted(rows, key=lambda r: r.id)] == [
            "now",
            "savepoint",
            "held.first",
            "held.second",
        ]
        assert audit.verify(session)[1] is None


def test_a_batch_of_twenty_costs_few_statements_however_many_are_stored(
    house: Engine,
) -> None:
    with transaction(house) as session:  # stored obligations of the same debtors
        for n in range(5):
            obligations.register_obligations(session, batch(f"S{n}", 100), "test", source="api")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(house, "before_cursor_execute", count)
    try:
        with transaction(house) as session:
            obligations.register_obligations(session, batch("D"), "test", source="api")
    finally:
        event.remove(house, "before_cursor_execute", count)
    # Through SQLAlchemy (the bulk inserts go to the driver directly): firms, rates,
    # screening, what is stored, the journal entry, the proof, the answer, the chain.
    assert len(statements) <= 18, statements
    assert statements[-1].startswith("INSERT INTO audit_log")


def test_the_corridor_read_briefly_is_the_corridor(house: Engine) -> None:
    with transaction(house) as session:
        session.execute(
            update(ClearingAccount)
            .where(ClearingAccount.country == "PK")
            .values(credit_line_share="0.25", credit_line=12_345)
        )
        assert corridor.load_briefly(session) == corridor.load(session)
        unit = corridor.load(session).unit_of_account
        day = date(2026, 12, 31)
        assert corridor.reference_rates_for(session, day, unit) == corridor.reference_rates(
            session, day
        )
        assert corridor.load_briefly(session).credit_line_shares == {"PK": Decimal("0.25")}


def test_a_closed_transaction_takes_its_held_records_with_it(house: Engine) -> None:
    # Found by review: a transaction ended by close(), not rollback(), left its held
    # record for the session's next transaction to commit.
    with transaction(house) as session:
        before = last_record(session).id
    session = Session(house, expire_on_commit=False)
    session.begin()
    audit.record_at_commit(session, "test", "abandoned", "thing:1", None, {"n": 1})
    session.close()
    with session.begin():
        audit.record(session, "test", "thing.change", "thing:2", None, {"n": 2})
    session.close()
    with transaction(house) as session:
        assert last_record(session).id == before + 1
        assert last_record(session).action == "thing.change"
