"""Settlement through clearing accounts: ``settle`` and ``allocate_pro_rata``."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tahator.domain.settlement import (
    Imbalance,
    Instruction,
    InstructionKind,
    Remaining,
    allocate_pro_rata,
    credit_line_share,
    settle,
)

COUNTRIES = ("IR", "PK", "IN", "AF")


@dataclass(frozen=True)
class Case:
    remaining: list[Remaining]
    country_of: dict[str, str]
    credit_lines: dict[str, int]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Up to 12 firms in up to 4 countries, up to 30 remaining obligations, some domestic."""
    countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True))
    firms = [f"f{i:02d}" for i in range(draw(st.integers(2, 12)))]
    country_of = {firm: draw(st.sampled_from(countries)) for firm in firms}
    firm = st.sampled_from(firms)
    obligations = draw(
        st.lists(
            st.tuples(firm, firm, st.integers(0, 10**6)).filter(lambda o: o[0] != o[1]),
            max_size=30,
        )
    )
    credit_lines = draw(
        st.dictionaries(st.sampled_from(countries), st.integers(0, 2 * 10**6), max_size=4)
    )
    remaining = [Remaining(debtor, creditor, amount) for debtor, creditor, amount in obligations]
    return Case(remaining, country_of, credit_lines)


def run(case: Case):
    return settle(case.remaining, case.country_of, case.credit_lines)


def cross_border(case: Case) -> list[Remaining]:
    return [
        item
        for item in case.remaining
        if item.amount and case.country_of[item.debtor] != case.country_of[item.creditor]
    ]


def of_kind(instructions: tuple[Instruction, ...], kind: InstructionKind) -> list[Instruction]:
    return [instruction for instruction in instructions if instruction.kind == kind]


# --- properties of settle ----------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(cases())
def test_every_account_balances(case: Case) -> None:
    result = run(case)
    for account in result.accounts:
        assert account.opening == 0
        assert account.collected + account.credit_drawn == account.paid_out + account.retained
        assert account.paid_out <= account.collected + account.credit_line
        assert account.paid_out <= account.claims
        assert 0 <= account.credit_drawn <= account.credit_line
        assert account.credit_line == case.credit_lines.get(account.country, 0)
        assert account.unpaid >= 0
        # Nothing is left unpaid while the account could still pay.
        if account.unpaid:
            assert account.paid_out == account.collected + account.credit_line


@settings(max_examples=150, deadline=None)
@given(cases())
def test_nobody_is_paid_more_than_owed(case: Case) -> None:
    result = run(case)
    for instruction in result.instructions:
        assert 0 <= instruction.amount <= instruction.owed
        assert instruction.unpaid == instruction.owed - instruction.amount
        assert instruction.country == case.country_of[instruction.firm]
        if instruction.kind == InstructionKind.COLLECTION:
            assert instruction.amount == instruction.owed


@settings(max_examples=150, deadline=None)
@given(cases())
def test_collections_payouts_and_cross_border_remaining_add_up(case: Case) -> None:
    result = run(case)
    collections = of_kind(result.instructions, InstructionKind.COLLECTION)
    payouts = of_kind(result.instructions, InstructionKind.PAYOUT)
    total = sum(item.amount for item in cross_border(case))
    assert sum(i.amount for i in collections) == sum(i.owed for i in payouts) == total
    assert sum(account.collected for account in result.accounts) == total
    assert sum(account.claims for account in result.accounts) == total
    assert sum(account.paid_out for account in result.accounts) == sum(i.amount for i in payouts)
    for account in result.accounts:
        assert account.paid_out == sum(i.amount for i in payouts if i.country == account.country)
        assert account.collected == sum(
            i.amount for i in collections if i.country == account.country
        )


@settings(max_examples=150, deadline=None)
@given(cases())
def test_unpaid_is_retained_less_credit_drawn(case: Case) -> None:
    result = run(case)
    unpaid = sum(instruction.unpaid for instruction in result.instructions)
    assert unpaid == sum(account.unpaid for account in result.accounts)
    assert unpaid == sum(a.retained for a in result.accounts) - sum(
        a.credit_drawn for a in result.accounts
    )


