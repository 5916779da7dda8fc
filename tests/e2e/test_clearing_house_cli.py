"""The clearing house from the command line: database, imports, runs, ledger, settlement."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli, write
from tests.integration.conftest import firms_file, obligations_file

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
ROWS = [
    ("INV-1", "PK-1", "IR-1", "300.00", "USD"),
    ("INV-2", "IR-1", "PK-2", "120.00", "USD"),
    ("INV-3", "PK-2", "PK-1", "80.00", "USD"),
    ("INV-4", "IR-2", "PK-1", "50.00", "USD"),
]


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    code, out, err = cli("--db", url, "db", "upgrade")
    assert code == 0, err
    assert "corridor created" in out
    return url


def test_the_whole_path_from_files_to_a_verified_ledger(cli: Cli, db: str, tmp_path: Path) -> None:
    firms = firms_file(tmp_path / "firms.csv", FIRMS)
    source = obligations_file(tmp_path / "obligations.csv", ROWS)
    code, out, _ = cli("--db", db, "firms", "import", firms, "--json")
    assert json.loads(out) == {"rows": 4, "created": 4, "unchanged": 0}
    code, out, _ = cli("--db", db, "obligations", "import", source, "--json")
    assert json.loads(out) == {"rows": 4, "created": 4, "unchanged": 0}
    code, out, _ = cli("--db", db, "obligations", "import", source, "--json")
    assert json.loads(out) == {"rows": 4, "created": 0, "unchanged": 4}  # nothing changes

    code, out, _ = cli("--db", db, "obligations", "list", "--json")
    listed = json.loads(out)
    assert [o["id"] for o in listed] == ["INV-1", "INV-2", "INV-3", "INV-4"]
    assert listed[0] | {"number": 0} == {
        "id": "INV-1",
        "number": 0,
        "debtor": "PK-1",
        "creditor": "IR-1",
        "amount": "300.00",
        "currency": "USD",
        "due_date": "2026-06-30",
        "status": "open",
        "remaining": "300.00",
        "set_off": "0.00",
        "origin": None,
        "jointly_liable": [],
    }

    code, out, err = cli("--db", db, "clearing", "run", "--as-of", "2026-11-23", "--json")
    assert code == 0, err
    run = json.loads(out)
    assert run["run_id"] == 1
    assert run["status"] == "completed"
    assert run["obligations"] == 4
    assert (run["total"], run["cleared"], run["remainder"]) == ("550.00", "240.00", "310.00")

    stateless = write(
        tmp_path / "stateless.csv",
        "debtor,creditor,amount\n" + "".join(f"{d},{c},{a}\n" for _, d, c, a, _ in ROWS),
    )
    code, out, _ = cli("clear", stateless, "--json")
    assert json.loads(out)["cleared"] == run["cleared"]

    code, out, _ = cli("--db", db, "clearing", "list", "--json")
    assert json.loads(out) == [
        {
            "run_id": 1,
            "status": "completed",
            "as_of": "2026-11-23",
            "obligations": 4,
            "total": "550.00",
            "cleared": "240.00",
        }
    ]
    code, out, _ = cli("--db", db, "clearing", "show", "1", "--json")
    shown = json.loads(out)
    assert {p["firm"] for p in shown["positions"]} == {"PK-1", "PK-2", "IR-1"}
    pending = [i for i in shown["instructions"] if i["status"] == "pending"]
    assert pending

    code, out, _ = cli("--db", db, "obligations", "list", "--firm", "IR-2", "--json")
    assert [o["id"] for o in json.loads(out)] == ["INV-4"]

    code, _, err = cli("--db", db, "ledger", "verify")
    assert code == 0, err
    code, out, _ = cli("--db", db, "ledger", "balances", "--json")
    balances = {(b["account"], b["currency"]): b["balance"] for b in json.loads(out)}
    # The ring PK-1 → IR-1 → PK-2 → PK-1 set off 80 each; the cross-border rest went
    # to the clearing accounts, so no payable or receivable is left.
    assert not [account for account, _ in balances if account.startswith(("payable", "receiv"))]
    assert balances[("collection:PK-1", "USD")] == "220.00"
    assert balances[("payout:IR-1", "USD")] == "-220.00"
    assert balances[("interaccount:PK", "USD")] == "-130.00"  # PK's account owes IR's

    first = pending[0]["id"]
    code, out, _ = cli("--db", db, "settlement", "confirm", str(first), "--json")
    assert code == 0
    assert json.loads(out)["status"] == "confirmed"
    code, _, err = cli("--db", db, "settlement", "confirm", str(first))
    assert code == 2
    assert "already confirmed" in err
    code, _, err = cli("--db", db, "settlement", "confirm", "9999")
    assert code == 2
    assert "no settlement instruction 9999" in err
    code, _, _ = cli("--db", db, "ledger", "verify")
    assert code == 0


def test_a_file_with_one_bad_row_imports_nothing(cli: Cli, db: str, tmp_path: Path) -> None:
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", FIRMS))
    rows = [*ROWS, ("INV-5", "PK-1", "NOBODY", "1.00", "USD")]
    code, out, err = cli(
        "--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", rows)
    )
    assert code == 2
    assert err.strip() == f"{tmp_path / 'o.csv'}:6: creditor: unknown firm 'NOBODY'"
    code, out, _ = cli("--db", db, "obligations", "list", "--json")
    assert json.loads(out) == []


def test_commands_on_a_database_that_is_not_ready(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, _, err = cli("--db", url, "obligations", "list")
    assert code == 2
    assert "run `tahator db upgrade`" in err
    code, _, err = cli("--db", "nonsense://", "obligations", "list")
    assert code == 2


def test_bad_dates_and_rates_are_refused(cli: Cli, db: str) -> None:
    code, _, err = cli("--db", db, "clearing", "run", "--as-of", "yesterday")
    assert code == 2
    assert "'yesterday' is not a date" in err
    code, _, err = cli("--db", db, "clearing", "run", "--as-of", "2100-12-31")
    assert code == 2
    assert "2100-12-31 is after today's business date" in err
    code, _, err = cli("--db", db, "corridor", "rate", "PKR", "0", "--from", "2026-01-01")
    assert code == 2
    assert "must be a positive number" in err
    code, _, err = cli("--db", db, "corridor", "rate", "EUR", "1.1", "--from", "2026-01-01")
    assert code == 2
    code, _, _ = cli("--db", db, "corridor", "rate", "PKR", "279.5", "--from", "2026-01-01")
    assert code == 0
    code, out, _ = cli("--db", db, "corridor", "show", "--json")
    assert {"currency": "PKR", "valid_from": "2026-01-01", "rate": "279.5"} in json.loads(out)[
        "rates"
    ]


def test_a_run_killed_midway_leaves_no_trace(cli: Cli, db: str, tmp_path: Path) -> None:
    """SIGKILL inside the run's transaction: the ledger verifies, no run is recorded,
    and running again completes the work once."""
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", FIRMS))
    cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", ROWS))
    command = [
        str(Path(sys.executable).parent / "tahator"),
        "--db",
        db,
        "clearing",
        "run",
        "--json",
    ]
    for point in ("clearing.after_setoffs", "clearing.before_commit"):
        killed = subprocess.run(
            command, env=os.environ | {"TAHATOR_FAULT": point}, capture_output=True, check=False
        )
        assert killed.returncode == -signal.SIGKILL
        code, out, _ = cli("--db", db, "clearing", "list", "--json")
        assert json.loads(out) == []
        code, _, err = cli("--db", db, "ledger", "verify")
        assert code == 0, err
        code, out, _ = cli("--db", db, "obligations", "list", "--json")
        assert all(o["status"] == "open" for o in json.loads(out))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cleared"] == "240.00"
    code, _, _ = cli("--db", db, "ledger", "verify")
    assert code == 0


def test_demo_builds_the_corridor_in_the_database(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    code, out, err = cli("--db", url, "demo", "--json", "--no-serve")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["firms"] == 300
    assert summary["imported"]["obligations"]["created"] == 2400
    assert summary["ledger_verified"] is True
    # Every state, and the applications of the marketplace's binding ring; authorizations
    # under both versions of the order.  The demo's worker swept the one overdue by the
    # demo's date: one is still running.
    states = summary["barter"]["states"]
    assert states | {"submitted": 1} == {
        "balanced": 1,
        "cancelled": 2,
        "authorized": 1,
        "submitted": 1,
        "rejected": 1,
    }
    assert states["submitted"] > 1
    assert summary["barter"]["versions"] == {"2023": 2, "2025-10": 2}
    assert summary["barter"]["report"]["flagged"]
    assert (tmp_path / "var" / "demo" / "barter-2025Q4.csv").exists()
    market = summary["market"]
    assert market["run"]["optimal"] is True
    assert market["proposals"]["binding"] == 1
    assert market["proposals"]["declined"] == 1
    assert market["proposals"].get("proposed", 0) >= 1
    run = summary["run"]
    assert 0 < float(run["cleared"]) < float(run["total"])
    accounts = {a["country"]: a for a in run["settlement"]["accounts"]}
    # What remains of Pakistan's imports is more than what remains of its exports.
    assert float(accounts["PK"]["collected"]) > float(accounts["IR"]["collected"])
    # Again: nothing new is imported.
    code, out, _ = cli("--db", url, "demo", "--json", "--no-serve")
    again = json.loads(out)
    assert again["imported"]["obligations"] == {"rows": 2400, "created": 0, "unchanged": 2400}
    assert again["run"]["run_id"] == 2
    assert again["barter"]["states"] == summary["barter"]["states"]
    assert again["market"]["proposals"] == summary["market"]["proposals"]
    assert again["ledger_verified"] is True


def test_an_unreachable_database_is_reported_without_a_traceback(cli: Cli) -> None:
    code, out, err = cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "clearing", "list")
    assert code == 1
    assert "is unavailable" in err
    assert "Traceback" not in err + out
