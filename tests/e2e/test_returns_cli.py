"""``tahator settlement return`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.integration.conftest import firms_file, obligations_file

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
ROWS = [
    ("INV-1", "PK-1", "IR-1", "300.00", "USD"),
    ("INV-2", "IR-2", "PK-1", "100.00", "USD"),
    # PK-2's collection funds PK-1's payout: Pakistan's account is not short when
    # PK-1's collection is returned, so PK-1's payout stays pending.
    ("INV-3", "PK-2", "IR-2", "200.00", "USD"),
]


def test_a_bank_returns_a_collection_and_then_a_payout(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", db, "db", "upgrade")[0] == 0
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", FIRMS))
    cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", ROWS))
    cli("--db", db, "corridor", "credit-line", "IR", "500")
    code, _, err = cli("--db", db, "clearing", "run", "--as-of", "2026-11-23")
    assert code == 0, err
    code, out, _ = cli("--db", db, "settlement", "list", "--json")
    rows = {(i["firm"], i["kind"]): i["id"] for i in json.loads(out)}

    collection = str(rows[("PK-1", "collection")])
    code, _, err = cli("--db", db, "settlement", "return", collection, "--reason", "XY12")
    assert code == 2
    assert "unknown return reason 'XY12'" in err
    for number in ("9223372036854775808", "0"):
        code, _, err = cli("--db", db, "settlement", "return", number, "--reason", "AC04")
        assert (code, f"no settlement instruction {number}" in err) == (2, True), err
    code, _, err = cli("--db", db, "settlement", "confirm", "99999999999999999999999")
    assert code == 2, err
    assert "less than or equal to" in err
    assert "9223372036854775807" in err
    code, out, _ = cli("--db", db, "settlement", "list", "--status", "returned", "--json")
    assert json.loads(out) == []

    code, out, err = cli("--db", db, "settlement", "return", collection, "--reason", "AM04")
    assert code == 0, err
    assert "returned: AM04 (insufficient funds)" in out
    assert "obligations open again: 1" in out
    assert "held" in out
    code, out, _ = cli("--db", db, "settlement", "list", "--status", "held", "--json")
    assert [(i["firm"], i["amount"]) for i in json.loads(out)] == [("IR-1", "300.00")]
    assert cli("--db", db, "ledger", "verify")[0] == 0
    assert "short" not in out

    payout = str(rows[("PK-1", "payout")])
    code, out, err = cli("--db", db, "settlement", "return", payout, "--reason", "ac04", "--json")
    assert code == 0, err
    assert json.loads(out)["carried"] is True
    code, _, err = cli("--db", db, "settlement", "confirm", payout)
    assert code == 2
    assert "only a pending instruction" in err
    assert cli("--db", db, "ledger", "verify")[0] == 0


def test_a_returned_collection_states_its_accounts_shortfall(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", db, "db", "upgrade")[0] == 0
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", FIRMS))
    cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", ROWS[:2]))
    cli("--db", db, "corridor", "credit-line", "IR", "500")
    assert cli("--db", db, "clearing", "run", "--as-of", "2026-11-23")[0] == 0
    code, out, _ = cli("--db", db, "settlement", "list", "--json")
    rows = {(i["firm"], i["kind"]): i["id"] for i in json.loads(out)}
    collection = str(rows[("PK-1", "collection")])
    code, out, err = cli("--db", db, "settlement", "return", collection, "--reason", "AM04")
    assert code == 0, err
    # PK's account paid PK-1 counting on PK-1's own collection: that payout is held.
    assert "clearing account PK is short 100.00: 1 of its payouts held, 0.00 drawn" in out
    code, out, _ = cli("--db", db, "settlement", "list", "--status", "held", "--json")
    assert sorted((i["firm"], i["amount"]) for i in json.loads(out)) == [
        ("IR-1", "300.00"),
        ("PK-1", "100.00"),
    ]
    assert cli("--db", db, "ledger", "verify")[0] == 0
