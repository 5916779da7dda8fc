"""tahator report barter --format pdf: the quarterly report as a one-page PDF file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.e2e.test_barter_cli import application, db  # noqa: F401  (the db fixture)
from tests.pdf_file import pdf_info, pdf_pages

SOURCE = "SRO 642(I)/2023 as amended 17 October 2025"


def test_the_report_as_a_pdf_file(cli: Cli, db: str, tmp_path: Path) -> None:  # noqa: F811
    code, out, err = cli(
        "--db", db, "barter", "apply", application(tmp_path), "--as-of", "2025-10-20", "--json"
    )
    assert code == 0, err
    authorization = json.loads(out)["id"]
    code, _, err = cli(
        "--db", db, "barter", "authorize", str(authorization), "--as-of", "2025-11-20"
    )
    assert code == 0, err
    pdf = tmp_path / "reports" / "q4.pdf"
    code, out, err = cli(
        "--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "pdf", "--output", pdf
    )
    assert code == 0, err
    assert out == f"barter report for 2025Q4 written to {pdf}\n"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert pdf_pages(data) == 1
    info = pdf_info(data)
    assert info["Title"] == "Quarterly barter report 2025Q4"
    assert info["Subject"] == f"2025-10: {SOURCE}"
    code, out, _ = cli("--db", db, "report", "barter", "--quarter", "2025Q4")
    assert json.loads(out)["policy_versions"][0]["source"] == SOURCE


def test_a_bad_pdf_report_exits_2_and_writes_nothing(
    cli: Cli,
    db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    pdf = tmp_path / "q.pdf"
    for quarter, message in (
        ("2025Q5", "quarter: '2025Q5' is not a quarter like 2025Q4"),
        ("1999Q4", "quarter: '1999Q4' is outside the accepted dates, 2000-01-01 to 2100-12-31"),
    ):
        code, _, err = cli(
            "--db", db, "report", "barter", "--quarter", quarter, "--format", "pdf", "-o", pdf
        )
        assert code == 2, quarter
        assert message in err
    code, _, err = cli("--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "pdf")
    assert code == 2
    assert "--output: a PDF report is written to a file; give -o FILE" in err
    code, _, err = cli("--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "xml")
    assert code == 2
    assert "must be json, csv or pdf" in err
    code, _, err = cli(
        "--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "pdf", "-o", tmp_path
    )
    assert code == 2  # a directory
    assert "cannot write here" in err
    assert not pdf.exists()
