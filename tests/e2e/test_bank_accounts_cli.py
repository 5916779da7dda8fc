"""``tahator firms account`` and ``tahator corridor account`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tahator.demo_data import tax_id
from tests.conftest import Cli
from tests.integration.conftest import firms_file, obligations_file

FIRMS = {"PK-1": "PK", "IR-1": "IR"}
PK_IBAN = "PK36SCBL0000001123456702"
IR_IBAN = "IR062960000000100324200001"


@pytest.fixture
def db(cli: Cli, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    assert cli("--db", url, "firms", "import", firms_file(tmp_path / "f.csv", FIRMS))[0] == 0
    return url


def test_a_firm_s_account_is_registered_shown_and_changed(cli: Cli, db: str) -> None:
    code, out, _ = cli("--db", db, "firms", "account", "PK-1")
    assert (code, "no bank account registered" in out) == (0, True)
    code, out, _ = cli("--db", db, "firms", "account", "PK-1", "--json")
    assert json.loads(out) is None

    code, out, err = cli(
        "--db", db, "firms", "account", "PK-1", "--iban", "PK36 SCBL 0000 0011 2345 6702",
        "--bic", "SCBLPKKX", "--holder", "Karachi Rice (Pvt) Ltd",
    )  # fmt: skip
    assert code == 0, err
    assert PK_IBAN in out
    code, out, _ = cli("--db", db, "firms", "account", "PK-1", "--json")
    shown = json.loads(out)
    assert (shown["iban"], shown["bic"], shown["holder"]) == (
        PK_IBAN,
        "SCBLPKKX",
        "Karachi Rice (Pvt) Ltd",
    )
    code, out, err = cli("--db", db, "firms", "account", "IR-1", "--iban", IR_IBAN, "--json")
    assert code == 0, err
    assert json.loads(out)["country"] == "IR"


@pytest.mark.parametrize(
    ("iban", "reason"),
    [
        ("PK37SCBL0000001123456702", "Invalid checksum digits"),
        ("PK36SCBL00000011234567", "length"),
        (IR_IBAN, "the account must be in PK"),
        ("hello", "not a valid IBAN"),
    ],
)
def test_a_bad_iban_exits_2_with_the_reason_and_changes_nothing(
    cli: Cli, db: str, iban: str, reason: str
) -> None:
    assert cli("--db", db, "firms", "account", "PK-1", "--iban", PK_IBAN)[0] == 0
    code, _, err = cli("--db", db, "firms", "account", "PK-1", "--iban", iban)
    assert code == 2
    assert reason in err
    code, out, _ = cli("--db", db, "firms", "account", "PK-1", "--json")
    assert json.loads(out)["iban"] == PK_IBAN


def test_clearing_accounts_are_registered_for_a_country(cli: Cli, db: str) -> None:
    code, out, err = cli("--db", db, "corridor", "account", "ir", "--iban", IR_IBAN)
    assert code == 0, err
    assert "Tahator clearing account IR" in out
    code, out, _ = cli("--db", db, "corridor", "account", "IR", "--json")
    assert json.loads(out)["iban"] == IR_IBAN
    code, _, err = cli("--db", db, "corridor", "account", "PK", "--iban", IR_IBAN)
    assert (code, "must be in PK" in err) == (2, True)
    code, _, err = cli("--db", db, "corridor", "account", "AF")
    assert (code, "no clearing account" in err) == (2, True)
    code, _, err = cli("--db", db, "firms", "account", "nobody")
    assert (code, "no firm nobody" in err) == (2, True)


def test_settlement_list_shows_each_instruction_s_reference(
    cli: Cli, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a terminal wide enough for every column
    rows = [("INV-1", "PK-1", "IR-1", "300.00", "USD")]
    cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", rows))
    assert cli("--db", db, "clearing", "run", "--as-of", "2026-11-23")[0] == 0
    code, out, _ = cli("--db", db, "settlement", "list", "--json")
    references = [i["reference"] for i in json.loads(out)]
    assert references
    code, table, _ = cli("--db", db, "settlement", "list")
    assert code == 0
    assert "reference" in table
    for reference in references:
        assert reference in table


def test_a_firms_file_may_carry_the_firms_accounts(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'file.db'}"
    assert cli("--db", db, "db", "upgrade")[0] == 0
    good = tmp_path / "firms.csv"
    good.write_text(
        "id,name,country,tax_id,iban,bic\n"
        f"PK-1,Karachi Rice,PK,{tax_id('PK', 1)},{PK_IBAN},SCBLPKKX\n"
        f"IR-1,Tabriz Steel,IR,{tax_id('IR', 1)},{IR_IBAN},\n"
        f"PK-2,Lahore Cotton,PK,{tax_id('PK', 2)},,\n"
    )
    code, _, err = cli("--db", db, "firms", "import", good)
    assert code == 0, err
    code, out, _ = cli("--db", db, "firms", "account", "PK-1", "--json")
    assert (json.loads(out)["iban"], json.loads(out)["bic"]) == (PK_IBAN, "SCBLPKKX")
    code, out, _ = cli("--db", db, "firms", "account", "PK-2", "--json")
    assert json.loads(out) is None
    assert cli("--db", db, "firms", "import", good)[0] == 0  # again: nothing changes

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,name,country,tax_id,iban\n"
        f"PK-3,Multan Mangoes,PK,{tax_id('PK', 3)},PK37SCBL0000001123456702\n"
    )
    code, _, err = cli("--db", db, "firms", "import", bad)
    assert code == 2
    assert "bad.csv:2: iban:" in err
    assert "checksum" in err
    code, out, _ = cli("--db", db, "firms", "list", "--json")
    assert "PK-3" not in {f["id"] for f in json.loads(out)}  # all or none
