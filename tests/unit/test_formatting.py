"""``tahator.formatting``: amounts, percentages and dates as the pages show them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tahator import formatting
from tahator.domain.money import Amount


def usd(minor: int, digits: int = 2) -> Amount:
    return Amount(minor, "USD", digits)


def test_grouped_separates_thousands_at_the_currency_precision() -> None:
    assert formatting.grouped(usd(123456789)) == "1,234,567.89"
    assert formatting.grouped(usd(5)) == "0.05"
    assert formatting.grouped(usd(0)) == "0.00"
    assert formatting.grouped(usd(-50)) == "-0.50"
    assert formatting.grouped(usd(-123456789)) == "-1,234,567.89"
    assert formatting.grouped(usd(1000, 0)) == "1,000"
    assert formatting.grouped(usd(-1234567, 0)) == "-1,234,567"
    assert formatting.grouped(usd(1234567, 3)) == "1,234.567"
    assert formatting.grouped(usd(10**30 + 1)) == "10,000,000,000,000,000,000,000,000,000.01"


def test_grouped_matches_decimal_grouping() -> None:
    for minor in (0, 1, -1, 99, -100, 123456, -98765432101, 10**25 + 7):
        for digits in (0, 2, 3):
            value = usd(minor, digits)
            assert formatting.grouped(value) == f"{Decimal(formatting.amount(value)):,}"


def test_compact_names_millions_and_billions() -> None:
    assert formatting.compact(usd(263000000000), "USD") == "2.63 billion USD"
    assert formatting.compact(usd(-263000000000), "USD") == "-2.63 billion USD"
    assert formatting.compact(usd(150000000), "USD") == "1.50 million USD"
    assert formatting.compact(usd(1000000, 0)) == "1.00 million"
    assert formatting.compact(usd(10**24, 0), "USD") == "1,000,000,000,000,000.00 billion USD"
    # half to even, like Decimal.quantize
    assert formatting.compact(usd(1000500000)) == "10.00 million"
    assert formatting.compact(usd(1001500000)) == "10.02 million"
    assert formatting.compact(usd(1002500000)) == "10.02 million"
    assert formatting.compact(usd(1002500001)) == "10.03 million"
    assert formatting.compact(usd(-1001500000)) == "-10.02 million"


def test_compact_rounds_smaller_amounts_to_whole_units() -> None:
    assert formatting.compact(usd(12345678), "USD") == "123,457 USD"
    assert formatting.compact(usd(250)) == "2"
    assert formatting.compact(usd(350)) == "4"
    assert formatting.compact(usd(0), "USD") == "0 USD"
    assert formatting.compact(usd(-123456), "USD") == "-1,235 USD"
    assert formatting.compact(usd(999999, 0)) == "999,999"


def test_compact_matches_the_decimal_computation() -> None:
    for minor in (1, 49, 50, 150, 250, 999999949, 123456789, 2630000000, 99999999999):
        for digits in (0, 2):
            value = usd(minor, digits)
            number = Decimal(formatting.amount(value))
            size = next((s for s in (10**9, 10**6) if number >= s), None)
            if size is None:
                expected = f"{number.quantize(Decimal('1')):,}"
            else:
                word = "billion" if size == 10**9 else "million"
                expected = f"{(number / size).quantize(Decimal('0.01')):,} {word}"
            assert formatting.compact(value) == expected


def test_share_percent_is_exact() -> None:
    assert formatting.share_percent("0.2") == "20%"
    assert formatting.share_percent(Decimal("0.125")) == "12.5%"
    assert formatting.share_percent("1") == "100%"


def test_percent() -> None:
    assert formatting.percent(Decimal("0.4567")) == "45.7 %"
    assert formatting.percent("1") == "100.0 %"
    assert formatting.percent(0.0) == "0.0 %"
    assert formatting.percent(Decimal("-0.25")) == "-25.0 %"
    assert formatting.percent(None) == "—"
    assert formatting.percent("not a number") == "—"


def test_day() -> None:
    assert formatting.day(date(2026, 11, 24)) == "2026-11-24"
    assert formatting.day(datetime(2026, 11, 24, 14, 5, 59)) == "2026-11-24 14:05 UTC"
    assert formatting.day("2026-11-24T14:05:00+00:00") == "2026-11-24 14:05 UTC"
    assert formatting.day("2026-11-24") == "2026-11-24"
    assert formatting.day("2026-11-24Tnonsense") == "2026-11-24Tnonsense"
    assert formatting.day(None) == "—"
    assert formatting.day("") == "—"


def test_cell_shows_values_as_people_read_them() -> None:
    assert formatting.cell(None) == ""
    assert formatting.cell("") == ""
    assert formatting.cell(True) == "yes"
    assert formatting.cell(False) == "no"
    assert formatting.cell(0) == "0"
    assert formatting.cell(["0201", "3901"]) == "0201, 3901"
    assert formatting.cell(("PK",)) == "PK"
    assert formatting.cell([]) == ""
    assert formatting.cell({"Mon": 3, "Tue": None}) == "Mon: 3, Tue: "
    assert formatting.cell(usd(-123456)) == "-1234.56"
    assert formatting.cell(date(2026, 11, 24)) == "2026-11-24"
    assert formatting.cell("1234.50") == "1234.50"
