"""The barter order's rules (DESIGN §4): every rule refusing, and allowing.

The baseline is a valid application under the shipped PK-IR policy; each test breaks one
rule and expects exactly that problem, or shows the case the rule lets through.
"""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tahator
from tahator.domain.barter import (
    Applicant,
    Application,
    AuthorizationEvent,
    AuthorizationStatus,
    Difference,
    GoodsLine,
    Lifetime,
    Party,
    approval_number,
    closing_problems,
    deadline,
    declaration_problems,
    difference,
    expiry_problems,
    imbalance_debtor_is_applicant,
    plan_reached,
    price_flag,
    quarter_bounds,
    quarter_counts,
    rejection_problems,
    transition,
    window_problems,
)
from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Direction, PriceBand, Rules, parse_policy

POLICY_FILE = Path(tahator.__file__).resolve().parent / "policies" / "pk-ir.toml"
with POLICY_FILE.open("rb") as _file:
    POLICY = parse_policy(tomllib.load(_file), str(POLICY_FILE))
RULES = POLICY.rules("2025-10")
RULES_2023 = POLICY.rules("2023")

HOME_FIRM = Party(
    id="PK-1",
    country="PK",
    status="active",
    active_taxpayer=True,
    psw_subscribed=True,
    state_enterprise=False,
)
PARTNER_FIRM = Party(
    id="IR-1",
    country="IR",
    status="active",
    active_taxpayer=False,
    psw_subscribed=False,
    state_enterprise=False,
)
APPLICANT = Applicant(id="PK-1", members=(HOME_FIRM,))
LPG = GoodsLine(
    hs="27111900",
    description="liquefied petroleum gas",
    quantity=Decimal("500"),
    unit="t",
    value=30_000_000,
    currency="USD",
)
RICE = GoodsLine(
    hs="10063010",
    description="basmati rice",
    quantity=Decimal("400000"),
    unit="kg",
    value=32_000_000,
    currency="USD",
)
APPLICATION = Application(
    applicant_id="PK-1",
    counterparty_id="IR-1",
    partner_country="IR",
    imports=(LPG,),
    exports=(RICE,),
    valid_from=date(2025, 10, 1),
    valid_until=date(2026, 6, 30),
    origin_declared=True,
    undertaking=True,
)


def the_one(problems: list[Problem], field: str | None, fragment: str) -> Problem:
    """The single problem in ``problems``, which must be on ``field`` and say ``fragment``."""
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.field == field
    assert fragment in problem.message
    return problem


# -- declaration_problems ---------------------------------------------------------------------

AUTHORIZED_ON = date(2025, 10, 25)
DEADLINE = date(2026, 2, 22)
WINDOW = (AUTHORIZED_ON, DEADLINE)
VALIDITY = (APPLICATION.valid_from, APPLICATION.valid_until)


def declare(
    *,
    rules: Rules = RULES,
    state: AuthorizationStatus = AuthorizationStatus.AUTHORIZED,
    direction: Direction = Direction.IMPORT,
    hs: str = "27111900",
    on: date = date(2025, 11, 15),
    window: tuple[date, date] = WINDOW,
    validity: tuple[date, date] = VALIDITY,
) -> list[Problem]:
    return declaration_problems(rules, state, direction, hs, on, window, validity)


def test_window_is_the_deadline() -> None:
    assert deadline(AUTHORIZED_ON, RULES) == DEADLINE


@pytest.mark.parametrize("direction", list(Direction))
def test_declaration_on_an_authorization_allowed(direction: Direction) -> None:
    assert declare(direction=direction) == []


@pytest.mark.parametrize(
    "state", [s for s in AuthorizationStatus if s is not AuthorizationStatus.AUTHORIZED]
)
def test_declaration_refused_unless_authorized(state: AuthorizationStatus) -> None:
    problem = the_one(declare(state=state), None, f"the authorization is {state}")
    assert "declarations need it authorized" in problem.message


