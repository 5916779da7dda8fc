"""``ledger verify`` on histories the review found it judged wrongly: returned
collections, share-based credit lines, jointly liable firms added behind its back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from tahator.domain.settlement import InstructionKind
from tahator.services import clearing, corridor, ledger, settlement
from tahator.services.clearing import InstructionView
from tahator.store.database import transaction
from tahator.store.schema import (
    ClearingAccount,
    Corridor,
    FxRate,
    Obligation,
    ObligationLiability,
)
from tests.integration.conftest import firms_file, import_firms_file, import_obligations_file

FIRMS = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR", "IR-3": "IR"}


def _setup(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")


def _register(engine: Engine, path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Obligations (id, debtor, creditor, USD amount), due before the runs."""
    lines = ["id,debtor,creditor,amount,currency,due_date"]
    lines += [f"{i},{d},{c},{a},USD,2026-06-30" for i, d, c, a in rows]
    path.write_text("\n".join(lines) + "\n")
    with transaction(engine) as session:
        import_obligations_file(session, path, "test")


def _run(engine: Engine, day: date) -> list[InstructionView]:
    with transaction(engine) as session:
        run_id = clearing.run_clearing(session, "op", day, today=day).run_id
    with transaction(engine) as session:
        return [v for v in settlement.list_instructions(session) if v.run_id == run_id]


def _breaks(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        return list(ledger.verify(session).breaks)


def _firm(views: list[InstructionView], firm: str) -> InstructionView:
    return next(v for v in views if v.firm == firm)


def test_a_collection_returned_after_the_payout_it_funded_left_is_owed_to_the_account(
    engine: Engine, tmp_path: Path
) -> None:
    """IR's account paid IR-2 from IR-1's collection, which came back: the account is
    short, not overdrawn; IR-1 is pursued on its reopened obligation."""
    _setup(engine, tmp_path)
    _register(engine, tmp_path / "a.csv", [("A", "IR-1", "PK-1", "100.00")])
    _register(engine, tmp_path / "b.csv", [("B", "PK-2", "IR-2", "100.00")])
    views = _run(engine, date(2026, 11, 23))
    with transaction(engine) as session:
        settlement.confirm(session, _firm(views, "IR-2").id, "bank")
        returned = settlement.return_instruction(session, _firm(views, "IR-1").id, "AM04", "bank")
    assert returned.reopened
    assert not returned.collected_from
    assert _breaks(engine) == []
    again = _run(engine, date(2026, 12, 1))
    assert _firm(again, "IR-1").kind == InstructionKind.COLLECTION
    assert _breaks(engine) == []


def test_a_share_based_line_is_judged_by_the_largest_line_a_run_set(
    engine: Engine, tmp_path: Path
) -> None:
    """IR draws 20 on a 20% line in run 1; run 2's line is 2: the draw dates from run 1."""
    _setup(engine, tmp_path)
    with transaction(engine) as session:
        corridor.set_credit_line_share(session, "IR", Decimal("0.2"), "op")
    _register(
        engine,
        tmp_path / "a.csv",
        [("A", "IR-1", "PK-1", "100.00"), ("B", "PK-2", "IR-2", "120.00")],
    )
    views = _run(engine, date(2026, 11, 23))
    with transaction(engine) as session:
        for view in views:
            if view.country == "IR":
                settlement.confirm(session, view.id, "bank")
    assert _breaks(engine) == []
    _register(engine, tmp_path / "c.csv", [("C", "IR-3", "PK-3", "10.00")])
    _run(engine, date(2026, 12, 1))
    assert _breaks(engine) == []


def test_a_jointly_liable_firm_added_behind_the_audit_log_is_named(
    engine: Engine, tmp_path: Path
) -> None:
    """PK-3 made liable for PK-1's debt in the database: named before and after a
    return turns to it."""
    _setup(engine, tmp_path)
    with transaction(engine) as session:
        corridor.set_credit_line(session, "IR", 500_00, "op")
    _register(engine, tmp_path / "a.csv", [("A1", "PK-1", "IR-1", "100.00")])
    with transaction(engine) as session:
        oid = _obligation_id(session)
        session.add(ObligationLiability(obligation_id=oid, firm_id="PK-3"))
    wanted = f"obligation_liabilities ({oid}, PK-3): "
    assert any(b.startswith(wanted) for b in _breaks(engine))
    views = _run(engine, date(2026, 11, 23))
    with transaction(engine) as session:
        result = settlement.return_instruction(session, _firm(views, "PK-1").id, "AM04", "bank")
    assert result.collected_from is not None
    assert result.collected_from.firm == "PK-3"
    breaks = _breaks(engine)
    assert any(b.startswith(wanted) for b in breaks)
    assert any("asked of PK-3, the recomputation asks PK-1" in b for b in breaks)


def _obligation_id(session: Session) -> int:
    found = session.scalar(select(Obligation.id))
    assert found is not None
    return found


def test_a_rate_or_credit_line_changed_without_an_audit_record_is_named(
    engine: Engine, tmp_path: Path
) -> None:
    """PKR's rate cut tenfold and IR's line raised in the database before a run: the
    run read what the audited history never said, and the rows are named."""
    _setup(engine, tmp_path)
    with transaction(engine) as session:
        corridor.set_rate(session, "PKR", Decimal("281"), date(2026, 1, 1), "op")
        corridor.set_limits(session, "op", setoff_before_due=False)
    _register(engine, tmp_path / "a.csv", [("A", "PK-1", "IR-1", "100.00")])
    _run(engine, date(2026, 11, 23))
    assert _breaks(engine) == []
    with transaction(engine) as session:
        session.execute(
            update(FxRate)
            .where(FxRate.currency == "PKR", FxRate.valid_from == date(2026, 1, 1))
            .values(rate="28.1")
        )
        session.execute(
            update(ClearingAccount).where(ClearingAccount.country == "IR").values(credit_line=1)
        )
        session.execute(update(Corridor).values(max_obligation=5_000_000))
    breaks = _breaks(engine)
    assert any(b.startswith("fx_rates (PKR, 2026-01-01): rate is 28.1") for b in breaks)
    assert any(b.startswith("clearing_accounts IR: credit line is 1 ") for b in breaks)
    assert any(b.startswith("corridor: max_obligation is 5000000") for b in breaks)
    _register(engine, tmp_path / "b.csv", [("B", "PK-2", "IR-2", "10.00")])
    _run(engine, date(2026, 11, 30))
    breaks = _breaks(engine)
    assert any(b.startswith("clearing run 2: it read PKR at 28.1,") for b in breaks)
    assert any(b.startswith("clearing run 2: the credit lines it read differ") for b in breaks)
    assert any(b.startswith("clearing run 2: it read max_obligation 5000000,") for b in breaks)
