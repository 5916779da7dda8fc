"""Rows as tuples straight to the driver (``store.bulk.insert_columns``/``update_columns``)
and back (``services.proof.plain_rows``): stored and read as Core stores and reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tahator.services.proof import plain_rows
from tahator.store.bulk import insert_columns, insert_rows, update_columns
from tahator.store.database import transaction
from tahator.store.schema import JournalEntry, JournalLine


def test_tuples_are_stored_and_read_back_as_core_does(engine: Engine) -> None:
    at = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)
    names = ("kind", "memo", "run_id", "instruction_id", "created_at", "actor")
    with transaction(engine) as session:
        insert_columns(
            session,
            JournalEntry,
            names,
            [("setoff", f"entry {n}", None, None, at, "test") for n in range(3)],
        )
        insert_rows(
            session,
            JournalEntry,
            [dict(zip(names, ("setoff", "dict", None, None, at, "t"), strict=True))],
        )
        entries = session.scalars(select(JournalEntry.id).order_by(JournalEntry.id)).all()
        insert_columns(
            session,
            JournalLine,
            ("entry_id", "account", "currency", "amount"),
            [(entries[0], f"payable:F{n}", "USD", n - 2) for n in range(5)],
        )

    with Session(engine) as session:
        stored = session.scalars(select(JournalEntry).order_by(JournalEntry.id)).all()
        assert [e.memo for e in stored] == ["entry 0", "entry 1", "entry 2", "dict"]
        assert {e.created_at for e in stored} == {at}  # timestamps read back exactly
        query = select(JournalLine.id, JournalLine.account, JournalLine.amount).order_by(
            JournalLine.id
        )
        core = [tuple(row) for row in session.connection().execute(query).all()]
        assert plain_rows(session, query) == core
        assert [amount for _, _, amount in core] == [-2, -1, 0, 1, 2]
        in_list = query.where(JournalLine.account.in_(["payable:F1", "payable:F3"]))
        assert plain_rows(session, in_list) == [core[1], core[3]]

    with transaction(engine) as session:
        lines = [line_id for line_id, _, _ in core]
        update_columns(
            session,
            JournalLine,
            ("account", "amount"),
            [(lines[0], "receivable:X", 40), (lines[4], "receivable:Y", -40)],
        )
    with Session(engine) as session:
        after = session.execute(
            select(JournalLine.account, JournalLine.amount).order_by(JournalLine.id)
        ).all()
        assert [tuple(row) for row in after] == [
            ("receivable:X", 40),
            ("payable:F1", -1),
            ("payable:F2", 0),
            ("payable:F3", 1),
            ("receivable:Y", -40),
        ]
