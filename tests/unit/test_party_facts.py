"""One check each for what a screened party claims besides its name: the /screen
API and the batch file accept and refuse the same dates, numbers and names."""

from __future__ import annotations

from datetime import date

import pytest

from tahator.domain.party_facts import (
    MAX_NAME_WORDS,
    birth_date,
    born_problem,
    number_problem,
    screened_name_problem,
)

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize("born", ["1971", "1971-03", "1971-03-14", "1900", "2026", "2024-02-29"])
def test_dates_of_birth_accepted(born: str) -> None:
    assert born_problem(born, today=TODAY) is None


@pytest.mark.parametrize(
    ("born", "why"),
    [
        ("1990-13-45", "not a real date"),
        ("1990-13", "not a real date"),
        ("1971-02-30", "not a real date"),
        ("2023-02-29", "not a real date"),
        ("1899", "not a year from 1900 to 2026"),
        ("2027-01-01", "not a year from 1900 to 2026"),
        ("14/03/1971", "not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("71", "not a date"),
        ("۱۳۵۰", "not a date"),  # a Persian year: a solar-hijri date, not ISO
        ("", "not a date"),
    ],
)
def test_dates_of_birth_refused(born: str, why: str) -> None:
    problem = born_problem(born, today=TODAY)
    assert problem is not None
    assert why in problem


def test_birth_date_reads_the_precision_written() -> None:
    assert birth_date("1971") == (1971, None, None)
    assert birth_date(" 1971-03 ") == (1971, 3, None)
    assert birth_date("1971-03-14") == (1971, 3, 14)
    assert birth_date("1971/03/14") is None


@pytest.mark.parametrize(
    "number",
    ["Z9876543", "42101-7654321-8", "۰۰۳۵۰۱۱۷۸۵", "AB 12/34.5", "Б1234567", "1", "x" * 60],
)
def test_identifier_numbers_accepted(number: str) -> None:
    assert number_problem(number) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("", "1 to 60 characters"),
        ("x" * 61, "1 to 60 characters"),
        ("Z<script>", "letters, digits"),
        ("12_34", "letters, digits"),
        ("- / .", "letters, digits"),
        ("12\n34", "letters, digits"),
    ],
)
def test_identifier_numbers_refused(number: str, why: str) -> None:
    problem = number_problem(number)
    assert problem is not None
    assert why in problem


def test_names_of_more_than_the_most_words_are_refused() -> None:
    assert screened_name_problem(" ".join(["Ali"] * MAX_NAME_WORDS)) is None
    assert screened_name_problem(" ".join(["Ali"] * (MAX_NAME_WORDS + 1))) == (
        f"has {MAX_NAME_WORDS + 1} words; at most {MAX_NAME_WORDS}"
    )
