"""Inputs found by review to crash or mislead: each now ends in one clear error, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, write
from tests.integration.conftest import firms_file, obligations_file


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    cli("--db", url, "db", "upgrade")
    cli(
        "--db", url, "firms", "import", firms_file(tmp_path / "f.csv", {"PK-1": "PK", "IR-1": "IR"})
    )
    return url


def test_a_field_beyond_the_csv_limit(cli: Cli, db: str, tmp_path: Path) -> None:
    text = 'id,name,country,tax_id\nX,"' + "a" * 200_000 + '",PK,1\n'
    huge = write(tmp_path / "huge.csv", text)
    code, _, err = cli("--db", db, "firms", "import", huge)
    assert code == 2
    assert f"{huge}:2: not readable as CSV" in err
    code, _, err = cli(
        "clear", write(tmp_path / "c.csv", 'debtor,creditor,amount\n"' + "b" * 200_000 + '",A,1\n')
    )
    assert code == 2


def test_json_nested_too_deeply(cli: Cli, db: str, tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    code, _, err = cli("--db", db, "barter", "apply", deep)
    assert code == 2
    assert "nested too deeply" in err


@pytest.mark.parametrize("quantity", ["1e-1000000", "1e999", "NaN", "-3", "0", "1" * 50])
def test_quantities_out_of_bounds(cli: Cli, db: str, tmp_path: Path, quantity: str) -> None:
    application = {
        "applicant": "PK-1",
        "counterparty": "IR-1",
        "partner_country": "IR",
        "imports": [
            {
                "hs": "27111900",
                "description": "LPG",
                "quantity": quantity,
                "unit": "t",
                "value": "10.00",
                "currency": "USD",
            }
        ],
        "exports": [
            {
                "hs": "10063010",
                "description": "rice",
                "quantity": "1",
                "unit": "kg",
                "value": "10.00",
                "currency": "USD",
            }
        ],
        "valid_from": "2025-10-20",
        "valid_until": "2026-06-30",
        "origin_declared": True,
    }
    path = write(tmp_path / "a.json", json.dumps(application))
    code, _, err = cli("--db", db, "barter", "apply", path)
    assert code == 2
    assert "imports[1].quantity" in err
    offers = write(
        tmp_path / "o.csv",
        "id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs,valid_until\n"
        f"O1,PK-1,10063010,rice,{quantity},kg,10.00,USD,2711,2026-12-31\n",
    )
    code, _, err = cli("--db", db, "offers", "import", offers)
    assert code == 2
    assert "quantity:" in err


def test_goods_worth_more_than_64_bits(cli: Cli, db: str, tmp_path: Path) -> None:
    line = {
        "hs": "27111900",
        "description": "LPG",
        "quantity": "1",
        "unit": "t",
        "value": "92233720368547758.07",
        "currency": "USD",
    }
    application = {
        "applicant": "PK-1",
        "counterparty": "IR-1",
        "partner_country": "IR",
        "imports": [line, line],
        "exports": [line],
        "valid_from": "2025-10-20",
        "valid_until": "2026-06-30",
        "origin_declared": True,
        "undertaking": True,
    }
    code, _, err = cli(
        "--db", db, "barter", "apply", write(tmp_path / "a.json", json.dumps(application))
    )
    assert code == 2
    assert "64-bit limit" in err


@pytest.mark.parametrize("rate", ["1e-30", "1e40", "Infinity"])
def test_absurd_rates_are_refused(cli: Cli, db: str, rate: str) -> None:
    code, _, err = cli("--db", db, "corridor", "rate", "PKR", rate, "--from", "2026-01-01")
    assert code == 2
    assert "must be a positive number" in err


def test_blanks_around_firm_ids_do_not_make_new_firms(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "debtor,creditor,amount\nA, B,5\nB,A,5\n")
    _, out, _ = cli("clear", source, "--json")
    assert json.loads(out)["firms"] == 2
    assert json.loads(out)["cleared"] == "10"


def test_no_output_file_when_the_settlement_file_cannot_be_written(
    cli: Cli, tmp_path: Path
) -> None:
    source = write(tmp_path / "o.csv", "debtor,creditor,amount\nA,B,5\nB,A,7\n")
    people = write(tmp_path / "p.csv", "id,country\nA,PK\nB,IR\n")
    blocked = write(tmp_path / "blocked", "a file, not a folder")
    code, _, err = cli(
        "clear",
        source,
        "-o",
        tmp_path / "s.csv",
        "--participants",
        people,
        "--settlement",
        blocked / "settle.csv",
    )
    assert code == 2
    assert "cannot write here" in err
    assert not (tmp_path / "s.csv").exists()


def test_a_payout_confirmed_before_its_collection_still_verifies(
    cli: Cli, db: str, tmp_path: Path
) -> None:
    cli("--db", db, "firms", "import", firms_file(tmp_path / "g.csv", {"PK-2": "PK"}))
    rows = [
        ("1", "PK-1", "IR-1", "100.00", "USD"),
        ("2", "IR-1", "PK-2", "60.00", "USD"),
        ("3", "PK-2", "PK-1", "30.00", "USD"),
    ]
    cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", rows))
    cli("--db", db, "clearing", "run", "--as-of", "2026-07-01")
    code, out, _ = cli("--db", db, "settlement", "list", "--json")
    by = {(i["firm"], i["kind"]): i["id"] for i in json.loads(out)}
    # Iran's account pays IR-1 before IR-1's own collection is confirmed.
    assert cli("--db", db, "settlement", "confirm", str(by["IR-1", "payout"]))[0] == 0
    code, _, err = cli("--db", db, "ledger", "verify")
    assert code == 0, err
