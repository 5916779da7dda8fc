"""A payout the bank booked and then got back (an ISO 20022 return after the debit), on
SQLite and PostgreSQL: its confirmation is reversed in its own journal entry, the
claim is carried into the next run, and ``ledger verify`` still recomputes it all."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tahator.domain import ledger as chart
from tahator.domain.errors import InputError
from tahator.domain.settlement import InstructionStatus
from tahator.services import audit, clearing, corridor, journal, ledger, settlement
from tahator.services.clearing import InstructionView
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, JournalEntry, JournalLine, SettlementInstruction
from tests.conftest import Cli
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)
from tests.integration.test_ledger_seal import _as_before_digests, _history

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
ROWS = [
    ("A1", "PK-1", "IR-1", "100.00", "USD"),
    ("A2", "PK-2", "IR-2", "40.00", "USD"),
]
AS_OF = date(2026, 11, 23)
BANK = "bank:test"


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    """Two Pakistani debtors owe two Iranian creditors; Iran's credit line lets its
    account pay before the collections arrive."""
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_credit_line(session, "IR", 500_00)
    with transaction(engine) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", ROWS), "test")
    return engine


def run(engine: Engine) -> int:
    with transaction(engine) as session:
        return clearing.run_clearing(session, "test", AS_OF, today=AS_OF).run_id


def of_run(engine: Engine, run_id: int) -> list[InstructionView]:
    with transaction(engine) as session:
        return [i for i in settlement.list_instructions(session) if i.run_id == run_id]


def pick(rows: list[InstructionView], firm: str, kind: str) -> InstructionView:
    return next(i for i in rows if i.firm == firm and i.kind == kind)


def balance(engine: Engine, account: str) -> int:
    with transaction(engine) as session:
        return journal.balances(session).get((account, "USD"), 0)


def breaks(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return list(ledger.verify(session).breaks)


def chain_intact(engine: Engine) -> bool:
    with transaction(engine) as session:
        return audit.verify(session)[1] is None


def counts(engine: Engine) -> tuple[int, int]:
    with transaction(engine) as session:
        entries = session.scalar(select(func.count()).select_from(JournalEntry))
        records = session.scalar(select(func.count()).select_from(AuditRecord))
    return int(entries or 0), int(records or 0)


def confirmed_payout(engine: Engine) -> tuple[int, InstructionView]:
    run_id = run(engine)
    payout = pick(of_run(engine, run_id), "IR-1", "payout")
    with transaction(engine) as session:
        settlement.confirm(session, payout.id, BANK)
    return run_id, payout


def test_a_confirmed_payout_returned_is_reversed_and_carried(house: Engine) -> None:
    before_confirmation = balance(house, chart.clearing("IR"))
    _, payout = confirmed_payout(house)
    paid = payout.amount.minor
    assert balance(house, chart.clearing("IR")) == before_confirmation - paid
    assert balance(house, chart.payout("IR-1")) == 0

    with transaction(house) as session:
        result = settlement.return_instruction(session, payout.id, "AC04", BANK)
    assert result.carried
    assert (result.instruction.status, result.instruction.return_reason) == ("returned", "AC04")
    with transaction(house) as session:
        row = session.get(SettlementInstruction, payout.id)
        assert row is not None
        assert (row.status, row.return_reason, row.returned_by) == ("returned", "AC04", BANK)
        assert row.confirmed_by == BANK  # what the bank did first stays on record
        kinds = session.scalars(
            select(JournalEntry.kind)
            .where(JournalEntry.instruction_id == payout.id)
            .order_by(JournalEntry.id)
        ).all()
    assert kinds == ["payout", "reversal", "return"]
    # The money is back in Iran's account and IR-1 is owed its claim again.
    assert balance(house, chart.clearing("IR")) == before_confirmation
    assert balance(house, chart.payout("IR-1")) == -paid
    assert breaks(house) == []
    assert chain_intact(house)

    second = run(house)
    assert breaks(house) == []
    again = pick(of_run(house, second), "IR-1", "payout")
    assert (again.owed, again.amount, again.status) == (payout.amount, payout.amount, "pending")
    assert [i.firm for i in of_run(house, second)] == ["IR-1"]  # nothing else was owed
    with transaction(house) as session:
        settlement.confirm(session, again.id, BANK)
    assert balance(house, chart.payout("IR-1")) == 0
    assert breaks(house) == []
    assert chain_intact(house)


def test_a_confirmed_collection_is_still_refused(house: Engine) -> None:
    run_id = run(house)
    collection = pick(of_run(house, run_id), "PK-1", "collection")
    with transaction(house) as session:
        settlement.confirm(session, collection.id, BANK)
    before = counts(house)
    with pytest.raises(InputError) as refused, transaction(house) as session:
        settlement.return_instruction(session, collection.id, "AM04", BANK)
    message = str(refused.value.problems[0].message)
    assert f"collection {collection.id} was confirmed by {BANK}" in message
    assert "returned after it was confirmed is for the operator" in message
    assert counts(house) == before
    assert pick(of_run(house, run_id), "PK-1", "collection").status == "confirmed"
    assert breaks(house) == []


def test_a_payout_is_returned_once(house: Engine) -> None:
    _, payout = confirmed_payout(house)
    with transaction(house) as session:
        settlement.return_instruction(session, payout.id, "AC04", BANK)
    before = counts(house)
    with pytest.raises(InputError, match=r"was returned \(AC04\)"), transaction(house) as session:
        settlement.return_instruction(session, payout.id, "AC04", BANK)
    with pytest.raises(InputError, match="only a pending instruction"), transaction(house) as s:
        settlement.confirm(s, payout.id, BANK)
    assert counts(house) == before
    assert breaks(house) == []


def test_an_altered_reversal_breaks_the_verification(house: Engine) -> None:
    _, payout = confirmed_payout(house)
    with transaction(house) as session:
        settlement.return_instruction(session, payout.id, "AC04", BANK)
        reversal = session.scalar(
            select(JournalEntry.id).where(
                JournalEntry.instruction_id == payout.id, JournalEntry.kind == "reversal"
            )
        )
    # Both lines moved alike, so the entry still balances: only the replay can tell.
    with transaction(house) as session:
        session.execute(
            update(JournalLine)
            .where(JournalLine.entry_id == reversal, JournalLine.amount > 0)
            .values(amount=JournalLine.amount + 1)
        )
        session.execute(
            update(JournalLine)
            .where(JournalLine.entry_id == reversal, JournalLine.amount < 0)
            .values(amount=JournalLine.amount - 1)
        )
    found = breaks(house)
    assert any("the reversal of its confirmation says" in b for b in found), found


def test_the_cli_returns_a_confirmed_payout(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", db, "db", "upgrade")[0] == 0
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", FIRMS))
    cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", ROWS))
    cli("--db", db, "corridor", "credit-line", "IR", "500")
    assert cli("--db", db, "clearing", "run", "--as-of", "2026-11-23")[0] == 0
    code, out, _ = cli("--db", db, "settlement", "list", "--json")
    rows = {(i["firm"], i["kind"]): str(i["id"]) for i in json.loads(out)}
    payout, collection = rows["IR-1", "payout"], rows["PK-1", "collection"]
    for confirmed in (payout, collection):
        assert cli("--db", db, "settlement", "confirm", confirmed)[0] == 0

    code, out, err = cli("--db", db, "settlement", "return", payout, "--reason", "AC04")
    assert code == 0, err
    assert f"payout {payout} of IR-1 returned: AC04 (closed account number)" in out
    assert "the claim is carried" in out
    code, out, _ = cli("--db", db, "settlement", "list", "--status", "returned", "--json")
    assert [(i["id"], i["return_reason"]) for i in json.loads(out)] == [(int(payout), "AC04")]
    code, out, err = cli("--db", db, "ledger", "verify")
    assert code == 0, out + err

    code, _, err = cli("--db", db, "settlement", "return", payout, "--reason", "AC04")
    assert code == 2
    assert "only a pending instruction" in err
    code, _, err = cli("--db", db, "settlement", "return", collection, "--reason", "AM04")
    assert code == 2
    assert "is for the operator" in err


def test_a_payout_confirmed_before_a_seal_returned_after_it_verifies(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # A ledger sealed (issue 15) between the confirmation and the return: the seal
    # gives the payout's state, confirmed, and the reversal is checked against it.
    _history(engine, tmp_path)
    _as_before_digests(engine)
    code, _, err = Cli()("--db", database_url, "audit", "seal")
    assert code == 0, err
    with transaction(engine) as session:
        confirmed = settlement.list_instructions(session, InstructionStatus.CONFIRMED)
        payout = next(v for v in confirmed if v.kind == "payout")
        settlement.return_instruction(session, payout.id, "AC04", BANK)
    assert breaks(engine) == []
    assert chain_intact(engine)
