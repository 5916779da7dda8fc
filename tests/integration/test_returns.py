"""Money that does not arrive, on a real database (SQLite and PostgreSQL): a bank
returns a collection or a payout, and the run, the obligations and the ledger follow."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tahator.domain import ledger as chart
from tahator.domain.errors import InputError, NotFoundError
from tahator.formatting import amount
from tahator.services import clearing, corridor, journal, ledger, obligations, settlement
from tahator.services.clearing import InstructionView
from tahator.store.database import transaction
from tahator.store.schema import (
    AuditRecord,
    Firm,
    JournalEntry,
    Obligation,
    SettlementInstruction,
)
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)

FIRMS = {
    "PK-1": "PK",
    "PK-2": "PK",
    "PK-3": "PK",
    "IR-1": "IR",
    "IR-2": "IR",
    "IR-3": "IR",
}
AS_OF = date(2026, 11, 23)
BANK = "bank:test"


def verified(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return list(ledger.verify(session).breaks)


def instructions(engine: Engine, run_id: int | None = None) -> list[InstructionView]:
    with transaction(engine) as session:
        rows = settlement.list_instructions(session)
    return [i for i in rows if run_id is None or i.run_id == run_id]


def find(rows: list[InstructionView], firm: str, kind: str, status: str = "pending") -> int:
    return next(i.id for i in rows if i.firm == firm and i.kind == kind and i.status == status)


def run(engine: Engine) -> int:
    with transaction(engine) as session:
        return clearing.run_clearing(session, "test", AS_OF, today=AS_OF).run_id


def obligation_states(engine: Engine) -> dict[str, tuple[str, int]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(Obligation.reference, Obligation.status, Obligation.remaining)
        )
        return {reference: (status, remaining) for reference, status, remaining in rows}


def balance(engine: Engine, account: str, currency: str = "USD") -> int:
    with transaction(engine) as session:
        return journal.balances(session).get((account, currency), 0)


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    """Pakistan's PK-1 owes two Iranian creditors 150 (one of them in rials); PK-2 also
    owes IR-1; Iran's IR-3 owes PK-2.  Iran's credit line lets it pay every claim."""
    rows = [
        ("A1", "PK-1", "IR-1", "100.00", "USD"),
        ("A2", "PK-1", "IR-2", "55000000.00", "IRR"),  # 50 USD
        ("A3", "PK-1", "IR-2", "6600.00", "IRR"),  # 0.006 USD: rounds
        ("A4", "PK-1", "IR-2", "6600.00", "IRR"),
        ("B1", "PK-2", "IR-1", "40.00", "USD"),
        ("C1", "IR-3", "PK-2", "30.00", "USD"),
    ]
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_credit_line(session, "IR", 500_00)
    with transaction(engine) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "test")
    return engine


def test_a_returned_collection_reopens_its_obligations_and_holds_its_payouts(
    house: Engine,
) -> None:
    run_id = run(house)
    assert verified(house) == []
    before = instructions(house, run_id)
    collection = next(i for i in before if i.firm == "PK-1" and i.kind == "collection")
    payout_1 = next(i for i in before if i.firm == "IR-1" and i.kind == "payout")
    assert amount(payout_1.amount) == "140.00"  # 100 from PK-1, 40 from PK-2

    with transaction(house) as session:
        result = settlement.return_instruction(session, collection.id, "am04", BANK)
    assert result.reason == "AM04"
    assert result.reason_text == "insufficient funds"
    assert result.instruction.status == "returned"
    assert result.collected_from is None
    assert result.credit_drawn == ()

    states = obligation_states(house)
    assert states["A1"] == ("open", 100_00)
    assert states["A2"] == ("open", 55_000_000_00)
    assert states["A3"] == ("open", 6600_00)
    assert states["A4"] == ("open", 6600_00)
    assert states["B1"] == ("in_settlement", 0)  # PK-2 paid nothing back
    assert len(result.reopened) == 4

    after = instructions(house, run_id)
    # IR-1 keeps 40 pending (PK-2's), 100 is held; of IR-2's payout its exact part,
    # 50.012 rounded once, is held (all of it once runs round each firm's total once).
    payouts = {(i.firm, i.status): amount(i.amount) for i in after if i.kind == "payout"}
    assert payouts[("IR-1", "pending")] == "40.00"
    assert payouts[("IR-1", "held")] == "100.00"
    assert payouts[("IR-2", "held")] == "50.01"
    assert payouts[("PK-2", "pending")] == "30.00"
    ir2 = [i for i in after if i.firm == "IR-2"]
    assert (
        sum(i.amount.minor for i in ir2) == next(p for p in before if p.firm == "IR-2").amount.minor
    )
    held_1 = next(i for i in after if i.firm == "IR-1" and i.status == "held")
    pending_1 = next(i for i in after if i.firm == "IR-1" and i.status == "pending")
    # The rials split exactly: the two rows pay what the one would have.
    assert held_1.local_amount.minor + pending_1.local_amount.minor == payout_1.local_amount.minor
    assert amount(pending_1.local_amount) == "44000000.00"
    # The reversal balances, nothing is left to collect from PK-1, and what the parts
    # do not add up to is on the rounding account.
    assert balance(house, chart.collection("PK-1")) == 0
    held_total = sum(h.amount.minor for h in result.held)
    assert result.rounding.minor == collection.amount.minor - held_total
    assert abs(result.rounding.minor) <= 2  # at most a unit per creditor
    assert verified(house) == []
    with transaction(house) as session:
        entry = session.execute(
            select(JournalEntry).where(JournalEntry.instruction_id == collection.id)
        ).scalar_one()
        assert entry.kind == "return"
        assert "AM04" in entry.memo
        audit = session.execute(
            select(AuditRecord).where(AuditRecord.action == "settlement.return")
        ).scalar_one()
        assert audit.subject == f"instruction:{collection.id}"

    # A held payout or a returned collection can no longer be confirmed; the rest can.
    for refused in (held_1.id, collection.id):
        with transaction(house) as session, pytest.raises(InputError, match="only a pending"):
            settlement.confirm(session, refused, BANK)
    for instruction in instructions(house, run_id):
        if instruction.status == "pending":
            with transaction(house) as session:
                settlement.confirm(session, instruction.id, BANK)
    assert verified(house) == []

    # The next run takes the reopened obligations up again, and PK-1 is asked once more.
    again = run(house)
    assert verified(house) == []
    second = instructions(house, again)
    assert amount(next(i for i in second if i.firm == "PK-1").amount) == amount(collection.amount)
    assert obligation_states(house)["A1"] == ("in_settlement", 0)


def test_a_consortium_debt_turns_to_its_members_in_order(house: Engine) -> None:
    with transaction(house) as session:
        obligations.create_obligation(
            session,
            reference="CONS-1",
            debtor="PK-3",
            creditor="IR-1",
            amount=70_00,
            currency="USD",
            due_date=date(2026, 6, 30),
            origin="consortium test",
            actor="test",
            liable=("PK-3", "PK-2", "IR-2"),
        )
    run_id = run(house)
    first = find(instructions(house, run_id), "PK-3", "collection")
    with transaction(house) as session:
        asked = settlement.return_instruction(session, first, "AM04", BANK)
    # Members in firm-id order: IR-2 comes before PK-2.  IR-2 is in Iran, so Iran's
    # account collects it (in rials) instead of Pakistan's.
    assert asked.collected_from is not None
    assert (asked.collected_from.firm, asked.collected_from.country) == ("IR-2", "IR")
    assert asked.collected_from.local_currency == "IRR"
    assert amount(asked.collected_from.amount) == "70.00"
    assert asked.reopened == ()
    assert asked.held == ()
    assert obligation_states(house)["CONS-1"] == ("in_settlement", 0)
    assert balance(house, chart.collection("PK-3")) == 0
    assert balance(house, chart.collection("IR-2")) == 70_00
    assert verified(house) == []
    with transaction(house) as session:
        row = session.get(SettlementInstruction, asked.collected_from.id)
        assert row is not None
        assert row.replaces == first

    with transaction(house) as session:
        asked = settlement.return_instruction(session, asked.collected_from.id, "AC06", BANK)
    assert asked.collected_from is not None
    assert asked.collected_from.firm == "PK-2"
    assert verified(house) == []
    with transaction(house) as session:
        last = settlement.return_instruction(session, asked.collected_from.id, "AM04", BANK)
    # Every member tried: the debt is PK-3's again and IR-1's payout is held for it.
    assert last.collected_from is None
    assert obligation_states(house)["CONS-1"] == ("open", 70_00)
    assert [(h.firm, amount(h.amount)) for h in last.held] == [("IR-1", "70.00")]
    assert balance(house, chart.collection("PK-2")) == 40_00  # its own B1 only
    assert verified(house) == []


def test_a_returned_payout_is_carried_into_the_next_run(house: Engine) -> None:
    run_id = run(house)
    payout = next(i for i in instructions(house, run_id) if i.firm == "IR-1" and i.kind == "payout")
    with transaction(house) as session:
        result = settlement.return_instruction(session, payout.id, "AC04", BANK)
    assert result.carried
    assert result.reason_text == "closed account number"
    assert balance(house, chart.payout("IR-1")) == -payout.amount.minor  # owed still
    assert verified(house) == []
    second = run(house)
    assert verified(house) == []
    carried = next(
        i for i in instructions(house, second) if i.firm == "IR-1" and i.kind == "payout"
    )
    assert carried.owed == payout.amount
    assert carried.amount == payout.amount
    # Carried once: the run after pays it no second time.
    third = run(house)
    assert [i for i in instructions(house, third) if i.firm == "IR-1"] == []
    with transaction(house) as session:
        settlement.confirm(session, carried.id, BANK)
    assert verified(house) == []
    assert balance(house, chart.payout("IR-1")) == 0


def test_under_the_credit_line_policy_payouts_stand_and_the_debtor_is_asked_again(
    house: Engine,
) -> None:
    with transaction(house) as session:
        corridor.set_limits(session, "op", shortfall="credit_line")
    run_id = run(house)
    collection = next(
        i for i in instructions(house, run_id) if i.firm == "PK-1" and i.kind == "collection"
    )
    with transaction(house) as session:
        result = settlement.return_instruction(session, collection.id, "MS03", BANK)
    assert result.reopened == ()
    assert result.held == ()
    assert {d.firm for d in result.credit_drawn} == {"IR-1", "IR-2"}
    assert {d.country for d in result.credit_drawn} == {"IR"}
    assert result.collected_from is not None
    assert (result.collected_from.firm, result.collected_from.amount) == (
        "PK-1",
        collection.amount,
    )
    assert obligation_states(house)["A1"] == ("in_settlement", 0)
    assert verified(house) == []


def test_a_confirmed_payout_is_lent_by_its_account_and_the_rest_reopens(house: Engine) -> None:
    run_id = run(house)
    rows = instructions(house, run_id)
    with transaction(house) as session:
        settlement.confirm(session, find(rows, "IR-2", "payout"), BANK)
    collection = find(rows, "PK-1", "collection")
    with transaction(house) as session:
        result = settlement.return_instruction(session, collection, "AM04", BANK)
    assert [d.firm for d in result.credit_drawn] == ["IR-2"]  # its money left already
    assert [h.firm for h in result.held] == ["IR-1"]
    states = obligation_states(house)
    assert states["A1"] == ("open", 100_00)
    assert states["A2"] == ("in_settlement", 0)
    assert result.collected_from is not None
    assert result.collected_from.amount.minor == (
        next(i for i in rows if i.id == collection).amount.minor - 100_00
    )
    assert verified(house) == []


@pytest.mark.parametrize(
    ("reason", "pick", "error", "message"),
    [
        ("XX99", "collection", InputError, "unknown return reason"),
        ("", "collection", InputError, "unknown return reason"),
        ("AM04", "confirmed", InputError, "cannot be returned"),
        ("AM04", "returned", InputError, "only a pending instruction"),
        ("AM04", "missing", NotFoundError, "no settlement instruction"),
    ],
)
def test_bad_returns_change_nothing(
    house: Engine, reason: str, pick: str, error: type[Exception], message: str
) -> None:
    run_id = run(house)
    rows = instructions(house, run_id)
    target = find(rows, "PK-1", "collection")
    if pick == "confirmed":
        with transaction(house) as session:
            settlement.confirm(session, target, BANK)
    elif pick == "returned":
        with transaction(house) as session:
            settlement.return_instruction(session, target, "AM05", BANK)
    elif pick == "missing":
        target = 10_000
    with transaction(house) as session:
        entries = session.scalar(select(func.count()).select_from(JournalEntry))
        audits = session.scalar(select(func.count()).select_from(AuditRecord))
    states, before = obligation_states(house), instructions(house)
    with transaction(house) as session, pytest.raises(error, match=message):
        settlement.return_instruction(session, target, reason, BANK)
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == audits
    assert obligation_states(house) == states
    assert instructions(house) == before
    assert verified(house) == []


@pytest.fixture
def crossed(engine: Engine, tmp_path: Path) -> Engine:
    """IR-1 owes PK-1 100 and PK-2 owes IR-2 100: Iran's account pays IR-2 with what
    it counts on collecting from IR-1."""
    rows = [("A", "IR-1", "PK-1", "100.00", "USD"), ("B", "PK-2", "IR-2", "100.00", "USD")]
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
    with transaction(engine) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "test")
    return engine


def return_ir1(engine: Engine, confirm_ir2: bool) -> settlement.ReturnResult:
    run_id = run(engine)
    rows = instructions(engine, run_id)
    with transaction(engine) as session:
        if confirm_ir2:
            settlement.confirm(session, find(rows, "IR-2", "payout"), BANK)
        return settlement.return_instruction(
            session, find(rows, "IR-1", "collection"), "AM04", BANK
        )


def test_a_returned_collection_states_its_accounts_shortfall_drawn_on_credit(
    crossed: Engine,
) -> None:
    result = return_ir1(crossed, confirm_ir2=True)
    assert [(v.firm, amount(v.amount)) for v in result.held] == [("PK-1", "100.00")]
    short = result.shortfall
    assert short is not None
    assert (short.country, amount(short.amount), amount(short.credit_drawn)) == (
        "IR",
        "100.00",
        "100.00",
    )
    assert short.held == ()
    with transaction(crossed) as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "settlement.return")
        ).one()
    assert json.loads(record.after)["shortfall"]["credit_drawn"] == "100.00"


def test_a_shortfall_holds_its_accounts_pending_payouts_which_the_next_run_pays(
    crossed: Engine,
) -> None:
    result = return_ir1(crossed, confirm_ir2=False)
    short = result.shortfall
    assert short is not None
    assert [(v.firm, amount(v.amount), v.status) for v in short.held] == [
        ("IR-2", "100.00", "held")
    ]
    assert amount(short.credit_drawn) == "0.00"
    assert result.held[-1] == short.held[-1]  # listed with every payout held
    assert balance(crossed, chart.payout("IR-2")) == -100_00  # still owed to IR-2
    later = run(crossed)
    assert {
        (i.firm, amount(i.amount)) for i in instructions(crossed, later) if i.kind == "payout"
    } >= {("IR-2", "100.00")}


@pytest.mark.parametrize("confirm_ir2", [True, False])
def test_a_shortfall_verifies(crossed: Engine, confirm_ir2: bool) -> None:
    return_ir1(crossed, confirm_ir2)
    assert verified(crossed) == []
    run(crossed)
    assert verified(crossed) == []


def test_a_member_sanctions_screening_stops_is_skipped_and_named(house: Engine) -> None:
    with transaction(house) as session:
        obligations.create_obligation(
            session,
            reference="CONS-1",
            debtor="PK-3",
            creditor="IR-1",
            amount=70_00,
            currency="USD",
            due_date=date(2026, 6, 30),
            origin="consortium test",
            actor="test",
            liable=("PK-3", "PK-2", "IR-2"),
        )
    run_id = run(house)
    with transaction(house) as session:  # screening stops IR-2 after the run
        session.execute(update(Firm).where(Firm.id == "IR-2").values(screening="confirmed"))
    first = find(instructions(house, run_id), "PK-3", "collection")
    with transaction(house) as session:
        asked = settlement.return_instruction(session, first, "AM04", BANK)
    # IR-2 comes first by id but may not trade: PK-2 is asked, and IR-2 named as skipped.
    assert asked.collected_from is not None
    assert asked.collected_from.firm == "PK-2"
    assert [s.firm for s in asked.skipped] == ["IR-2"]
    assert "compliance review" in asked.skipped[0].reason
    with transaction(house) as session:
        last = settlement.return_instruction(session, asked.collected_from.id, "AM04", BANK)
    # No member left who may pay: the obligation reopens; IR-2 is still named.
    assert last.collected_from is None
    assert [s.firm for s in last.skipped] == ["IR-2"]
    assert obligation_states(house)["CONS-1"] == ("open", 70_00)
    assert verified(house) == []


def test_a_second_return_holds_no_more_than_is_left_of_the_payout(
    engine: Engine, tmp_path: Path
) -> None:
    # IR-3 is owed 0.006 USD by each of PK-1 and PK-2: its payout is 0.01, and each
    # debtor's part of it rounds to 0.01 too.
    rows = [("D1", "PK-1", "IR-3", "6600.00", "IRR"), ("D2", "PK-2", "IR-3", "6600.00", "IRR")]
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_credit_line(session, "IR", 500_00)
    with transaction(engine) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "test")
    run_id = run(engine)
    listed = instructions(engine, run_id)
    assert [amount(i.amount) for i in listed if i.firm == "IR-3"] == ["0.01"]
    with transaction(engine) as session:
        first = settlement.return_instruction(
            session, find(listed, "PK-1", "collection"), "AM04", BANK
        )
        second = settlement.return_instruction(
            session, find(listed, "PK-2", "collection"), "AM04", BANK
        )
    assert [(h.firm, amount(h.amount)) for h in first.held] == [("IR-3", "0.01")]
    # Nothing is left of the payout: the second holds nothing, lends nothing, and its
    # part (one cent the first already held) is the rounding account's, exactly.
    assert (second.held, second.credit_drawn, second.collected_from) == ((), (), None)
    assert amount(second.rounding) == "0.01"
    assert obligation_states(engine)["D2"] == ("open", 660000)
    assert balance(engine, chart.payout("IR-3")) == 0
    assert verified(engine) == []


def test_a_payout_issued_in_parts_is_held_across_them(engine: Engine, tmp_path: Path) -> None:
    # USD 10 trillion in rials passes 64 bits: IR-1's payout is issued in parts.
    rows = [("BIG", "PK-1", "IR-1", "10000000000000.00", "USD")]
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_limits(session, "test", max_obligation=10**15)
        corridor.set_credit_line(session, "IR", 10**15)
    with transaction(engine) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "test")
    run_id = run(engine)
    parts = [i for i in instructions(engine, run_id) if i.firm == "IR-1"]
    assert len(parts) > 1
    with transaction(engine) as session:
        collection = find(instructions(engine, run_id), "PK-1", "collection")
        result = settlement.return_instruction(session, collection, "AM04", BANK)
    assert sum(h.amount.minor for h in result.held) == 10**15
    assert {h.id for h in result.held} == {p.id for p in parts}
    assert obligation_states(engine)["BIG"] == ("open", 10**15)
    assert balance(engine, chart.payout("IR-1")) == 0
