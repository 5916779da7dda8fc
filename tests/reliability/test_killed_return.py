"""``tahator settlement return`` SIGKILLed inside and just after: nothing half-done."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.integration.conftest import firms_file, obligations_file
from tests.reliability.kill import census, run_cli

FIRMS = {"PK-1": "PK", "IR-1": "IR", "IR-2": "IR"}
ROWS = [("R-1", "PK-1", "IR-1", "300.00", "USD"), ("R-2", "IR-2", "PK-1", "100.00", "USD")]


@pytest.mark.parametrize("point", ["settlement.after_return", "commit.before", "commit.after"])
def test_a_killed_return_is_all_or_nothing(cli: Cli, tmp_path: Path, point: str) -> None:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    cli("--db", url, "firms", "import", firms_file(tmp_path / "f.csv", FIRMS))
    cli("--db", url, "obligations", "import", obligations_file(tmp_path / "o.csv", ROWS))
    assert cli("--db", url, "clearing", "run", "--as-of", "2026-11-23")[0] == 0
    collection = str(census(url)["pending"][0])
    args = ["--db", url, "settlement", "return", collection, "--reason", "AM04"]
    before = census(url)
    killed = run_cli(args, point, tmp_path / "killed.txt")
    assert killed.killed, killed
    after = census(url)
    assert after["ledger_breaks"] == []
    assert after["audit_broken"] is None
    if point != "commit.after":
        assert after == before
        done = run_cli(args, None, tmp_path / "done.txt")
        assert done.returncode == 0, done.output
    else:
        again = run_cli(args, None, tmp_path / "again.txt")
        assert again.returncode == 2  # returned once: the retry is refused, saying why
        assert "only a pending instruction" in again.output
    final = census(url)
    assert final["ledger_breaks"] == []
    assert int(collection) not in final["pending"]
    assert final["postings_per_instruction"][int(collection)] == 1
