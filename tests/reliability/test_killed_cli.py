"""The CLI SIGKILLed at random fault points (seeded) during obligation imports, clearing
runs, settlement confirmations and barter sweeps.

After every kill the ledger and the audit chain verify, and a kill before the commit
leaves the database exactly as it was; running the same command again completes
the work, and counting rows shows it was done exactly once.  44 trials on SQLite,
8 on PostgreSQL.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.e2e.test_barter_cli import application
from tests.integration.conftest import drop_postgres, firms_file, fresh_postgres
from tests.reliability.kill import census, run_cli

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
POINTS = {
    "import": [
        "obligations.after_insert",
        "obligations.after_post",
        "commit.before",
        "commit.after",
    ],
    "clear": ["clearing.after_setoffs", "clearing.before_commit", "commit.before", "commit.after"],
    "confirm": ["settlement.after_post", "commit.before", "commit.after"],
    "sweep": [
        "barter.sweep.after_cancel",
        "barter.sweep.after_audit",
        "commit.before",
        "commit.after",
    ],
}
COMMITTED = "commit.after"
"""The one point past the commit: the work is stored, only the answer is lost."""


@pytest.fixture(params=["sqlite", "postgresql"])
def house(request: pytest.FixtureRequest, tmp_path: Path, cli: Cli) -> Iterator[tuple[str, int]]:
    """A migrated database with four eligible firms; and how many trials to run on it."""
    if request.param == "sqlite":
        url, admin, trials = f"sqlite:///{tmp_path / 'house.db'}", None, 44
    else:
        (url, admin), trials = fresh_postgres(), 8
    try:
        assert cli("--db", url, "db", "upgrade")[0] == 0
        assert cli("--db", url, "firms", "import", firms_file(tmp_path / "f.csv", FIRMS))[0] == 0
        yield url, trials
    finally:
        if admin is not None:
            drop_postgres(url, admin)


class Trials:
    def __init__(self, url: str, tmp_path: Path, cli: Cli, seed: int) -> None:
        self.url, self.tmp, self.cli = url, tmp_path, cli
        self.rng = random.Random(seed)
        self.files = 0

    def tahator(self, *args: str, fault: str | None = None) -> Any:
        self.files += 1
        return run_cli(["--db", self.url, *args], fault, self.tmp / f"out-{self.files}.txt")

    def obligations_file(self) -> tuple[Path, int]:
        self.files += 1
        n = self.rng.randint(2, 6)
        lines = ["id,debtor,creditor,amount,currency,due_date"]
        for i in range(n):
            debtor, creditor = self.rng.sample(sorted(FIRMS), 2)
            amount = f"{self.rng.randint(1, 99_999)}.{self.rng.randint(0, 99):02d}"
            lines.append(f"T{self.files}-{i},{debtor},{creditor},{amount},USD,2026-06-30")
        path = self.tmp / f"obligations-{self.files}.csv"
        path.write_text("\n".join(lines) + "\n")
        return path, n

    def authorized(self) -> None:
        """A barter authorization past its deadline, with goods declared on one side only."""
        code, out, err = self.cli(
            "--db",
            self.url,
            "barter",
            "apply",
            application(self.tmp),
            "--as-of",
            "2025-10-20",
            "--json",
        )
        assert code == 0, err
        number = str(json.loads(out)["id"])
        assert (
            self.cli("--db", self.url, "barter", "authorize", number, "--as-of", "2025-10-25")[0]
            == 0
        )
        declared = self.cli(
            "--db", self.url, "barter", "declare", number, "--direction", "import",
            "--hs", "27111900", "--quantity", "10", "--unit", "t",
            "--value", str(self.rng.randint(1_000, 90_000)), "--currency", "USD",
            "--date", "2025-11-10",
        )  # fmt: skip
        assert declared[0] == 0, declared[2]

    def trial(self, operation: str, point: str) -> None:
        retry: tuple[str, ...]
        if operation == "import":
            path, n = self.obligations_file()
            retry = ("obligations", "import", str(path), "--json")
        elif operation == "clear":
            path, n = self.obligations_file()
            assert self.tahator("obligations", "import", str(path)).returncode == 0
            retry = ("clearing", "run", "--json")
        elif operation == "confirm":
            if not census(self.url)["pending"]:
                path, _ = self.obligations_file()
                assert self.tahator("obligations", "import", str(path)).returncode == 0
                assert self.tahator("clearing", "run").returncode == 0
            pending = census(self.url)["pending"]
            assert pending, "a run over cross-border obligations leaves instructions"
            instruction = pending[0]
            retry = ("settlement", "confirm", str(instruction), "--json")
        else:
            self.authorized()
            retry = ("barter", "sweep", "--as-of", "2026-03-01", "--json")

        before = census(self.url)
        killed = self.tahator(*retry, fault=point)
        assert killed.killed, f"{operation} was not killed at {point}: {killed}"
        after = census(self.url)
        assert after["ledger_breaks"] == [], (operation, point)
        assert after["audit_broken"] is None, (operation, point)
        assert "running" not in after["runs"], "a killed run is never left half-finished"
        if point != COMMITTED:
            assert after == before, f"a kill at {point} left something of the {operation}"

        done = self.tahator(*retry)
        final = census(self.url)
        assert final["ledger_breaks"] == []
        assert final["audit_broken"] is None
        committed = point == COMMITTED
        if operation == "import":
            assert done.returncode == 0, done.output
            assert json.loads(done.output)["created"] == (0 if committed else n)
            assert final["obligations"] == before["obligations"] + n
        elif operation == "clear":
            assert done.returncode == 0, done.output
            runs = before["runs"].get("completed", 0)
            assert final["runs"]["completed"] == runs + 1 + committed
        elif operation == "confirm":
            if committed:  # a bank's second confirmation is refused, clearly
                assert done.returncode == 2
                assert "already confirmed" in done.output
            else:
                assert done.returncode == 0, done.output
            assert final["postings_per_instruction"][instruction] == 1
            assert final["confirmed"] == before["confirmed"] + 1
        else:
            assert done.returncode == 0, done.output
            assert len(json.loads(done.output)["cancelled"]) == (0 if committed else 1)
            assert final["cancelled"] == before["cancelled"] + 1
        # Nothing was paid, registered or cancelled twice.
        assert set(final["postings_per_instruction"].values()) <= {1}
        assert set(final["obligations_per_origin"].values()) <= {1}


def test_the_cli_killed_at_random_fault_points_loses_nothing_and_repeats_nothing(
    house: tuple[str, int], tmp_path: Path, cli: Cli
) -> None:
    url, count = house
    trials = Trials(url, tmp_path, cli, seed=10 + count)
    operations = sorted(POINTS)
    # Every operation and every one of its points at least once, then at random.
    plan = [(op, point) for op in operations for point in POINTS[op]]
    trials.rng.shuffle(plan)
    plan = plan[:count]
    while len(plan) < count:
        operation = trials.rng.choice(operations)
        plan.append((operation, trials.rng.choice(POINTS[operation])))
    for operation, point in plan:
        trials.trial(operation, point)
    assert len(plan) == count
