"""Issue 17's review, the pure parts: GD numbers' characters, a window that could never be
cancelled, import before export counted by dates."""

from __future__ import annotations

from datetime import date

import pytest

from tahator.domain.barter import AuthorizationStatus, Lifetime, quarter_counts, window_problems
from tahator.domain.barter_lines import Dated, dated_sequencing_problems
from tahator.domain.policy import Direction
from tahator.io.declarations import declaration_record, reference_problem
from tests.unit.test_barter import RULES, RULES_2023


@pytest.mark.parametrize("number", ["KAPE-HC-12345-01012026", "GD/2026/7.1_a", "گمرک-12", "x"])
def test_a_gd_number_of_letters_digits_and_marks_is_accepted(number: str) -> None:
    assert reference_problem(number) is None


@pytest.mark.parametrize(
    ("number", "named"),
    [
        ("GD 1", "' '"),
        ("GD\u200b1", "'\\u200b'"),  # zero-width space
        ("GD\u202e1", "'\\u202e'"),  # right-to-left override
        ("GD\n1", "'\\n'"),
        ("GD;1", "';'"),
    ],
)
def test_a_gd_number_with_other_characters_is_refused(number: str, named: str) -> None:
    assert reference_problem(number) == f"may hold only letters, digits and - _ . /, not {named}"
    record, [problem] = declaration_record(
        direction="import",
        hs="27111900",
        quantity="1",
        unit="t",
        value="1",
        currency="USD",
        on=date(2025, 11, 4),
        reference=number,
        digits={"USD": 2},
    )
    assert record is None
    assert problem.field == "reference"


def test_a_gd_number_of_more_than_100_characters_is_refused() -> None:
    assert reference_problem("A" * 100) is None
    assert reference_problem("A" * 101) == "must be 1 to 100 characters"
    assert reference_problem("") == "must be 1 to 100 characters"


def test_a_window_closing_on_the_last_accepted_date_is_refused() -> None:
    authorized = date(2100, 9, 2)
    [problem] = window_problems(
        authorized, date(2100, 12, 31), date(2100, 1, 1), date(2100, 12, 31), RULES
    )
    assert problem.field == "as_of"
    assert problem.message == (
        "the balancing window authorized on 2100-09-02 would close on 2100-12-31, and no "
        "date after 2100-12-31 is accepted: it could never be cancelled"
    )
    assert (
        window_problems(authorized, date(2100, 12, 30), date(2100, 1, 1), date(2100, 12, 31), RULES)
        == []
    )


def day(d: int) -> date:
    return date(2025, 6, d)


def test_an_export_counts_only_imports_dated_on_or_before_it() -> None:
    imported_later = [Dated(Direction.IMPORT, day(30), 1000_00)]
    export = Dated(Direction.EXPORT, day(15), 500_00)
    [problem] = dated_sequencing_problems(RULES_2023, export, imported_later, 1, "USD", 2)
    assert problem.field == "direction"
    assert "declare an import before any export" in problem.message
    same_day = [Dated(Direction.IMPORT, day(15), 500_00)]
    assert dated_sequencing_problems(RULES_2023, export, same_day, 1, "USD", 2) == []


def test_a_back_dated_export_is_checked_on_later_exports_days() -> None:
    declared = [Dated(Direction.IMPORT, day(5), 500_00), Dated(Direction.EXPORT, day(20), 525_00)]
    [problem] = dated_sequencing_problems(
        RULES_2023, Dated(Direction.EXPORT, day(10), 1_00), declared, 1, "USD", 2
    )
    assert "exports of 526.00 USD would exceed the 500.00 imported" in problem.message
    assert problem.message.endswith("(counting goods dated up to 2025-06-20)")


def test_imports_and_simultaneous_orders_are_never_held_back_by_dates() -> None:
    later = [Dated(Direction.IMPORT, day(30), 1)]
    assert (
        dated_sequencing_problems(
            RULES_2023, Dated(Direction.IMPORT, day(1), 10**9), later, 1, "USD", 2
        )
        == []
    )
    assert (
        dated_sequencing_problems(RULES, Dated(Direction.EXPORT, day(1), 10**9), later, 1, "USD", 2)
        == []
    )


def test_closing_on_purpose_is_counted_apart_from_balanced() -> None:
    def closed(by: str | None) -> Lifetime:
        return Lifetime(
            AuthorizationStatus.BALANCED,
            date(2025, 10, 1),
            date(2025, 10, 5),
            date(2025, 11, 20),
            300,
            290,
            closed_by=by,
        )

    counts = quarter_counts(
        [closed(None), closed("customs:c"), closed("trader:t")],
        date(2025, 10, 1),
        date(2025, 12, 31),
    )
    assert (counts.balanced, counts.closed_on_purpose) == (1, 2)
