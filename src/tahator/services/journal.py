"""Writing journal entries and reading balances; the only code that touches the ledger tables."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tahator.domain.ledger import Entry
from tahator.services.common import now
from tahator.store.bulk import insert_columns
from tahator.store.schema import JournalEntry, JournalLine
from tahator.store.sums import exact_sum


def post(
    session: Session,
    entry: Entry,
    actor: str,
    *,
    run_id: int | None = None,
    instruction_id: int | None = None,
) -> int:
    """Store a balanced entry and its lines; return the entry's id."""
    if entry.imbalance():
        raise ValueError(f"refusing an unbalanced entry: {entry.imbalance()}")
    entry_id = session.scalar(
        insert(JournalEntry)
        .values(
            kind=str(entry.kind),
            memo=entry.memo,
            run_id=run_id,
            instruction_id=instruction_id,
            created_at=now(),
            actor=actor,
        )
        .returning(JournalEntry.id)
    )
    assert isinstance(entry_id, int)
    if entry.postings:
        insert_columns(
            session,
            JournalLine,
            ("entry_id", "account", "currency", "amount"),
            lines_of(entry_id, entry),
        )
    return entry_id


def lines_of(entry_id: int, entry: Entry) -> list[tuple[int, str, str, int]]:
    """The rows ``post`` writes for ``entry`` as entry ``entry_id``, in order, less their ids."""
    return [(entry_id, p.account, p.currency, p.amount) for p in entry.postings]


def balances(session: Session, prefix: str | None = None) -> dict[tuple[str, str], int]:
    """Every account's balance per currency, summed from its lines (never stored),
    exactly at any size."""
    query = select(
        JournalLine.account, JournalLine.currency, exact_sum(JournalLine.amount)
    ).group_by(JournalLine.account, JournalLine.currency)
    if prefix is not None:
        query = query.where(JournalLine.account.startswith(prefix))
    return {(a, c): total for a, c, total in session.execute(query) if total}
