"""The plan of a clearing run, without a database: ``domain.run.plan_run``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tahator.domain.corridor import Rate
from tahator.domain.ledger import Entry, EntryKind, Posting
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import (
    Notice,
    ObligationChange,
    OpenObligations,
    PlannedInstruction,
    Rollover,
    RunInputs,
    RunPlan,
    plan_run,
)
from tahator.domain.settlement import InstructionKind, crosses_border

AS_OF = date(2026, 12, 1)  # every row below is due
COUNTRY_OF = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR"}
RATES = {
    "USD": Rate("USD", Decimal(1)),
    "PKR": Rate("PKR", Decimal(280)),
    "IRR": Rate("IRR", Decimal(1_100_000)),
}

Row = tuple[int, str, str, int, str, str]
"""id, debtor, creditor, remaining (minor units), currency, due date."""


def inputs(
    rows: list[Row],
    *,
    credit_lines: dict[str, int] | None = None,
    opening: dict[str, int] | None = None,
    carried: dict[str, int] | None = None,
    rates: dict[str, Rate] | None = None,
) -> RunInputs:
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    return RunInputs(
        as_of=AS_OF,
        unit_of_account="USD",
        unit_digits=2,
        digits={"USD": 2, "PKR": 2, "IRR": 2},
        countries={"PK": "PKR", "IR": "IRR"},
        credit_lines=credit_lines or {},
        rates=rates or RATES,
        obligations=OpenObligations(*(list(column) for column in columns)),
        country_of=COUNTRY_OF,
        opening={"PK": 0, "IR": 0} | (opening or {}),
        carried=carried or {},
    )


def postings(entry: Entry | None) -> dict[tuple[str, str], int]:
    assert entry is not None
    return {(p.account, p.currency): p.amount for p in entry.postings}


def test_a_three_firm_cycle_is_set_off_in_full() -> None:
    plan = plan_run(
        inputs(
            [
                (1, "PK-1", "PK-2", 100_00, "USD", "2026-12-01"),
                (2, "PK-2", "IR-1", 100_00, "USD", "2026-12-01"),
                (3, "IR-1", "PK-1", 100_00, "USD", "2026-12-01"),
            ]
        )
    )
    assert (plan.total, plan.cleared, plan.remainder) == (300_00, 300_00, 0)
    assert plan.notices == (
        Notice(1, 100_00, 100_00, 0, 100_00),
        Notice(2, 100_00, 100_00, 0, 100_00),
        Notice(3, 100_00, 100_00, 0, 100_00),
    )
    assert plan.changes == tuple(
        ObligationChange(oid, 0, ObligationStatus.SET_OFF) for oid in (1, 2, 3)
    )
    # Each firm's payable is debited and its receivable credited by what it owed and was owed.
    assert postings(plan.setoffs) == {
        ("payable:IR-1", "USD"): 100_00,
        ("payable:PK-1", "USD"): 100_00,
        ("payable:PK-2", "USD"): 100_00,
        ("receivable:IR-1", "USD"): -100_00,
        ("receivable:PK-1", "USD"): -100_00,
        ("receivable:PK-2", "USD"): -100_00,
    }
    assert plan.setoffs is not None
    assert plan.setoffs.kind == EntryKind.SETOFF
    assert plan.novations is None
    assert plan.instructions == ()
    assert plan.rollovers == ()
    assert (plan.figures.setoff_notices, plan.figures.instructions) == (3, 0)
    assert all(not (a.collected.minor or a.paid_out.minor) for a in plan.figures.accounts)
    assert plan.rates == (RATES["IRR"], RATES["PKR"], RATES["USD"])


def test_the_memos_name_the_run() -> None:
    plan = plan_run(
        inputs(
            [
                (1, "PK-1", "IR-1", 100_00, "USD", "2026-12-01"),
                (2, "IR-1", "PK-1", 60_00, "USD", "2026-12-01"),
            ],
            credit_lines={"IR": 100_00},
        )
    )
    setoffs, novations = plan.setoff_entry(7), plan.novation_entry(7)
    assert setoffs is not None
    assert setoffs.memo == "set-offs of clearing run 7"
    assert novations is not None
    assert novations.memo == "cross-border remainders of clearing run 7 to the clearing accounts"
    assert plan.novations is not None
    assert novations.postings == plan.novations.postings


def test_a_cross_border_remainder_goes_to_the_clearing_accounts() -> None:
    plan = plan_run(
        inputs(
            [
                (1, "PK-1", "IR-1", 100_00, "USD", "2026-12-01"),
                (2, "IR-1", "PK-1", 60_00, "USD", "2026-12-01"),
            ],
            credit_lines={"IR": 100_00},
        )
    )
    assert (plan.total, plan.cleared, plan.remainder) == (160_00, 120_00, 40_00)
    assert plan.changes == (
        ObligationChange(1, 0, ObligationStatus.IN_SETTLEMENT),
        ObligationChange(2, 0, ObligationStatus.SET_OFF),
    )
    # The remaining 40 leaves the firms' books for the clearing accounts'.
    assert postings(plan.novations) == {
        ("payable:PK-1", "USD"): 40_00,
        ("receivable:IR-1", "USD"): -40_00,
        ("collection:PK-1", "USD"): 40_00,
        ("interaccount:PK", "USD"): -40_00,
        ("interaccount:IR", "USD"): 40_00,
        ("payout:IR-1", "USD"): -40_00,
    }
    assert plan.novations is not None
    assert plan.novations.kind == EntryKind.SETTLEMENT
    assert plan.instructions == (
        PlannedInstruction(
            "PK-1", "PK", InstructionKind.COLLECTION, 40_00, 40_00, "PKR", 11_200_00
        ),
        PlannedInstruction(
            "IR-1", "IR", InstructionKind.PAYOUT, 40_00, 40_00, "IRR", 44_000_000_00
        ),
    )
    assert plan.rollovers == ()
    [imbalance] = plan.figures.imbalances
    assert (imbalance.debtor_country, imbalance.creditor_country) == ("PK", "IR")
    assert imbalance.amount.minor == 40_00
    assert imbalance.amount.currency == "USD"


def test_an_account_short_of_funds_pays_what_it_can_and_rolls_the_rest_over() -> None:
    plan = plan_run(
        inputs([(1, "PK-1", "IR-1", 40_00, "USD", "2026-12-01")], credit_lines={"IR": 10_00})
    )
    assert plan.cleared == 0
    assert plan.notices == ()
    assert plan.setoffs is None
    payout = next(i for i in plan.instructions if i.kind == InstructionKind.PAYOUT)
    assert (payout.owed, payout.amount) == (40_00, 10_00)  # the credit line, no more
    assert plan.rollovers == (Rollover("IR-1", 30_00),)
    ir = next(a for a in plan.figures.accounts if a.country == "IR")
    assert (ir.paid_out.minor, ir.credit_drawn.minor, ir.unpaid.minor) == (10_00, 10_00, 30_00)
    assert plan.figures.unpaid.minor == 30_00


def test_an_account_with_nothing_to_pay_issues_no_payout_only_a_roll_over() -> None:
    plan = plan_run(inputs([(1, "PK-1", "IR-1", 40_00, "USD", "2026-12-01")]))
    assert [i.kind for i in plan.instructions] == [InstructionKind.COLLECTION]
    assert plan.rollovers == (Rollover("IR-1", 40_00),)
    assert plan.figures.payouts == 1  # the settlement still counts the claim
    assert plan.figures.instructions == 1


def test_a_carried_claim_is_paid_from_what_the_account_collects_now() -> None:
    plan = plan_run(
        inputs(
            [(1, "IR-2", "PK-2", 120_00, "USD", "2026-12-01")],
            credit_lines={"IR": 50_00, "PK": 200_00},
            opening={"IR": -50_00},
            carried={"IR-1": 150_00},
        )
    )
    amounts = {(i.firm, i.kind): (i.owed, i.amount) for i in plan.instructions}
    assert amounts[("IR-2", InstructionKind.COLLECTION)] == (120_00, 120_00)
    # −50 held + 120 collected + 50 credit line: 120 of the carried 150.
    assert amounts[("IR-1", InstructionKind.PAYOUT)] == (150_00, 120_00)
    assert plan.rollovers == (Rollover("IR-1", 30_00),)


def test_other_currencies_convert_at_the_run_rates() -> None:
    plan = plan_run(
        inputs(
            [
                (1, "PK-1", "PK-2", 28_000_00, "PKR", "2026-12-01"),  # $100
                (2, "PK-2", "IR-1", 100_00, "USD", "2026-12-01"),
                (3, "IR-1", "PK-1", 60_00, "USD", "2026-12-01"),
            ],
            credit_lines={"IR": 100_00},
        )
    )
    assert (plan.total, plan.cleared) == (260_00, 180_00)
    changes = {c.id: c for c in plan.changes}
    assert changes[1] == ObligationChange(1, 11_200_00, ObligationStatus.OPEN)  # 28,000 − 60 × 280
    assert changes[3].status == ObligationStatus.SET_OFF
    assert changes[2] == ObligationChange(2, 0, ObligationStatus.IN_SETTLEMENT)
    notice = next(n for n in plan.notices if n.obligation_id == 1)
    assert (notice.setoff, notice.setoff_unit) == (16_800_00, 60_00)
    # The set-off is booked in each obligation's own currency.
    assert postings(plan.setoffs)[("payable:PK-1", "PKR")] == 16_800_00


def test_a_domestic_remainder_stays_between_the_firms() -> None:
    plan = plan_run(inputs([(1, "PK-1", "PK-2", 5_00, "PKR", "2026-12-01")]))
    assert plan.changes == ()
    assert plan.novations is None
    assert plan.instructions == ()
    assert plan.figures.domestic.minor == 2  # 5 rupees in cents of a dollar at 280
    assert plan.figures.domestic_obligations == 1


def test_parallel_obligations_are_set_off_earliest_due_first() -> None:
    plan = plan_run(
        inputs(
            [
                (1, "PK-1", "IR-1", 50_00, "USD", "2026-12-20"),
                (2, "PK-1", "IR-1", 50_00, "USD", "2026-12-01"),
                (3, "IR-1", "PK-1", 60_00, "USD", "2026-12-01"),
            ],
            credit_lines={"IR": 100_00},
        )
    )
    setoff = {n.obligation_id: n.setoff for n in plan.notices}
    assert setoff == {1: 10_00, 2: 50_00, 3: 60_00}


def test_nothing_open_plans_an_empty_run() -> None:
    plan = plan_run(inputs([]))
    assert isinstance(plan, RunPlan)
    assert (plan.obligations, plan.total, plan.cleared) == (0, 0, 0)
    assert plan.setoffs is None
    assert plan.novations is None
    assert plan.notices == ()
    assert plan.changes == ()
    assert plan.instructions == ()
    assert plan.setoff_entry(1) is None


def test_an_obligation_too_large_in_the_unit_of_account_is_left_out() -> None:
    # 2**62 minor units of a currency worth ten dollars apiece: more than 64 bits of cents.
    rates = RATES | {"PKR": Rate("PKR", Decimal("0.1"))}
    plan = plan_run(inputs([(1, "PK-1", "IR-1", 2**62, "PKR", "2026-12-01")], rates=rates))
    assert [(e.currency, e.obligations) for e in plan.figures.excluded] == [("PKR", 1)]
    assert "largest obligation" in plan.figures.excluded[0].reason
    assert plan.changes == ()
    assert plan.instructions == ()


def test_every_planned_entry_balances() -> None:
    plan = plan_run(
        inputs(
            [
                (1, "PK-1", "IR-1", 100_00, "USD", "2026-12-01"),
                (2, "IR-1", "PK-2", 70_00, "USD", "2026-12-01"),
                (3, "PK-2", "PK-1", 1_000_00, "PKR", "2026-12-02"),
                (4, "IR-2", "PK-3", 33_33, "USD", "2026-12-03"),
            ],
            credit_lines={"IR": 10_00, "PK": 10_00},
        )
    )
    for entry in (plan.setoffs, plan.novations):
        assert entry is not None
        assert entry.imbalance() == {}
        assert all(isinstance(p, Posting) and p.amount for p in entry.postings)


def test_one_cross_border_test() -> None:
    assert crosses_border("PK", "IR")
    assert not crosses_border("PK", "PK")