def test_not_authorized_stops_before_other_checks() -> None:
    problems = declare(state=AuthorizationStatus.CANCELLED, hs="22030000", on=date(2030, 1, 1))
    assert len(problems) == 1


def test_declaration_before_the_window_refused() -> None:
    problem = the_one(declare(on=date(2025, 10, 24)), "date", "outside the balancing window")
    assert "2025-10-25 to 2026-02-22" in problem.message


def test_declaration_after_the_deadline_refused() -> None:
    the_one(declare(on=date(2026, 2, 23)), "date", "outside the balancing window")


@pytest.mark.parametrize("on", [AUTHORIZED_ON, DEADLINE])
def test_declaration_on_the_first_and_last_day_allowed(on: date) -> None:
    assert declare(on=on) == []


def test_declaration_outside_the_contract_validity_refused() -> None:
    validity = (date(2025, 10, 1), date(2025, 12, 31))
    problem = the_one(
        declare(on=date(2026, 1, 15), validity=validity), "date", "outside the contract's validity"
    )
    assert "2025-10-01 to 2025-12-31" in problem.message


def test_declaration_on_the_contract_expiry_allowed() -> None:
    assert declare(on=date(2025, 12, 31), validity=(date(2025, 10, 1), date(2025, 12, 31))) == []


def test_declaration_outside_both_reports_both() -> None:
    problems = declare(on=date(2026, 12, 1))
    assert [p.field for p in problems] == ["date", "date"]


@pytest.mark.parametrize("hs", ["22030000", "02031100"])
def test_declaration_of_prohibited_import_refused(hs: str) -> None:
    the_one(declare(hs=hs), "hs", "prohibited for import")


@pytest.mark.parametrize("hs", ["22030000", "02031100"])
def test_declaration_of_same_code_on_export_allowed(hs: str) -> None:
    assert declare(hs=hs, direction=Direction.EXPORT) == []


@pytest.mark.parametrize("hs", ["27A1", "123", ""])
def test_declaration_with_bad_hs_refused(hs: str) -> None:
    the_one(declare(hs=hs), "hs", "is not an HS code")


def test_declaration_shorter_than_the_subheading_refused() -> None:
    the_one(declare(hs="2711"), "hs", "at least 6 digits")


@pytest.mark.parametrize("on", [date(1, 1, 1), date(9999, 12, 31)])
def test_declaration_date_out_of_range_refused_alone(on: date) -> None:
    the_one(declare(on=on, window=(date.min, date.max)), "date", "outside the accepted dates")


@pytest.mark.parametrize("direction", list(Direction))
def test_declaration_order_is_not_checked_before_the_value(direction: Direction) -> None:
    assert declare(rules=RULES_2023, direction=direction) == []  # barter_lines checks it


# -- price_flag -------------------------------------------------------------------------------


def flag(hs: str = "27111900", unit: str = "t", quantity: str = "500", value: int = 0) -> Any:
    return price_flag(POLICY, hs, unit, Decimal(quantity), value, unit_digits=2)


@pytest.mark.parametrize(
    "value",
    [
        30_000_000,  # 500 t at 600.00 USD/t
        15_000_000,  # 300.00: the low edge
        45_000_000,  # 900.00: the high edge
    ],
)
def test_price_inside_the_band_not_flagged(value: int) -> None:
    assert flag(value=value) is None


def test_price_below_the_band_flagged() -> None:
    message = flag(value=10_000_000)  # 200.00 USD/t
    assert message == (
        "unit value 200.00 per t is outside the reference band 300.00–900.00 for HS 2711"
    )


def test_price_just_below_the_band_flagged() -> None:
    message = flag(value=14_999_999)  # 299.999998 USD/t
    assert message is not None
    assert "300.00–900.00" in message


def test_price_above_the_band_flagged() -> None:
    message = flag(value=50_000_000)  # 1000.00 USD/t
    assert message is not None
    assert "unit value 1000.00 per t" in message
    assert "outside the reference band 300.00–900.00 for HS 2711" in message


