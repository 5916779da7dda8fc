"""Border markets, statistics and the target report from the command line."""

from __future__ import annotations

import csv
import json
import re
import struct
from pathlib import Path

import pytest

from tahator.io import target_report
from tahator.io.comtrade import SAMPLE
from tahator.io.target_report import REPORT_COLUMNS
from tests.conftest import Cli, absent_in_ci, write

CNIC = "54400-1234567-1"
SALE = ("--hs", "100630", "--currency", "USD", "--date", "2026-10-05")


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    return url


@pytest.fixture
def trading(cli: Cli, db: str) -> str:
    """A resident with two sales and the sample statistics."""
    code, _, err = cli(
        "--db", db, "border", "residents", "add", "--market", "MAND-PISHIN",
        "--national-id", CNIC, "--name", "Karim Baloch", "--district", "Kech",
    )  # fmt: skip
    assert code == 0, err
    for value in ("120.00", "200.00"):
        code, _, err = cli(
            "--db", db, "border", "sell", "--market", "MAND-PISHIN", "--resident", CNIC,
            "--value", value, *SALE,
        )  # fmt: skip
        assert code == 0, err
    assert cli("--db", db, "stats", "import", SAMPLE)[0] == 0
    return db


def test_border_markets_json(cli: Cli) -> None:
    code, out, _ = cli("border", "markets", "--json")
    assert code == 0
    markets = {m["code"]: m for m in json.loads(out)}
    assert set(markets) >= {"MAND-PISHIN", "GABD-RIMDAN", "KUHAK-CHEDGI"}
    mand = markets["MAND-PISHIN"]
    assert mand["status"] == "open"
    assert markets["KUHAK-CHEDGI"]["status"] == "planned"
    assert "10" in mand["goods"]
    for quota in ("transaction_quota", "daily_quota", "monthly_quota"):
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", mand[quota])
    code, out, _ = cli("border", "markets")
    assert code == 0
    assert "GABD-RIMDAN" in out


def test_a_bad_markets_file_is_named(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "m.toml", 'unit_of_account = "USD"\n[[market]]\ncode = "x y"\n')
    monkeypatch.setenv("TAHATOR_MARKETS", str(path))
    code, _, err = cli("border", "markets", "--json")
    assert code == 2
    assert f"{path}: market[1].code" in err
    assert f"{path}: target: is missing" in err


def test_residents(cli: Cli, trading: str) -> None:
    code, out, _ = cli("--db", trading, "border", "residents", "list", "--json")
    assert code == 0
    assert [(r["national_id"], r["country"]) for r in json.loads(out)] == [("5440012345671", "PK")]
    code, out, _ = cli("--db", trading, "border", "residents", "list", "--market", "GABD-RIMDAN")
    assert code == 0
    assert "(0)" in out
    code, _, err = cli(
        "--db", trading, "border", "residents", "add", "--market", "MAND-PISHIN",
        "--national-id", "0499370898", "--name", "Reza", "--district", "Sarbaz",
    )  # fmt: skip
    assert code == 2
    assert "national-id: '0499370898' is not an Iranian national code: wrong check digit" in err


def test_sell_json_reference_and_refusals(cli: Cli, trading: str) -> None:
    base = ("--db", trading, "border", "sell", "--market", "MAND-PISHIN", "--resident", CNIC)
    code, out, err = cli(*base, "--value", "100.00", *SALE, "--reference", "R-9", "--json")
    assert code == 0, err
    sold = json.loads(out)
    assert (sold["value_unit"], sold["remaining"]["daily"]) == ("100.00", "80.00")
    code, out, _ = cli(*base, "--value", "100.00", *SALE, "--reference", "R-9", "--json")
    assert (code, json.loads(out)["id"], json.loads(out)["created"]) == (0, sold["id"], False)
    code, _, err = cli(*base, "--value", "80.01", *SALE)
    assert code == 2
    assert "exceeds the daily quota of 500.00 USD; 80.00 USD remaining today" in err
    code, _, err = cli(*base, "--value", "1", "--hs", "100630", "--currency", "USD",
                       "--date", "2026-10-09")  # fmt: skip
    assert (code, "closed on Fridays" in err) == (2, True)
    code, out, _ = cli("--db", trading, "border", "totals", "--json")
    assert json.loads(out) == [
        {"market": "MAND-PISHIN", "date": "2026-10-05", "sales": 3, "value": "420.00"}
    ]


