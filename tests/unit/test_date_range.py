"""The accepted dates, 2000-01-01..2100-12-31, at each reader of typed or file input:
a date outside is a problem naming its field (and line), never a later overflow."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from tahator.domain.border import parse_trade_policy
from tahator.domain.corridor import FIRST_DAY, LAST_DAY
from tahator.domain.errors import InputError
from tahator.io.markets import DEFAULT_MARKETS
from tahator.io.obligation_file import read_obligations as read_obligation_file
from tahator.io.obligations import read_obligations
from tahator.io.offers import RejectedOffer, read_offers
from tahator.io.sales import sale_record

OUTSIDE = "outside the accepted dates, 2000-01-01 to 2100-12-31"
DIGITS = {"USD": 2, "PKR": 2}
OUT_OF_RANGE = (date(9999, 12, 31), date(1, 1, 1), date(1999, 12, 31), date(2101, 1, 1))


@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_a_sale_on_a_day_out_of_range_names_the_date(day: date) -> None:
    _, problems = sale_record(
        market="MAND-PISHIN",
        resident="54400-1234567-1",
        hs="100630",
        value="10.00",
        currency="USD",
        on=day,
        reference=None,
        digits=DIGITS,
    )
    assert [str(p) for p in problems] == [f"date: {day.isoformat()} is {OUTSIDE}"]


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
def test_the_ends_of_the_range_are_accepted(day: date, tmp_path: Path) -> None:
    _, problems = sale_record(
        market="M",
        resident="54400-1234567-1",
        hs="100630",
        value="1",
        currency="USD",
        on=day,
        reference=None,
        digits=DIGITS,
    )
    assert problems == []
    source = tmp_path / "o.csv"
    source.write_text(f"id,debtor,creditor,amount,currency,due_date\nA,P,Q,1,USD,{day}\n")
    read = read_obligations(source, DIGITS)
    assert (list(read.problems), [r.due_date for r in read.records]) == ([], [day])


def _markets(change: object, key: str = "opened") -> dict:  # type: ignore[type-arg]
    with DEFAULT_MARKETS.open("rb") as handle:
        data = tomllib.load(handle)
    data["market"][0][key] = change
    return data


@pytest.mark.parametrize(
    ("opened", "message"),
    [
        (date(9999, 12, 31), f"9999-12-31 is {OUTSIDE}"),
        (date(1, 1, 1), f"0001-01-01 is {OUTSIDE}"),
        (datetime(2023, 12, 1, 9, 30), "must be a date (YYYY-MM-DD), not datetime"),
        ("2023-12-01", "must be a date (YYYY-MM-DD), not '2023-12-01'"),
    ],
)
def test_a_market_opening_out_of_range_or_not_a_date_is_named(opened: object, message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_trade_policy(_markets(opened), "m.toml")
    [problem] = raised.value.problems
    assert (problem.file, problem.field) == ("m.toml", "market[1].opened")
    assert message in problem.message
    shipped = parse_trade_policy(_markets(date(2023, 12, 1)))
    assert shipped.markets[0].opened == date(2023, 12, 1)


def test_a_target_year_beyond_the_range_is_named() -> None:
    with DEFAULT_MARKETS.open("rb") as handle:
        data = tomllib.load(handle)
    data["target"]["year"] = 2150
    with pytest.raises(InputError) as raised:
        parse_trade_policy(data)
    assert [(p.field, p.message) for p in raised.value.problems] == [
        ("target.year", "must be from 2000 to 2100")
    ]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2101-01-01", "1999-12-31"])
def test_file_rows_out_of_range_name_line_and_field(day: str, tmp_path: Path) -> None:
    obligations = tmp_path / "o.csv"
    obligations.write_text(
        f"id,debtor,creditor,amount,currency,due_date\nA,P,Q,1,USD,2026-01-01\nB,P,Q,1,USD,{day}\n"
    )
    read = read_obligations(obligations, DIGITS)
    assert [str(p) for p in read.problems] == [f"{obligations}:3: due_date: {day} is {OUTSIDE}"]
    assert [r.reference for r in read.records] == ["A"]

    offers = tmp_path / "offers.csv"
    offers.write_text(
        "id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs,valid_until\n"
        f"O-1,PK-1,100630,rice,10,t,1000.00,USD,27,{day}\n"
    )
    [rejected] = read_offers(offers, DIGITS)
    assert isinstance(rejected, RejectedOffer)
    messages = [str(p) for p in rejected.problems]
    assert messages == [f"{offers}:2: valid_until: {day} is {OUTSIDE}"]

    with pytest.raises(InputError) as raised:
        read_obligation_file(obligations, 2)
    assert [str(p) for p in raised.value.problems] == [
        f"{obligations}:3: due_date: {day} is {OUTSIDE}"
    ]