def test_price_in_another_unit_flagged() -> None:
    message = flag(unit="kg", quantity="500000")  # the right price, but per kg
    assert message == "declared per 'kg'; the reference band for HS 2711 is per 't'"


def test_price_without_a_band_not_flagged() -> None:
    assert flag(hs="84713000", unit="u", quantity="1", value=1) is None


def test_price_uses_the_longest_band() -> None:
    flat = PriceBand("7208", "t", Decimal("400.00"), Decimal("800.00"))
    policy = dataclasses.replace(POLICY, price_bands=(*POLICY.price_bands, flat))
    # 100 t at 380.00 USD/t: inside the chapter's 350–1500 band, below the flat-rolled one.
    assert flag(hs="72101100", quantity="100", value=3_800_000) is None
    message = price_flag(policy, "72081000", "t", Decimal(100), 3_800_000, unit_digits=2)
    assert message is not None
    assert "400.00–800.00 for HS 7208" in message


def test_price_with_other_unit_digits() -> None:
    # Rice: 1000 kg at 0.50 per kg, in a unit of account with 0 and 3 fraction digits.
    assert price_flag(POLICY, "10063010", "kg", Decimal(1000), 500, unit_digits=0) is None
    assert price_flag(POLICY, "10063010", "kg", Decimal(1000), 500_000, unit_digits=3) is None
    assert price_flag(POLICY, "10063010", "kg", Decimal(1000), 5_000, unit_digits=0) is not None


# -- plan_reached ---------------------------------------------------------------------------

FIVE_PERCENT = Decimal("0.05")


@pytest.mark.parametrize("declared", [10000, 10001, 2**70])
def test_the_full_plan_is_reached(declared: int) -> None:
    assert plan_reached(10000, declared)


@pytest.mark.parametrize("declared", [9999, 0, -1])
def test_short_of_the_plan_is_not_reached(declared: int) -> None:
    assert not plan_reached(10000, declared)


def test_nothing_planned_is_reached_by_nothing() -> None:
    assert plan_reached(0, 0)  # a ring's application that plans no import


@pytest.mark.parametrize(("declared", "reached"), [(9500, True), (9499, False)])
def test_the_plan_is_reached_within_the_tolerance(declared: int, reached: bool) -> None:
    assert plan_reached(10000, declared, FIVE_PERCENT) is reached


tolerances = st.decimals(min_value=0, max_value=Decimal("0.9999"), places=4)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**18), st.integers(-10, 10**18), tolerances)
def test_plan_reached_matches_exact_fractions(planned: int, declared: int, tol: Decimal) -> None:
    exact = Fraction(declared) >= Fraction(planned) * (1 - Fraction(tol))
    assert plan_reached(planned, declared, tol) == exact


# -- who owes the imbalance -------------------------------------------------------------------


def test_applicant_owes_when_it_imported_more() -> None:
    assert imbalance_debtor_is_applicant(10000, 9000) is True


def test_counterparty_owes_when_the_applicant_exported_more() -> None:
    assert imbalance_debtor_is_applicant(9000, 10000) is False


def test_nobody_owes_when_equal() -> None:
    assert imbalance_debtor_is_applicant(10000, 10000) is None
    assert imbalance_debtor_is_applicant(0, 0) is None


def test_the_difference_is_owed_by_the_side_that_received_more() -> None:
    assert difference(10000, 9000) == Difference(applicant_owes=True, amount=1000)
    assert difference(9000, 10000) == Difference(applicant_owes=False, amount=1000)
    assert difference(10000, 10000) is None
    assert difference(0, 0) is None


def test_a_rings_difference_is_measured_against_its_plan() -> None:
    # Planned 0 in, 100 out: the ring already owes the applicant 100; 90 went out.
    assert difference(0, 90, planned=(0, 100)) == Difference(applicant_owes=True, amount=10)
    assert difference(0, 100, planned=(0, 100)) is None
    assert difference(0, 110, planned=(0, 100)) == Difference(applicant_owes=False, amount=10)
    assert difference(50, 30, planned=(50, 20)) == Difference(applicant_owes=False, amount=10)


