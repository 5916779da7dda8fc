"""The barter life from the command line: apply, authorize, declare, sweep, report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, write
from tests.integration.conftest import firms_file
from tests.integration.test_barter import application as valid_application

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    firms = firms_file(tmp_path / "firms.csv", FIRMS)  # every firm eligible
    assert cli("--db", url, "firms", "import", firms)[0] == 0
    return url


def application(tmp_path: Path, **changes: Any) -> Path:
    """The integration tests' valid application, with ``changes``, as a file."""
    path = tmp_path / "application.json"
    path.write_text(json.dumps(valid_application(**changes)))
    return path


def test_the_barter_life_end_to_end(cli: Cli, db: str, tmp_path: Path) -> None:
    code, out, err = cli(
        "--db", db, "barter", "apply", application(tmp_path), "--as-of", "2025-10-20", "--json"
    )
    assert code == 0, err
    first = json.loads(out)["id"]
    code, out, _ = cli(
        "--db", db, "barter", "authorize", str(first), "--as-of", "2025-10-25", "--json"
    )
    view = json.loads(out)
    assert view["approval_number"].startswith("BT-")
    assert view["deadline"] == "2026-02-22"

    declaration = (
        "--hs",
        "27111900",
        "--quantity",
        "500",
        "--unit",
        "t",
        "--value",
        "300000",
        "--currency",
        "USD",
        "--date",
        "2025-11-10",
    )
    code, out, _ = cli(
        "--db", db, "barter", "declare", str(first), "--direction", "import", *declaration, "--json"
    )
    assert code == 0
    code, out, _ = cli(
        "--db",
        db,
        "barter",
        "declare",
        str(first),
        "--direction",
        "export",
        "--hs",
        "10063010",
        "--quantity",
        "400000",
        "--unit",
        "kg",
        "--value",
        "296000",
        "--currency",
        "USD",
        "--date",
        "2025-12-01",
        "--json",
    )
    assert json.loads(out)["state"] == "balanced"
    code, out, _ = cli("--db", db, "barter", "show", str(first), "--json")
    shown = json.loads(out)
    assert (shown["state"], shown["imported"], shown["exported"]) == (
        "balanced",
        "300000.00",
        "296000.00",
    )
    assert [d["direction"] for d in shown["declarations"]] == ["import", "export"]

    # A second authorization is never balanced: the sweep cancels it.
    code, out, _ = cli(
        "--db",
        db,
        "barter",
        "apply",
        application(tmp_path, applicant="PK-2", counterparty="IR-2"),
        "--as-of",
        "2025-10-20",
        "--json",
    )
    second = json.loads(out)["id"]
    cli("--db", db, "barter", "authorize", str(second), "--as-of", "2025-11-01")
    cli("--db", db, "barter", "declare", str(second), "--direction", "import", *declaration)
    code, out, _ = cli("--db", db, "barter", "sweep", "--as-of", "2026-03-15", "--json")
    swept = json.loads(out)
    assert [v["id"] for v in swept["cancelled"]] == [second]
    code, out, _ = cli("--db", db, "barter", "sweep", "--as-of", "2026-03-15", "--json")
    assert json.loads(out)["cancelled"] == []
    code, out, _ = cli("--db", db, "obligations", "list", "--firm", "PK-2", "--json")
    owed = json.loads(out)
    assert [(o["debtor"], o["creditor"], o["amount"]) for o in owed] == [
        ("PK-2", "IR-2", "300000.00")
    ]
    code, out, _ = cli("--db", db, "barter", "list", "--json")
    assert [a["state"] for a in json.loads(out)] == ["balanced", "cancelled"]
    assert cli("--db", db, "ledger", "verify")[0] == 0

    code, out, _ = cli("--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "json")
    report = json.loads(out)
    assert (report["authorizations_issued"], report["balanced"], report["outstanding"]) == (2, 1, 1)
    code, out, _ = cli("--db", db, "report", "barter", "--quarter", "2026Q1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {
        "section": "summary",
        "partner_country": "",
        "hs_chapter": "",
        "measure": "cancelled",
        "value": "1",
    } in rows
    report_file = tmp_path / "q4.csv"
    code, _, _ = cli(
        "--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "csv", "-o", report_file
    )
    assert report_file.read_text().startswith("section,partner_country,hs_chapter,measure,value")


def test_an_ineligible_applicant_and_a_prohibited_good_exit_2(
    cli: Cli, db: str, tmp_path: Path
) -> None:
    unlisted = write(
        tmp_path / "unlisted.csv", "id,name,country,tax_id\nPK-9,Unlisted Co,PK,4109999-9\n"
    )
    cli("--db", db, "firms", "import", unlisted)
    code, out, err = cli("--db", db, "barter", "apply", application(tmp_path, applicant="PK-9"))
    assert code == 2
    assert "applicant: PK-9 is not on the FBR's active-taxpayer list" in err
    assert "applicant: PK-9 is not subscribed to the Pakistan Single Window" in err
    pork = [
        {
            "hs": "02031100",
            "description": "pork",
            "quantity": "1",
            "unit": "t",
            "value": "100.00",
            "currency": "USD",
        }
    ]
    code, _, err = cli("--db", db, "barter", "apply", application(tmp_path, imports=pork))
    assert code == 2
    assert "imports[1].hs: HS 02031100 is prohibited for import (HS 0203)" in err
    code, out, _ = cli("--db", db, "barter", "list", "--json")
    assert json.loads(out) == []


def test_bad_commands_exit_2(cli: Cli, db: str, tmp_path: Path) -> None:
    code, _, err = cli("--db", db, "barter", "authorize", "42", "--as-of", "2025-10-25")
    assert code == 2
    assert "no barter authorization 42" in err
    code, _, err = cli("--db", db, "report", "barter", "--quarter", "Q9")
    assert code == 2
    code, _, err = cli("--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "xml")
    assert code == 2
    code, _, err = cli("--db", db, "barter", "apply", tmp_path / "missing.json")
    assert code == 2
    assert "cannot read the file" in err


def test_the_policy_is_shown_and_a_bad_one_refused(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("policy", "show", "--json")
    policy = json.loads(out)
    assert policy["partners"] == ["AF", "IR", "RU"]
    versions = {v["version"]: v for v in policy["versions"]}
    assert (versions["2023"]["sequencing"], versions["2023"]["window_days"]) == (
        "import_first",
        90,
    )
    assert (versions["2025-10"]["sequencing"], versions["2025-10"]["window_days"]) == (
        "simultaneous",
        120,
    )
    assert versions["2025-10"]["tolerance"] == "0.20"
    assert {"0203", "2208"} <= set(versions["2025-10"]["prohibited"]["import"])
    code, out, _ = cli("policy", "show")
    assert code == 0
    assert "version 2023, from 2023-06-01" in out
    assert "sequencing simultaneous; balancing within 120 days" in out
    bad = write(tmp_path / "bad.toml", '[[versions]]\nversion = "x"\nsequencing = "whenever"\n')
    code, _, err = cli("--policy", bad, "policy", "show")
    assert code == 2
    assert f"{bad}: versions[1].sequencing: 'whenever' must be" in err
    assert f"{bad}: versions[1].window_days: is missing" in err
    code, _, err = cli("--policy", write(tmp_path / "x.toml", "not = [toml"), "policy", "show")
    assert code == 2
    assert "not valid TOML" in err
