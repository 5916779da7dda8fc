"""`tahator settlement import FILE`: a bank's camt.054 confirms what it names, once."""

from __future__ import annotations

import json
from pathlib import Path

from tahator.demo_bank import Line, camt_file
from tahator.services.common import now
from tahator.store.database import make_engine, transaction
from tahator.store.schema import BankAccount
from tests.conftest import Cli, write
from tests.integration.conftest import firms_file, obligations_file

PK_IBAN = "PK36SCBL0000001123456702"


def test_settlement_import_confirms_once_and_lists_the_rest(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", db, "db", "upgrade")[0] == 0
    firms = firms_file(tmp_path / "f.csv", {"PK-1": "PK", "IR-1": "IR"})
    assert cli("--db", db, "firms", "import", firms)[0] == 0
    rows = [("A1", "PK-1", "IR-1", "100.00", "USD")]
    assert (
        cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", rows))[0] == 0
    )
    assert cli("--db", db, "clearing", "run", "--as-of", "2026-07-01")[0] == 0
    with transaction(make_engine(db)) as session:
        session.add(
            BankAccount(
                clearing_country="PK",
                iban=PK_IBAN,
                holder="Clearing PK",
                registered_at=now(),
                registered_by="test",
            )
        )
    code, out, err = cli("--db", db, "settlement", "list", "--status", "pending", "--json")
    assert code == 0, err
    collection = next(i for i in json.loads(out) if i["kind"] == "collection")
    content = camt_file(
        "CLI-1",
        PK_IBAN,
        [
            Line(collection["local_amount"], "PKR", reference=collection["reference"]),
            Line("5.00", "PKR", reference="RF18TAH99C999", bank_reference="B-2"),
        ],
    )
    path = write(tmp_path / "camt054.xml", content)
    code, out, err = cli("--db", db, "settlement", "import", path)
    assert code == 0, err
    assert "camt.054.001.08 CLI-1 of clearing account PK" in out
    assert "matched: 1" in out
    assert f"collection {collection['id']} of PK-1" in out
    assert "unmatched: 1" in out
    assert "(bank ref B-2): RF18TAH99C999: not a collection's creditor reference" in out

    code, out, err = cli("--db", db, "settlement", "import", path, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["already_imported"] is True
    assert [m["instruction"] for m in report["matched"]] == [collection["id"]]

    # The day's statement repeats the notification: listed as applied already.
    statement = write(
        tmp_path / "camt053.xml",
        camt_file(
            "CLI-2",
            PK_IBAN,
            [Line(collection["local_amount"], "PKR", reference=collection["reference"])],
            kind="camt.053",
        ),
    )
    code, out, err = cli("--db", db, "settlement", "import", statement)
    assert code == 0, err
    assert "matched: 0" in out
    assert "unmatched: 0" in out
    assert "already applied: 1" in out
    assert f"instruction {collection['id']} was confirmed already" in out

    bad = write(tmp_path / "bad.xml", b"<x/>")
    code, out, err = cli("--db", db, "settlement", "import", bad)
    assert code == 2
    assert "not a camt.053 or camt.054 file" in err
    code, out, err = cli("--db", db, "settlement", "import", tmp_path / "missing.xml")
    assert code == 2
    assert "cannot read" in err
