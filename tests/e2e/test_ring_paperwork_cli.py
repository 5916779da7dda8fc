"""A ring bound from the command line files true paperwork, with the undertaking that
``proposals accept`` states."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli, write
from tests.integration.conftest import firms_file
from tests.integration.test_market import HEADER, RING


def test_accepting_states_the_undertaking_and_binding_files_only_border_goods(
    cli: Cli, tmp_path: Path
) -> None:
    code, out, _ = cli("proposals", "accept", "--help")
    assert code == 0
    assert "undertaking for the firm's foreign partners" in " ".join(out.split())
    db = f"sqlite:///{tmp_path / 'market.db'}"
    cli("--db", db, "db", "upgrade")
    firms = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR"}
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", firms))
    cli("--db", db, "offers", "import", write(tmp_path / "offers.csv", HEADER + RING))
    code, out, _ = cli("--db", db, "match", "--as-of", "2026-11-23", "--json")
    proposal = str(json.loads(out)["proposals"][0])
    code, _, err = cli(
        "--db", db, "proposals", "accept", proposal, "--firm", "PK-1", "--as-of", "9999-12-31"
    )
    assert code == 2
    assert "9999-12-31" in err
    for firm in ("PK-1", "PK-2", "IR-1"):
        code, out, err = cli(
            "--db", db, "proposals", "accept", proposal, "--firm", firm, "--as-of", "2026-11-23"
        )
        assert code == 0, err
    assert "barter applications [1, 2]" in out
    filed = []
    for application in ("1", "2"):
        code, out, _ = cli("--db", db, "barter", "show", application, "--json")
        shown = json.loads(out)
        filed.append(
            (
                shown["applicant"],
                shown["counterparty"],
                shown["partner_country"],
                shown["undertaking"],
                [(line["direction"], line["hs"]) for line in shown["lines"]],
            )
        )
    # PK-1's rice went to PK-2 within Pakistan: on neither application.
    assert filed == [
        ("PK-1", "IR-1", "IR", True, [("import", "27111900")]),
        ("PK-2", "IR-1", "IR", True, [("export", "30049099")]),
    ]
