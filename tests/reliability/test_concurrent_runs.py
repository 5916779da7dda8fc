"""Two clearing runs started at once, in two processes: the second waits for the first,
each call makes exactly one run, nothing is set off twice and the ledger verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tahator.store.database import make_engine, reading
from tahator.store.schema import Obligation, SetoffNotice
from tests.conftest import Cli
from tests.integration.conftest import drop_postgres, firms_file, fresh_postgres, obligations_file
from tests.reliability.kill import census

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
ROWS = [
    ("INV-1", "PK-1", "IR-1", "300.00", "USD"),
    ("INV-2", "IR-1", "PK-2", "120.00", "USD"),
    ("INV-3", "PK-2", "PK-1", "80.00", "USD"),
    ("INV-4", "IR-2", "PK-1", "50.00", "USD"),
]
PAUSE = 3.0
"""The first run stalls this long inside its transaction, so the second must meet it."""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path, cli: Cli) -> Iterator[str]:
    if request.param == "sqlite":
        url, admin = f"sqlite:///{tmp_path / 'house.db'}", None
    else:
        url, admin = fresh_postgres()
    try:
        assert cli("--db", url, "db", "upgrade")[0] == 0
        assert cli("--db", url, "firms", "import", firms_file(tmp_path / "f.csv", FIRMS))[0] == 0
        rows = obligations_file(tmp_path / "o.csv", ROWS)
        assert cli("--db", url, "obligations", "import", rows)[0] == 0
        yield url
    finally:
        if admin is not None:
            drop_postgres(url, admin)


def test_two_runs_at_once_serialize_and_set_off_nothing_twice(url: str) -> None:
    command = [str(Path(sys.executable).parent / "tahator"), "--db", url, "clearing", "run"]
    first = subprocess.Popen(
        [*command, "--json"],
        env=os.environ | {"TAHATOR_PAUSE": f"clearing.before_commit={PAUSE}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The second starts while the first holds the lock (its start-up alone takes ~1 s).
    second = subprocess.Popen(
        [*command, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    started = time.monotonic()
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    one, two = json.loads(out1), json.loads(out2)
    assert time.monotonic() - started >= PAUSE
    # Each call made one run; the one that waited found the cycles already cleared.
    assert {one["run_id"], two["run_id"]} == {1, 2}
    later = two if two["run_id"] == 2 else one
    assert later["cleared"] == "0.00"
    assert max(one["cleared"], two["cleared"]) == "240.00"
    state = census(url)
    assert state["runs"] == {"completed": 2}
    assert state["ledger_breaks"] == []
    assert state["audit_broken"] is None
    engine = make_engine(url)
    with reading(engine) as session:
        setoff = dict(
            session.execute(
                select(SetoffNotice.obligation_id, func.sum(SetoffNotice.setoff)).group_by(
                    SetoffNotice.obligation_id
                )
            ).all()
        )
        for number, amount in session.execute(select(Obligation.id, Obligation.amount)):
            assert setoff.get(number, 0) <= amount, "set off no more than was owed"
    engine.dispose()
