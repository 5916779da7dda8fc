"""How the quarterly report dates what happened to an authorization (issue 17).

A cancellation is dated by its deadline (not by when the sweep noticed), a
rejection by the business date of the decision (the submission's when none is
recorded), and an authorization is outstanding at a quarter's end when it was
authorized by then and not closed by then.
"""

from __future__ import annotations

from datetime import date

import pytest

from tahator.domain.barter import AuthorizationStatus, Lifetime, quarter_bounds, quarter_counts
from tahator.domain.errors import InputError

Q1 = quarter_bounds("2026Q1")
Q2 = quarter_bounds("2026Q2")
Q4 = quarter_bounds("2025Q4")


def cancelled(authorized: date, deadline: date, swept: date, version: str = "2025-10") -> Lifetime:
    return Lifetime(
        AuthorizationStatus.CANCELLED,
        authorized,
        authorized,
        swept,
        300,
        290,
        deadline=deadline,
        version=version,
    )


def rejected(submitted: date, decided: date | None, version: str = "2025-10") -> Lifetime:
    return Lifetime(
        AuthorizationStatus.REJECTED,
        submitted,
        None,
        None,
        300,
        290,
        decided_on=decided,
        version=version,
    )


def test_a_cancellation_counts_in_the_quarter_of_its_deadline_not_of_the_sweep() -> None:
    # Deadline 20 March 2026, swept 10 April: cancelled in Q1, not outstanding at
    # Q1's end, not cancelled in Q2.
    life = cancelled(date(2025, 11, 20), date(2026, 3, 20), date(2026, 4, 10))
    q1, q2 = quarter_counts([life], *Q1), quarter_counts([life], *Q2)
    assert (q1.cancelled, q1.outstanding) == (1, 0)
    assert (q2.cancelled, q2.outstanding) == (0, 0)


def test_a_cancellation_recorded_on_its_deadline_counts_the_same() -> None:
    # As the sweep records it since issue 17 (closed_on = the deadline).
    life = cancelled(date(2025, 11, 20), date(2026, 3, 20), date(2026, 3, 20))
    assert quarter_counts([life], *Q1).cancelled == 1
    assert quarter_counts([life], *Q2).cancelled == 0


def test_a_cancellation_on_the_last_day_of_a_quarter_is_not_outstanding_at_its_end() -> None:
    life = cancelled(date(2025, 12, 1), date(2026, 3, 31), date(2026, 4, 2))
    counts = quarter_counts([life], *Q1)
    assert (counts.cancelled, counts.outstanding) == (1, 0)
    # The quarter before, it was issued and open at the end.
    before = quarter_counts([life], *Q4)
    assert (before.issued, before.outstanding, before.cancelled) == (1, 1, 0)


def test_a_cancellation_without_a_recorded_deadline_falls_back_to_its_closing_day() -> None:
    life = Lifetime(
        AuthorizationStatus.CANCELLED, date(2025, 10, 1), date(2025, 10, 2), date(2026, 1, 5), 1, 1
    )
    assert quarter_counts([life], *Q1).cancelled == 1
    assert quarter_counts([life], *Q4).outstanding == 1


def test_a_balance_is_dated_by_its_closing_day_not_its_deadline() -> None:
    life = Lifetime(
        AuthorizationStatus.BALANCED,
        date(2025, 11, 1),
        date(2025, 11, 2),
        date(2026, 1, 15),
        300,
        290,
        deadline=date(2026, 3, 2),
    )
    assert quarter_counts([life], *Q1).balanced == 1
    assert quarter_counts([life], *Q4).outstanding == 1
    assert quarter_counts([life], *Q1).outstanding == 0


def test_a_rejection_counts_in_the_quarter_of_its_decision() -> None:
    # A contract submitted in 2025 and rejected in January 2026 is a 2026Q1 rejection.
    life = rejected(date(2025, 12, 29), date(2026, 1, 6))
    assert quarter_counts([life], *Q1).rejected == 1
    assert quarter_counts([life], *Q4).rejected == 0


def test_a_rejection_with_no_decision_date_falls_back_to_its_submission() -> None:
    life = rejected(date(2025, 12, 29), None)
    assert quarter_counts([life], *Q4).rejected == 1
    assert quarter_counts([life], *Q1).rejected == 0


def test_only_rejections_are_dated_as_rejections() -> None:
    # A decision date on an authorized one (its authorization) is not a rejection.
    life = Lifetime(
        AuthorizationStatus.AUTHORIZED,
        date(2026, 1, 2),
        date(2026, 1, 5),
        None,
        300,
        290,
        decided_on=date(2026, 1, 5),
    )
    counts = quarter_counts([life], *Q1)
    assert (counts.rejected, counts.issued, counts.outstanding) == (0, 1, 1)


def test_outstanding_means_authorized_by_the_end_and_not_closed_by_then() -> None:
    lives = [
        # Authorized on the quarter's last day: outstanding.
        Lifetime(AuthorizationStatus.AUTHORIZED, date(2026, 3, 30), date(2026, 3, 31), None, 1, 1),
        # Authorized the day after: not yet.
        Lifetime(AuthorizationStatus.AUTHORIZED, date(2026, 3, 30), date(2026, 4, 1), None, 1, 1),
        # Balanced on the last day: closed by then.
        Lifetime(
            AuthorizationStatus.BALANCED,
            date(2026, 1, 1),
            date(2026, 1, 2),
            date(2026, 3, 31),
            1,
            1,
        ),
        # Still submitted: never authorized.
        Lifetime(AuthorizationStatus.SUBMITTED, date(2026, 2, 1), None, None, 1, 1),
    ]
    assert quarter_counts(lives, *Q1).outstanding == 1


def test_the_versions_governing_what_is_counted() -> None:
    lives = [
        cancelled(date(2025, 9, 1), date(2025, 11, 30), date(2026, 1, 5), version="2023"),
        cancelled(date(2025, 11, 1), date(2026, 3, 1), date(2026, 3, 1)),
        rejected(date(2025, 12, 1), date(2025, 12, 3)),
        # Issued and outstanding in the same quarter: counted once.
        Lifetime(
            AuthorizationStatus.AUTHORIZED,
            date(2025, 12, 1),
            date(2025, 12, 2),
            None,
            1,
            1,
            version="2025-10",
        ),
        # Nothing happened to it in Q4: not counted.
        rejected(date(2025, 6, 1), date(2025, 6, 2), version="2023"),
        # Its version unknown: counted, but names none.
        Lifetime(AuthorizationStatus.REJECTED, date(2025, 10, 9), None, None, 1, 1),
    ]
    counts = quarter_counts(lives, *Q4)
    assert (counts.cancelled, counts.rejected, counts.outstanding) == (1, 2, 2)
    assert counts.versions == (("2023", 1), ("2025-10", 3))
    assert quarter_counts([], *Q4).versions == ()


@pytest.mark.parametrize("text", ["1999Q4", "2101Q1", "9999Q4", "0000Q1"])
def test_a_quarter_outside_the_accepted_dates_is_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        quarter_bounds(text)
    (problem,) = caught.value.problems
    assert problem.field == "quarter"
    assert "outside the accepted dates, 2000-01-01 to 2100-12-31" in problem.message


def test_the_first_and_last_accepted_quarters() -> None:
    assert quarter_bounds("2000Q1") == (date(2000, 1, 1), date(2000, 3, 31))
    assert quarter_bounds("2100Q4") == (date(2100, 10, 1), date(2100, 12, 31))
