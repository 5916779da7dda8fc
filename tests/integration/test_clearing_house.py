"""Services on a real database (SQLite and PostgreSQL): imports, runs, settlement, ledger."""

from __future__ import annotations

import random
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from tahator.domain.clearing import max_setoff
from tahator.domain.errors import InputError
from tahator.formatting import amount, jsonable
from tahator.services import clearing, corridor, ledger, obligations, settlement
from tahator.store.database import transaction
from tahator.store.schema import ClearingRun, Firm, JournalLine, Obligation
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)

FIRMS = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR", "IR-3": "IR"}
AS_OF = date(2026, 11, 23)


def count(engine: Engine, table: type) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def verified(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return list(ledger.verify(session).breaks)


@pytest.fixture
def registered(engine: Engine, tmp_path: Path) -> Engine:
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
    return engine


def test_firm_import_is_all_or_nothing_and_idempotent(engine: Engine, tmp_path: Path) -> None:
    path = firms_file(tmp_path / "firms.csv", FIRMS)
    with transaction(engine) as session:
        assert import_firms_file(session, path, "test").created == 6
    with transaction(engine) as session:
        again = import_firms_file(session, path, "test")
    assert (again.created, again.unchanged) == (0, 6)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,country,tax_id,aliases\n"
        "PK-9,Karachi Rice,PK,1234567-8,Karachi Rice Mills|KRM\n"
        "PK-10,Lahore Maize,PK,12345678,\n"  # not an NTN
        "IR-9,Isfahan Steel,IR,14100000011,\n"  # wrong check digit
        "AF-1,Kabul Dried Fruit,AF,123,\n"  # not in the corridor
        "PK-1,Another name,PK,1234567-8,\n"  # exists with other content
    )
    with transaction(engine) as session, pytest.raises(InputError) as caught:
        import_firms_file(session, bad, "test")
    messages = [str(p) for p in caught.value.problems]
    assert [p.line for p in caught.value.problems] == [3, 4, 5, 6]
    assert "is not an NTN" in messages[0]
    assert "wrong check digit" in messages[1]
    assert "'AF' is not in the corridor" in messages[2]
    assert "already registered with different content" in messages[3]
    assert count(engine, Firm) == 6  # PK-9 was valid but the file was refused whole


def test_obligation_import_validates_the_whole_file(registered: Engine, tmp_path: Path) -> None:
    good = obligations_file(
        tmp_path / "o.csv",
        [("A1", "PK-1", "IR-1", "100.00", "USD"), ("A2", "IR-1", "PK-1", "28100", "PKR")],
    )
    with transaction(registered) as session:
        assert import_obligations_file(session, good, "test").created == 2
    with transaction(registered) as session:
        assert import_obligations_file(session, good, "test").created == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,debtor,creditor,amount,currency,due_date\n"
        "B1,PK-1,IR-1,5,USD,2026-01-01\n"
        "B2,PK-1,XX-1,5,USD,2026-01-01\n"
        "B3,PK-1,IR-1,-5,USD,2026-01-01\n"
        "B4,PK-1,IR-1,5.001,USD,2026-01-01\n"
        "B5,PK-1,IR-1,5,EUR,2026-01-01\n"
        "B6,PK-1,IR-1,5,USD,2026-13-01\n"
        "A1,PK-1,IR-1,999.00,USD,2026-06-30\n"
        "B7,PK-2,PK-2,5,PKR,2026-01-01\n"
    )
    with transaction(registered) as session, pytest.raises(InputError) as caught:
        import_obligations_file(session, bad, "test")
    lines = [p.line for p in caught.value.problems]
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    assert count(registered, Obligation) == 2
    assert verified(registered) == []


