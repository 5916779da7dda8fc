"""Every CSV and XLSX export writes a cell that begins as a formula (``=1+2``) as text
(``'=1+2``, OWASP's rule, ``io.tables.spreadsheet_safe``), and numbers as numbers.

The exports: the web's set-off notices and settlement instructions (``/clearing``),
the quarterly barter report (web and ``tahator barter report``), the trade-target
report as CSV and XLSX (web and ``tahator border report``), and ``tahator clear``'s
set-offs and settlement instructions.  A hostile value is put where a user's text
lands (a reference, a flag, a source file's name): the entry points may refuse such
text as an identifier, but what is already stored must still come out safe.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import update

from tahator.io.comtrade import SAMPLE, read_comtrade
from tahator.services import stats
from tahator.store.database import transaction
from tahator.store.schema import Declaration, Obligation, SettlementInstruction, TradeStatistic
from tests.api.test_minimization import declare_one_barter_month, run_clearing
from tests.conftest import Cli, write
from tests.web.conftest import House, browser

HOSTILE = "=1+2"
SAFE = "'=1+2"


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_clearing_downloads_neutralize_formulas(house: House) -> None:
    with transaction(house.engine) as session:
        session.execute(
            update(Obligation).where(Obligation.reference == "INV-1").values(reference=HOSTILE)
        )
    run_id = run_clearing(house)
    with transaction(house.engine) as session:
        session.execute(
            update(SettlementInstruction)
            .where(SettlementInstruction.run_id == run_id)
            .values(confirmed_by=HOSTILE, return_reason="-AM4")
        )
    operator = browser(house, "operator")
    notices = cells(operator.get(f"/clearing/runs/{run_id}/notices.csv").text)
    header = notices[0]
    references = [row[header.index("reference")] for row in notices[1:]]
    assert SAFE in references
    assert HOSTILE not in references
    setoffs = [row[header.index("setoff")] for row in notices[1:]]
    assert "600.00" in setoffs  # amounts are numbers, untouched
    for who in ("operator", "bank", "auditor", "trader"):
        download = browser(house, who).get(f"/clearing/instructions.csv?run={run_id}")
        rows = cells(download.text)
        assert len(rows) > 1, who
        column = rows[0].index("confirmed_by")
        assert {row[column] for row in rows[1:]} == {SAFE}, who
        assert {row[rows[0].index("return_reason")] for row in rows[1:]} == {"'-AM4"}


def test_the_barter_report_csv_neutralizes_formulas(house: House) -> None:
    declare_one_barter_month(house)
    with transaction(house.engine) as session:
        session.execute(update(Declaration).values(flag=HOSTILE))
    download = browser(house, "operator").get("/reports/barter.csv?quarter=2025Q4")
    assert download.status_code == 200, download.text
    flagged = [row for row in cells(download.text) if row[0] == "flagged"]
    assert flagged
    assert [row[-1] for row in flagged] == [SAFE]


def test_the_target_report_neutralizes_formulas_in_csv_and_xlsx(house: House) -> None:
    with transaction(house.engine) as session:
        stats.import_statistics(session, read_comtrade(SAMPLE), "test")
        session.flush()
        session.execute(update(TradeStatistic).values(source=HOSTILE))
    client = browser(house, "operator")
    book = load_workbook(io.BytesIO(client.get("/reports/target.xlsx").content))
    status = {row[0].value: row[1] for row in book["target"].iter_rows()}
    assert status["sources"].value == SAFE
    assert status["sources"].data_type == "s"  # text, not a formula
    assert not any(
        cell.data_type == "f" for sheet in book for row in sheet.iter_rows() for cell in row
    )
    numbers = [row[1].value for row in book["monthly"].iter_rows(min_row=2)]
    assert all(not isinstance(value, str) for value in numbers)  # amounts stay numbers
    text = client.get("/reports/target.csv").text
    assert not any(c.startswith(("=", "+", "@")) for row in cells(text) for c in row)


def test_tahator_clear_writes_formula_ids_as_text(cli: Cli, tmp_path: Path) -> None:
    source = write(
        tmp_path / "o.csv",
        "id,debtor,creditor,amount\n@SUM,=1+2,B,150.00\n+x,B,=1+2,100.00\n-y,B,C,5.00\n",
    )
    participants = write(tmp_path / "p.csv", "id,country\n=1+2,PK\nB,IR\nC,IR\n")
    code, _, err = cli(
        "clear",
        source,
        "-o",
        tmp_path / "s.csv",
        "--participants",
        participants,
        "--settlement",
        tmp_path / "settle.csv",
    )
    assert code == 0, err
    setoffs = cells((tmp_path / "s.csv").read_text(encoding="utf-8"))
    assert setoffs[1][:3] == ["'@SUM", SAFE, "B"]
    assert setoffs[2][:3] == ["'+x", "B", SAFE]
    assert setoffs[3][0] == "'-y"
    assert setoffs[1][3:] == ["150.00", "100.00", "50.00"]
    settlement = cells((tmp_path / "settle.csv").read_text(encoding="utf-8"))
    assert SAFE in {row[0] for row in settlement[1:]}
    assert HOSTILE not in {row[0] for row in settlement[1:]}
