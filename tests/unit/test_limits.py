"""Limits an obligation is held to at registration, credit-line shares, and the
arithmetic behind sums of money that cannot overflow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tahator.domain.corridor import Rate
from tahator.domain.money import MAX_MINOR
from tahator.services.corridor import CorridorView, stored_share
from tahator.services.obligations import _amount_problem, _Limits
from tahator.store.sums import exact_int

DAY = date(2026, 11, 30)
CORRIDOR = CorridorView(
    id="PK-IR",
    name="Pakistan–Iran",
    unit_of_account="USD",
    unit_digits=2,
    countries={"PK": "PKR", "IR": "IRR"},
    digits={"USD": 2, "PKR": 2, "IRR": 2, "AFN": 2},
    credit_lines={},
    credit_line_shares={},
    max_obligation=100_000_000_000,  # USD 1,000,000,000.00
    setoff_before_due=True,
    shortfall="hold",
)
LIMITS = _Limits(
    DAY,
    CORRIDOR,
    {
        "USD": Rate("USD", Decimal(1)),
        "PKR": Rate("PKR", Decimal("281.00")),
        "IRR": Rate("IRR", Decimal("1100000.00")),
    },
)


def test_an_amount_up_to_the_limit_is_accepted() -> None:
    assert _amount_problem(LIMITS, 1, "USD") is None
    assert _amount_problem(LIMITS, 100_000_000_000, "USD") is None
    # USD 1bn in rials, to the cent: 1,100,000,000,000,000.00 IRR.
    assert _amount_problem(LIMITS, 110_000_000_000_000_000, "IRR") is None


@pytest.mark.parametrize(
    ("amount", "currency", "field", "message"),
    [
        (0, "USD", "amount", "must be positive"),
        (-1, "PKR", "amount", "must be positive"),
        (
            100_000_000_001,
            "USD",
            "amount",
            "1,000,000,000.01 USD is more than the corridor's limit of "
            "1,000,000,000.00 USD per obligation",
        ),
        (
            5 * 10**18,  # the 5×10^16 USD of issue 16
            "USD",
            "amount",
            "50,000,000,000,000,000.00 USD is more than the corridor's limit of "
            "1,000,000,000.00 USD per obligation",
        ),
        (
            MAX_MINOR,
            "USD",
            "amount",
            "92,233,720,368,547,758.07 USD is more than the corridor's limit",
        ),
        (
            120_000_000_000_000_000,
            "IRR",
            "amount",
            "1,200,000,000,000,000.00 IRR (worth 1,090,909,090.91 USD at the reference rate "
            "of 2026-11-30, 1100000.00 IRR per USD) is more than the corridor's limit of "
            "1,000,000,000.00 USD per obligation",
        ),
        (
            10_000,
            "AFN",
            "currency",
            "no reference rate for AFN on or before 2026-11-30; "
            "set one with `tahator corridor rate AFN RATE --from DATE`",
        ),
        (10_000, "EUR", "currency", "'EUR' is not a corridor currency"),
    ],
)
def test_an_amount_is_refused_naming_why(
    amount: int, currency: str, field: str, message: str
) -> None:
    refused = _amount_problem(LIMITS, amount, currency)
    assert refused is not None
    assert refused[0] == field
    assert refused[1].startswith(message)


def test_the_limit_compares_the_value_at_the_rate_rounded_to_the_unit() -> None:
    # 281,000,000,001.40 PKR is 1,000,000,000.004… USD: 1,000,000,000.00 to the cent.
    assert _amount_problem(LIMITS, 28_100_000_000_140, "PKR") is None
    refused = _amount_problem(LIMITS, 28_100_000_000_281, "PKR")  # 1,000,000,000.01 USD
    assert refused is not None
    assert "worth 1,000,000,000.01 USD" in refused[1]


@pytest.mark.parametrize(
    ("share", "stored"),
    [
        (Decimal("0.2"), "0.2"),
        (Decimal("20") / 100, "0.2"),
        (Decimal("0.200"), "0.2"),
        (Decimal(0), "0"),
        (Decimal(1), "1"),
        (Decimal("0.125"), "0.125"),
        (Decimal("1E-7"), "0.0000001"),
    ],
)
def test_a_credit_line_share_is_stored_as_a_plain_decimal(share: Decimal, stored: str) -> None:
    assert stored_share(share) == stored


@pytest.mark.parametrize(
    "share",
    [Decimal("1.01"), Decimal("-0.1"), Decimal("NaN"), Decimal("Infinity"), Decimal("1E-30")],
)
def test_a_credit_line_share_outside_0_to_1_or_the_column_is_refused(share: Decimal) -> None:
    assert stored_share(share) is None


def test_a_sum_comes_back_as_a_python_int_however_the_database_answered() -> None:
    assert exact_int(None) is None
    assert exact_int(5) == 5
    assert exact_int(Decimal("18446744073709551614")) == 2 * MAX_MINOR
    # Two of the largest 64-bit values: their high and low halves summed apart.
    assert exact_int(f"{2 * (2**31 - 1)}:{2 * (2**32 - 1)}") == 2 * MAX_MINOR
    assert exact_int("-4294967296:0") == -(2**64)
    with pytest.raises(ValueError, match="not a whole number"):
        exact_int(Decimal("1.5"))


INT64 = st.integers(min_value=-(2**63), max_value=MAX_MINOR)


@given(st.lists(INT64, max_size=50))
def test_sqlite_s_two_part_sum_is_exact(values: list[int]) -> None:
    # What the SQL of store.sums computes: each 64-bit value's high and low 32 bits
    # summed apart (each part's sum fits 64 bits), then recombined.
    high = sum(v >> 32 for v in values)
    low = sum(v & 0xFFFFFFFF for v in values)
    assert abs(high) < 2**63
    assert 0 <= low < 2**63
    assert exact_int(f"{high}:{low}") == sum(values)
    if abs(high) < 2**30 and low < 2**61:  # recombined in SQL: it must fit 64 bits
        assert -(2**63) <= high * 2**32 + low <= MAX_MINOR
