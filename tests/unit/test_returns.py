"""The rules of money that does not arrive (``domain.returns``), without a database."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from tahator.domain import returns
from tahator.domain.corridor import Conversion, to_unit_of_account


def test_every_documented_reason_is_an_iso_20022_code_with_a_meaning() -> None:
    assert len(returns.REASONS) == 17
    for code, meaning in returns.REASONS.items():
        assert len(code) == 4
        assert code.isupper()
        assert code.isalnum()
        assert meaning
    assert returns.REASONS["AM04"] == "insufficient funds"
    assert returns.REASONS["AC04"] == "closed account number"


@pytest.mark.parametrize(("text", "code"), [("AM04", "AM04"), (" ac04 ", "AC04"), ("narr", "NARR")])
def test_reason_codes_are_read_in_any_case(text: str, code: str) -> None:
    assert returns.reason_code(text) == code


@pytest.mark.parametrize("text", ["", "AM4", "AM044", "XX99", "insufficient funds", "ＡＭ04"])
def test_an_unknown_reason_names_the_known_ones(text: str) -> None:
    with pytest.raises(ValueError, match=r"unknown return reason.*AC01, AC04"):
        returns.reason_code(text)


def test_the_next_liable_member_is_common_to_every_obligation_lowest_id_first() -> None:
    both = [frozenset({"PK-2", "IR-9", "PK-7"}), frozenset({"PK-2", "PK-7", "IR-9"})]
    assert returns.next_liable(both, {"PK-1"}) == "IR-9"
    assert returns.next_liable(both, {"PK-1", "IR-9"}) == "PK-2"
    assert returns.next_liable(both, {"PK-1", "IR-9", "PK-2", "PK-7"}) is None
    # A member liable for one obligation only is not asked to pay the other's share.
    assert returns.next_liable([frozenset({"PK-2"}), frozenset({"PK-3"})], ()) is None
    assert returns.next_liable([frozenset({"PK-2"}), frozenset()], ()) is None
    assert returns.next_liable([], ()) is None


def test_exact_value_in_the_unit_of_account_rounds_like_a_run() -> None:
    rate = Decimal("1100000.00")
    conversion = Conversion(2, rate, 2)  # what a return values its parts with, as a run
    assert conversion.value(6600_00) == Fraction(6, 10)  # 0.006 USD is 0.6 cents
    for minor in (1, 5499_99, 5500_00, 16_499_99, 10**15):
        assert round(conversion.value(minor)) == to_unit_of_account(minor, 2, rate, 2)


def test_creditor_parts_round_once_half_even() -> None:
    parts = returns.creditor_parts(
        {"IR-1": Fraction(10000), "IR-2": Fraction(50012, 10), "IR-3": Fraction(5, 2)}
    )
    assert parts == {"IR-1": 10000, "IR-2": 5001, "IR-3": 2}


@pytest.mark.parametrize(
    ("part", "pending", "rolled", "slack", "expected"),
    [
        (100, 140, 0, 0, (100, 0, 0)),  # part of a payout
        (140, 140, 0, 0, (140, 0, 0)),  # all of it
        (150, 140, 20, 0, (140, 10, 0)),  # the payout, then the roll-over
        (30, 0, 30, 0, (0, 30, 0)),  # nothing was paid: only the roll-over
        (161, 140, 20, 0, None),  # not covered: the account lends it
        (1, 0, 0, 0, None),  # paid already
        (0, 0, 0, 0, (0, 0, 0)),
        # An earlier return's rounded part took a unit more than its share: what is
        # left is held, the rest is rounding, never more than the payout has.
        (1, 0, 0, 1, (0, 0, 1)),
        (5001, 5000, 0, 1, (5000, 0, 1)),
        (5002, 5000, 0, 1, None),
    ],
)
def test_a_payout_is_held_before_its_roll_over(
    part: int, pending: int, rolled: int, slack: int, expected: tuple[int, int, int] | None
) -> None:
    held = returns.hold(part, pending, rolled, slack)
    assert held == expected
    if held is not None:
        assert sum(held) == part
        assert held[0] <= pending
        assert held[1] <= rolled
        assert held[2] <= slack


def test_a_member_screening_stops_is_skipped() -> None:
    liable = [frozenset({"A", "B", "C"}), frozenset({"B", "C", "D"})]
    assert returns.liable_members(liable) == {"B", "C"}
    assert returns.next_liable(liable, {"A"}) == "B"
    assert returns.next_liable(liable, {"A"}, skip={"B"}) == "C"
    assert returns.next_liable(liable, {"C"}, skip={"B"}) is None
