"""Batch screening files: the optional born, nationality, kind and identifier
columns become the query's facts; bad cells are named by line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tahator.domain.errors import InputError
from tahator.domain.screening import Identifier, Query
from tahator.io.screening_batch import read_batch


def test_plain_files_read_as_before() -> None:
    rows = read_batch(Path("names.csv"), data=b"id,name,country\n1,Ali Reza,pk\n")
    assert rows == [Query("Ali Reza", "PK", "1")]


def test_facts_columns_become_the_query_facts() -> None:
    data = (
        b"id,name,born,nationality,passport,national_id,registration,kind\n"
        b"1,Bahram Tavakoli,1971-03-14,ir,Z9876543,,,individual\n"
        b"2,Kavir Zarrin,,,,,10861234565,Entity\n"
        b"3,Someone,1983,,,42101-7654321-8,,\n"
    )
    one, two, three = read_batch(Path("names.csv"), data=data)
    assert (one.born, one.nationality, one.kind) == ("1971-03-14", "IR", "individual")
    assert one.identifiers == (Identifier("passport", "Z9876543"),)
    assert (two.kind, two.identifiers) == ("entity", (Identifier("registration", "10861234565"),))
    assert (three.born, three.identifiers) == (
        "1983",
        (Identifier("national_id", "42101-7654321-8"),),
    )


def test_bad_cells_are_named_by_line_and_column() -> None:
    data = (
        b"id,name,born,nationality,passport,kind\n"
        b"1,A B,1971-02-30,IR,,\n"
        b"2,C D,03/14/1971,Iran,,\n"
        b"3,E F,2999,,Z<script>,firm\n"
        b"4,G H,1971-03,PK,Z 987-65/43,\n"
    )
    with pytest.raises(InputError) as error:
        read_batch(Path("names.csv"), data=data)
    found = [(p.line, p.field) for p in error.value.problems]
    assert found == [
        (2, "born"),
        (3, "nationality"),
        (3, "born"),
        (4, "kind"),
        (4, "born"),
        (4, "passport"),
    ]
    assert "'03/14/1971' is not a date" in str(error.value)


def test_a_tax_column_and_numbers_in_any_script_are_read() -> None:
    data = (
        "id,name,tax,passport\n1,Kavir Zarrin,1086-1234-565,\n2,Bahram Tavakoli,,۹۸۷۶۵۴۳\n"
    ).encode()
    one, two = read_batch(Path("names.csv"), data=data)
    assert one.identifiers == (Identifier("tax", "1086-1234-565"),)
    assert two.identifiers == (Identifier("passport", "۹۸۷۶۵۴۳"),)


def test_dates_numbers_and_names_are_checked_as_the_api_checks_them() -> None:
    too_many = " ".join(["Ali"] * 25)
    data = (
        "id,name,born,tax\n"
        "1,A B,1990-13-45,\n"
        "2,C D,1899,\n"
        f"3,{too_many},,\n"
        f"4,E F,,{'9' * 61}\n"
        "5,G H,,12_34\n"
    ).encode()
    with pytest.raises(InputError) as error:
        read_batch(Path("names.csv"), data=data)
    found = [(p.line, p.field, p.message) for p in error.value.problems]
    assert [(line, field) for line, field, _ in found] == [
        (2, "born"),
        (3, "born"),
        (4, "name"),
        (5, "tax"),
        (6, "tax"),
    ]
    assert "'1990-13-45' is not a real date" in found[0][2]
    assert "has 25 words; at most 24" in found[2][2]


def test_a_misspelt_column_is_refused_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_bytes(b"id,name,pasport\n1,Ali Ahmadian,Z1234567\n")
    with pytest.raises(InputError) as refused:
        read_batch(path)
    assert "unknown column 'pasport'" in str(refused.value)


def test_a_name_without_a_letter_is_nothing_to_screen(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_bytes(b"id,name\n1,...\n2,Ali Ahmadian\n")
    with pytest.raises(InputError) as refused:
        read_batch(path)
    assert "nothing to screen" in str(refused.value)