@settings(max_examples=150, deadline=None)
@given(cases())
def test_domestic_obligations_are_left_out_of_instructions(case: Case) -> None:
    result = run(case)
    domestic = [
        item
        for item in case.remaining
        if item.amount and case.country_of[item.debtor] == case.country_of[item.creditor]
    ]
    assert result.domestic == sum(item.amount for item in domestic)
    assert result.domestic_obligations == len(domestic)
    owes: dict[str, int] = {}
    owed: dict[str, int] = {}
    for item in cross_border(case):
        owes[item.debtor] = owes.get(item.debtor, 0) + item.amount
        owed[item.creditor] = owed.get(item.creditor, 0) + item.amount
    collections = of_kind(result.instructions, InstructionKind.COLLECTION)
    payouts = of_kind(result.instructions, InstructionKind.PAYOUT)
    assert {i.firm: i.owed for i in collections} == owes
    assert {i.firm: i.owed for i in payouts} == owed
    # Collections then payouts, each by firm id.
    assert list(result.instructions) == collections + payouts
    assert [i.firm for i in collections] == sorted(owes)
    assert [i.firm for i in payouts] == sorted(owed)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_imbalances_are_the_net_claims_between_countries(case: Case) -> None:
    result = run(case)
    between: dict[tuple[str, str], int] = {}
    for item in cross_border(case):
        key = (case.country_of[item.debtor], case.country_of[item.creditor])
        between[key] = between.get(key, 0) + item.amount
    expected = []
    for first, second in sorted({tuple(sorted(key)) for key in between}):
        net = between.get((first, second), 0) - between.get((second, first), 0)
        if net:
            expected.append((first, second, net) if net > 0 else (second, first, -net))
    assert [(i.debtor_country, i.creditor_country, i.amount) for i in result.imbalances] == (
        expected
    )
    assert all(imbalance.amount > 0 for imbalance in result.imbalances)


@settings(max_examples=50, deadline=None)
@given(cases())
def test_settle_is_deterministic(case: Case) -> None:
    assert run(case) == run(case)
    assert [account.country for account in run(case).accounts] == sorted(
        {account.country for account in run(case).accounts}
    )


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_opening_balances_and_carried_claims_keep_accounts_balanced(
    case: Case, data: st.DataObject
) -> None:
    countries = sorted(set(case.country_of.values()))
    opening = data.draw(
        st.dictionaries(st.sampled_from(countries), st.integers(-(10**6), 10**6), max_size=4)
    )
    carried = data.draw(
        st.dictionaries(st.sampled_from(sorted(case.country_of)), st.integers(0, 10**6))
    )
    result = settle(
        case.remaining, case.country_of, case.credit_lines, opening=opening, carried=carried
    )
    for account in result.accounts:
        line = case.credit_lines.get(account.country, 0)
        assert account.opening == opening.get(account.country, 0)
        assert (
            account.opening + account.collected + account.credit_drawn
            == account.paid_out + account.retained
        )
        assert account.paid_out == min(
            account.claims, max(0, account.opening + account.collected + line)
        )
    payouts = of_kind(result.instructions, InstructionKind.PAYOUT)
    total = sum(item.amount for item in cross_border(case))
    assert sum(i.owed for i in payouts) == total + sum(carried.values())
    for instruction in result.instructions:
        assert 0 <= instruction.amount <= instruction.owed


# --- explicit examples -------------------------------------------------------------------


def test_two_countries_by_hand() -> None:
    # PK firms owe IR firms 300; IR firms owe PK firms 100; IR has a credit line of 50.
    country_of = {"ir1": "IR", "ir2": "IR", "pk1": "PK", "pk2": "PK"}
    remaining = [
        Remaining("pk1", "ir1", 200),
        Remaining("pk2", "ir2", 100),
        Remaining("ir1", "pk2", 100),
        Remaining("pk1", "pk2", 40),  # domestic: settled directly
    ]
    result = settle(remaining, country_of, {"IR": 50})
    ir, pk = result.accounts
    # IR collects 100 from ir1 and may lend 50: it pays out 150 of the 300 owed, pro rata.
    assert (ir.country, ir.collected, ir.claims, ir.paid_out, ir.credit_line) == (
        "IR",
        100,
        300,
        150,
        50,
    )
    assert (ir.closing, ir.credit_drawn, ir.retained, ir.unpaid) == (-50, 50, 0, 150)
    # PK collects 300 and pays its creditor the 100 owed, keeping 200 for IR.
    assert (pk.country, pk.collected, pk.claims, pk.paid_out, pk.credit_line) == (
        "PK",
        300,
        100,
        100,
        0,
    )
    assert (pk.closing, pk.credit_drawn, pk.retained, pk.unpaid) == (200, 0, 200, 0)
    collection, payout = InstructionKind.COLLECTION, InstructionKind.PAYOUT
    assert result.instructions == (
        Instruction("ir1", "IR", collection, 100, 100),
        Instruction("pk1", "PK", collection, 200, 200),
        Instruction("pk2", "PK", collection, 100, 100),
        Instruction("ir1", "IR", payout, 200, 100),
        Instruction("ir2", "IR", payout, 100, 50),
        Instruction("pk2", "PK", payout, 100, 100),
    )
    assert result.imbalances == (Imbalance("PK", "IR", 200),)
    assert (result.domestic, result.domestic_obligations) == (40, 1)


