"""`tahator db backup` and `db restore` on SQLite and PostgreSQL: a round trip gives back
every ledger balance, obligation and audit hash; a file that is not a backup exits 2
and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tahator.services import ledger, obligations, settlement
from tahator.store.database import make_engine, reading
from tahator.store.schema import AuditRecord
from tests.conftest import Cli, write
from tests.integration.conftest import drop_postgres, firms_file, fresh_postgres, obligations_file
from tests.reliability.kill import census

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
ROWS = [
    ("INV-1", "PK-1", "IR-1", "300.00", "USD"),
    ("INV-2", "IR-1", "PK-2", "120.00", "USD"),
    ("INV-3", "PK-2", "PK-1", "80.00", "USD"),
    ("INV-4", "IR-2", "PK-1", "50.00", "USD"),
    ("INV-5", "PK-1", "PK-2", "70000.00", "PKR"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def house(request: pytest.FixtureRequest, tmp_path: Path, cli: Cli) -> Iterator[str]:
    """A clearing house with obligations, a clearing run and a confirmed instruction."""
    if request.param == "sqlite":
        url, admin = f"sqlite:///{tmp_path / 'house.db'}", None
    else:
        url, admin = fresh_postgres()
    try:
        build(url, tmp_path, cli)
        yield url
    finally:
        if admin is not None:
            drop_postgres(url, admin)


def build(url: str, tmp_path: Path, cli: Cli) -> None:
    assert cli("--db", url, "db", "upgrade")[0] == 0
    assert cli("--db", url, "firms", "import", firms_file(tmp_path / "f.csv", FIRMS))[0] == 0
    rows = obligations_file(tmp_path / "o.csv", ROWS)
    assert cli("--db", url, "obligations", "import", rows)[0] == 0
    assert cli("--db", url, "clearing", "run", "--as-of", "2026-07-01")[0] == 0
    first = census(url)["pending"][0]
    assert cli("--db", url, "settlement", "confirm", str(first))[0] == 0


def fingerprint(url: str) -> dict[str, Any]:
    """Every ledger balance, obligation, instruction and audit hash."""
    engine = make_engine(url)
    try:
        with reading(engine) as session:
            return {
                "balances": ledger.balance_rows(session),
                "obligations": obligations.list_obligations(session),
                "instructions": settlement.list_instructions(session),
                "audit": session.execute(
                    select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id)
                ).all(),
            }
    finally:
        engine.dispose()


def test_a_backup_restored_gives_back_every_balance_obligation_and_audit_hash(
    house: str, tmp_path: Path, cli: Cli
) -> None:
    saved = fingerprint(house)
    assert saved["balances"]
    assert len(saved["audit"]) >= 4
    backup_file = tmp_path / "house.backup"
    code, out, err = cli("--db", house, "db", "backup", backup_file)
    assert code == 0, err
    assert "backed up" in out
    # Life goes on: more obligations, another run, another confirmation.
    more = obligations_file(tmp_path / "more.csv", [("INV-9", "IR-2", "PK-2", "10.00", "USD")])
    assert cli("--db", house, "obligations", "import", more)[0] == 0
    assert cli("--db", house, "clearing", "run")[0] == 0
    assert fingerprint(house) != saved

    code, out, err = cli("--db", house, "db", "restore", backup_file)
    assert code == 0, err
    assert fingerprint(house) == saved
    assert cli("--db", house, "ledger", "verify")[0] == 0
    assert cli("--db", house, "audit", "verify")[0] == 0
    code, out, _ = cli("--db", house, "clearing", "list", "--json")
    assert len(json.loads(out)) == 1
    # And the restored database works on: a run after the restore is run 2.
    code, out, _ = cli("--db", house, "clearing", "run", "--json")
    assert code == 0
    assert json.loads(out)["run_id"] == 2


def test_a_sqlite_backup_restores_into_a_new_file(tmp_path: Path, cli: Cli) -> None:
    house = f"sqlite:///{tmp_path / 'house.db'}"
    build(house, tmp_path, cli)
    backup_file = tmp_path / "house.backup"
    assert cli("--db", house, "db", "backup", backup_file)[0] == 0
    assert not Path(f"{backup_file}-wal").exists()  # one self-contained file
    fresh = f"sqlite:///{tmp_path / 'elsewhere' / 'new.db'}"
    code, _, err = cli("--db", fresh, "db", "restore", backup_file)
    assert code == 0, err
    assert fingerprint(fresh) == fingerprint(house)


def corrupt_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    data = good.read_bytes()
    return {
        "text": write(tmp_path / "notes.txt", "id,debtor,creditor\n1,A,B\n"),
        "empty": write(tmp_path / "empty.backup", b""),
        "random": write(tmp_path / "random.backup", bytes(range(256)) * 64),
        "truncated": write(tmp_path / "truncated.backup", data[: len(data) // 2]),
        "damaged": write(
            tmp_path / "damaged.backup",
            data[:100] + bytes(b ^ 0x5A for b in data[100:4096]) + data[4096:],
        ),
        "missing": tmp_path / "no-such.backup",
    }


def test_restoring_a_file_that_is_not_a_backup_exits_2_and_changes_nothing(
    house: str, tmp_path: Path, cli: Cli
) -> None:
    good = tmp_path / "good.backup"
    assert cli("--db", house, "db", "backup", good)[0] == 0
    before = fingerprint(house)
    for name, path in corrupt_files(tmp_path, good).items():
        code, _, err = cli("--db", house, "db", "restore", path)
        assert code == 2, (name, err)
        assert str(path) in err, name
        assert fingerprint(house) == before, f"restoring the {name} file changed something"
    # A backup of the other kind of database is refused too.
    other = tmp_path / "other.db"
    other_url = f"sqlite:///{other}"
    if house.startswith("sqlite"):
        other_url, admin = fresh_postgres()
    try:
        assert cli("--db", other_url, "db", "upgrade")[0] == 0
        assert cli("--db", other_url, "db", "backup", tmp_path / "other.backup")[0] == 0
        code, _, err = cli("--db", house, "db", "restore", tmp_path / "other.backup")
        assert code == 2, err
        assert "not a" in err
        assert fingerprint(house) == before
    finally:
        if house.startswith("sqlite"):
            drop_postgres(other_url, admin)
    code, _, _ = cli("--db", house, "ledger", "verify")
    assert code == 0


def test_without_the_postgresql_tools_the_error_says_what_to_install(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on it
    code, _, err = cli(
        "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "backup", tmp_path / "b"
    )
    assert code == 2
    assert "pg_dump is not installed" in err
    assert not (tmp_path / "b").exists()
