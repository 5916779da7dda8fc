"""A firm's position, the firm directory and the obligations list, over a real database
(SQLite and PostgreSQL): due/overdue split, net, exact conversion, paging, search."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tahator.domain.errors import InputError
from tahator.io.firms import FirmRecord
from tahator.io.obligations import read_obligations
from tahator.io.statement import STATEMENT_CSV_HEADER, statement_csv, statement_html
from tahator.services import corridor, firms, obligations
from tahator.services import position as positions
from tahator.services import statement as statements
from tahator.services.paging import Window
from tahator.store.database import transaction
from tests.integration.conftest import database_url, engine  # noqa: F401  (fixtures)

AS_OF = date(2026, 7, 1)


def _firms(session: object, extra: int = 0) -> None:
    from tahator.demo import tax_id

    records = [
        FirmRecord(
            "PK-1", "Kohinoor Textiles", "PK", tax_id("PK", 1), ("کوه نور",), True, True, False
        ),
        FirmRecord("IR-1", "Pars Petro", "IR", tax_id("IR", 2), ("پارس پترو",), True, True, False),
        FirmRecord("PK-2", "Lahore Rice", "PK", tax_id("PK", 3), (), True, True, False),
    ]
    records += [
        FirmRecord(
            f"PK-X{n:03d}", f"Extra {n:03d}", "PK", tax_id("PK", 10 + n), (), True, True, False
        )
        for n in range(extra)
    ]
    firms.import_firms(session, records, "test", source="test")  # type: ignore[arg-type]


def _obligations(session: object, folder: Path, rows: list[str]) -> None:
    path = folder / "obligations.csv"
    path.write_text("id,debtor,creditor,amount,currency,due_date\n" + "\n".join(rows) + "\n")
    read = read_obligations(path, corridor.load(session).digits)  # type: ignore[arg-type]
    obligations.import_obligations(
        session,  # type: ignore[arg-type]
        read.records,
        "test",
        source=read.source,
        problems=read.problems,
        registered_on=AS_OF,
    )


@pytest.fixture
def filled(engine: Engine, tmp_path: Path) -> Engine:  # noqa: F811
    """PK-1 owes IR-1 281.00 PKR (overdue) and 1,100,000.00 IRR (due); IR-1 owes PK-1
    10.00 USD (due); PK-2 owes PK-1 0.01 PKR three times (overdue).  Seed rates: 281 PKR
    and 1,100,000 IRR per USD."""
    with transaction(engine) as session:
        _firms(session)
        _obligations(
            session,
            tmp_path,
            [
                "A-1,PK-1,IR-1,281.00,PKR,2026-06-30",
                "A-2,PK-1,IR-1,1100000.00,IRR,2026-07-01",
                "B-1,IR-1,PK-1,10.00,USD,2026-12-31",
                "C-1,PK-2,PK-1,0.01,PKR,2026-01-01",
                "C-2,PK-2,PK-1,0.01,PKR,2026-01-02",
                "C-3,PK-2,PK-1,0.01,PKR,2026-01-03",
            ],
        )
    return engine


def test_a_position_splits_due_and_overdue_per_counterparty_with_names(filled: Engine) -> None:
    with transaction(filled) as session:
        found = positions.position(session, "PK-1", AS_OF)
    assert (found.currency, found.unit_of_account, found.name) == (
        "PKR",
        "USD",
        "Kohinoor Textiles",
    )
    local = found.local
    assert local.owes_overdue.minor == 281_00  # due 2026-06-30, the day before
    assert local.owes_due.minor == 281_00  # 1,100,000 IRR = 1 USD = 281 PKR, due today
    assert local.owed_due.minor == 2_810_00  # 10 USD
    assert local.owed_overdue.minor == 3  # 3 × 0.01 PKR, summed in PKR exactly
    assert local.net.minor == 2_810_00 + 3 - 562_00
    assert [c.firm for c in found.counterparties] == ["IR-1", "PK-2"]
    iran = found.counterparties[0]
    assert (iran.name, iran.aliases, iran.obligations) == ("Pars Petro", ("پارس پترو",), 3)
    assert iran.local.net.minor == 2_810_00 - 562_00
    assert iran.unit.net.minor == 8_00  # USD exactly: 10 − 1 − 1
    assert found.counterparties[1].local.owed_overdue.minor == 3


def test_usd_is_summed_exactly_and_rounded_once(filled: Engine) -> None:
    with transaction(filled) as session:
        found = positions.position(session, "PK-1", AS_OF)
    # 0.03 PKR is 0.000106… USD: rounded once, half-even, to 0.00 (not 3 × anything).
    assert found.counterparties[1].unit.owed_overdue.minor == 0
    assert found.unit.owes_overdue.minor == 1_00
    assert found.unit.owes_due.minor == 1_00
    assert found.unit.owed_due.minor == 10_00
    assert found.unit.net.minor == 8_00
    assert all(isinstance(a.minor, int) for a in (found.unit.net, found.local.net))


def test_an_iranian_firm_sees_its_position_in_rials(filled: Engine) -> None:
    with transaction(filled) as session:
        found = positions.position(session, "IR-1", AS_OF)
    assert found.currency == "IRR"
    # Owed 281 PKR (1 USD) and 1,100,000 IRR; owes 10 USD: all exact in rials.
    assert found.local.owed.minor == 2 * 1_100_000_00
    assert found.local.owes.minor == 11_000_000_00
    assert found.local.net.minor == 2 * 1_100_000_00 - 11_000_000_00
    assert found.counterparties[0].name == "Kohinoor Textiles"


def test_a_position_without_a_rate_says_which(filled: Engine) -> None:
    with transaction(filled) as session, pytest.raises(InputError, match="no reference rate"):
        positions.position(session, "PK-1", date(2019, 1, 1))


def test_the_directory_shows_public_fields_searched_in_any_case(filled: Engine) -> None:
    with transaction(filled) as session:
        found = firms.directory(session, Window(search="PARS"))
        assert [(e.id, e.name) for e in found.rows] == [("IR-1", "Pars Petro")]
        assert not hasattr(found.rows[0], "tax_id")
        assert not hasattr(found.rows[0], "screening")
        assert [e.id for e in firms.directory(session, Window(search="pk-")).rows] == [
            "PK-1",
            "PK-2",
        ]
        by_alias = firms.directory(session, Window(search="پارس"))
        assert [e.id for e in by_alias.rows] == ["IR-1"]
        assert by_alias.rows[0].aliases == ("پارس پترو",)
        pakistan = firms.directory(session, Window(sort="name", descending=True), "pk")
        assert [e.id for e in pakistan.rows] == ["PK-2", "PK-1"]


def test_the_directory_pages_on_the_server(engine: Engine) -> None:  # noqa: F811
    with transaction(engine) as session:
        _firms(session, extra=60)
        first = firms.directory(session, Window(page=1, size=25, sort="id"))
        third = firms.directory(session, Window(page=3, size=25, sort="id"))
        full = firms.page_firms(session, Window(page=3, size=25, sort="id"))
    assert (first.total, len(first.rows), first.pages) == (63, 25, 3)
    assert len(third.rows) == 13
    assert [e.id for e in third.rows] == [f.id for f in full.rows]
    assert full.rows[0].tax_id  # the operator's view keeps every field


def test_obligations_page_sort_and_search_by_name(filled: Engine) -> None:
    with transaction(filled) as session:
        page = obligations.page_obligations(session, Window(size=25, sort="reference"), "PK-1")
        assert [o.id for o in page.rows] == ["A-1", "A-2", "B-1", "C-1", "C-2", "C-3"]
        named = obligations.page_obligations(session, Window(search="lahore RICE"))
        assert [o.id for o in named.rows] == ["C-1", "C-2", "C-3"]
        cut = obligations.page_obligations(session, Window(size=25, sort="number", descending=True))
        assert cut.total == 6
        assert cut.rows[0].id == "C-3"
        only_iran = obligations.page_obligations(session, Window(), "IR-1")
        assert {o.id for o in only_iran.rows} == {"A-1", "A-2", "B-1"}


def test_a_statement_lists_what_was_registered_in_the_period(filled: Engine) -> None:
    today = date.today()  # registered now: a period around today, whatever the zone
    with transaction(filled) as session:
        found = statements.statement(
            session, "PK-1", today - timedelta(days=2), today + timedelta(days=2), "Asia/Karachi"
        )
        with pytest.raises(InputError, match="ends before it begins"):
            statements.statement(session, "PK-1", today, date(2000, 1, 1), "Asia/Karachi")
    assert [line.reference for line in found.lines] == ["A-1", "A-2", "B-1", "C-1", "C-2", "C-3"]
    assert found.lines[0].counterparty_name == "Pars Petro"
    text = statement_csv(found)
    rows = text.splitlines()
    assert rows[0] == ",".join(STATEMENT_CSV_HEADER)
    day = found.lines[0].day.isoformat()
    assert rows[1] == f"{day},registered,1,A-1,IR-1,Pars Petro,PKR,281.00,0.00"
    assert rows[3] == f"{day},registered,3,B-1,IR-1,Pars Petro,USD,0.00,10.00"
    totals = {t.currency: (t.owed_by_firm.minor, t.owed_to_firm.minor) for t in found.totals}
    assert totals == {"IRR": (1_100_000_00, 0), "PKR": (281_00, 3), "USD": (0, 10_00)}


def _cleared(db: Engine, folder: Path) -> int:
    """Add D-1 (IR-1 owes PK-2 5.00 USD, due before ``AS_OF``: handed to settlement)
    and run a clearing run as of ``AS_OF`` over the fixture; return its id."""
    from tahator.services import clearing

    folder.mkdir()
    with transaction(db) as session:
        _obligations(session, folder, ["D-1,IR-1,PK-2,5.00,USD,2026-06-01"])
    with transaction(db) as session:
        return clearing.run_clearing(session, "test", AS_OF, today=AS_OF).run_id


def _open_remaining(session: object, firm: str) -> dict[str, tuple[int, int]]:
    """Per currency: what ``firm`` still owes and is owed (open obligations' remaining)."""
    from sqlalchemy import select

    from tahator.store.schema import Obligation

    sums: dict[str, list[int]] = {}
    rows = session.execute(  # type: ignore[attr-defined]
        select(Obligation.debtor, Obligation.creditor, Obligation.currency, Obligation.remaining)
    )
    for debtor, creditor, currency, remaining in rows:
        if firm not in (debtor, creditor):
            continue
        by, to = sums.setdefault(currency, [0, 0]), creditor == firm
        by[1 if to else 0] += remaining
    return {c: (v[0], v[1]) for c, v in sums.items()}


def test_a_statement_reconciles_with_what_is_open_after_a_run_and_a_payment(
    filled: Engine, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from tahator.domain.settlement import InstructionStatus
    from tahator.services import settlement
    from tahator.store.schema import Novation, SettlementInstruction

    run_id = _cleared(filled, tmp_path / "more")
    with transaction(filled) as session:
        assert session.scalar(select(Novation.obligation_id).where(Novation.run_id == run_id))
        paid = session.scalars(
            select(SettlementInstruction.id).where(
                SettlementInstruction.run_id == run_id,
                SettlementInstruction.status == InstructionStatus.PENDING.value,
            )
        ).all()
        for instruction in paid:
            settlement.confirm(session, instruction, "bank")
    today = date.today()
    for firm in ("PK-1", "IR-1", "PK-2"):
        with transaction(filled) as session:
            found = statements.statement(
                session, firm, AS_OF - timedelta(days=30), today + timedelta(days=2), "UTC"
            )
            expected = _open_remaining(session, firm)
        totals = {t.currency: (t.owed_by_firm.minor, t.owed_to_firm.minor) for t in found.totals}
        assert totals == expected, firm
        handed = [x for x in found.lines if x.kind == statements.LineKind.HANDED_OVER]
        if firm != "PK-1":  # D-1, IR-1 → PK-2: handed over in its own currency, on the run's day
            assert [(x.reference, x.day, x.owed_by_firm.currency) for x in handed] == [
                ("D-1", AS_OF, "USD")
            ]
            rows = [r.split(",") for r in statement_csv(found).splitlines()]
            assert ["in_settlement", "D-1"] in [r[1:4:2] for r in rows]
        # The payments are in the firm's country's currency, totalled apart.
        if firm == "IR-1":  # it paid its collection for D-1 in rials
            local = {"PK": "PKR", "IR": "IRR"}[found.country]
            assert {t.currency for t in found.payment_totals} == {local}
            assert [x.kind for x in found.payment_lines] == [statements.LineKind.PAID]
            assert not set(found.payment_lines) & set(found.obligation_lines)
            page = statement_html(found)
            assert "Payments with the clearing account" in page
            assert "handed to the clearing accounts for settlement" in page


def test_pending_settlement_instructions_are_overdue_after_the_runs_day(
    filled: Engine, tmp_path: Path
) -> None:
    _cleared(filled, tmp_path / "more")
    with transaction(filled) as session:
        on_the_day = positions.position(session, "IR-1", AS_OF)
        later = positions.position(session, "IR-1", AS_OF + timedelta(days=1))
    account = [c for c in on_the_day.counterparties if c.firm == positions.CLEARING_ACCOUNT]
    assert account, "the run issued IR-1 an instruction"
    before = account[0].local
    assert (before.owes_overdue.minor, before.owed_overdue.minor) == (0, 0)
    after = next(c for c in later.counterparties if c.firm == positions.CLEARING_ACCOUNT).local
    assert (after.owes_due.minor, after.owed_due.minor) == (0, 0)
    assert (after.owes_overdue.minor, after.owed_overdue.minor) == (
        before.owes_due.minor,
        before.owed_due.minor,
    )
    assert after.owes.minor + after.owed.minor > 0


def test_reference_rates_are_amounts_for_display() -> None:
    assert positions.RateUsed("IRR", "1100000.00").amount.minor == 1_100_000_00
    assert positions.RateUsed("PKR", "281.125").amount.digits == 3
    assert positions.RateUsed("IRR", "1.1E+6").amount.minor == 1_100_000
