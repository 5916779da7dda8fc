"""``tahator settlement export``: a run's payouts as a pain.001 file (issue 21)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from tahator.io import pain001
from tahator.store.database import make_engine
from tests.bank_accounts import register_accounts
from tests.conftest import Cli
from tests.integration.conftest import firms_file, obligations_file

FIRMS = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR"}
ROWS = [
    ("INV-1", "IR-1", "PK-1", "300.25", "USD"),
    ("INV-2", "IR-2", "PK-2", "100.00", "USD"),
    ("INV-3", "PK-3", "IR-2", "400.25", "USD"),
]
NS = {"p": pain001.NAMESPACE}


def test_export_writes_a_valid_file_and_refuses_without_accounts(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", db, "db", "upgrade")[0] == 0
    cli("--db", db, "firms", "import", firms_file(tmp_path / "firms.csv", FIRMS))
    cli("--db", db, "obligations", "import", obligations_file(tmp_path / "o.csv", ROWS))
    code, _, err = cli("--db", db, "clearing", "run", "--as-of", "2026-11-23")
    assert code == 0, err
    out = tmp_path / "pk.xml"
    args = ("--db", db, "settlement", "export", "--run", "1", "--country", "PK")

    code, _, err = cli(*args, "-o", out)
    assert code == 2
    assert "the clearing account of PK has no bank account" in err
    assert "2 payee(s) have no bank account: PK-1, PK-2" in err
    assert not out.exists()

    engine = make_engine(db)
    ibans = register_accounts(engine, FIRMS)
    engine.dispose()
    code, _, err = cli(*args, "--format", "pain.008", "-o", out)
    assert (code, "must be pain.001" in err) == (2, True), err
    code, stdout, err = cli(*args, "--format", "pain.001", "-o", out)
    assert code == 0, err
    assert stdout == ""
    content = out.read_bytes()
    assert pain001.schema_errors(content) == []
    root = ElementTree.fromstring(content)
    message_id = root.findtext(".//p:MsgId", namespaces=NS)
    assert message_id is not None
    assert err.startswith(f"{message_id}: 2 payment(s), control sum ")
    assert f"written to {out}" in err
    code, listed, _ = cli("--db", db, "settlement", "list", "--status", "pending", "--json")
    payouts = [i for i in json.loads(listed) if i["kind"] == "payout" and i["country"] == "PK"]
    amounts = sorted(e.text or "" for e in root.findall(".//p:InstdAmt", NS))
    assert amounts == sorted(p["local_amount"] for p in payouts)
    assert {e.text for e in root.findall(".//p:CdtrAcct/p:Id/p:IBAN", NS)} == {
        ibans["PK-1"],
        ibans["PK-2"],
    }
    # Again: the payouts were sent; refused, naming the file.
    code, stdout, err = cli(*args, "-o", tmp_path / "again.xml")
    assert code == 2
    assert f"all pending payouts of run 1 at PK were sent in {message_id}" in err
    assert not (tmp_path / "again.xml").exists()
    # --message-id writes the stored file again, byte for byte (to stdout, or -o).
    for more in ((), ("-o", "-")):
        code, stdout, err = cli(*args, "--message-id", message_id, *more)
        assert code == 0, err
        assert stdout.encode() == content
    copy = tmp_path / "copy.xml"
    code, _, err = cli(*args, "--message-id", message_id, "-o", copy)
    assert code == 0, err
    assert copy.read_bytes() == content
    assert err.startswith(f"{message_id}: 2 payment(s), control sum ")
    code, _, err = cli(*args, "--message-id", "TAH-NONE")
    assert code == 2
    assert "no payment file 'TAH-NONE'" in err
    code, _, err = cli(*args[:-1], "IR", "--message-id", message_id)
    assert code == 2
    assert f"{message_id} is a file of run 1 at PK" in err
    code, _, err = cli(*args[:-1], "XX")
    assert code == 2
    assert "'XX' is not a country of the corridor" in err
