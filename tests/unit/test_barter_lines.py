"""Declarations against an authorization's plan (``domain.barter_lines``), and the dates
and undertaking of the application and declaration forms (``io``)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tahator.domain.barter_lines import (
    Goods,
    PlannedLine,
    match_line,
    percent,
    sequencing_problems,
    within,
)
from tahator.domain.errors import Problem
from tahator.domain.policy import Direction, Rules
from tahator.io.application import check_application
from tahator.io.declarations import declaration_record
from tests.integration.test_barter import application
from tests.unit.test_barter import RULES, RULES_2023

LPG = PlannedLine(1, "27111900", "LPG", Decimal(200), "t", 100_000_00)
PROPANE = PlannedLine(2, "27111200", "propane", Decimal(50), "t", 20_000_00)
LINES = (LPG, PROPANE)


def goods(
    hs: str = "27111900", quantity: str = "10", unit: str = "t", value: int = 5_000_00
) -> Goods:
    return Goods(Direction.IMPORT, hs, Decimal(quantity), unit, value)


def match(
    *lines: PlannedLine, rules: Rules = RULES, **changes: Any
) -> tuple[int | None, list[Problem]]:
    return match_line(rules, lines or LINES, goods(**changes), "USD", 2)


# -- which line -----------------------------------------------------------------------------


@pytest.mark.parametrize(("hs", "line"), [("27111900", 1), ("27111990", 1), ("2711120000", 2)])
def test_the_line_of_the_same_subheading(hs: str, line: int) -> None:
    assert match(hs=hs) == (line, [])


def test_no_line_of_the_subheading_names_the_authorized_lines() -> None:
    line, problems = match(hs="870323")
    assert line is None
    [problem] = problems
    assert problem.field == "hs"
    assert problem.message == (
        "HS 870323 matches no authorized import line; "
        "authorized: 1. HS 27111900 LPG; 2. HS 27111200 propane"
    )


def test_no_line_at_all_of_the_direction() -> None:
    _, [problem] = match_line(RULES, (), goods(), "USD", 2)
    assert problem.message.endswith("matches no authorized import line; authorized: none")


def test_the_subheading_digits_are_the_versions() -> None:
    four = dataclasses.replace(RULES, hs_digits=4)
    assert match(hs="27119999", rules=four) == (1, [])  # the first line of chapter 2711
    assert match(hs="27119999")[0] is None


def test_another_unit_is_refused() -> None:
    _, [problem] = match(unit="kg")
    assert problem.field == "unit"
    assert "declared in kg" in problem.message
    assert "1. HS 27111900 LPG in t" in problem.message


# -- how much -------------------------------------------------------------------------------


def test_value_up_to_the_tolerance_fits() -> None:
    used = PlannedLine(1, "27111900", "LPG", Decimal(200), "t", 100_000_00, Decimal(0), 100_000_00)
    assert match(used, value=20_000_00) == (1, [])  # 120 % of the plan under ±20 %
    _, [problem] = match(used, value=20_000_01)
    assert problem.field == "value"
    assert problem.message == (
        "HS 27111900 would bring import line 1. HS 27111900 LPG to 120000.01 USD against "
        "100000.00 planned, beyond the 2025-10 order's tolerance of 20 %"
    )


def test_quantity_up_to_the_tolerance_fits() -> None:
    used = PlannedLine(1, "27111900", "LPG", Decimal(200), "t", 100_000_00, Decimal(200), 0)
    assert match(used, quantity="40", value=1) == (1, [])
    _, [problem] = match(used, quantity="40.001", value=1)
    assert problem.field == "quantity"
    assert "to 240.001 t against 200 planned" in problem.message


def test_a_full_line_gives_way_to_the_next_of_the_subheading() -> None:
    full = PlannedLine(1, "27111900", "LPG", Decimal(10), "t", 1_000_00, Decimal(12), 1_200_00)
    more = PlannedLine(3, "27111900", "LPG, second lot", Decimal(10), "t", 1_000_00)
    assert match(full, more, quantity="1", value=1_00) == (3, [])
    _, problems = match(full, more, quantity="13", value=1_00)
    assert [p.field for p in problems] == ["value", "quantity", "quantity"]  # neither has room


def test_the_2023_tolerance() -> None:
    used = PlannedLine(1, "27111900", "LPG", Decimal(200), "t", 100_000_00, Decimal(0), 100_000_00)
    assert match(used, rules=RULES_2023, value=5_000_00) == (1, [])
    _, [problem] = match(used, rules=RULES_2023, value=5_000_01)
    assert "2023 order's tolerance of 5 %" in problem.message


tolerances = st.decimals(min_value=0, max_value=Decimal("0.9999"), places=4)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**18), st.integers(0, 2 * 10**18), tolerances)
def test_within_matches_exact_fractions(planned: int, declared: int, tol: Decimal) -> None:
    exact = Fraction(declared) <= Fraction(planned) * (1 + Fraction(tol))
    assert within(planned, declared, tol) == exact


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal(10**15), places=9),
    st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal(10**15), places=9),
    st.decimals(min_value=0, max_value=Decimal("0.999999999"), places=9),
)
def test_within_is_exact_for_quantities(planned: Decimal, declared: Decimal, tol: Decimal) -> None:
    exact = Fraction(declared) <= Fraction(planned) * (1 + Fraction(tol))
    assert within(planned, declared, tol) == exact


@pytest.mark.parametrize(
    ("share", "text"), [("0.05", "5"), ("0.20", "20"), ("0", "0"), ("0.125", "12.5")]
)
def test_percent(share: str, text: str) -> None:
    assert percent(Decimal(share)) == text


# -- in what order --------------------------------------------------------------------------


def order(
    direction: Direction,
    imported: int,
    exported: int,
    planned_import: int = 100,
    rules: Rules = RULES_2023,
) -> list[Problem]:
    return sequencing_problems(rules, direction, imported, exported, planned_import, "USD", 2)


def test_import_first_refuses_an_export_before_any_import() -> None:
    [problem] = order(Direction.EXPORT, 0, 1)
    assert (problem.field, problem.message) == (
        "direction",
        "under the 2023 order imports come first: declare an import before any export",
    )


def test_import_first_caps_exports_by_imports_and_the_tolerance() -> None:
    assert order(Direction.EXPORT, 500_00, 525_00) == []
    [problem] = order(Direction.EXPORT, 500_00, 90_100_00)
    assert problem.message == (
        "under the 2023 order imports come first: exports of 90100.00 USD would exceed "
        "the 500.00 imported by more than 5 %"
    )
    assert order(Direction.EXPORT, 500_00, 525_01) != []


def test_imports_are_never_held_back() -> None:
    assert order(Direction.IMPORT, 1, 10**9) == []


def test_a_ring_application_without_imports_is_exempt() -> None:
    assert order(Direction.EXPORT, 0, 10**9, planned_import=0) == []


def test_simultaneous_allows_any_order() -> None:
    assert order(Direction.EXPORT, 0, 10**9, rules=RULES) == []


# -- the forms' dates and undertaking -------------------------------------------------------

DIGITS = {"USD": 2, "PKR": 2}


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_an_application_date_out_of_range_is_named(day: str) -> None:
    _, problems = check_application(application(valid_until=day), DIGITS)
    assert [(p.field, p.message) for p in problems] == [
        ("valid_until", f"{day} is outside the accepted dates, 2000-01-01 to 2100-12-31")
    ]


def test_the_undertaking_is_read_and_defaults_to_none_given() -> None:
    data = application()
    assert check_application(data, DIGITS)[0].undertaking is True
    data.pop("undertaking")
    record, problems = check_application(data, DIGITS)
    assert (record.undertaking, problems) == (False, [])
    _, problems = check_application(application(undertaking="yes"), DIGITS)
    assert [(p.field, p.message) for p in problems] == [("undertaking", "must be true or false")]


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31)])
def test_a_declaration_date_out_of_range_is_named(day: date) -> None:
    _, problems = declaration_record(
        direction="import",
        hs="27111900",
        quantity="1",
        unit="t",
        value="1",
        currency="USD",
        on=day,
        reference=None,
        digits=DIGITS,
    )
    assert [p.field for p in problems] == ["date"]
