"""A clearing run's money rules, without a database (DESIGN §3.1, §3.2; issue 16).

Conservation per firm at the run's rates, settlement rounded once per firm with the
difference in the rounding account, dust that still clears, due dates, obligations
the run cannot value left out with their reason, and the figures carried forward.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tahator.domain import ledger
from tahator.domain.corridor import Conversion, Rate
from tahator.domain.money import MAX_MINOR
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import OpenObligations, RunInputs, RunPlan, plan_run
from tahator.domain.settlement import (
    InstructionKind,
    crosses_border,
    pairs_of,
    round_to_zero_sum,
)

AS_OF = date(2026, 12, 1)
DUE, LATER = "2026-11-30", "2026-12-31"
COUNTRIES = {"PK": "PKR", "IR": "IRR", "AF": "AFN"}
DIGITS = {"USD": 2, "PKR": 2, "IRR": 2, "AFN": 2}
RATES = {
    "USD": Rate("USD", Decimal(1)),
    "PKR": Rate("PKR", Decimal("279.5")),
    "IRR": Rate("IRR", Decimal(1_100_000)),
    "AFN": Rate("AFN", Decimal("70.3")),
}
COUNTRY_OF = {"PK1": "PK", "PK2": "PK", "IR1": "IR", "IR2": "IR", "AF1": "AF", "AF2": "AF"}

Row = tuple[str, str, int, str, str]
"""debtor, creditor, remaining (minor units), currency, due date."""


def inputs(rows: list[Row], **settings_: object) -> RunInputs:
    ids = list(range(1, len(rows) + 1))
    columns = list(zip(*rows, strict=True)) if rows else [()] * 5
    base = RunInputs(
        as_of=AS_OF,
        unit_of_account="USD",
        unit_digits=2,
        digits=DIGITS,
        countries=COUNTRIES,
        credit_lines={},
        rates=RATES,
        obligations=OpenObligations(ids, *(list(column) for column in columns)),
        country_of=COUNTRY_OF,
        opening={},
        carried={},
    )
    return base if not settings_ else RunInputs(**{**base.__dict__, **settings_})


def value(amount: int, currency: str, rates: dict[str, Rate] = RATES) -> int | Fraction:
    conversion: Conversion = Conversion(DIGITS[currency], rates[currency].per_unit_of_account, 2)
    return conversion.value(amount)


def drift(plan: RunPlan, rows: list[Row]) -> dict[str, Fraction]:
    """Per firm: value relieved as debtor − value given up as creditor (exact)."""
    result: dict[str, Fraction] = defaultdict(Fraction)
    for notice in plan.notices:
        debtor, creditor, _, currency, _ = rows[notice.obligation_id - 1]
        worth = value(notice.setoff, currency)
        result[debtor] += worth
        result[creditor] -= worth
    return result


def final(plan: RunPlan, rows: list[Row]) -> dict[int, tuple[int, ObligationStatus]]:
    state = {i: (row[2], ObligationStatus.OPEN) for i, row in enumerate(rows, start=1)}
    state.update({c.id: (c.remaining, c.status) for c in plan.changes})
    return state


def unit_postings(entry: ledger.Entry | None, prefix: str) -> int:
    if entry is None:
        return 0
    return sum(p.amount for p in entry.postings if p.account.startswith(prefix))


# --- the cases of issue 16 --------------------------------------------------------------


def test_split_debts_cannot_move_value_between_firms() -> None:
    # PK1 owes IR1 1.00 USD; IR1 owes PK1 100 × 16,499.99 IRR (0.0149999 USD each).
    rows: list[Row] = [("PK1", "IR1", 100, "USD", DUE)]
    rows += [("IR1", "PK1", 16_499_99, "IRR", DUE)] * 100
    plan = plan_run(inputs(rows))
    assert plan.cleared == 200  # 1.00 USD each way, each IRR obligation worth 1 cent
    assert all(abs(d) <= 1 for d in drift(plan, rows).values())
    # IR1 still owes PK1 the other half: 100 × 5,499.99 IRR, collected as 0.50 USD.
    collections = {i.firm: i.amount for i in plan.instructions if i.kind == "collection"}
    assert collections == {"IR1": 50}
    assert sum(n.amount for n in plan.novated) == 100 * 5_499_99
    assert Fraction(1, 2) - value(100 * 5_499_99, "IRR") < Fraction(1, 1000)


def test_dust_is_settled_inside_its_firms_aggregate() -> None:
    # 5,500 IRR is half a cent, rounded half-even to 0; 1.39 PKR is 0.497 cents.
    rows: list[Row] = [("IR1", "PK1", 5_500_00, "IRR", DUE), ("PK2", "IR1", 1_39, "PKR", DUE)]
    rows += [("IR2", "PK1", 5_500_00, "IRR", DUE)] * 3  # 3 × 0.5 cent: rounds once to 2
    plan = plan_run(inputs(rows))
    state = final(plan, rows)
    assert all(status == ObligationStatus.IN_SETTLEMENT for _, status in state.values())
    owed = {(i.firm, i.kind): i.owed for i in plan.settlement.instructions}
    assert owed == {("IR2", InstructionKind.COLLECTION): 2, ("PK1", InstructionKind.PAYOUT): 2}
    # What rounded to nothing on one side rounded to nothing on the other: even.
    assert plan.figures.settlement_rounding.minor == 0
    assert unit_postings(plan.novations, "interaccount:") == 0
    assert plan.novations is not None
    assert not plan.novations.imbalance()


def test_settlement_rounding_goes_to_the_rounding_account() -> None:
    # IR1 owes 1.5 cents (rounds to 2), its creditors PK1 and PK2 0.75 each (round to 1).
    rows: list[Row] = [("IR1", "PK1", 8_250_00, "IRR", DUE), ("IR1", "PK2", 8_250_00, "IRR", DUE)]
    plan = plan_run(inputs(rows))
    assert plan.figures.settlement_rounding.minor == 0  # 2 collected, 1 + 1 paid out
    rows = [("IR1", "PK1", 16_500_00, "IRR", DUE), ("IR2", "PK1", 5_500_00, "IRR", DUE)]
    plan = plan_run(inputs(rows))
    # IR1 1.5 → 2, IR2 0.5 → 0 collected; PK1 2.0 → 2 paid out: even.
    assert plan.figures.settlement_rounding.minor == 0
    rows = [("IR1", "PK1", 16_500_00, "IRR", DUE), ("IR1", "PK2", 16_500_00, "IRR", DUE)]
    plan = plan_run(inputs(rows))
    # IR1 3.0 collected; PK1 and PK2 1.5 each → 2 and 2 paid: the house pays 1.
    assert plan.figures.settlement_rounding.minor == -1
    postings = {p.account: p.amount for p in plan.novations.postings} if plan.novations else {}
    assert postings[ledger.ROUNDING] == 1
    assert unit_postings(plan.novations, "interaccount:") == 0


def test_not_yet_due_is_set_off_but_not_settled() -> None:
    rows: list[Row] = [("PK1", "IR1", 100_00, "USD", LATER), ("IR1", "PK1", 40_00, "USD", DUE)]
    plan = plan_run(inputs(rows))
    state = final(plan, rows)
    assert state[1] == (60_00, ObligationStatus.OPEN)  # set off 40, the rest waits
    assert state[2] == (0, ObligationStatus.SET_OFF)
    assert plan.instructions == ()
    assert plan.figures.not_due == 1
    held = plan_run(inputs(rows, setoff_before_due=False))
    assert held.notices == ()
    assert final(held, rows)[1] == (100_00, ObligationStatus.OPEN)
    assert final(held, rows)[2] == (0, ObligationStatus.IN_SETTLEMENT)  # due: settles


def test_a_currency_without_a_rate_is_left_out_not_fatal() -> None:
    rows: list[Row] = [
        ("AF1", "PK1", 500_00, "AFN", DUE),
        ("PK1", "AF1", 10_00, "USD", DUE),  # AF's own currency has no rate either
        ("PK1", "IR1", 10_00, "USD", DUE),
        ("IR1", "PK1", 4_00, "USD", DUE),
    ]
    rates = {c: r for c, r in RATES.items() if c != "AFN"}
    plan = plan_run(inputs(rows, rates=rates))
    excluded = {(e.currency, e.obligations) for e in plan.figures.excluded}
    assert excluded == {("AFN", 1), ("USD", 1)}
    assert all("no reference rate for AFN" in e.reason for e in plan.figures.excluded)
    assert plan.cleared == 8_00
    assert {c.id for c in plan.changes} == {3, 4}


def test_too_large_an_obligation_is_left_out() -> None:
    rows: list[Row] = [("PK1", "IR1", 5 * 10**18, "USD", DUE)] * 2 + [
        ("IR1", "PK1", 3_00, "USD", DUE)
    ]
    plan = plan_run(inputs(rows, max_obligation=100_000_000_000))
    assert [(e.currency, e.obligations) for e in plan.figures.excluded] == [("USD", 2)]
    assert "1000000000.00 USD" in plan.figures.excluded[0].reason
    assert {c.id for c in plan.changes} == {3}


def test_amounts_past_64_bits_are_split_not_overflowed() -> None:
    rows: list[Row] = [("PK1", "IR1", 5 * 10**18, "USD", DUE)] * 2
    plan = plan_run(inputs(rows))
    assert plan.novations is not None
    assert all(abs(p.amount) <= MAX_MINOR for p in plan.novations.postings)
    assert not plan.novations.imbalance()
    collections = [i for i in plan.instructions if i.kind == InstructionKind.COLLECTION]
    assert len(collections) > 2  # 1.4e21 paisa: each part's local amount fits 64 bits
    # The second would take PK1's collection (and IR1's claim) past 64 bits: left out.
    assert sum(i.amount for i in collections) == 5 * 10**18
    [excluded] = plan.figures.excluded
    assert (excluded.obligations, "past 64 bits" in excluded.reason) == (1, True)
    assert all(i.amount <= MAX_MINOR and i.local_amount <= MAX_MINOR for i in collections)
    assert all(i.owed <= MAX_MINOR for i in plan.instructions)
    assert all(r.amount <= MAX_MINOR for r in plan.rollovers)


def test_a_carried_claim_counts_toward_what_fits_64_bits() -> None:
    rows: list[Row] = [("PK1", "IR1", 10**18, "USD", DUE), ("PK2", "IR2", 10**18, "USD", DUE)]
    plan = plan_run(inputs(rows, carried={"IR1": MAX_MINOR - 10**17}))
    assert [(e.obligations, "IR1" in e.reason) for e in plan.figures.excluded] == [(1, True)]
    assert all(i.owed <= MAX_MINOR for i in plan.instructions)
    assert {r.firm: r.amount for r in plan.rollovers} == {"IR1": MAX_MINOR - 10**17, "IR2": 10**18}


def test_the_runs_total_never_passes_64_bits() -> None:
    # The attacker's 10,000 obligations of USD 10tn, scaled: each firm's total fits,
    # the run's (stored in BIGINT columns) would not.
    firms = [f"PK{n}" for n in range(10)] + [f"IR{n}" for n in range(10)]
    country_of = {firm: firm[:2] for firm in firms}
    rows: list[Row] = [(f"PK{n}", f"IR{n}", MAX_MINOR // 4, "USD", DUE) for n in range(10)]
    plan = plan_run(inputs(rows, country_of=country_of))
    assert 0 < plan.total <= MAX_MINOR
    assert 0 <= plan.remainder <= MAX_MINOR
    [excluded] = plan.figures.excluded
    assert (excluded.obligations, "the run's total past 64 bits" in excluded.reason) == (6, True)


def test_the_credit_line_can_be_a_share_of_gross_payments() -> None:
    rows: list[Row] = [("PK1", "IR1", 100_00, "USD", DUE), ("IR1", "PK2", 300_00, "USD", DUE)]
    plan = plan_run(inputs(rows, credit_line_shares={"PK": Fraction(1, 5)}))
    account = {a.country: a for a in plan.settlement.accounts}["PK"]
    assert account.credit_line == 20_00  # a fifth of the 100 its firms pay
    assert account.paid_out == 120_00  # 100 collected + 20 lent; 180 rolls over
    assert plan.rollovers[0].amount == 180_00


def test_the_cumulative_imbalance_is_carried_forward() -> None:
    rows: list[Row] = [("IR1", "PK1", 60_00, "USD", DUE)]
    plan = plan_run(inputs(rows, earlier_imbalances={("IR", "PK"): 120_00}))
    assert [(i.debtor_country, i.amount.minor) for i in plan.figures.imbalances] == [("IR", 60_00)]
    cumulative = plan.figures.cumulative_imbalances
    assert [(i.debtor_country, i.creditor_country, i.amount.minor) for i in cumulative] == [
        ("IR", "PK", 180_00)
    ]
    reverse = plan_run(
        inputs([("PK1", "IR1", 200_00, "USD", DUE)], earlier_imbalances={("IR", "PK"): 120_00})
    )
    cumulative = reverse.figures.cumulative_imbalances
    assert [(i.debtor_country, i.amount.minor) for i in cumulative] == [("PK", 80_00)]


def test_a_period_imbalance_rounds_like_the_journals_claims_between_accounts() -> None:
    rates = {**RATES, "PKR": Rate("PKR", Decimal(2))}  # 1 paisa: half a cent exactly
    for debtor, creditor in (("PK1", "IR1"), ("IR1", "PK1")):
        plan = plan_run(inputs([(debtor, creditor, 1, "PKR", DUE)], rates=rates))
        booked = {
            p.account: p.amount
            for p in (plan.novations.postings if plan.novations else ())
            if p.account.startswith("interaccount:")
        }
        figures = {
            (i.debtor_country, i.creditor_country): i.amount.minor for i in plan.figures.imbalances
        }
        # The tie goes the same way in both: up for the first country by code (IR).
        shown = {("PK", "IR"): 1} if debtor == "PK1" else {}
        assert figures == shown
        assert booked == ({"interaccount:IR": 1, "interaccount:PK": -1} if shown else {})


def test_round_to_zero_sum_and_pairs_of_keep_each_accounts_net() -> None:
    half = Fraction(1, 2)
    assert round_to_zero_sum({"IR": half, "PK": -half}) == {"IR": 1, "PK": -1}
    assert round_to_zero_sum({"IR": -half, "PK": half}) == {"IR": 0, "PK": 0}
    thirds = {"AF": Fraction(2, 3), "IR": Fraction(2, 3), "PK": Fraction(-4, 3)}
    assert round_to_zero_sum(thirds) == {"AF": 1, "IR": 1, "PK": -2}
    net = {"AF": 30, "IR": 50, "PK": -80}
    pairs = pairs_of(net)
    assert pairs == {("PK", "AF"): 30, ("PK", "IR"): 50}
    owed: dict[str, int] = defaultdict(int)
    for (debtor, creditor), amount in pairs.items():
        owed[debtor] -= amount
        owed[creditor] += amount
    assert owed == net


# --- the property -------------------------------------------------------------------------

FIRMS = sorted(COUNTRY_OF)
amounts = st.one_of(
    st.integers(1, 10_000),  # dust in IRR and PKR
    st.integers(1, 10**7),
    st.integers(10**8, 10**12),
)
obligation = st.tuples(
    st.sampled_from(FIRMS),
    st.sampled_from(FIRMS),
    amounts,
    st.sampled_from(sorted(DIGITS)),
    st.sampled_from([DUE, LATER]),
).filter(lambda row: row[0] != row[1])
rate_of = st.fixed_dictionaries(
    {
        "PKR": st.decimals(Decimal("150"), Decimal("320"), places=2),
        "IRR": st.integers(40_000, 1_200_000).map(Decimal),
        "AFN": st.decimals(Decimal("60"), Decimal("90"), places=4),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(obligation, max_size=60), rate_of, st.booleans())
def test_conservation_per_firm_on_random_networks(
    rows: list[Row], drawn: dict[str, Decimal], early: bool
) -> None:
    rates = RATES | {c: Rate(c, r) for c, r in drawn.items()}
    plan = plan_run(inputs(rows, rates=rates, setoff_before_due=early))

    relieved: dict[str, Fraction] = defaultdict(Fraction)
    for notice in plan.notices:
        debtor, creditor, _, currency, _ = rows[notice.obligation_id - 1]
        worth = value(notice.setoff, currency, rates)
        relieved[debtor] += worth
        relieved[creditor] -= worth
    assert all(abs(d) <= 1 for d in relieved.values()), relieved
    assert abs(Fraction(plan.figures.setoff_rounding_largest)) <= 1

    for entry in (plan.setoffs, plan.novations):
        assert entry is None or not entry.imbalance()
    assert unit_postings(plan.novations, "interaccount:") == 0

    state = final(plan, rows)
    for oid, (debtor, creditor, amount, _, due) in enumerate(rows, start=1):
        left, status = state[oid]
        assert 0 <= left <= amount
        if due == DUE and crosses_border(COUNTRY_OF[debtor], COUNTRY_OF[creditor]):
            assert status != ObligationStatus.OPEN, (oid, left)

    # Each firm's collection is its exact total rounded once; the gap is bounded.
    exact: dict[str, Fraction] = defaultdict(Fraction)
    creditors = set()
    for novation in plan.novated:
        debtor, creditor, _, currency, _ = rows[novation.obligation_id - 1]
        exact[debtor] += value(novation.amount, currency, rates)
        creditors.add(creditor)
    collections = {i.firm: i.owed for i in plan.instructions if i.kind == "collection"}
    assert collections == {f: round(v) for f, v in exact.items() if round(v)}
    gap = plan.figures.settlement_rounding.minor
    # At most half a minor unit per collection or payout, counting those that round
    # to nothing (and so are not issued).
    assert 2 * abs(gap) <= len(exact) + len(creditors)