def test_stats_import_and_target(cli: Cli, trading: str, tmp_path: Path) -> None:
    code, out, _ = cli("--db", trading, "stats", "import", SAMPLE, "--json")
    assert code == 0
    assert json.loads(out)["unchanged"] == json.loads(out)["rows"]
    header = "period,reporterISO,partnerISO,flowCode,cmdCode,primaryValue\n"
    bad = write(tmp_path / "bad.csv", header + "202401,PAK,IRN,M,TOTAL,abc\n")
    code, _, err = cli("--db", trading, "stats", "import", bad)
    assert code == 2
    assert f"{bad}:2: primaryValue: 'abc' is not a number" in err
    code, out, _ = cli("--db", trading, "stats", "target", "--json")
    status = json.loads(out)
    assert status["as_of"] == "2026-10"
    assert status["target"] == "10000000000.00"
    assert 0 < float(status["needed_monthly_growth"]) < 0.2
    code, out, _ = cli("--db", trading, "stats", "target")
    assert "needed growth" in out


def report(cli: Cli, db: str, fmt: str, path: Path) -> Path:
    code, _, err = cli("--db", db, "report", "target", "--format", fmt, "-o", path)
    assert code == 0, err
    return path


def test_report_csv_and_xlsx_agree(cli: Cli, trading: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rows = list(csv.DictReader(report(cli, trading, "csv", tmp_path / "t.csv").open()))
    assert rows[0].keys() >= {
        "month", "official_trade", "barter", "set_off", "border_sales", "total", "target_run_rate",
    }  # fmt: skip
    october = next(r for r in rows if r["month"] == "2026-10")
    assert october["border_sales"] == "320.00"
    book = load_workbook(report(cli, trading, "xlsx", tmp_path / "t.xlsx"))
    sheet = book["monthly"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(REPORT_COLUMNS)
    assert len(values) == len(rows) + 1
    for line, cells in zip(rows, values[1:], strict=True):
        assert cells[0] == line["month"]
        assert f"{cells[5]:.2f}" == line["total"]
    status = dict(book["target"].iter_rows(values_only=True))
    assert status["target"] == "10000000000.00"


def test_report_html_is_offline(cli: Cli, trading: str, tmp_path: Path) -> None:
    html = report(cli, trading, "html", tmp_path / "t.html").read_text()
    assert "plotly" in html.lower()
    assert len(html) > 1_000_000  # plotly.js inline
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?https?://", html, re.IGNORECASE)
    assert "run rate" in html


@absent_in_ci(
    target_report.chromium_path() is not None,
    "Chromium (scripts/ensure-chromium.sh installs it in CI)",
)
def test_report_png(cli: Cli, trading: str, tmp_path: Path) -> None:
    data = report(cli, trading, "png", tmp_path / "t.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 800)
    assert len(data) > 20_000


def test_report_png_without_chromium_fails_clearly(
    cli: Cli, trading: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(target_report, "chromium_path", lambda: None)
    code, _, err = cli(
        "--db", trading, "report", "target", "--format", "png", "-o", tmp_path / "t.png"
    )
    assert code == 1
    assert "needs Chromium" in err
    assert "Traceback" not in err
    assert not (tmp_path / "t.png").exists()


def test_report_bad_format_and_empty_database(cli: Cli, db: str, tmp_path: Path) -> None:
    code, _, err = cli("--db", db, "report", "target", "--format", "pdf", "-o", tmp_path / "x")
    assert (code, "must be csv, xlsx, png or html" in err) == (2, True)
    code, _, err = cli("--db", db, "report", "target", "-o", tmp_path / "x.csv")
    assert (code, "no figures yet" in err) == (2, True)


def test_border_demo_counts_refusals_and_runs_again(tmp_path: Path) -> None:
    from tahator.demo import border_demo
    from tahator.services import corridor
    from tahator.store import migrate
    from tahator.store.database import make_engine, transaction

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
    folder = tmp_path / "demo"
    first = border_demo(engine, folder)
    sales = first["sales"]
    assert first["residents"] == 12
    assert sales["recorded"] > 100
    assert sum(sales["refused"].values()) > 0
    assert first["statistics"]["created"] == first["statistics"]["rows"]
    assert (folder / "target.csv").exists()
    assert (folder / "target.html").exists()
    assert first["target"]["run_rate"] is not None
    again = border_demo(engine, folder)
    assert again["sales"] == {
        "recorded": 0,
        "already_recorded": sales["recorded"],
        "refused": sales["refused"],
    }
    assert again["statistics"]["created"] == 0
    assert again["target"] == first["target"]
    engine.dispose()
