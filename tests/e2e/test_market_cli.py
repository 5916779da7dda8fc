"""The barter marketplace from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli, write
from tests.integration.conftest import firms_file
from tests.integration.test_market import HEADER, RING


def test_offers_match_and_proposals(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'market.db'}"
    cli("--db", db, "db", "upgrade")
    firms = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR"}
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", firms))
    source = write(tmp_path / "offers.csv", HEADER + RING)
    code, out, _ = cli("--db", db, "offers", "import", source, "--json")
    assert json.loads(out) == {"rows": 3, "created": 3, "unchanged": 0}
    code, out, _ = cli("--db", db, "offers", "list", "--json")
    assert [o["wants_hs"] for o in json.loads(out)] == [["2711"], ["3004"], ["1006"]]

    code, out, err = cli("--db", db, "match", "--cap", "3", "--as-of", "2026-11-23", "--json")
    assert code == 0, err
    run = json.loads(out)
    assert (run["rings"], run["optimal"], run["value"]) == (1, True, "299000.00")
    proposal = str(run["proposals"][0])
    code, out, _ = cli("--db", db, "proposals", "list", "--json")
    assert json.loads(out)[0]["state"] == "proposed"
    code, out, _ = cli("--db", db, "proposals", "show", proposal)
    assert "PK-1 gives Basmati rice" in out
    code, _, err = cli("--db", db, "proposals", "accept", proposal, "--firm", "XX-9")
    assert code == 2
    assert "XX-9 is not in proposal" in err
    for firm in ("PK-1", "PK-2"):
        assert (
            cli(
                "--db", db, "proposals", "accept", proposal, "--firm", firm, "--as-of", "2026-11-23"
            )[0]
            == 0
        )
    code, out, _ = cli(
        "--db",
        db,
        "proposals",
        "accept",
        proposal,
        "--firm",
        "IR-1",
        "--as-of",
        "2026-11-23",
        "--json",
    )
    bound = json.loads(out)
    assert bound["state"] == "binding"
    assert bound["obligations"] == ["RING-1-1", "RING-1-2"]
    code, out, _ = cli("--db", db, "obligations", "list", "--firm", "IR-1", "--json")
    assert [o["id"] for o in json.loads(out)] == ["RING-1-2"]
    code, out, _ = cli("--db", db, "barter", "list", "--state", "submitted", "--json")
    assert len(json.loads(out)) == 2
    assert cli("--db", db, "ledger", "verify")[0] == 0

    code, _, err = cli("--db", db, "match", "--cap", "1")
    assert code == 2
    code, _, err = cli("--db", db, "match", "--tolerance", "lots")
    assert code == 2
    assert "'lots' is not a number" in err