@given(st.integers(0, 2**63 - 1), st.integers(0, 2**63 - 1))
def test_the_difference_is_exact_and_positive(imported: int, exported: int) -> None:
    owed = difference(imported, exported)
    if imported == exported:
        assert owed is None
    else:
        assert owed is not None
        assert owed.amount == abs(imported - exported) > 0
        assert owed.applicant_owes == (imported > exported)


# -- the lifecycle: states and transitions ----------------------------------------------------

LEGAL = {
    (AuthorizationStatus.SUBMITTED, AuthorizationEvent.AUTHORIZE): AuthorizationStatus.AUTHORIZED,
    (AuthorizationStatus.SUBMITTED, AuthorizationEvent.REJECT): AuthorizationStatus.REJECTED,
    (AuthorizationStatus.AUTHORIZED, AuthorizationEvent.BALANCE): AuthorizationStatus.BALANCED,
    (AuthorizationStatus.AUTHORIZED, AuthorizationEvent.CANCEL): AuthorizationStatus.CANCELLED,
}


@pytest.mark.parametrize(("status", "event"), list(LEGAL))
def test_legal_transitions(status: AuthorizationStatus, event: AuthorizationEvent) -> None:
    assert transition(status, event) == LEGAL[status, event]
    assert transition(str(status), event) == LEGAL[status, event]  # as stored


@pytest.mark.parametrize(
    ("status", "event"),
    [(s, e) for s in AuthorizationStatus for e in AuthorizationEvent if (s, e) not in LEGAL],
)
def test_every_other_transition_is_refused(
    status: AuthorizationStatus, event: AuthorizationEvent
) -> None:
    with pytest.raises(InputError) as caught:
        transition(status, event, "authorization 7")
    [problem] = caught.value.problems
    assert problem.message.startswith(f"authorization 7 is {status}, not ")


def test_a_decision_needs_a_submitted_application() -> None:
    with pytest.raises(InputError, match=r"^authorization 3 is rejected, not submitted$"):
        transition(AuthorizationStatus.REJECTED, AuthorizationEvent.AUTHORIZE, "authorization 3")
    with pytest.raises(InputError, match=r"^the authorization is balanced, not authorized$"):
        transition(AuthorizationStatus.BALANCED, AuthorizationEvent.CANCEL)


def test_closed_states_are_final() -> None:
    for status in (
        AuthorizationStatus.BALANCED,
        AuthorizationStatus.CANCELLED,
        AuthorizationStatus.REJECTED,
    ):
        for event in AuthorizationEvent:
            with pytest.raises(InputError):
                transition(status, event)


def test_an_expired_contract_cannot_be_authorized() -> None:
    assert expiry_problems(date(2026, 6, 30), date(2026, 6, 30)) == []
    [problem] = expiry_problems(date(2026, 6, 30), date(2026, 7, 1))
    assert problem == Problem(
        "the contract expired on 2026-06-30, before 2026-07-01", field="as_of"
    )


