"""Border-market rules and target arithmetic: national ids, quotas, run rate, growth."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal

import pytest

from tahator.domain.border import (
    Quota,
    iran_national_code_check_digit,
    parse_national_id,
    parse_trade_policy,
    quota_breach,
)
from tahator.domain.errors import InputError
from tahator.domain.target import (
    Figure,
    Goal,
    month_index,
    monthly_series,
    needed_growth,
    official_monthly,
    spread,
    target_path,
    target_status,
)
from tahator.io.markets import DEFAULT_MARKETS


def shipped() -> dict:  # type: ignore[type-arg]
    with DEFAULT_MARKETS.open("rb") as handle:
        return tomllib.load(handle)


# National ids.


@pytest.mark.parametrize("code", ["0499370899", "0013542419", "0084575948", "0067749828"])
def test_valid_iranian_national_codes(code: str) -> None:
    assert parse_national_id(code) == ("IR", code)


def test_check_digit_rule_both_branches() -> None:
    # 0013542419: Σ = 0·10+0·9+1·8+3·7+5·6+4·5+2·4+4·3+1·2 = 101; 101 mod 11 = 2 → 11 − 2 = 9
    assert iran_national_code_check_digit("001354241") == 9
    assert iran_national_code_check_digit("100000000") == 1  # Σ = 10, r = 10 → 11 − 10
    assert iran_national_code_check_digit("010000001") == 0  # Σ = 9 + 2 = 11, r = 0 < 2
    assert iran_national_code_check_digit("001000002") == 1  # Σ = 8 + 4 = 12, r = 1 < 2
    assert iran_national_code_check_digit("000000002") == 7  # Σ = 4, r = 4 → 7


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("0499370898", "wrong check digit"),
        ("0013542418", "wrong check digit"),
        ("1111111111", "repeated digit"),
        ("049937089", "neither"),
        ("04993708999", "neither"),
        ("049937089X", "neither"),
        ("۰۴۹۹۳۷۰۸۹۹", "ASCII"),
    ],
)
def test_invalid_iranian_national_codes(code: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_national_id(code)


def test_cnic_with_or_without_dashes() -> None:
    assert parse_national_id("54400-1234567-1") == ("PK", "5440012345671")
    assert parse_national_id("3520212345678") == ("PK", "3520212345678")
    with pytest.raises(ValueError, match="province"):
        parse_national_id("9440012345671")
    with pytest.raises(ValueError, match="neither"):
        parse_national_id("544001234567")


# The markets file.


def test_shipped_markets_load() -> None:
    policy = parse_trade_policy(shipped())
    codes = {m.code: m for m in policy.markets}
    assert set(codes) >= {"MAND-PISHIN", "GABD-RIMDAN", "KUHAK-CHEDGI"}
    assert str(codes["MAND-PISHIN"].status) == "open"
    assert str(codes["GABD-RIMDAN"].status) == "planned"
    assert policy.target.annual == 10_000_000_000_00
    assert policy.target.year == 2028
    assert policy.target.multiple == 3


def test_every_bad_field_is_named() -> None:
    data = shipped()
    market = data["market"][0]
    market["goods"] = ["10", "rice"]
    market["opening_days"] = ["mon", "funday"]
    market["daily_quota"] = "-5"
    market["status"] = "half-open"
    del market["monthly_quota"]
    data["target"]["year"] = "2028"
    with pytest.raises(InputError) as raised:
        parse_trade_policy(data, "m.toml")
    fields = {p.field for p in raised.value.problems}
    assert fields >= {
        "market[1].goods",
        "market[1].opening_days",
        "market[1].daily_quota",
        "market[1].status",
        "market[1].monthly_quota",
        "target.year",
    }
    assert all(p.file == "m.toml" for p in raised.value.problems)


def test_quotas_must_grow() -> None:
    data = shipped()
    data["market"][0]["daily_quota"] = "5000.00"
    with pytest.raises(InputError, match="transaction ≤ daily ≤ monthly"):
        parse_trade_policy(data)


# Quota arithmetic.


def test_quota_breach_names_the_quota_and_what_remains() -> None:
    market = parse_trade_policy(shipped()).market("MAND-PISHIN")
    assert market is not None
    market = replace(market, transaction_quota=300_00, daily_quota=500_00, monthly_quota=2000_00)
    assert quota_breach(market, 0, 0, 300_00) is None
    over = quota_breach(market, 0, 0, 300_01)
    assert over is not None
    assert (over.quota, over.limit, over.remaining) == (Quota.TRANSACTION, 300_00, 300_00)
    daily = quota_breach(market, 450_00, 450_00, 60_00)
    assert daily is not None
    assert (daily.quota, daily.remaining) == (Quota.DAILY, 50_00)
    assert quota_breach(market, 450_00, 450_00, 50_00) is None  # exactly to the limit
    monthly = quota_breach(market, 0, 1900_00, 200_00)
    assert monthly is not None
    assert (monthly.quota, monthly.remaining) == (Quota.MONTHLY, 100_00)


# Official statistics: mirror rule and levels.


def test_importer_report_preferred_exporter_as_fallback() -> None:
    figures = [
        Figure("PK", "IR", "M", "202401", "TOTAL", 1000),  # Pakistan imports from Iran
        Figure("IR", "PK", "X", "202401", "TOTAL", 970),  # the mirror: not counted again
        Figure("IR", "PK", "M", "202401", "TOTAL", 500),  # Iran imports from Pakistan
        Figure("PK", "IR", "X", "202401", "TOTAL", 480),
        Figure("PK", "IR", "X", "202402", "TOTAL", 400),  # Iran's report missing: fallback
    ]
    assert official_monthly(figures) == {month_index(2024, 1): 1500, month_index(2024, 2): 400}


def test_total_or_the_shortest_level_and_years_spread() -> None:
    figures = [
        Figure("PK", "IR", "M", "202401", "27", 600),
        Figure("PK", "IR", "M", "202401", "2711", 500),  # inside chapter 27: not added
        Figure("PK", "IR", "M", "202401", "10", 100),
        Figure("PK", "IR", "M", "202402", "TOTAL", 900),
        Figure("PK", "IR", "M", "202402", "27", 800),
        Figure("IR", "PK", "M", "2023", "TOTAL", 1201),  # a year: spread over months
    ]
    monthly = official_monthly(figures)
    assert monthly[month_index(2024, 1)] == 700
    assert monthly[month_index(2024, 2)] == 900
    assert [monthly[month_index(2023, m)] for m in range(1, 13)] == [101] + [100] * 11
    assert sum(spread(1201, 12)) == 1201


def test_a_year_gives_way_to_its_months() -> None:
    figures = [
        Figure("PK", "IR", "M", "2024", "TOTAL", 12_000),
        Figure("PK", "IR", "M", "202403", "TOTAL", 5),
    ]
    assert official_monthly(figures) == {month_index(2024, 3): 5}


# Run rate and growth.

GOAL = Goal(annual=10_000, year=2028, baseline_year=2024, baseline=2_500, multiple=Decimal(3))


def test_run_rate_is_the_trailing_twelve_months() -> None:
    official = {month_index(2025, m): 100 * m for m in range(1, 13)}
    official[month_index(2026, 1)] = 50
    rows = monthly_series(official, {month_index(2025, 6): 7}, {}, {month_index(2026, 1): 3}, GOAL)
    assert len(rows) == 13
    assert all(row.run_rate is None for row in rows[:11])
    assert rows[11].run_rate == sum(100 * m for m in range(1, 13)) + 7
    assert rows[12].run_rate == rows[11].run_rate - 100 + 53
    assert rows[12].total == 53
    assert [r.total for r in rows] == [
        r.official_trade + r.barter + r.set_off + r.border_sales for r in rows
    ]


def test_needed_growth_compounds_to_the_goal() -> None:
    growth = needed_growth(2_500, 10_000, 24)
    assert growth is not None
    assert abs((1 + growth) ** 24 * 2_500 - 10_000) < Decimal("0.1")
    assert growth == Decimal("0.059463")  # 4^(1/24) − 1
    assert needed_growth(10_000, 10_000, 5) == 0
    assert needed_growth(0, 10_000, 5) is None
    assert needed_growth(5_000, 10_000, 0) is None


def test_target_path_runs_from_baseline_to_goal() -> None:
    assert target_path(GOAL, month_index(2024, 6)) == 2_500
    assert target_path(GOAL, month_index(2024, 12)) == 2_500
    assert target_path(GOAL, month_index(2026, 12)) == 5_000  # halfway: √4 = 2
    assert target_path(GOAL, month_index(2028, 12)) == 10_000
    assert target_path(GOAL, month_index(2030, 1)) == 10_000


def test_target_status() -> None:
    official = {month_index(2026, m): 250 for m in range(1, 13)}
    rows = monthly_series(official, {}, {}, {}, GOAL)
    status = target_status(rows, GOAL)
    assert status.run_rate == 3_000
    assert status.months_left == 24
    assert status.tripled_baseline == 7_500
    assert status.share_of_goal == Decimal("0.3000")
    assert status.needed_monthly_growth == needed_growth(3_000, 10_000, 24)