def test_opening_balance_and_carried_claims() -> None:
    country_of = {"ir1": "IR", "pk1": "PK"}
    result = settle(
        [Remaining("pk1", "ir1", 100)],
        country_of,
        {"IR": 10},
        opening={"IR": 30, "AF": 5},
        carried={"ir1": 20, "pk1": 0},
    )
    af, ir, pk = result.accounts
    assert (af.country, af.opening, af.closing, af.paid_out) == ("AF", 5, 5, 0)
    # IR owes ir1 100 + 20 carried and holds 30 + 0 collected + 10 credit.
    assert (ir.claims, ir.paid_out, ir.closing, ir.credit_drawn) == (120, 40, -10, 10)
    assert (pk.collected, pk.paid_out, pk.retained) == (100, 0, 100)
    for account in result.accounts:
        assert (
            account.opening + account.collected + account.credit_drawn
            == account.paid_out + account.retained
        )


def test_zero_amounts_are_ignored() -> None:
    result = settle([Remaining("a", "b", 0)], {"a": "IR", "b": "PK"})
    assert result.accounts == result.instructions == result.imbalances == ()


def test_credit_line_share() -> None:
    assert credit_line_share(1000, Fraction(1, 5)) == 200
    assert credit_line_share(999, Fraction(1, 5)) == 199  # rounded down
    assert credit_line_share(1000, Fraction(0)) == 0
    with pytest.raises(ValueError, match="non-negative"):
        credit_line_share(1000, Fraction(-1, 5))


def test_a_negative_credit_line_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        settle([Remaining("a", "b", 10)], {"a": "IR", "b": "PK"}, {"PK": -1})


def test_a_negative_remaining_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        settle([Remaining("a", "b", -1)], {"a": "IR", "b": "PK"})


def test_a_firm_without_a_country_is_refused() -> None:
    with pytest.raises(KeyError, match="nowhere"):
        settle([Remaining("a", "nowhere", 10)], {"a": "IR"})
    with pytest.raises(KeyError, match="nowhere"):
        settle([Remaining("nowhere", "a", 10)], {"a": "IR"})
    with pytest.raises(KeyError, match="nowhere"):
        settle([], {"a": "IR"}, carried={"nowhere": 5})


# --- allocate_pro_rata -------------------------------------------------------------------

claim_maps = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=3), st.integers(0, 10**9), max_size=10
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**10), claim_maps)
def test_pro_rata_shares(available: int, claims: dict[str, int]) -> None:
    shares = allocate_pro_rata(available, claims)
    total = sum(claims.values())
    assert shares.keys() == claims.keys()
    assert sum(shares.values()) == min(available, total)
    for firm, claim in claims.items():
        assert 0 <= shares[firm] <= claim
        exact = Fraction(available * claim, total) if total > available else Fraction(claim)
        assert abs(shares[firm] - exact) < 1
    assert allocate_pro_rata(available, dict(reversed(claims.items()))) == shares


@settings(max_examples=300, deadline=None)
@given(st.data(), claim_maps.filter(lambda claims: sum(claims.values()) > 0))
def test_pro_rata_leftover_units_go_to_largest_remainders(
    data: st.DataObject, claims: dict[str, int]
) -> None:
    total = sum(claims.values())
    available = data.draw(st.integers(0, total - 1))
    shares = allocate_pro_rata(available, claims)
    remainder = {firm: (available * claim) % total for firm, claim in claims.items()}
    rounded_up = {firm for firm in claims if shares[firm] * total > available * claims[firm]}
    for firm in claims:
        assert shares[firm] == available * claims[firm] // total + (firm in rounded_up)
    # Every firm rounded up comes before every firm that is not, by (−remainder, firm).
    for up in rounded_up:
        for other in claims.keys() - rounded_up:
            assert (-remainder[up], up) < (-remainder[other], other)


def test_pro_rata_ties_go_to_the_lower_firm_id() -> None:
    assert allocate_pro_rata(1, {"b": 1, "a": 1}) == {"a": 1, "b": 0}
    assert allocate_pro_rata(2, {"c": 1, "b": 1, "a": 1}) == {"a": 1, "b": 1, "c": 0}
    # A larger remainder beats a lower id: 2·2/3 = 1⅓ and 2·1/3 = ⅔.
    assert allocate_pro_rata(2, {"a": 2, "b": 1}) == {"a": 1, "b": 1}


def test_pro_rata_examples() -> None:
    assert allocate_pro_rata(150, {"ir1": 200, "ir2": 100}) == {"ir1": 100, "ir2": 50}
    assert allocate_pro_rata(0, {"a": 5, "b": 7}) == {"a": 0, "b": 0}
    assert allocate_pro_rata(50, {"a": 5, "b": 7}) == {"a": 5, "b": 7}
    assert allocate_pro_rata(10, {}) == {}


def test_pro_rata_refuses_negative_amounts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        allocate_pro_rata(-1, {"a": 5})
    with pytest.raises(ValueError, match="non-negative"):
        allocate_pro_rata(1, {"a": 5, "b": -1})