def test_a_run_clears_exactly_what_the_stateless_engine_clears(
    registered: Engine, tmp_path: Path
) -> None:
    rng = random.Random(7)
    names = sorted(FIRMS)
    rows = []
    for number in range(300):
        debtor, creditor = rng.sample(names, 2)
        rows.append(
            (
                f"R{number}",
                debtor,
                creditor,
                f"{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}",
                "USD",
            )
        )
    with transaction(registered) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "t")
    with transaction(registered) as session:
        summary = clearing.run_clearing(session, "test", AS_OF, today=AS_OF)

    index = {name: i for i, name in enumerate(names)}
    cents = [int(a.replace(".", "")) for _, _, _, a, _ in rows]
    expected = max_setoff(
        np.array([index[d] for _, d, _, _, _ in rows]),
        np.array([index[c] for _, _, c, _, _ in rows]),
        np.array(cents),
    )
    assert summary.status == "completed"
    assert summary.obligations == 300
    assert summary.cleared.minor == expected.cleared
    assert summary.total.minor == sum(cents)
    assert verified(registered) == []

    with transaction(registered) as session:
        second = clearing.run_clearing(session, "test", AS_OF, today=AS_OF)
    assert amount(second.cleared) == "0.00"  # nothing more can be set off
    assert verified(registered) == []


def test_a_run_is_neither_after_today_nor_before_the_last_run(registered: Engine) -> None:
    with transaction(registered) as session, pytest.raises(InputError) as future:
        clearing.run_clearing(session, "test", date(9999, 12, 31), today=AS_OF)
    assert "after today's business date, 2026-11-23" in str(future.value)
    with transaction(registered) as session:
        clearing.run_clearing(session, "test", AS_OF, today=AS_OF)
    with transaction(registered) as session, pytest.raises(InputError) as past:
        clearing.run_clearing(session, "test", date(1900, 1, 1), today=AS_OF)
    assert "before the latest clearing run's, 2026-11-23" in str(past.value)
    assert count(registered, ClearingRun) == 1


def test_other_currencies_convert_at_the_run_rates(registered: Engine, tmp_path: Path) -> None:
    with transaction(registered) as session:
        corridor.set_rate(session, "PKR", Decimal("280"), date(2026, 1, 1))
    rows = [
        ("X1", "PK-1", "PK-2", "28000.00", "PKR"),  # $100
        ("X2", "PK-2", "IR-1", "100.00", "USD"),
        ("X3", "IR-1", "PK-1", "60.00", "USD"),
    ]
    with transaction(registered) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "t")
    with transaction(registered) as session:
        summary = clearing.run_clearing(session, "test", AS_OF, today=AS_OF)
    assert amount(summary.total) == "260.00"
    assert amount(summary.cleared) == "180.00"  # the ring PK-1 → PK-2 → IR-1 → PK-1, 60 each
    with transaction(registered) as session:
        listed = {o["id"]: o for o in jsonable(obligations.list_obligations(session))}
    assert listed["X1"]["remaining"] == "11200.00"  # 28,000 − 60 × 280
    assert listed["X3"]["status"] == "set_off"
    # X2's $40 crosses the border: novated to the clearing accounts.
    assert listed["X2"]["status"] == "in_settlement"
    assert verified(registered) == []


