"""Input in the users' own writing (issue 20): digits, grouping, Solar Hijri dates and
the customary precision of rials, on every path that reads them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tahator import display
from tahator.domain.corridor import CURRENCY_DIGITS, parse_day
from tahator.domain.errors import InputError, Problem
from tahator.domain.local_text import (
    Calendar,
    latin_digits,
    looks_solar_hijri,
    solar_hijri_day,
    ungrouped,
)
from tahator.domain.money import CUSTOMARY_DIGITS, parse_amount, parse_money, positive_amount
from tahator.io import obligation_file
from tahator.io.application import check_application
from tahator.io.obligations import obligation_record, read_obligations
from tahator.io.offers import OfferRecord, RejectedOffer, parse_offer, read_offers
from tahator.web.forms import form_amount, form_day, typed_amount, typed_day

DIGITS = dict(CURRENCY_DIGITS)


# --- digits ----------------------------------------------------------------------------


def test_persian_and_arabic_indic_digits_read_as_latin() -> None:
    assert latin_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert latin_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert latin_digits("۱٬۲۳۴٫۵") == "1,234.5"
    assert latin_digits("PK-1 abc") == "PK-1 abc"


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("۱۲۳۴", 123400),
        ("١٢٣٤٫٥٠", 123450),
        ("۱٬۲۳۴٫۵", 123450),
        ("1,000", 100000),
        ("1,234,567.89", 123456789),
        ("10,00,000", 100000000),  # ten lakh
        ("1,00,00,000.50", 1000000050),  # one crore
        ("999", 99900),
    ],
)
def test_amounts_in_local_digits_and_groups(text: str, minor: int) -> None:
    assert parse_amount(text, 2) == minor


# --- grouping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("1,000", "1000"),
        ("12,345,678", "12345678"),
        ("12,34,567", "1234567"),
        ("1,23,45,678.25", "12345678.25"),
        ("1000", "1000"),
    ],
)
def test_grouping_in_thousands_or_lakh(text: str, plain: str) -> None:
    assert ungrouped(text) == plain


@pytest.mark.parametrize(
    "text", ["1,0,0", "1,00", "1000,000", ",100", "100,", "1,2345", "12,34,56", "1,,000"]
)
def test_grouping_that_no_one_writes_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not grouped as numbers are written"):
        ungrouped(text)


def test_a_comma_after_the_decimal_point_is_refused() -> None:
    with pytest.raises(ValueError, match="only group the digits before the decimal point"):
        parse_amount("1.000,5", 2)


# --- Solar Hijri -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1404/12/12", "1404-12-12", "۱۴۰۴/۱۲/۱۲", "١٤٠٤-١٢-١٢"])
def test_1404_12_12_is_2026_03_03(text: str) -> None:
    assert solar_hijri_day(text) == date(2026, 3, 3)
    assert parse_day(text, Calendar.SOLAR_HIJRI) == date(2026, 3, 3)
    assert display.solar_hijri(date(2026, 3, 3)) == "1404/12/12"


def test_nowruz_and_the_leap_year() -> None:
    assert solar_hijri_day("1405/01/01") == date(2026, 3, 21)
    assert solar_hijri_day("1403/12/30") == date(2025, 3, 20)  # 1403 is leap
    assert solar_hijri_day("1408/12/30") == date(2030, 3, 20)  # so is 1408
    with pytest.raises(ValueError, match="month 12 of 1404 has days 1 to 29"):
        solar_hijri_day("1404/12/30")
    with pytest.raises(ValueError, match="month 12 of 1405 has days 1 to 29"):
        solar_hijri_day("1405/12/31")
    with pytest.raises(ValueError, match="month 7 of 1404 has days 1 to 30"):
        solar_hijri_day("1404/07/31")
    assert solar_hijri_day("1404/06/31") == date(2025, 9, 22)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1404/13/01", "months 1 to 12"),
        ("1404/00/01", "months 1 to 12"),
        ("1404/01/00", "days 1 to 31"),
        ("1404/1/2/3", "not a Solar Hijri date"),
        ("1404/01-01", "not a Solar Hijri date"),
        ("tomorrow", "not a Solar Hijri date"),
    ],
)
def test_invalid_solar_hijri_dates_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solar_hijri_day(text)


def test_every_day_of_a_solar_hijri_year_round_trips() -> None:
    day = date(2025, 3, 21)  # 1404/01/01
    while day < date(2026, 3, 21):
        assert solar_hijri_day(display.solar_hijri(day)) == day
        day = date.fromordinal(day.toordinal() + 1)


def test_a_plain_date_with_a_solar_hijri_year_is_refused_saying_so() -> None:
    assert looks_solar_hijri("1405-09-10")
    assert not looks_solar_hijri("2026-09-10")
    with pytest.raises(ValueError, match="outside") as refused:
        parse_day("1405-09-10", hint="try due_date_sh")
    assert "outside the accepted dates" in str(refused.value)
    assert "1405 is a Solar Hijri year" in str(refused.value)
    assert "try due_date_sh" in str(refused.value)
    assert parse_day("۲۰۲۶-۰۳-۰۳") == date(2026, 3, 3)  # Persian digits, Gregorian
    with pytest.raises(ValueError, match="not a date"):
        parse_day("2026-W10-2")


# --- forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["1404/12/12", "1404-12-12", "۱۴۰۴/۱۲/۱۲", "2026-03-03", "2026/03/03", "۲۰۲۶-۰۳-۰۳"]
)
def test_a_form_reads_both_calendars(text: str) -> None:
    assert typed_day(text) == date(2026, 3, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1404/12/30", "has days 1 to 29"),
        ("1404/13/01", "months 1 to 12"),
        ("1250/01/01", "outside the accepted dates"),  # neither calendar's range
        ("2101-01-01", "outside the accepted dates"),
        ("03/03/2026", "not a date"),
    ],
)
def test_a_form_refuses_clearly(text: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        form_day(text, "as_of")
    [problem] = refused.value.problems
    assert problem.field == "as_of"
    assert message in problem.message


def test_a_form_s_amount() -> None:
    assert typed_amount("۱٬۰۰۰", "IRR", DIGITS) == 100000
    assert typed_amount("10,00,000.50", "PKR", DIGITS) == 100000050
    with pytest.raises(InputError) as refused:
        form_amount("0.50", "IRR", DIGITS, "value")
    assert refused.value.problems[0].field == "value"
    assert "IRR is written in whole units" in refused.value.problems[0].message


# --- rials have no fraction, on every path ---------------------------------------------


def test_one_table_of_customary_digits_for_input_and_display() -> None:
    assert display.CUSTOMARY_DIGITS is CUSTOMARY_DIGITS
    assert CUSTOMARY_DIGITS["IRR"] == 0


def test_a_fraction_of_a_rial_is_refused() -> None:
    assert parse_money("12", "IRR", 2) == 1200
    assert parse_money("12.00", "IRR", 2) == 1200  # whole rials, written with zeros
    assert parse_money("0.50", "PKR", 2) == 50
    for text in ("0.50", "1,000.5", "۰٫۵"):
        with pytest.raises(ValueError, match="IRR is written in whole units"):
            parse_money(text, "IRR", 2)


def test_a_fraction_of_a_rial_in_a_declaration_or_sale() -> None:
    problems: list[Problem] = []
    assert positive_amount("0.50", "IRR", DIGITS, problems) == 0
    assert problems[0].field == "value"
    assert "whole units" in problems[0].message


def test_a_fraction_of_a_rial_in_an_obligation() -> None:
    problems: list[Problem] = []
    fields = ("INV-1", "PK-1", "IR-1", "0.50", "IRR", "2026-03-03")
    assert obligation_record("request", 2, fields, DIGITS, problems) is None
    assert problems[0].field == "amount"
    assert "whole units" in problems[0].message


def _offer(**changes: str) -> dict[str, str]:
    fields = {
        "id": "O-1",
        "firm": "IR-1",
        "gives_hs": "270111",
        "description": "coal",
        "quantity": "10",
        "unit": "t",
        "value": "1,000,000",
        "currency": "IRR",
        "wants_hs": "10",
        "valid_until": "2026-06-30",
    }
    return {**fields, **changes}


def test_a_fraction_of_a_rial_in_an_offer() -> None:
    accepted = parse_offer(_offer(), DIGITS, "request", None)
    assert isinstance(accepted, OfferRecord)
    assert accepted.value.minor == 100000000
    refused = parse_offer(_offer(value="0.50"), DIGITS, "request", None)
    assert isinstance(refused, RejectedOffer)
    assert refused.problems[0].field == "value"
    assert "whole units" in refused.problems[0].message


def test_a_fraction_of_a_rial_in_a_barter_application() -> None:
    line = {"hs": "270111", "quantity": "1", "unit": "t", "value": "0.50", "currency": "IRR"}
    data = {
        "applicant": "PK-1",
        "counterparty": "IR-1",
        "partner_country": "IR",
        "imports": [line],
        "exports": [{**line, "value": "1,000"}],
        "valid_from": "1404/12/12",
        "valid_until": "2026-06-30",
        "origin_declared": True,
    }
    application, problems = check_application(data, DIGITS, read_day=typed_day)
    assert [(p.field, "whole units" in p.message) for p in problems] == [("imports[1].value", True)]
    assert application.valid_from == date(2026, 3, 3)  # a form reads Solar Hijri
    assert application.exports[0].value == 100000
    _, plain = check_application(data, DIGITS)  # a JSON document's dates are Gregorian
    assert any(p.field == "valid_from" for p in plain)


# --- CSV files -------------------------------------------------------------------------

HEADER = "id,debtor,creditor,amount,currency,due_date"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "obligations.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_plain_due_date_column_refuses_a_solar_hijri_date(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER}\nINV-1,PK-1,IR-1,10.00,USD,1405-09-10\n")
    rows = read_obligations(path, DIGITS)
    assert rows.records == ()
    [problem] = rows.problems
    assert (problem.line, problem.field) == (2, "due_date")
    assert "outside the accepted dates" in problem.message
    assert "due_date_sh column" in problem.message
    assert "--calendar solar-hijri" in problem.message


def test_a_due_date_sh_column_or_the_flag_reads_solar_hijri(tmp_path: Path) -> None:
    header = HEADER.replace("due_date", "due_date_sh")
    path = _csv(tmp_path, f'{header}\nINV-1,PK-1,IR-1,"1,000",IRR,۱۴۰۴/۱۲/۱۲\n')
    [record] = read_obligations(path, DIGITS).records
    assert (record.due_date, record.amount) == (date(2026, 3, 3), 100000)
    path = _csv(tmp_path, f"{HEADER}\nINV-1,PK-1,IR-1,10.00,USD,1404-12-12\n")
    [record] = read_obligations(path, DIGITS, calendar=Calendar.SOLAR_HIJRI).records
    assert record.due_date == date(2026, 3, 3)


def test_invalid_solar_hijri_dates_in_a_file_are_named(tmp_path: Path) -> None:
    header = HEADER.replace("due_date", "due_date_sh")
    path = _csv(
        tmp_path,
        f"{header}\nINV-1,PK-1,IR-1,10.00,USD,1405/12/31\nINV-2,PK-1,IR-1,10.00,USD,1404/13/01\n",
    )
    rows = read_obligations(path, DIGITS)
    assert [(p.line, p.field) for p in rows.problems] == [(2, "due_date_sh"), (3, "due_date_sh")]
    assert "days 1 to 29" in rows.problems[0].message
    assert "months 1 to 12" in rows.problems[1].message


def test_a_file_gives_due_dates_in_one_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER},due_date_sh\nINV-1,PK-1,IR-1,10.00,USD,2026-03-03,x\n")
    with pytest.raises(InputError, match="one column"):
        read_obligations(path, DIGITS)
    path = _csv(tmp_path, "id,debtor,creditor,amount,currency\nINV-1,PK-1,IR-1,10.00,USD\n")
    with pytest.raises(InputError, match="missing column 'due_date' \\(or due_date_sh\\)"):
        read_obligations(path, DIGITS)


def test_amounts_in_a_file_may_be_grouped_and_rials_are_whole(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        f'{HEADER}\nINV-1,PK-1,IR-1,"10,00,000.50",PKR,2026-03-03\n'
        f'INV-2,PK-1,IR-1,"1,0,0",PKR,2026-03-03\nINV-3,PK-1,IR-1,0.50,IRR,2026-03-03\n',
    )
    rows = read_obligations(path, DIGITS)
    assert [r.amount for r in rows.records] == [100000050]
    assert [(p.line, p.field) for p in rows.problems] == [(3, "amount"), (4, "amount")]
    assert "not grouped" in rows.problems[0].message
    assert "whole units" in rows.problems[1].message


def _offers_file(tmp_path: Path, column: str, day: str) -> Path:
    path = tmp_path / "offers.csv"
    header = "id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs," + column
    path.write_text(f"{header}\nO-1,IR-1,270111,coal,10,t,1000,IRR,10,{day}\n", encoding="utf-8")
    return path


def test_offers_files_read_solar_hijri_only_when_told(tmp_path: Path) -> None:
    [plain] = read_offers(_offers_file(tmp_path, "valid_until", "1405-04-09"), DIGITS)
    assert isinstance(plain, RejectedOffer)
    assert plain.problems[0].field == "valid_until"
    assert "valid_until_sh column" in plain.problems[0].message
    [solar] = read_offers(_offers_file(tmp_path, "valid_until_sh", "1405/04/09"), DIGITS)
    assert isinstance(solar, OfferRecord)
    assert solar.valid_until == date(2026, 6, 30)
    [flagged] = read_offers(
        _offers_file(tmp_path, "valid_until", "1405-04-09"), DIGITS, calendar=Calendar.SOLAR_HIJRI
    )
    assert isinstance(flagged, OfferRecord)
    assert flagged.valid_until == date(2026, 6, 30)


def test_tahator_clear_s_file_refuses_and_reads_solar_hijri(tmp_path: Path) -> None:
    path = tmp_path / "clear.csv"
    path.write_text("debtor,creditor,amount,due_date\nA,B,10,1405-09-10\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        obligation_file.read_obligations(path, 2)
    message = refused.value.problems[0].message
    assert "1405 is a Solar Hijri year" in message
    assert "due_date_sh" in message
    read = obligation_file.read_obligations(path, 2, Calendar.SOLAR_HIJRI)
    assert read.priority is not None
    assert read.priority.tolist() == [date(2026, 12, 1).toordinal()]
    path.write_text("debtor,creditor,amount,due_date_sh\nA,B,۱۰,۱۴۰۴/۱۲/۱۲\n", encoding="utf-8")
    read = obligation_file.read_obligations(path, 2)
    assert read.priority is not None
    assert read.priority.tolist() == [date(2026, 3, 3).toordinal()]
    assert read.amounts.tolist() == [10]


def test_display_shows_what_input_reads() -> None:
    from tahator.domain.money import Amount

    shown = display.amount_text(Amount(100000000, "PKR", 2), "en")
    assert shown == "10,00,000.00"
    assert parse_money(shown, "PKR", 2) == 100000000
    rial = display.amount_text(Amount(123456700, "IRR", 2), "fa")
    assert parse_money(rial, "IRR", 2) == 123456700
