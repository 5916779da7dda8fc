"""The corridor's rules: conversion to and from the unit of account, exact and rounded
half-even, and the tax ids each country's firms must have."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tahator.domain.corridor import (
    business_date,
    from_unit_of_account,
    iran_legal_id_check_digit,
    is_zone,
    parse_rate,
    rate_problem,
    tax_id_problem,
    to_unit_of_account,
)


def test_a_currency_converts_to_the_unit_of_account_at_its_rate() -> None:
    # 28,000.00 rupees at 280 a dollar are 100.00 dollars.
    assert to_unit_of_account(2_800_000, 2, Decimal("280"), 2) == 10_000
    # 165,000,000.00 rials at 1,100,000 a dollar are 150.00 dollars.
    assert to_unit_of_account(16_500_000_000, 2, Decimal("1100000"), 2) == 15_000


def test_the_unit_of_account_converts_back_to_a_currency() -> None:
    assert from_unit_of_account(15_000, 2, Decimal("1100000"), 2) == 16_500_000_000
    assert from_unit_of_account(10_000, 2, Decimal("280"), 2) == 2_800_000
    assert from_unit_of_account(10_000, 2, Decimal("1"), 2) == 10_000


@pytest.mark.parametrize(
    ("minor", "expected"),
    [
        (1, 0),  # 0.5 of a cent: to the even 0
        (3, 2),  # 1.5: to the even 2
        (5, 2),  # 2.5: to the even 2
        (7, 4),  # 3.5: to the even 4
        (9, 4),  # 4.5: to the even 4
        (11, 6),  # 5.5: to the even 6
    ],
)
def test_a_tie_rounds_to_the_even_minor_unit(minor: int, expected: int) -> None:
    # Two units of the currency a unit of account: half of an odd count is a tie.
    assert to_unit_of_account(minor, 2, Decimal("2"), 2) == expected
    # And back, at half a unit of the currency a unit of account: the same ties.
    assert from_unit_of_account(minor, 2, Decimal("0.5"), 2) == expected


@pytest.mark.parametrize(("minor", "expected"), [(1, 0), (2, 1), (4, 1), (5, 2), (100, 33)])
def test_what_is_not_a_tie_rounds_to_the_nearest(minor: int, expected: int) -> None:
    # A third: 0.33 → 0, 0.67 → 1, 1.33 → 1, 1.67 → 2, 33.33 → 33.
    assert to_unit_of_account(minor, 2, Decimal("3"), 2) == expected


def test_a_rate_is_taken_exactly_not_as_a_binary_fraction() -> None:
    # 0.1 has no exact binary float; as a Decimal it is exactly a tenth.
    assert to_unit_of_account(1, 2, Decimal("0.1"), 2) == 10
    assert from_unit_of_account(10, 2, Decimal("0.1"), 2) == 1
    # 281.5 rupees a dollar: 563 rupees are exactly 2 dollars.
    assert to_unit_of_account(56_300, 2, Decimal("281.5"), 2) == 200


def test_currencies_of_other_precision_convert_at_their_digits() -> None:
    # 100 units of a currency without minor units, at 150 a dollar: 0.666… → 0.67.
    assert to_unit_of_account(100, 0, Decimal("150"), 2) == 67
    # 1.00 dollar in a currency of three digits at 0.5 a dollar: 0.500.
    assert from_unit_of_account(100, 3, Decimal("0.5"), 2) == 500


def test_amounts_beyond_64_bits_convert_without_overflow() -> None:
    huge = 2**63 - 1
    assert to_unit_of_account(huge, 2, Decimal("1"), 2) == huge
    assert from_unit_of_account(huge, 2, Decimal("1100000"), 2) == huge * 1_100_000


def test_a_pakistani_firm_needs_an_ntn() -> None:
    assert tax_id_problem("PK", "1234567-8") is None
    assert tax_id_problem("PK", "12345678") == "'12345678' is not an NTN (NNNNNNN-N)"
    assert tax_id_problem("PK", "123456-78") is not None
    assert tax_id_problem("PK", "1234567-8 ") is not None
    # Digits of other scripts are not ASCII digits.
    assert tax_id_problem("PK", "１２３４５６７-８") is not None


def test_the_iranian_check_digit() -> None:
    # k = 1 + 2; Σ (d + k) × weight = 867; 867 mod 11 = 9.
    assert iran_legal_id_check_digit("1410000001") == 9
    # Σ = 2,573; 2,573 mod 11 = 10, which counts as 0.
    assert iran_legal_id_check_digit("1400000008") == 0


def test_an_iranian_firm_needs_an_eleven_digit_national_id_with_its_check_digit() -> None:
    assert tax_id_problem("IR", "14100000019") is None
    assert tax_id_problem("IR", "14000000080") is None
    assert tax_id_problem("IR", "14100000011") == "'14100000011' has a wrong check digit"
    assert (
        tax_id_problem("IR", "1410000001") == "'1410000001' is not an 11-digit Iranian national ID"
    )
    assert tax_id_problem("IR", "1410000001x") is not None
    assert tax_id_problem("IR", "۱۴۱۰۰۰۰۰۰۱۹") is not None  # Persian digits


def test_other_countries_need_some_tax_id() -> None:
    assert tax_id_problem("AF", "123") is None
    assert tax_id_problem("AF", "") == "a tax id is required"
    assert tax_id_problem("RU", "   ") == "a tax id is required"


def test_the_business_date_is_the_corridors_date_not_utcs() -> None:
    late = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)  # 01:00 on 1 July in Karachi
    assert business_date(late, "Asia/Karachi") == date(2026, 7, 1)
    assert business_date(late, "UTC") == date(2026, 6, 30)
    assert business_date(late, "Asia/Tehran") == date(2026, 6, 30)  # 23:30 there (+03:30)
    assert is_zone("Asia/Tehran")
    assert not is_zone("Asia/Lahore")
    assert not is_zone("../etc/passwd")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "rate 'abc' is not a decimal number"),
        ("0", "rate '0' must be a positive number from 1e-9 to 1e12"),
        ("-3", "rate '-3' must be a positive number from 1e-9 to 1e12"),
        ("1e40", "rate '1E+40' must be a positive number from 1e-9 to 1e12"),
        ("NaN", "rate 'NaN' must be a positive number from 1e-9 to 1e12"),
        ("1." + "1" * 40, "has more than 30 digits"),
    ],
)
def test_a_bad_reference_rate_is_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rate(text)


def test_a_reference_rate_keeps_its_digits() -> None:
    assert str(parse_rate(" 279.50 ")) == "279.50"
    assert rate_problem(Decimal("1100000")) is None
