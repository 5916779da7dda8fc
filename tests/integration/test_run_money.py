"""A clearing run's money rules on a real database (SQLite and PostgreSQL; issue 16)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from tahator.domain import ledger as chart
from tahator.domain.run import Rollover, plan_run
from tahator.formatting import amount, jsonable
from tahator.services import clearing, corridor, ledger, obligations, settlement
from tahator.services.common import now
from tahator.services.journal import balances
from tahator.store.database import transaction
from tahator.store.schema import ClearingRun, Obligation
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    import_obligations_file,
)

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
AS_OF = date(2026, 11, 23)


@pytest.fixture
def registered(engine: Engine, tmp_path: Path) -> Engine:
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_rate(session, "IRR", Decimal(1_100_000), date(2026, 1, 1))
    return engine


def register(engine: Engine, path: Path, rows: list[tuple[str, str, str, str, str, str]]) -> None:
    """Register (id, debtor, creditor, amount, currency, due date) rows."""
    lines = ["id,debtor,creditor,amount,currency,due_date"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    with transaction(engine) as session:
        import_obligations_file(session, path, "test")


def run(engine: Engine, as_of: date = AS_OF) -> clearing.RunView:
    with transaction(engine) as session:
        summary = clearing.run_clearing(session, "test", as_of, today=as_of)
    with transaction(engine) as session:
        return clearing.show_run(session, summary.run_id)


def breaks(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return list(ledger.verify(session).breaks)


def listed(engine: Engine) -> dict[str, dict[str, str]]:
    with transaction(engine) as session:
        return {o["id"]: o for o in jsonable(obligations.list_obligations(session))}


def test_split_debts_leave_the_debtor_owing_what_it_owes(
    registered: Engine, tmp_path: Path
) -> None:
    rows = [("P", "PK-1", "IR-1", "1.00", "USD", "2026-06-30")]
    rows += [(f"I{n}", "IR-1", "PK-1", "16499", "IRR", "2026-06-30") for n in range(100)]
    register(registered, tmp_path / "o.csv", rows)
    view = run(registered)
    assert amount(view.cleared) == "2.00"
    positions = {
        p.firm: (amount(p.setoff_as_debtor), amount(p.setoff_as_creditor)) for p in view.positions
    }
    assert positions == {"IR-1": ("1.00", "1.00"), "PK-1": ("1.00", "1.00")}
    # IR-1 still owes PK-1 the other third (100 × 5,499 IRR: rials are whole), and pays it now.
    collections = {(i.firm, i.kind): amount(i.owed) for i in view.instructions}
    assert collections[("IR-1", "collection")] == "0.50"
    assert view.settlement is not None
    assert amount(view.settlement.unpaid) == "0.50"  # PK's account collected nothing: rolls over
    assert abs(Fraction(view.settlement.setoff_rounding_largest)) <= 1
    assert breaks(registered) == []


def test_dust_settles_and_nothing_due_stays_open(registered: Engine, tmp_path: Path) -> None:
    rows = [
        ("D1", "IR-1", "PK-1", "5500.00", "IRR", "2026-06-30"),  # half a cent
        ("D2", "IR-2", "PK-2", "5500.00", "IRR", "2026-06-30"),
        ("D3", "IR-2", "PK-2", "5500.00", "IRR", "2026-06-30"),
        ("D4", "PK-1", "PK-2", "1.40", "PKR", "2026-06-30"),  # domestic: stays open
    ]
    register(registered, tmp_path / "o.csv", rows)
    view = run(registered)
    status = {k: v["status"] for k, v in listed(registered).items()}
    assert status == {
        "D1": "in_settlement",
        "D2": "in_settlement",
        "D3": "in_settlement",
        "D4": "open",
    }
    owed = {(i.firm, i.kind): amount(i.owed) for i in view.instructions}
    assert owed[("IR-2", "collection")] == "0.01"  # 1.0 cent, rounded once
    assert view.settlement is not None
    assert view.settlement.domestic_obligations == 1
    with transaction(registered) as session:
        interaccount = balances(session, "interaccount:")
        rounding = balances(session, chart.ROUNDING)
    assert sum(interaccount.values()) == 0
    assert sum(rounding.values()) == -view.settlement.settlement_rounding.minor
    assert breaks(registered) == []


def test_not_yet_due_is_set_off_but_settled_only_when_due(
    registered: Engine, tmp_path: Path
) -> None:
    rows = [
        ("N1", "PK-1", "IR-1", "100.00", "USD", "2026-12-31"),
        ("N2", "IR-1", "PK-1", "40.00", "USD", "2026-06-30"),
    ]
    register(registered, tmp_path / "o.csv", rows)
    view = run(registered)
    assert amount(view.cleared) == "80.00"
    assert view.instructions == ()
    assert view.settlement is not None
    assert view.settlement.not_due == 1
    assert listed(registered)["N1"]["status"] == "open"
    later = run(registered, date(2027, 1, 2))
    assert {(i.firm, i.kind, amount(i.owed)) for i in later.instructions} == {
        ("PK-1", "collection", "60.00")
    }
    assert later.settlement is not None
    assert amount(later.settlement.unpaid) == "60.00"  # IR-1's payout waits for IR's funds
    assert breaks(registered) == []


def test_a_missing_rate_leaves_its_obligations_out(registered: Engine, tmp_path: Path) -> None:
    rows = [("U1", "PK-1", "IR-1", "10.00", "USD", "2018-06-30")]
    register(registered, tmp_path / "o.csv", rows)
    view = run(registered, date(2019, 1, 1))  # before any rate of PKR or IRR
    assert view.settlement is not None
    excluded = [(e.currency, e.obligations) for e in view.settlement.excluded]
    assert excluded == [("USD", 1)]
    assert "no reference rate for IRR" in view.settlement.excluded[0].reason
    assert listed(registered)["U1"]["status"] == "open"
    assert breaks(registered) == []


def test_huge_obligations_do_not_stop_a_run(registered: Engine, tmp_path: Path) -> None:
    register(registered, tmp_path / "o.csv", [("S", "PK-1", "IR-1", "5.00", "USD", "2026-06-30")])
    with transaction(registered) as session:  # bypassing registration and its limits
        for number in range(2):
            session.execute(
                insert(Obligation).values(
                    reference=f"HUGE{number}",
                    debtor="PK-1",
                    creditor="IR-1",
                    amount=5 * 10**18,
                    currency="USD",
                    due_date=date(2026, 6, 30),
                    status="open",
                    remaining=5 * 10**18,
                    created_at=now(),
                    created_by="test",
                )
            )
    view = run(registered)
    assert view.settlement is not None
    assert [(e.currency, e.obligations) for e in view.settlement.excluded] == [("USD", 2)]
    assert {(i.firm, amount(i.owed)) for i in view.instructions} == {("PK-1", "5.00")}
    with transaction(registered) as session:
        assert balances(session)[chart.collection("PK-1"), "USD"] == 500


def test_a_run_whose_total_would_pass_64_bits_completes(registered: Engine) -> None:
    # The attacker's case: 10,000 obligations of USD 10tn (the largest allowed) sum past
    # 64 bits, though each firm's share does not; the run leaves the excess out.
    rows = [
        {
            "reference": f"BIG{number}",
            "debtor": "PK-1" if number % 2 else "PK-2",
            "creditor": "IR-1" if number % 2 else "IR-2",
            "amount": corridor.MAX_OBLIGATION,
            "currency": "USD",
            "due_date": date(2026, 6, 30),
            "status": "open",
            "remaining": corridor.MAX_OBLIGATION,
            "created_at": now(),
            "created_by": "test",
        }
        for number in range(10_000)
    ]
    with transaction(registered) as session:  # bypassing registration and its audit
        corridor.set_limits(session, "test", max_obligation=corridor.MAX_OBLIGATION)
        session.execute(insert(Obligation), rows)
    view = run(registered)
    assert view.settlement is not None
    [excluded] = view.settlement.excluded
    assert (excluded.obligations, "the run's total" in excluded.reason) == (777, True)


def test_the_imbalance_is_carried_forward(registered: Engine, tmp_path: Path) -> None:
    register(registered, tmp_path / "1.csv", [("A", "IR-1", "PK-1", "120.00", "USD", "2026-06-30")])
    first = run(registered)
    second = run(registered)
    register(registered, tmp_path / "3.csv", [("B", "PK-1", "IR-1", "180.00", "USD", "2026-06-30")])
    third = run(registered)

    def shown(figures: tuple[object, ...]) -> list[tuple[str, str, str]]:
        return [(i.debtor_country, i.creditor_country, amount(i.amount)) for i in figures]  # type: ignore[attr-defined]

    assert first.settlement is not None
    assert second.settlement is not None
    assert third.settlement is not None
    assert shown(first.settlement.cumulative_imbalances) == [("IR", "PK", "120.00")]
    assert shown(second.settlement.imbalances) == []
    assert shown(second.settlement.cumulative_imbalances) == [("IR", "PK", "120.00")]
    assert shown(third.settlement.imbalances) == [("PK", "IR", "180.00")]
    assert shown(third.settlement.cumulative_imbalances) == [("PK", "IR", "60.00")]
    assert breaks(registered) == []


def test_a_credit_line_as_a_share_of_gross_payments(registered: Engine, tmp_path: Path) -> None:
    with transaction(registered) as session:
        corridor.set_credit_line_share(session, "PK", Decimal("0.2"), "op")
    rows = [
        ("C1", "PK-1", "IR-1", "100.00", "USD", "2026-06-30"),
        ("C2", "IR-2", "PK-2", "300.00", "USD", "2026-06-30"),
    ]
    register(registered, tmp_path / "o.csv", rows)
    view = run(registered)
    assert view.settlement is not None
    account = {a.country: a for a in view.settlement.accounts}["PK"]
    assert amount(account.credit_line) == "20.00"
    assert amount(account.paid_out) == "120.00"
    with transaction(registered) as session:
        stored = session.scalar(select(ClearingRun.figures).where(ClearingRun.id == view.run_id))
    assert stored["accounts"][1]["credit_line"] == "20.00"
    # Paid out before a collection arrives, the account draws the line the run set.
    with transaction(registered) as session:
        for i in clearing.show_run(session, view.run_id).instructions:
            if i.kind == "payout" and i.country == "PK":
                settlement.confirm(session, i.id, "bank")
    assert breaks(registered) == []
    # Judged against the fixed amount (none) instead, the same account is overdrawn.
    with transaction(registered) as session:
        corridor.set_credit_line(session, "PK", 0, "op")
    assert breaks(registered) == [
        "clearing account PK is overdrawn by 20.00, beyond its credit line 0.00"
    ]


def test_a_carried_claim_without_a_rate_rolls_over_again(
    registered: Engine, tmp_path: Path
) -> None:
    register(
        registered, tmp_path / "o.csv", [("A1", "PK-1", "IR-1", "100.00", "USD", "2019-01-30")]
    )
    first = run(registered)
    assert [(i.firm, i.kind) for i in first.instructions] == [("PK-1", "collection")]
    with transaction(registered) as session:
        corridor.set_credit_line(session, "IR", 500_00)
    # Runs go forward in time, so only a plan can be dated before IRR's first rate:
    # IR-1's carried claim cannot be paid in it, and is rolled over, not a crash.
    with transaction(registered) as session:
        plan = plan_run(clearing.load_open(session, date(2019, 6, 1)))
    assert plan.instructions == ()
    assert plan.rollovers == (Rollover("IR-1", 100_00),)
    [excluded] = plan.figures.excluded
    assert (excluded.currency, excluded.obligations) == ("IRR", 1)
    assert excluded.reason.startswith("carried claim of IR-1 rolled over: no reference rate")
    # Still owed, it is paid by the first run that has the rate.
    later = run(registered)
    assert {(i.firm, i.kind, amount(i.amount)) for i in later.instructions} == {
        ("IR-1", "payout", "100.00")
    }
    assert breaks(registered) == []


def test_the_cumulative_imbalance_counts_a_returned_collection_once(
    registered: Engine, tmp_path: Path
) -> None:
    with transaction(registered) as session:
        corridor.set_credit_line(session, "IR", 500_00)
    register(
        registered, tmp_path / "o.csv", [("A1", "PK-1", "IR-1", "100.00", "USD", "2026-06-30")]
    )
    first = run(registered)
    collection = next(i for i in first.instructions if i.kind == "collection")
    with transaction(registered) as session:
        settlement.return_instruction(session, collection.id, "AM04", "bank")
    second = run(registered, date(2026, 12, 1))  # the reopened obligation, handed over again
    assert second.settlement is not None
    cumulative = [
        (i.debtor_country, i.creditor_country, amount(i.amount))
        for i in second.settlement.cumulative_imbalances
    ]
    assert cumulative == [("PK", "IR", "100.00")]  # not 200.00: the return undid the first
    with transaction(registered) as session:
        assert balances(session, "interaccount:") == {
            (chart.interaccount("IR"), "USD"): 100_00,
            (chart.interaccount("PK"), "USD"): -100_00,
        }
    assert breaks(registered) == []
