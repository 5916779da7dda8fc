"""The barter order's versions in the policy file: each ``[[versions]]`` table's fields,
their refusals (named ``versions[N].field``), and the version in force on a day."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tahator.domain.errors import InputError
from tahator.domain.policy import Direction, Sequencing, parse_policy
from tests.unit.test_policy import SHIPPED, fields, messages, mutated, refusal


def test_shipped_versions_of_the_order() -> None:
    old, new = SHIPPED.versions
    assert (old.version, old.effective) == ("2023", date(2023, 6, 1))
    assert (old.sequencing, old.window_days, old.tolerance) == (
        Sequencing.IMPORT_FIRST,
        90,
        Decimal("0.05"),
    )
    assert (old.consortium_allowed, old.undertaking_required, old.hs_digits) == (False, False, 6)
    assert (new.version, new.effective) == ("2025-10", date(2025, 10, 17))
    assert (new.sequencing, new.window_days, new.tolerance) == (
        Sequencing.SIMULTANEOUS,
        120,
        Decimal("0.20"),
    )
    assert (new.consortium_allowed, new.undertaking_required, new.hs_digits) == (True, True, 6)
    assert "November 2025" in new.tolerance_source
    assert new.source == "SRO 642(I)/2023 as amended 17 October 2025"
    assert isinstance(new.tolerance, Decimal)


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (date(2023, 6, 1), "2023"),
        (date(2025, 6, 1), "2023"),
        (date(2025, 10, 16), "2023"),
        (date(2025, 10, 17), "2025-10"),
        (date(2025, 11, 3), "2025-10"),
        (date(2100, 12, 31), "2025-10"),
    ],
)
def test_the_version_in_force_on_a_day(day: date, version: str) -> None:
    assert SHIPPED.rules_on(day).version == version
    assert SHIPPED.rules(version) is SHIPPED.rules_on(day)


def test_no_version_before_the_first() -> None:
    with pytest.raises(InputError) as caught:
        SHIPPED.rules_on(date(2023, 5, 31))
    [problem] = caught.value.problems
    assert problem.message == (
        "no barter order was in force on 2023-05-31: SRO 642(I)/2023 of 1 June 2023 "
        "took effect on 2023-06-01"
    )


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(InputError, match="no version '2024'"):
        SHIPPED.rules("2024")


def test_an_eligible_goods_list_limits_the_version() -> None:
    listed = dataclasses.replace(
        SHIPPED.rules("2023"), allowed={Direction.IMPORT: ("2711",), Direction.EXPORT: ()}
    )
    assert listed.goods_problem(Direction.IMPORT, "27111900") is None
    assert listed.goods_problem(Direction.IMPORT, "10063010") == (
        "HS 10063010 is not on the 2023 list of goods eligible for import"
    )
    assert listed.goods_problem(Direction.EXPORT, "10063010") is None
    assert listed.goods_problem(Direction.IMPORT, "02031100") == (
        "HS 02031100 is prohibited for import (HS 0203)"
    )


def version(number: int, key: str, value: object) -> Callable[[dict[str, Any]], object]:
    """A change setting ``key`` of the ``number``-th version (1-based, as problems name it)."""
    return lambda d: d["versions"][number - 1].__setitem__(key, value)


@pytest.mark.parametrize(
    "key",
    [
        "version",
        "source",
        "sequencing",
        "window_days",
        "tolerance",
        "tolerance_source",
        "hs_digits",
        "consortium_allowed",
        "undertaking_required",
        "import_prohibited",
        "export_prohibited",
    ],
)
def test_missing_field_of_a_version(key: str) -> None:
    problems = refusal(mutated(lambda d: d["versions"][1].pop(key)))
    assert fields(problems) == {f"versions[2].{key}"}
    assert problems[0].message == "is missing"


@pytest.mark.parametrize("key", ["import_allowed", "export_allowed"])
def test_an_eligible_goods_list_is_optional(key: str) -> None:
    policy = parse_policy(mutated(lambda d: d["versions"][0].pop(key)))
    assert policy.versions[0].allowed == {Direction.IMPORT: (), Direction.EXPORT: ()}


@pytest.mark.parametrize("key", ["consortium_allowed", "undertaking_required"])
def test_string_where_bool_expected_in_a_version(key: str) -> None:
    problems = refusal(mutated(version(1, key, "yes")))
    assert fields(problems) == {f"versions[1].{key}"}
    assert "must be true or false, not 'yes'" in messages(problems, f"versions[1].{key}")


def test_bool_where_int_expected() -> None:
    problems = refusal(mutated(version(2, "window_days", True)))
    assert fields(problems) == {"versions[2].window_days"}
    assert "must be an integer, not True" in messages(problems, "versions[2].window_days")


def test_string_where_int_expected() -> None:
    problems = refusal(mutated(version(2, "window_days", "120")))
    assert fields(problems) == {"versions[2].window_days"}
    assert "must be an integer" in messages(problems, "versions[2].window_days")


def test_a_version_that_is_not_a_table() -> None:
    problems = refusal(mutated(lambda d: d["versions"].append("2026")))
    assert fields(problems) == {"versions[3]"}
    assert "must be a table" in messages(problems, "versions[3]")


def test_versions_that_are_not_a_list() -> None:
    problems = refusal(mutated(lambda d: d.__setitem__("versions", {"version": "2023"})))
    assert fields(problems) == {"versions"}
    assert "must be a list" in messages(problems, "versions")


def test_no_version_at_all() -> None:
    problems = refusal(mutated(lambda d: d.__setitem__("versions", [])))
    assert [(p.field, p.message) for p in problems] == [
        ("versions", "needs at least one version of the order")
    ]


def test_versions_must_follow_in_time() -> None:
    problems = refusal(mutated(version(2, "effective", date(2023, 6, 1))))
    assert messages(problems, "versions") == "version '2025-10' must take effect after '2023'"
    problems = refusal(mutated(lambda d: d["versions"].reverse()))
    assert messages(problems, "versions") == "version '2023' must take effect after '2025-10'"


def test_version_names_must_differ() -> None:
    problems = refusal(mutated(version(2, "version", "2023")))
    assert messages(problems, "versions") == "version names must differ"


@pytest.mark.parametrize(
    ("effective", "fragment"),
    [
        ("17 October 2025", "is not a date (YYYY-MM-DD)"),
        ("9999-12-31", "outside the accepted dates"),
        (date(1999, 1, 1), "outside the accepted dates"),
        (datetime(2025, 10, 17, 0, 0), "must be a date"),
        (20251017, "must be a date"),
    ],
)
def test_bad_effective_date(effective: object, fragment: str) -> None:
    problems = refusal(mutated(version(2, "effective", effective)))
    assert fields(problems) == {"versions[2].effective"}
    assert fragment in messages(problems, "versions[2].effective")


def test_missing_effective_date() -> None:
    problems = refusal(mutated(lambda d: d["versions"][0].pop("effective")))
    assert fields(problems) == {"versions[1].effective"}


def test_effective_date_as_text_is_read() -> None:
    policy = parse_policy(mutated(version(2, "effective", "2025-10-18")))
    assert policy.versions[1].effective == date(2025, 10, 18)


@pytest.mark.parametrize("rule", ["import-first", "export_first", "Simultaneous", " simultaneous"])
def test_unknown_sequencing_rule(rule: str) -> None:
    problems = refusal(mutated(version(1, "sequencing", rule)))
    assert fields(problems) == {"versions[1].sequencing"}
    assert "must be 'simultaneous' or 'import_first'" in messages(
        problems, "versions[1].sequencing"
    )


def test_empty_sequencing_rule_is_refused() -> None:
    problems = refusal(mutated(version(1, "sequencing", "")))
    assert fields(problems) == {"versions[1].sequencing"}


def test_sequencing_rule_of_the_wrong_type() -> None:
    problems = refusal(mutated(version(1, "sequencing", 1)))
    assert fields(problems) == {"versions[1].sequencing"}
    assert "must be a string" in messages(problems, "versions[1].sequencing")


def test_import_first_rule_parses() -> None:
    policy = parse_policy(mutated(version(2, "sequencing", "import_first")))
    assert policy.versions[1].sequencing is Sequencing.IMPORT_FIRST


@pytest.mark.parametrize("days", [0, -1, -120, 3651])
def test_window_days_out_of_range(days: int) -> None:
    problems = refusal(mutated(version(1, "window_days", days)))
    assert fields(problems) == {"versions[1].window_days"}
    assert "must be 1 to 3650 days" in messages(problems, "versions[1].window_days")


@pytest.mark.parametrize("days", [1, 90, 365, 3650])
def test_window_days_in_range(days: int) -> None:
    policy = parse_policy(mutated(version(1, "window_days", days)))
    assert policy.versions[0].window_days == days


@pytest.mark.parametrize("digits", [3, 11, 0])
def test_hs_digits_out_of_range(digits: int) -> None:
    problems = refusal(mutated(version(2, "hs_digits", digits)))
    assert messages(problems, "versions[2].hs_digits") == "must be 4 to 10 digits"


@pytest.mark.parametrize("digits", [4, 6, 10])
def test_hs_digits_in_range(digits: int) -> None:
    assert parse_policy(mutated(version(2, "hs_digits", digits))).versions[1].hs_digits == digits


@pytest.mark.parametrize(
    ("tolerance", "fragment"),
    [
        ("five percent", "is not a decimal number"),
        ("0,05", "is not a decimal number"),
        ("", "is not a decimal number"),
        ("NaN", "non-negative number"),
        ("Infinity", "non-negative number"),
        ("-0.01", "non-negative number"),
        ("1", "share below 1"),
        ("1.00", "share below 1"),
        ("1.5", "share below 1"),
        (0.05, "must be a string"),  # a TOML float, not a string
        (5, "must be a string"),
    ],
)
def test_bad_tolerance(tolerance: object, fragment: str) -> None:
    problems = refusal(mutated(version(2, "tolerance", tolerance)))
    assert fields(problems) == {"versions[2].tolerance"}
    assert fragment in messages(problems, "versions[2].tolerance")


@pytest.mark.parametrize("tolerance", ["0", "0.00", "0.05", "0.999"])
def test_good_tolerance(tolerance: str) -> None:
    policy = parse_policy(mutated(version(2, "tolerance", tolerance)))
    assert policy.versions[1].tolerance == Decimal(tolerance)


@pytest.mark.parametrize(
    "key", ["import_prohibited", "export_prohibited", "import_allowed", "export_allowed"]
)
@pytest.mark.parametrize("code", ["22O3", "22.03", "2203 ", "", "2", "12345678901", 2203])
def test_hs_prefix_not_digits(key: str, code: object) -> None:
    problems = refusal(mutated(version(1, key, ["0203", code])))
    field = f"versions[1].{key}"
    assert fields(problems) == {field}
    assert len(problems) == 1
    assert "is not an HS code or prefix" in messages(problems, field)


def test_hs_prefix_in_full_width_digits_is_refused() -> None:
    refusal(mutated(version(2, "import_prohibited", ["０２０３"])))
