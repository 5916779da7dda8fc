"""Hostile identifiers in files and on the command line (issue 18 item 7): exit 2, the
file's row and field named with the rule, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tahator.cli import app
from tahator.domain.identifiers import IDENTIFIER_RULE
from tests.conftest import Cli, write
from tests.integration.conftest import firms_file
from tests.integration.test_market import HEADER
from tests.unit.test_identifiers import HOSTILE_IDS


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    cli("--db", url, "db", "upgrade")
    firms = firms_file(tmp_path / "f.csv", {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR"})
    assert cli("--db", url, "firms", "import", firms)[0] == 0
    return url


def listed(cli: Cli, db: str, what: str) -> list[dict[str, object]]:
    code, out, err = cli("--db", db, what, "list", "--json")
    assert code == 0, err
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_a_firms_file_of_hostile_ids_is_refused_row_by_row(
    cli: Cli, db: str, tmp_path: Path
) -> None:
    rows = [
        f"{quoted(hostile)},Firm {n},PK,41000{n:02d}-1"
        for n, hostile in enumerate(HOSTILE_IDS.values())
    ]
    path = write(tmp_path / "hostile.csv", "id,name,country,tax_id\n" + "\n".join(rows) + "\n")
    code, _, err = cli("--db", db, "firms", "import", path)
    assert code == 2
    for line in range(2, 2 + len(rows)):
        assert f"{path}:{line}: id: " in err
    assert f"{path}:2: id: {IDENTIFIER_RULE} (found U+0000 (a control character))" in err
    assert [f["id"] for f in listed(cli, db, "firms")] == ["IR-1", "PK-1", "PK-2"]


def test_obligations_and_offers_files_are_refused(cli: Cli, db: str, tmp_path: Path) -> None:
    rows = [f"{quoted(h)},PK-1,IR-1,10.00,USD,2026-06-30" for h in HOSTILE_IDS.values()]
    path = write(
        tmp_path / "o.csv", "id,debtor,creditor,amount,currency,due_date\n" + "\n".join(rows)
    )
    code, _, err = cli("--db", db, "obligations", "import", path)
    assert code == 2
    assert f"{path}:9: id: {IDENTIFIER_RULE} (found '/')" in err  # PK-SLASH/1?x=1#y
    assert listed(cli, db, "obligations") == []
    offers = [
        f"{quoted(h)},PK-1,10063010,Rice,1,kg,1.00,USD,2711,2026-12-31"
        for h in HOSTILE_IDS.values()
    ]
    path = write(tmp_path / "offers.csv", HEADER + "\n".join(offers) + "\n")
    code, _, err = cli("--db", db, "offers", "import", path)
    assert code == 2
    assert f"{path}:7: id: {IDENTIFIER_RULE} (found U+0420 CYRILLIC CAPITAL LETTER ER)" in err
    assert listed(cli, db, "offers") == []


def test_consortium_ids_and_usernames_on_the_command_line(cli: Cli, db: str) -> None:
    for hostile in HOSTILE_IDS.values():
        code, _, err = cli(
            "--db", db, "consortia", "create", hostile,
            "--name", "C", "--lead", "PK-1", "--member", "PK-2",
        )  # fmt: skip
        assert code == 2, hostile
        assert "id: " in err
    assert listed(cli, db, "consortia") == []
    runner = CliRunner()
    for hostile in HOSTILE_IDS.values():
        result = runner.invoke(
            app,
            ["--db", db, "users", "create", hostile, "--role", "auditor", "--password-stdin"],
            input="velvet quarry lantern 42\n",
        )
        assert result.exit_code == 2, hostile
        assert "username: " in result.stderr
    assert listed(cli, db, "users") == []
    made = runner.invoke(
        app,
        ["--db", db, "users", "create", "audit.or-1", "--role", "auditor", "--password-stdin"],
        input="velvet quarry lantern 42\n",
    )
    assert made.exit_code == 0, made.stderr
    assert [u["username"] for u in listed(cli, db, "users")] == ["audit.or-1"]
