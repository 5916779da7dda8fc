"""Customs' desk from the command line: deadlines, cancel, close on purpose, reject's
decision date; bad input exits 2 and changes nothing (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.e2e.test_barter_cli import application, db  # noqa: F401  (fixture)

IMPORT = (
    "--direction",
    "import",
    "--hs",
    "27111900",
    "--quantity",
    "100",
    "--unit",
    "t",
    "--value",
    "60000",
    "--currency",
    "USD",
    "--date",
    "2025-11-10",
)


def _apply(cli: Cli, db: str, tmp_path: Path, **changes: str) -> int:  # noqa: F811
    code, out, err = cli(
        "--db",
        db,
        "barter",
        "apply",
        application(tmp_path, undertaking=True, **changes),
        "--as-of",
        "2025-10-20",
        "--json",
    )
    assert code == 0, err
    identifier: int = json.loads(out)["id"]
    return identifier


def _state(cli: Cli, db: str, authorization: int) -> dict[str, object]:  # noqa: F811
    code, out, err = cli("--db", db, "barter", "show", str(authorization), "--json")
    assert code == 0, err
    view: dict[str, object] = json.loads(out)
    return view


def test_deadlines_then_cancel_and_close(cli: Cli, db: str, tmp_path: Path) -> None:  # noqa: F811
    first = _apply(cli, db, tmp_path)
    second = _apply(cli, db, tmp_path, applicant="PK-2", counterparty="IR-2")
    assert cli("--db", db, "barter", "authorize", str(first), "--as-of", "2025-11-01")[0] == 0
    assert cli("--db", db, "barter", "authorize", str(second), "--as-of", "2025-12-01")[0] == 0
    assert cli("--db", db, "barter", "declare", str(first), *IMPORT)[0] == 0

    code, out, err = cli("--db", db, "barter", "deadlines", "--as-of", "2026-03-10", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["id"], r["days_left"], r["overdue"]) for r in rows] == [
        (first, -9, True),
        (second, 21, False),
    ]
    code, out, _ = cli("--db", db, "barter", "deadlines", "--as-of", "2026-03-10")
    assert "2 authorizations to balance, as of 2026-03-10" in out
    assert "deadline 2026-03-01, 9 days overdue" in out
    assert "21 days left" in out
    code, out, _ = cli("--db", db, "barter", "deadlines", "--as-of", "2026-03-10", "--firm", "IR-2")
    assert "1 authorization to balance" in out

    # Not overdue yet: refused, nothing changed.
    code, _, err = cli("--db", db, "barter", "cancel", str(second), "--as-of", "2026-03-10")
    assert code == 2
    assert "not overdue" in err
    assert _state(cli, db, second)["state"] == "authorized"
    code, out, err = cli(
        "--db", db, "barter", "cancel", str(first), "--as-of", "2026-03-10", "--json"
    )
    assert code == 0, err
    view = json.loads(out)
    assert (view["state"], view["closed_on"]) == ("cancelled", "2026-03-01")
    owed = view["obligation"]
    assert (owed["debtor"], owed["creditor"], owed["amount"]) == ("PK-1", "IR-1", "60000.00")

    code, _, err = cli("--db", db, "barter", "close", str(second), "--reason", " ")
    assert code == 2
    assert "reason" in err
    code, out, err = cli(
        "--db",
        db,
        "barter",
        "close",
        str(second),
        "--reason",
        "the buyer withdrew",
        "--as-of",
        "2026-01-15",
    )
    assert code == 0, err
    assert "closed on purpose by" in out
    assert "the buyer withdrew" in out
    shown = _state(cli, db, second)
    assert (shown["state"], shown["closed_on"], shown["close_reason"]) == (
        "balanced",
        "2026-01-15",
        "the buyer withdrew",
    )
    code, out, _ = cli("--db", db, "barter", "deadlines", "--as-of", "2026-03-10", "--json")
    assert json.loads(out) == []


def test_reject_takes_the_decision_date(cli: Cli, db: str, tmp_path: Path) -> None:  # noqa: F811
    authorization = _apply(cli, db, tmp_path)
    code, _, err = cli(
        "--db",
        db,
        "barter",
        "reject",
        str(authorization),
        "--reason",
        "no",
        "--as-of",
        "9999-12-31",
    )
    assert code == 2
    assert "9999-12-31" in err
    code, out, err = cli(
        "--db",
        db,
        "barter",
        "reject",
        str(authorization),
        "--reason",
        "incomplete",
        "--as-of",
        "2025-12-01",
        "--json",
    )
    assert code == 0, err
    assert (json.loads(out)["state"], json.loads(out)["decided_on"]) == ("rejected", "2025-12-01")


def test_bad_dates_and_unknown_ids_exit_2(cli: Cli, db: str) -> None:  # noqa: F811
    for args in (
        ("barter", "deadlines", "--as-of", "9999-12-31"),
        ("barter", "deadlines", "--as-of", "2026-02-30"),
        ("barter", "cancel", "1", "--as-of", "0001-01-01"),
        ("barter", "close", "1", "--reason", "x", "--as-of", "tomorrow"),
    ):
        code, _, err = cli("--db", db, *args)
        assert code == 2, (args, err)
        assert "--as-of" in err or "as_of" in err, (args, err)
    code, _, err = cli("--db", db, "barter", "cancel", "42", "--as-of", "2026-03-10")
    assert code == 2
    assert "no barter authorization 42" in err
    code, _, err = cli("--db", db, "barter", "close", "42", "--reason", "x")
    assert code == 2
    assert "no barter authorization 42" in err


def _declare(cli: Cli, db: str, authorization: int, *args: str) -> None:  # noqa: F811
    code, _, err = cli("--db", db, "barter", "declare", str(authorization), *args)
    assert code == 0, err


def test_the_sweep_balances_what_reached_its_plan_within_tolerance(
    cli: Cli,
    db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    reached = _apply(cli, db, tmp_path)
    short = _apply(cli, db, tmp_path, applicant="PK-2", counterparty="IR-2")
    for authorization in (reached, short):
        assert (
            cli("--db", db, "barter", "authorize", str(authorization), "--as-of", "2025-11-01")[0]
            == 0
        )
    _declare(
        cli,
        db,
        reached,
        *("--direction", "import", "--hs", "27111900", "--quantity", "400", "--unit", "t"),
        *("--value", "250000", "--currency", "USD", "--date", "2025-11-10"),
    )
    _declare(
        cli,
        db,
        reached,
        "--direction",
        "export",
        "--hs",
        "10063010",
        "--quantity",
        "300000",
        "--unit",
        "kg",
        "--value",
        "240000",
        "--currency",
        "USD",
        "--date",
        "2025-12-01",
    )
    _declare(cli, db, short, *IMPORT)
    code, out, _ = cli("--db", db, "barter", "show", str(reached), "--json")
    assert json.loads(out)["state"] == "authorized"  # within tolerance, not the full plan
    code, out, err = cli("--db", db, "barter", "sweep", "--as-of", "2026-03-10")
    assert code == 0, err
    assert "1 authorizations cancelled as of 2026-03-10" in out
    assert f"  {short} (" in out
    assert "1 balanced at their deadlines" in out
    assert f"  {reached} (BT-" in out
    assert "closed on 2026-03-01" in out


@pytest.mark.parametrize(
    "command",
    [
        ("barter", "show"),
        ("barter", "authorize"),
        ("barter", "cancel"),
        ("proposals", "accept"),
        ("clearing", "show"),
        ("settlement", "confirm"),
    ],
)
def test_an_id_out_of_range_is_exit_2_naming_the_range(
    cli: Cli,
    db: str,  # noqa: F811
    command: tuple[str, ...],
) -> None:
    for number in ("99999999999999999999", "0"):
        code, _, err = cli("--db", db, *command, number)
        assert code == 2, err
        assert "Traceback" not in err
        assert "Invalid value for 'ID'" in " ".join(err.replace("│", " ").split())