def test_a_window_must_meet_the_contract() -> None:
    authorized, closes = date(2026, 1, 2), date(2026, 4, 2)
    assert window_problems(authorized, closes, date(2026, 4, 2), date(2026, 9, 1), RULES_2023) == []
    [problem] = window_problems(authorized, closes, date(2026, 9, 1), date(2027, 1, 1), RULES_2023)
    assert problem.field == "as_of"
    assert problem.message == (
        "the contract is valid only from 2026-09-01, after the balancing window authorized "
        "on 2026-01-02 closes on 2026-04-02 (90 days under the 2023 order): no goods could "
        "be declared in time"
    )
    expired = window_problems(authorized, closes, date(2025, 1, 1), date(2026, 1, 1), RULES)
    assert [p.message for p in expired] == ["the contract expired on 2026-01-01, before 2026-01-02"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_closing_early_needs_a_reason(reason: str) -> None:
    [problem] = closing_problems(reason, 10)
    assert (problem.field, problem.message) == (
        "reason",
        "closing an authorization early needs a reason",
    )


def test_closing_reason_length() -> None:
    assert closing_problems("x" * 10, 10) == []
    [problem] = closing_problems("x" * 11, 10)
    assert problem.message == "must be at most 10 characters"


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
def test_a_rejection_needs_a_reason(reason: str) -> None:
    assert rejection_problems(reason) == [Problem("a rejection needs a reason", field="reason")]


def test_a_rejection_with_a_reason() -> None:
    assert rejection_problems("incomplete documents") == []


# -- deadline, approval number ----------------------------------------------------------------


def test_deadline_counts_the_window_from_authorization() -> None:
    assert deadline(date(2025, 10, 25), RULES) == date(2026, 2, 22)


def test_deadline_of_the_2023_window() -> None:
    assert deadline(date(2025, 6, 1), RULES_2023) == date(2025, 8, 30)
    assert deadline(date(2024, 1, 1), RULES_2023) == date(2024, 3, 31)  # leap year


def test_approval_number_links_the_ntn() -> None:
    assert approval_number("4100001-1", 7) == "BT-4100001-1-000007"
    assert approval_number("4100001-1", 123456) == "BT-4100001-1-123456"
    assert approval_number("4100001-1", 1234567) == "BT-4100001-1-1234567"


# -- quarter_bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2025q4", date(2025, 10, 1), date(2025, 12, 31)),
        (" 2024Q1 ", date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_quarter_bounds(text: str, start: date, end: date) -> None:
    assert quarter_bounds(text) == (start, end)


@pytest.mark.parametrize(
    "text", ["2025Q5", "2025Q0", "2025-Q4", "Q4", "", "2025", "25Q4", "2025Q4x", "２０２５Q4"]
)
def test_bad_quarter_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        quarter_bounds(text)
    (problem,) = caught.value.problems
    assert problem.field == "quarter"
    assert "is not a quarter like 2025Q4" in problem.message


def test_year_zero_quarter_refused() -> None:
    with pytest.raises(InputError):
        quarter_bounds("0000Q1")


def test_last_accepted_quarter() -> None:
    assert quarter_bounds("2100Q4") == (date(2100, 10, 1), date(2100, 12, 31))


# -- the quarter's counts ---------------------------------------------------------------------

Q4 = (date(2025, 10, 1), date(2025, 12, 31))


def life(
    status: str, submitted: date, authorized: date | None = None, closed: date | None = None
) -> Lifetime:
    return Lifetime(AuthorizationStatus(status), submitted, authorized, closed, 300, 290)


def test_a_quarter_counts_each_authorization_by_its_dates() -> None:
    counts = quarter_counts(
        [
            life("balanced", date(2025, 9, 1), date(2025, 10, 5), date(2025, 11, 20)),
            life("authorized", date(2025, 12, 1), date(2025, 12, 20)),
            life("cancelled", date(2025, 6, 1), date(2025, 7, 10), date(2025, 12, 31)),
            life("balanced", date(2025, 9, 1), date(2025, 9, 5), date(2026, 1, 2)),  # open at end
            life("rejected", date(2025, 10, 1)),
            life("rejected", date(2025, 9, 30)),  # submitted the quarter before
            life("submitted", date(2025, 11, 1)),
        ],
        *Q4,
    )
    assert counts.issued == 2
    assert (counts.planned_import, counts.planned_export) == (600, 580)
    assert (counts.balanced, counts.cancelled, counts.rejected) == (1, 1, 1)
    assert counts.outstanding == 2  # authorized 20 December, and the one closed in January


def test_an_empty_quarter_counts_nothing() -> None:
    counts = quarter_counts(
        [life("balanced", date(2025, 1, 1), date(2025, 1, 2), date(2025, 2, 1))], *Q4
    )
    assert counts == quarter_counts([], *Q4)
    assert counts.issued == counts.outstanding == counts.balanced == 0