def test_settlement_credit_lines_roll_overs_and_confirmation(
    registered: Engine, tmp_path: Path
) -> None:
    with transaction(registered) as session:
        corridor.set_credit_line(session, "IR", 50_00)
    rows = [
        ("S1", "PK-1", "IR-1", "300.00", "USD"),  # Pakistan imports 300
        ("S2", "IR-2", "PK-2", "100.00", "USD"),  # and exports 100
    ]
    with transaction(registered) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "t")
    with transaction(registered) as session:
        summary = clearing.run_clearing(session, "test", AS_OF, today=AS_OF)
    assert summary.settlement is not None
    accounts = {a.country: a for a in summary.settlement.accounts}
    assert amount(accounts["IR"].paid_out) == "150.00"  # 100 collected + 50 credit line
    assert amount(accounts["IR"].unpaid) == "150.00"
    assert jsonable(summary.settlement.imbalances) == [
        {"debtor_country": "PK", "creditor_country": "IR", "amount": "200.00"}
    ]
    with transaction(registered) as session:
        pending = settlement.list_instructions(session, status="pending")
    assert {(i.firm, i.kind, amount(i.amount)) for i in pending} == {
        ("PK-1", "collection", "300.00"),
        ("IR-2", "collection", "100.00"),
        ("PK-2", "payout", "100.00"),
        ("IR-1", "payout", "150.00"),
    }
    payout = next(i for i in pending if i.firm == "IR-1")
    assert payout.local_currency == "IRR"
    assert amount(payout.local_amount) == "165000000.00"  # 150 × 1,100,000 rials
    for instruction in pending:
        with transaction(registered) as session:
            settlement.confirm(session, instruction.id, "bank:test")
        assert verified(registered) == []
    with transaction(registered) as session, pytest.raises(InputError, match="already confirmed"):
        settlement.confirm(session, pending[0].id, "bank:test")

    # Next period Iran exports 120 more: IR-1's unpaid 150 is carried and paid first
    # from what Iran's account now collects.
    more = [("S3", "IR-3", "PK-3", "120.00", "USD")]
    with transaction(registered) as session:
        import_obligations_file(session, obligations_file(tmp_path / "p.csv", more), "t")
    with transaction(registered) as session:
        summary = clearing.run_clearing(session, "test", AS_OF, today=AS_OF)
    with transaction(registered) as session:
        new = [i for i in settlement.list_instructions(session) if i.run_id == summary.run_id]
    amounts = {(i.firm, i.kind): (amount(i.owed), amount(i.amount)) for i in new}
    assert amounts[("IR-3", "collection")] == ("120.00", "120.00")
    # Iran's account held −50 (its credit line was drawn) and collects 120: it may pay
    # out 120 − 50 + 50 = 120 of IR-1's carried 150.
    assert amounts[("IR-1", "payout")] == ("150.00", "120.00")
    assert verified(registered) == []


def test_ledger_verify_names_a_tampered_balance(registered: Engine, tmp_path: Path) -> None:
    rows = [("T1", "PK-1", "IR-1", "10.00", "USD")]
    with transaction(registered) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "t")
    with transaction(registered) as session:
        session.add(JournalLine(entry_id=1, account="receivable:IR-1", currency="USD", amount=5))
    breaks = verified(registered)
    assert any("journal entry 1 does not balance in USD" in b for b in breaks)
    assert any("receivable:IR-1 in USD" in b for b in breaks)


def test_two_runs_at_once_one_waits_for_the_other(registered: Engine, tmp_path: Path) -> None:
    rows = [("C1", "PK-1", "IR-1", "10.00", "USD"), ("C2", "IR-1", "PK-1", "10.00", "USD")]
    with transaction(registered) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "t")
    results: list[clearing.RunSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with transaction(registered) as session:
                results.append(clearing.run_clearing(session, "test", AS_OF, today=AS_OF))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(amount(r.cleared) for r in results) == ["0.00", "20.00"]  # never cleared twice
    assert count(registered, ClearingRun) == 2
    assert verified(registered) == []


def test_unknown_rate_leaves_the_obligation_out(registered: Engine, tmp_path: Path) -> None:
    rows = [("U1", "PK-1", "IR-1", "10.00", "USD")]
    with transaction(registered) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "t")
    with transaction(registered) as session:
        summary = clearing.run_clearing(session, "test", date(2019, 1, 1), today=date(2019, 1, 1))
    assert summary.settlement is not None
    assert [e.obligations for e in summary.settlement.excluded] == [1]
    assert "no reference rate" in summary.settlement.excluded[0].reason
    assert summary.settlement.instructions == 0


def test_the_schema_head_constant_matches_the_migrations(engine: Engine) -> None:
    from tahator.store import migrate

    assert migrate.head() == migrate.HEAD
    assert migrate.revision_of(engine) == migrate.HEAD
    assert migrate.is_current(engine)
