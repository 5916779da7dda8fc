"""Border markets, trade statistics and the target report on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tahator.domain.border import Quota
from tahator.domain.errors import InputError
from tahator.formatting import amount, jsonable
from tahator.io.comtrade import SAMPLE, read_comtrade
from tahator.io.markets import load_trade_policy
from tahator.io.sales import sale_record
from tahator.io.target_report import REPORT_COLUMNS, write_target_report
from tahator.services import audit, border, clearing, corridor, stats
from tahator.services.border import QuotaExceededError, RecordedSale
from tahator.store.database import transaction
from tahator.store.schema import BorderResident, BorderSale, TradeStatistic
from tests.integration.conftest import import_obligations_file, obligations_file
from tests.integration.test_barter import LPG, application, apply, authorize, declare, house

__all__ = ["house"]  # the barter tests' firms, as a fixture here too
POLICY = load_trade_policy()
CNIC = "5440012345671"
IRANIAN = "0499370899"
MONDAY = date(2026, 10, 5)
FRIDAY = date(2026, 10, 9)


@pytest.fixture
def market(engine: Engine) -> Engine:
    """Two residents registered at Mand–Pishin."""
    with transaction(engine) as session:
        border.add_resident(
            session,
            POLICY,
            market="MAND-PISHIN",
            national_id="54400-1234567-1",
            name="Karim Baloch",
            district="Kech",
            actor="test",
        )
        border.add_resident(
            session,
            POLICY,
            market="MAND-PISHIN",
            national_id=IRANIAN,
            name="Reza Baluch",
            district="sarbaz",
            actor="test",
        )
    return engine


def sell(engine: Engine, value: str, on: date = MONDAY, **changes: Any) -> RecordedSale:
    arguments: dict[str, Any] = {
        "market": "MAND-PISHIN",
        "resident": CNIC,
        "hs": "100630",
        "value": value,
        "currency": "USD",
        "on": on,
        "reference": None,
    }
    arguments.update(changes)
    with transaction(engine) as session:
        record, problems = sale_record(**arguments, digits=corridor.load(session).digits)
        return border.sell(session, POLICY, record, actor="test", problems=problems)


def sales(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(BorderSale)) or 0)


def test_residents_are_registered_once_and_audited(market: Engine) -> None:
    with transaction(market) as session:
        again = border.add_resident(
            session,
            POLICY,
            market="MAND-PISHIN",
            national_id=CNIC,
            name="Karim Baloch",
            district="Kech",
            actor="test",
        )
        rows = border.list_residents(session, "mand-pishin")
        actions = [r.action for r in audit.list_records(session)]
    assert again.created is False
    assert [(r.national_id, r.country, r.district) for r in rows] == [
        (CNIC, "PK", "Kech"),
        (IRANIAN, "IR", "Sarbaz"),
    ]
    assert actions.count("border.resident_registered") == 2


@pytest.mark.parametrize(
    ("national_id", "district", "field"),
    [
        ("0499370898", "Kech", "national-id"),
        ("12345", "Kech", "national-id"),
        (CNIC, "Lahore", "district"),
    ],
)
def test_bad_residents_are_refused(
    engine: Engine, national_id: str, district: str, field: str
) -> None:
    with pytest.raises(InputError) as raised, transaction(engine) as session:
        border.add_resident(
            session,
            POLICY,
            market="MAND-PISHIN",
            national_id=national_id,
            name="N",
            district=district,
            actor="t",
        )
    assert [p.field for p in raised.value.problems] == [field]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(BorderResident)) == 0


def test_a_sale_is_converted_at_its_date_rate_and_audited(market: Engine) -> None:
    view = sell(market, "28100.00", currency="PKR")  # 281 PKR per USD (seeded)
    assert amount(view.value_unit) == "100.00"
    assert jsonable(view.remaining) == {"daily": "400.00", "monthly": "1900.00"}
    with transaction(market) as session:
        assert "border.sale_recorded" in [r.action for r in audit.list_records(session)]


@pytest.mark.parametrize(
    ("before", "value", "quota", "remaining"),
    [
        ([], "300.01", Quota.TRANSACTION, "300.00"),
        ([("250.00", MONDAY)], "250.01", Quota.DAILY, "250.00"),
        (
            [("300.00", date(2026, 10, d)) for d in (1, 3, 4, 5, 6, 7)],
            "300.00",
            Quota.MONTHLY,
            "200.00",
        ),
    ],
)
def test_a_sale_over_a_quota_is_refused_with_what_remains(
    market: Engine, before: list[tuple[str, date]], value: str, quota: Quota, remaining: str
) -> None:
    for earlier, on in before:
        sell(market, earlier, on)
    stored = sales(market)
    with pytest.raises(QuotaExceededError) as raised:
        sell(market, value, date(2026, 10, 5) if quota is not Quota.MONTHLY else date(2026, 10, 8))
    assert raised.value.breach.quota is quota
    message = str(raised.value)
    assert f"the {quota} quota" in message
    assert f"{remaining} USD remaining" in message
    assert sales(market) == stored  # nothing stored
    # The other resident's allowance is untouched.
    assert sell(market, "100.00", resident=IRANIAN).created is True


def test_the_month_resets_the_monthly_quota(market: Engine) -> None:
    for day in (1, 3, 4, 5, 6, 7, 8):
        sell(market, "280.00", date(2026, 10, day))
    with pytest.raises(QuotaExceededError):
        sell(market, "50.00", date(2026, 10, 10))
    assert sell(market, "280.00", date(2026, 11, 1)).created is True


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"on": FRIDAY}, "closed on Fridays"),
        ({"market": "GABD-RIMDAN"}, "planned, not open"),
        ({"on": date(2023, 5, 1)}, "opened on 2023-05-18"),
        ({"hs": "870323"}, "not on market MAND-PISHIN's goods list"),
        ({"resident": "0013542419"}, "not registered at market MAND-PISHIN"),
        ({"currency": "EUR"}, "not a corridor currency"),
        ({"value": "-3"}, "negative"),
        ({"market": "TAFTAN"}, "no border market"),
    ],
)
def test_refused_sales_store_nothing(market: Engine, changes: dict[str, Any], message: str) -> None:
    changes = dict(changes)
    value = changes.pop("value", "10.00")
    with pytest.raises(InputError, match=message):
        sell(market, value, **changes)
    assert sales(market) == 0


def test_a_retried_sale_is_recorded_once(market: Engine) -> None:
    first = sell(market, "200.00", reference="R-1")
    again = sell(market, "200.00", reference="R-1")
    assert (again.id, again.created) == (first.id, False)
    assert sales(market) == 1
    with pytest.raises(InputError, match="other content"):
        sell(market, "201.00", reference="R-1")


def test_concurrent_sales_cannot_both_pass_the_quota(market: Engine) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            sell(market, "300.00")
            outcomes.append("sold")
        except QuotaExceededError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "sold"]  # 300 + 300 > the daily 500
    assert sales(market) == 1


def test_daily_totals(market: Engine) -> None:
    sell(market, "100.00")
    sell(market, "50.00", resident=IRANIAN)
    sell(market, "70.00", date(2026, 10, 6))
    with transaction(market) as session:
        rows = border.daily_totals(session)
    assert jsonable(rows) == [
        {"market": "MAND-PISHIN", "date": "2026-10-05", "sales": 2, "value": "150.00"},
        {"market": "MAND-PISHIN", "date": "2026-10-06", "sales": 1, "value": "70.00"},
    ]


# Statistics.

HEADER = (
    "freqCode,refPeriodId,period,reporterCode,reporterISO,flowCode,partnerCode,partnerISO,"
    "cmdCode,primaryValue\n"
)
STATS = HEADER + (
    "M,20240101,202401,586,PAK,M,364,IRN,TOTAL,1000.50\n"
    "M,20240101,202401,364,IRN,X,586,PAK,TOTAL,990\n"
    "M,20240101,202401,364,IRN,M,586,PAK,TOTAL,400\n"
    "M,20240101,202401,586,PAK,X,0,W00,TOTAL,999999\n"
    "M,20240101,202401,586,PAK,RX,364,IRN,TOTAL,5\n"
)


def import_stats(engine: Engine, path: Path) -> dict[str, int]:
    with transaction(engine) as session:
        result: dict[str, int] = jsonable(
            stats.import_statistics(session, read_comtrade(path), "test")
        )
        return result


def test_statistics_import_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "comtrade.csv"
    path.write_text(STATS)
    assert import_stats(engine, path) == {
        "rows": 5,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": 2,
    }
    assert import_stats(engine, path)["unchanged"] == 3
    path.write_text(STATS.replace("1000.50", "1100.00"))
    assert import_stats(engine, path)["updated"] == 1
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(TradeStatistic)) == 3
        assert session.scalar(select(func.sum(TradeStatistic.value))) == 110000 + 99000 + 40000
        actions = [r.action for r in audit.list_records(session)]
    assert actions.count("stats.imported") == 2  # the unchanged import records nothing


def test_bad_statistics_rows_are_refused_whole(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        STATS
        + "M,20240101,202413,586,PAK,M,364,IRN,TOTAL,1\n"
        + "M,20240101,202402,586,PAK,Q,364,IRN,TOTAL,1\n"
        + "M,20240101,202402,586,PAK,M,364,IRN,27AB,1\n"
        + "M,20240101,202403,586,PAK,M,364,IRN,TOTAL,-7\n"
        + "M,20240101,202401,586,PAK,M,364,IRN,TOTAL,12\n"
    )
    with pytest.raises(InputError) as raised:
        import_stats(engine, path)
    found = [(p.line, p.field) for p in raised.value.problems]
    assert found == [
        (7, "period"),
        (8, "flowCode"),
        (9, "cmdCode"),
        (10, "primaryValue"),
        (11, "cmdCode"),  # the same figure as line 2
    ]
    assert all(str(p).startswith(f"{path}:") for p in raised.value.problems)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(TradeStatistic)) == 0


def test_a_file_without_the_columns_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("flowCode,cmdCode,primaryValue\nM,TOTAL,1\n")
    with pytest.raises(InputError, match="period"):
        import_stats(engine, path)


# The target report.


def test_the_target_report_matches_the_stored_data(house: Engine, tmp_path: Path) -> None:
    engine = house
    path = tmp_path / "comtrade.csv"
    path.write_bytes(SAMPLE.read_bytes())
    import_stats(engine, path)
    authorization = apply(engine, tmp_path, application())
    authorize(engine, authorization)
    declare(engine, authorization, value="300000.00", currency="USD", on=date(2025, 11, 10), **LPG)
    source = obligations_file(
        tmp_path / "obligations.csv",
        [("A", "PK-1", "IR-1", "100.00", "USD"), ("B", "IR-1", "PK-1", "60.00", "USD")],
    )
    with transaction(engine) as session:
        import_obligations_file(session, source, "test")
    with transaction(engine) as session:
        clearing.run_clearing(session, "test", date(2026, 10, 20), today=date(2026, 10, 20))
    with transaction(engine) as session:
        border.add_resident(
            session,
            POLICY,
            market="MAND-PISHIN",
            national_id=CNIC,
            name="K",
            district="Kech",
            actor="t",
        )
    sell(engine, "120.00")
    sell(engine, "30.25", date(2026, 10, 6))

    with transaction(engine) as session:
        report = stats.target_report(session, POLICY)
        status = stats.target_status(session, POLICY)
        series = stats.monthly_series(session, POLICY)
    output = tmp_path / "target.csv"
    write_target_report(report, "csv", output)
    rows = {row["month"]: row for row in csv.DictReader(output.open())}
    assert list(next(iter(rows.values()))) == list(REPORT_COLUMNS)
    assert series == list(report.series)
    assert status.run_rate == report.status.run_rate

    # Official trade, summed independently from the sample: importer's reports, and
    # Pakistan's exports where Iran's import reports are missing (2026).
    importer: dict[str, Decimal] = {}
    exporter: dict[str, Decimal] = {}
    for line in csv.DictReader(SAMPLE.open()):
        month = f"{line['period'][:4]}-{line['period'][4:]}"
        value = Decimal(line["primaryValue"])
        if line["flowCode"] == "M":
            importer[month] = importer.get(month, Decimal(0)) + value
        elif line["reporterISO"] == "PAK":
            exporter[month] = value
    for month, value in importer.items():
        if month >= "2026-01":  # only Pakistan's imports were reported
            value += exporter[month]
        assert Decimal(rows[month]["official_trade"]) == value, month
    assert rows["2025-11"]["barter"] == "300000.00"
    assert rows["2026-10"]["set_off"] == "120.00"  # 60 off each obligation
    assert rows["2026-10"]["border_sales"] == "150.25"
    for row in rows.values():
        parts = ("official_trade", "barter", "set_off", "border_sales")
        assert Decimal(row["total"]) == sum(Decimal(row[p]) for p in parts)
    months = sorted(rows)
    trailing = sum(Decimal(rows[m]["total"]) for m in months[-12:])
    assert Decimal(rows[months[-1]]["run_rate"]) == trailing
    assert rows[months[0]]["run_rate"] == ""
    assert status.as_of == "2026-10"
    assert amount(status.target) == "10000000000.00"
    # The 2024 baseline comes from the statistics: twelve months of them.
    assert Decimal(amount(status.baseline)) == sum(
        Decimal(rows[m]["official_trade"]) for m in months if m.startswith("2024")
    )
    assert status.needed_monthly_growth is not None
    growth = Decimal(status.needed_monthly_growth)
    reached = Decimal(amount(status.run_rate)) * (1 + growth) ** status.months_left
    assert abs(reached / Decimal("10000000000") - 1) < Decimal("0.0001")
