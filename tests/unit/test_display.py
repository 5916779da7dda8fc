"""Amounts, numbers and dates as each reader writes them (``tahator.display``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tahator import display, i18n
from tahator.domain.money import Amount


def shown(value: Amount, lang: str = "en", toman: bool = False) -> str:
    with i18n.speaking(lang, toman=toman):
        return display.money(value)


def test_rupees_are_grouped_in_lakh_and_crore() -> None:
    assert shown(Amount(7404386811, "PKR", 2)) == "7,40,43,868.11 PKR"
    assert shown(Amount(7404386811, "USD", 2)) == "74,043,868.11 USD"


def test_rials_have_no_decimals_unless_a_fraction_is_there() -> None:
    assert shown(Amount(123456700, "IRR", 2)) == "1,234,567 IRR"
    # A conversion can leave half a rial: it is shown, never dropped.
    assert shown(Amount(123456750, "IRR", 2)) == "1,234,567.5 IRR"


def test_tomans_are_rials_divided_by_ten_exactly() -> None:
    assert shown(Amount(123456700, "IRR", 2), toman=True) == "123,456.7 TMN"
    assert shown(Amount(123456000, "IRR", 2), toman=True) == "123,456 TMN"
    assert shown(Amount(100, "USD", 2), toman=True) == "1.00 USD"


def test_persian_uses_persian_digits_and_separators() -> None:
    assert shown(Amount(7404386811, "PKR", 2), "fa") == "۷٬۴۰٬۴۳٬۸۶۸٫۱۱ PKR"
    assert shown(Amount(-5, "USD", 2), "ur") == "-0.05 USD"


def test_persian_dates_are_solar_hijri() -> None:
    with i18n.speaking("fa"):
        assert display.calendar_day(date(2026, 3, 3)) == "۱۴۰۴/۱۲/۱۲"
    assert display.solar_hijri(date(2026, 3, 3)) == "1404/12/12"
    assert display.solar_hijri(date(2026, 3, 21)) == "1405/01/01"  # Nowruz
    with i18n.speaking("ur"):
        assert display.calendar_day(date(2026, 3, 3)) == "2026-03-03"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Asia/Karachi", "2026-03-03 15:00 PKT"), ("Asia/Tehran", "2026-03-03 13:30 UTC+0330")],
)
def test_times_are_in_the_readers_zone(zone: str, expected: str) -> None:
    with i18n.speaking("en", zone):
        assert display.moment(datetime(2026, 3, 3, 10, 0, tzinfo=UTC)) == expected


def test_currency_names_in_each_language() -> None:
    with i18n.speaking("en"):
        assert display.currency_name("PKR") == "Pakistani Rupee"
    with i18n.speaking("fa"):
        assert display.currency_name("IRR") == "ریال ایران"
    with i18n.speaking("fa", toman=True):
        assert display.currency_name("IRR") == "تومان"


def test_percentages_follow_cldr_in_each_language() -> None:
    assert display.percent("0.718", "en") == "71.8%"
    assert display.percent("0.718", "fa") == "۷۱٫۸٪"  # Persian digits, separator and sign
    assert display.percent("0.718", "ur") == "71.8%"
    assert display.percent(None, "fa") == "—"
