"""Limits at registration, sums that cannot overflow, set-off per obligation and the
corridor's settings, on SQLite and PostgreSQL, through the services, the command line,
the API and the web."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tahator.domain import ledger
from tahator.domain.errors import InputError
from tahator.domain.money import MAX_MINOR
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import RunStatus
from tahator.io.markets import load_trade_policy
from tahator.io.obligations import read_obligations
from tahator.services import clearing, corridor, obligations, stats
from tahator.services import ledger as ledger_service
from tahator.services.common import ImportResult
from tahator.services.journal import balances, post
from tahator.store.database import transaction
from tahator.store.schema import (
    AuditRecord,
    ClearingAccount,
    ClearingRun,
    Corridor,
    JournalEntry,
    JournalLine,
    Obligation,
    SetoffNotice,
)
from tests.api.conftest import House, house, quick_argon2  # noqa: F401  (fixtures)
from tests.conftest import Cli, write
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    obligations_file,
)
from tests.web.conftest import browser, token

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR"}
TODAY = date(2026, 11, 30)
HEADER = "id,debtor,creditor,amount,currency,due_date\n"
REFUSED = (
    HEADER + "X1,PK-1,IR-1,50000000000000000.00,USD,2026-12-31\n"  # 5×10^16 USD
    "X2,PK-1,IR-1,0.00,USD,2026-12-31\n"
    "X3,PK-1,IR-1,100.00,AFN,2026-12-31\n"  # the demo corridor has no AFN rate
    "X4,PK-1,IR-1,1200000000000000.00,IRR,2026-12-31\n"  # USD 1.09bn
    "X5,PK-1,IR-1,10.00,USD,2026-12-31\n"  # fine, but the file is refused whole
)
LIMIT_MESSAGE = "is more than the corridor's limit of 1,000,000,000.00 USD per obligation"


def count(engine: Engine, table: type) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def counts(engine: Engine) -> tuple[int, int, int]:
    return count(engine, Obligation), count(engine, JournalLine), count(engine, AuditRecord)


@pytest.fixture
def registered(engine: Engine, tmp_path: Path) -> Engine:
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
    return engine


def _import(engine: Engine, path: Path, day: date = TODAY) -> ImportResult:
    with transaction(engine) as session:
        rows = read_obligations(path, corridor.load(session).digits)
        return obligations.import_obligations(
            session,
            rows.records,
            "test",
            source=rows.source,
            problems=rows.problems,
            registered_on=day,
        )


# --- limits at registration ----------------------------------------------------------


def test_an_import_is_refused_whole_naming_each_refused_amount(
    registered: Engine, tmp_path: Path
) -> None:
    before = counts(registered)
    with pytest.raises(InputError) as caught:
        _import(registered, write(tmp_path / "o.csv", REFUSED))
    found = [(p.line, p.field, p.message) for p in caught.value.problems]
    assert [(line, field) for line, field, _ in found] == [
        (2, "amount"),
        (3, "amount"),
        (4, "currency"),
        (5, "amount"),
    ]
    assert found[0][2] == f"50,000,000,000,000,000.00 USD {LIMIT_MESSAGE}"
    assert found[1][2] == "must be positive"
    assert found[2][2] == (
        "no reference rate for AFN on or before 2026-11-30; "
        "set one with `tahator corridor rate AFN RATE --from DATE`"
    )
    assert found[3][2] == (
        "1,200,000,000,000,000.00 IRR (worth 1,090,909,090.91 USD at the reference rate of "
        f"2026-11-30, 1100000.00 IRR per USD) {LIMIT_MESSAGE}"
    )
    assert counts(registered) == before  # nothing written, not even an audit record


def test_the_limit_is_the_corridor_s_and_the_rate_that_of_the_registration_date(
    registered: Engine, tmp_path: Path
) -> None:
    at_limit = write(tmp_path / "a.csv", HEADER + "L1,PK-1,IR-1,1000000000.00,USD,2026-12-31\n")
    assert _import(registered, at_limit).created == 1
    afn = write(tmp_path / "afn.csv", HEADER + "F1,PK-1,IR-1,7000.00,AFN,2026-12-31\n")
    with transaction(registered) as session:
        corridor.set_rate(session, "AFN", Decimal("70"), date(2026, 12, 1), "test")
    with pytest.raises(InputError, match="no reference rate for AFN on or before 2026-11-30"):
        _import(registered, afn)  # the rate applies from the next day only
    assert _import(registered, afn, date(2026, 12, 1)).created == 1
    with transaction(registered) as session:
        corridor.set_limits(session, "test", max_obligation=100_00)
    over = write(tmp_path / "o.csv", HEADER + "O1,PK-1,IR-1,100.01,USD,2026-12-31\n")
    with pytest.raises(InputError, match=r"limit of 100\.00 USD per obligation"):
        _import(registered, over)
    assert count(registered, Obligation) == 2


def test_a_file_needing_a_journal_line_beyond_64_bits_is_refused(
    registered: Engine, tmp_path: Path
) -> None:
    # 84 obligations of USD 1bn each in rials: each within the limit, but PK-1's
    # payable line in IRR would exceed 2^63 - 1 minor units.
    rows = [(f"R{n}", "PK-1", "IR-1", "1100000000000000.00", "IRR") for n in range(84)]
    with pytest.raises(InputError) as caught:
        _import(registered, obligations_file(tmp_path / "o.csv", rows))
    assert [p.message for p in caught.value.problems] == [
        f"the obligations {way} in IRR total more than one journal line holds "
        "(2^63 − 1 minor units); register them in parts"
        for way in ("owed by PK-1", "owed to IR-1")
    ]
    assert count(registered, Obligation) == 0
    assert _import(registered, obligations_file(tmp_path / "p.csv", rows[:83])).created == 83


def test_an_obligation_from_inside_the_clearing_house_is_held_to_the_limit(
    registered: Engine,
) -> None:
    before = counts(registered)
    for amount, message in ((0, "must be positive"), (10**11 + 1, LIMIT_MESSAGE)):
        with transaction(registered) as session, pytest.raises(InputError, match=message):
            obligations.create_obligation(
                session,
                reference="RING-1-0",
                debtor="PK-1",
                creditor="IR-1",
                amount=amount,
                currency="USD",
                due_date=TODAY,
                origin="barter ring 1",
                actor="test",
            )
    assert counts(registered) == before


def test_the_command_line_refuses_with_exit_2_and_the_reasons(
    registered: Engine, database_url: str, cli: Cli, tmp_path: Path
) -> None:
    before = counts(registered)
    code, out, err = cli(
        "--db", database_url, "obligations", "import", write(tmp_path / "o.csv", REFUSED)
    )
    assert code == 2, out
    assert f"o.csv:2: amount: 50,000,000,000,000,000.00 USD {LIMIT_MESSAGE}" in err
    assert "o.csv:3: amount: must be positive" in err
    assert "o.csv:4: currency: no reference rate for AFN" in err
    assert "o.csv:5: amount: 1,200,000,000,000,000.00 IRR (worth 1,090,909,090.91 USD" in err
    assert counts(registered) == before


# --- the API and the web -------------------------------------------------------------

ITEM = {
    "reference": "BIG-1",
    "debtor": "PK-1",
    "creditor": "IR-1",
    "amount": "92233720368547758.07",
    "currency": "USD",
    "due_date": "2026-12-31",
}


def test_the_api_refuses_with_a_problem_document_and_stores_nothing(house: House) -> None:  # noqa: F811
    before = counts(house.engine)
    operator = house.as_("operator")
    largest = house.client.post("/api/v1/obligations", json=ITEM, headers=operator)
    assert largest.status_code == 422, largest.text
    assert largest.headers["content-type"].startswith("application/problem+json")
    assert largest.json()["errors"] == [
        {"field": "amount", "detail": f"92,233,720,368,547,758.07 USD {LIMIT_MESSAGE}"}
    ]
    batch = {
        "obligations": [
            ITEM | {"reference": "B-1", "amount": "50000000000000000.00"},
            ITEM | {"reference": "B-2", "amount": "0"},
            ITEM | {"reference": "B-3", "amount": "100.00", "currency": "AFN"},
            ITEM | {"reference": "B-4", "amount": "100.00"},
        ]
    }
    refused = house.client.post("/api/v1/obligations/batch", json=batch, headers=operator)
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [
        (2, "amount"),
        (3, "amount"),
        (4, "currency"),
    ]
    assert errors[1]["detail"] == "must be positive"
    assert errors[2]["detail"].startswith("no reference rate for AFN on or before ")
    trader = house.client.post(
        "/api/v1/obligations",
        json=ITEM | {"amount": "1000000000.01"},
        headers=house.as_("trader"),
    )
    assert trader.status_code == 422
    assert counts(house.engine) == before


def test_the_web_upload_shows_each_refusal_and_stores_nothing(house: House) -> None:  # noqa: F811
    trader = browser(house, "trader")
    before = counts(house.engine)
    checked = trader.post(
        "/obligations/check",
        data={"csrf_token": token(trader, "/obligations")},
        files={"file": ("big.csv", REFUSED.encode(), "text/csv")},
    )
    assert checked.status_code == 422
    assert "big.csv:2: amount: 50,000,000,000,000,000.00 USD is more than" in checked.text
    assert "big.csv:3: amount: must be positive" in checked.text
    assert "big.csv:4: currency: no reference rate for AFN" in checked.text
    stored = trader.post(
        "/obligations/store",
        data={
            "csrf_token": token(trader, "/obligations"),
            "name": "big.csv",
            "data": base64.b64encode(REFUSED.encode()).decode(),
        },
    )
    assert stored.status_code == 422
    assert "the corridor&#39;s limit" in stored.text or "the corridor's limit" in stored.text
    assert counts(house.engine) == before


# --- sums past 2^63 ------------------------------------------------------------------


def _beyond_64_bits(engine: Engine) -> None:
    """Records whose sums exceed 2^63 − 1, written straight to the database: two
    obligations of the largest 64-bit amount, set off in one completed run, and
    journal lines to match."""
    with transaction(engine) as session:
        stamp = datetime(2026, 11, 23, tzinfo=UTC)
        run = ClearingRun(
            as_of=date(2026, 11, 23),
            status=RunStatus.COMPLETED.value,
            started_at=stamp,
            finished_at=stamp,
            actor="test",
            unit_of_account="USD",
            obligations=2,
            total=MAX_MINOR,
            cleared=MAX_MINOR,
            remainder=0,
            figures={},
        )
        session.add(run)
        for number in (1, 2):
            obligation = Obligation(
                reference=f"HUGE-{number}",
                debtor="PK-1",
                creditor="IR-1",
                amount=MAX_MINOR,
                currency="USD",
                due_date=date(2026, 11, 1),
                status=ObligationStatus.SET_OFF.value,
                remaining=0,
                created_at=stamp,
                created_by="test",
            )
            session.add(obligation)
            session.flush()
            session.add(
                SetoffNotice(
                    run_id=run.id,
                    obligation_id=obligation.id,
                    before=MAX_MINOR,
                    setoff=MAX_MINOR,
                    after=0,
                    setoff_unit=MAX_MINOR,
                )
            )
            moved = ledger.EntryBuilder()
            moved.transfer(ledger.interaccount("PK"), ledger.interaccount("IR"), "USD", MAX_MINOR)
            post(session, moved.build(ledger.EntryKind.OBLIGATIONS, "huge"), "test")


BEYOND = 2 * MAX_MINOR  # 18,446,744,073,709,551,614 minor units
BEYOND_TEXT = "184467440737095516.14"


def test_balances_and_statistics_past_64_bits_are_exact(registered: Engine) -> None:
    _beyond_64_bits(registered)
    with transaction(registered) as session:
        booked = balances(session)
        assert booked[ledger.interaccount("PK"), "USD"] == BEYOND
        assert booked[ledger.interaccount("IR"), "USD"] == -BEYOND
        assert balances(session, "interaccount:PK") == {("interaccount:PK", "USD"): BEYOND}
        series = stats.target_report(session, load_trade_policy()).series
        assert {m.month: m.set_off.minor for m in series}["2026-11"] == BEYOND
        # Each journal entry balances, however large its lines.
        assert not any("does not balance" in b for b in ledger_service.verify(session).breaks)


def test_an_entry_off_by_more_than_64_bits_is_named_exactly(registered: Engine) -> None:
    with transaction(registered) as session:
        entry = JournalEntry(
            kind=str(ledger.EntryKind.OBLIGATIONS),
            memo="edited by hand",
            created_at=datetime(2026, 11, 23, tzinfo=UTC),
            actor="test",
        )
        session.add(entry)
        session.flush()
        session.add_all(
            JournalLine(entry_id=entry.id, account=account, currency="USD", amount=MAX_MINOR)
            for account in (ledger.receivable("IR-1"), ledger.payable("PK-1"))
        )
        session.flush()
        breaks = ledger_service.verify(session).breaks
    assert f"journal entry {entry.id} does not balance in USD: off by {BEYOND}" in breaks


def test_the_api_and_the_dashboard_answer_past_64_bits(house: House) -> None:  # noqa: F811
    _beyond_64_bits(house.engine)
    operator = house.as_("operator")
    listed = house.client.get("/api/v1/ledger/balances?prefix=interaccount:", headers=operator)
    assert listed.status_code == 200, listed.text
    assert {(r["account"], r["balance"]) for r in listed.json()["items"]} == {
        ("interaccount:IR", f"-{BEYOND_TEXT}"),
        ("interaccount:PK", BEYOND_TEXT),
    }
    target = house.client.get("/api/v1/stats/target", headers=operator)
    assert target.status_code == 200, target.text
    november = [m for m in target.json()["series"] if m["month"] == "2026-11"]
    assert november[0]["set_off"] == BEYOND_TEXT
    huge = house.client.get("/api/v1/obligations?firm=PK-1", headers=operator).json()["items"]
    assert [o["set_off"] for o in huge if o["reference"].startswith("HUGE")] == [
        "92233720368547758.07"
    ] * 2
    page = browser(house, "operator").get("/")
    assert page.status_code == 200
    assert "184,467,440,737,095,516.14" in page.text
    verified = house.client.get("/api/v1/ledger/verify", headers=operator)
    assert verified.status_code == 200, verified.text
    assert not any("does not balance" in b for b in verified.json()["breaks"])


# --- set-off per obligation ----------------------------------------------------------


def test_each_obligation_lists_what_runs_set_off_of_it(
    registered: Engine, database_url: str, cli: Cli, tmp_path: Path
) -> None:
    rows = [
        ("C1", "PK-1", "IR-1", "100.00", "USD"),
        ("C2", "IR-1", "PK-1", "40.00", "USD"),
        ("C3", "PK-2", "IR-1", "25.00", "USD"),  # on no cycle
    ]
    _import(registered, obligations_file(tmp_path / "o.csv", rows))
    with transaction(registered) as session:
        before = {o.id: o.set_off.minor for o in obligations.list_obligations(session)}
        clearing.run_clearing(session, "test", date(2026, 11, 23), today=date(2026, 11, 23))
    assert before == {"C1": 0, "C2": 0, "C3": 0}
    code, out, err = cli("--db", database_url, "obligations", "list", "--json")
    assert code == 0, err
    listed = {o["id"]: o for o in json.loads(out)}
    assert {k: (o["set_off"], o["amount"]) for k, o in listed.items()} == {
        "C1": ("40.00", "100.00"),
        "C2": ("40.00", "40.00"),
        "C3": ("0.00", "25.00"),
    }
    assert list(listed["C1"]).index("set_off") == list(listed["C1"]).index("remaining") + 1
    with transaction(registered) as session:
        notices = session.execute(
            select(Obligation.reference, func.sum(SetoffNotice.setoff))
            .join(SetoffNotice, SetoffNotice.obligation_id == Obligation.id)
            .group_by(Obligation.reference)
        ).all()
    assert dict(notices) == {"C1": 4000, "C2": 4000}


# --- the corridor's settings ---------------------------------------------------------


def _settings(engine: Engine) -> tuple[int, bool, str, dict[str, tuple[int, str | None]]]:
    with transaction(engine) as session:
        row = session.scalar(select(Corridor))
        assert row is not None
        accounts = {
            a.country: (a.credit_line, a.credit_line_share)
            for a in session.scalars(select(ClearingAccount))
        }
        return row.max_obligation, row.setoff_before_due, row.shortfall, accounts


def test_settings_change_with_an_audit_record_and_bad_values_change_nothing(
    engine: Engine,
) -> None:
    assert _settings(engine) == (
        100_000_000_000,
        True,
        "hold",
        {"PK": (0, None), "IR": (0, None)},
    )
    audited = count(engine, AuditRecord)
    with transaction(engine) as session:
        corridor.set_credit_line(session, "IR", 500_00, "test")
        corridor.set_credit_line_share(session, "pk", Decimal("0.2"), "test")
        settings = corridor.set_limits(
            session, "test", max_obligation=5_00, setoff_before_due=False, shortfall="credit_line"
        )
    assert (settings.max_obligation.minor, settings.setoff_before_due) == (5_00, False)
    assert _settings(engine) == (
        5_00,
        False,
        "credit_line",
        {"PK": (0, "0.2"), "IR": (500_00, None)},
    )
    with transaction(engine) as session:
        view = corridor.load(session)
        assert view.credit_line_shares == {"PK": Decimal("0.2")}
        assert (view.max_obligation, view.setoff_before_due, view.shortfall) == (
            5_00,
            False,
            "credit_line",
        )
        corridor.set_credit_line(session, "PK", 7_00, "test")  # an amount clears the share
    assert _settings(engine)[3]["PK"] == (7_00, None)
    assert count(engine, AuditRecord) == audited + 4
    with transaction(engine) as session:
        entries = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action.like("corridor.%"))
            .order_by(AuditRecord.id)
        ).all()
        assert [e.action for e in entries][-4:] == [
            "corridor.credit_line",
            "corridor.credit_line",
            "corridor.settings",
            "corridor.credit_line",
        ]

    settled = _settings(engine)
    bad_calls = [
        lambda s: corridor.set_credit_line_share(s, "PK", Decimal("1.5"), "test"),
        lambda s: corridor.set_credit_line_share(s, "XX", Decimal("0.1"), "test"),
        lambda s: corridor.set_limits(s, "test", max_obligation=0, setoff_before_due=True),
        lambda s: corridor.set_limits(s, "test", max_obligation=10**15 + 1),
        lambda s: corridor.set_limits(s, "test", shortfall="lend", setoff_before_due=True),
    ]
    for call in bad_calls:
        with transaction(engine) as session, pytest.raises(InputError):
            call(session)
    assert _settings(engine) == settled
    assert count(engine, AuditRecord) == audited + 4


def test_settings_from_the_command_line(engine: Engine, database_url: str, cli: Cli) -> None:
    db = ("--db", database_url)
    code, out, err = cli(*db, "corridor", "credit-line", "PK", "20%")
    assert (code, out.strip()) == (0, "credit line of PK's clearing account: 20%"), err
    code, _, err = cli(*db, "corridor", "credit-line", "IR", "1500.00")
    assert code == 0, err
    code, out, err = cli(
        *db,
        "corridor",
        "limits",
        "--max-obligation",
        "2500000000",
        "--no-setoff-before-due",
        "--shortfall",
        "credit_line",
    )
    assert code == 0, err
    assert "largest obligation: 2500000000.00 USD" in out
    code, out, _ = cli(*db, "corridor", "show", "--json")
    shown = json.loads(out)
    assert shown["settings"] == {
        "max_obligation": "2500000000.00",
        "setoff_before_due": False,
        "shortfall": "credit_line",
    }
    assert [(c["code"], c["credit_line"], c["credit_line_share"]) for c in shown["countries"]] == [
        ("IR", "1500.00", None),
        ("PK", "0.00", "0.2"),
    ]
    code, out, _ = cli(*db, "corridor", "show")
    assert "20% of payments" in out
    assert "set-off before due: no" in out
    settled = _settings(engine)
    for args, message in (
        (("credit-line", "PK", "120%"), "credit line: '120%' is more than 100%"),
        (("credit-line", "PK", "abc%"), "'abc' is not a decimal number"),
        (("credit-line", "PK", "1e3%"), "'1e3' is not a decimal number"),
        (("credit-line", "PK", "1e-1%"), "'1e-1' is not a decimal number"),
        (("credit-line", "PK", "٢٠x%"), "is not a decimal number"),  # the digits read; the x not
        (("credit-line", "PK", "0.00001%"), "at most 4 decimal places of a percent"),
        (("credit-line", "PK", "--", "-0%"), "has a minus sign"),
        (("limits", "--max-obligation", "-0"), "'-0' has a minus sign"),
        (("credit-line", "PK", "--", "-5"), "is negative"),
        (("limits", "--max-obligation", "0"), "max_obligation: must be positive"),
        (("limits", "--max-obligation", "92233720368547758.07"), "must be at most 1,000,"),
        (("limits", "--max-obligation", "10000000000000.01"), "(10^15;"),
        (("limits", "--max-obligation", "1.001"), "more than 2 fraction digits"),
        (("limits", "--shortfall", "lend"), "shortfall: 'lend' is not hold or credit_line"),
    ):
        code, _, err = cli(*db, "corridor", *args)
        assert code == 2, args
        assert message in err, (args, err)
    assert _settings(engine) == settled
