"""`tahator lists` from the command line: names, what an import changes, the shrink
refusal and --confirm-shrink, `lists diff`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.e2e.test_screening_cli import db  # noqa: F401  (fixture)
from tests.list_files import only, references, renamed
from tests.unit.test_screening import SAMPLE


def test_names_changes_shrink_and_diff(cli: Cli, db: str, tmp_path: Path) -> None:  # noqa: F811
    code, out, err = cli("--db", db, "lists", "import", "un", SAMPLE)
    assert code == 0, err
    assert "UN list version 1 (un): 21 entries" in out
    assert "entries: 0 before, 21 now: 21 added, 0 removed, 0 changed" in out
    assert "(every one: tahator lists diff VERSION)" in out

    sdn = only(["IRe.070"], tmp_path / "sdn.xml")
    code, out, err = cli("--db", db, "lists", "import", "un", sdn, "--name", "OFAC SDN")
    assert code == 2
    assert "'OFAC SDN' is a new list (the lists are: UN)" in err
    assert "(--new-list); nothing imported" in err
    code, out, err = cli(
        "--db", db, "lists", "import", "un", sdn, "--name", "OFAC SDN", "--new-list", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["list"]["name"] == "OFAC SDN"

    small = only([*references()[:2], "IRe.070"], tmp_path / "small.xml")
    code, out, err = cli("--db", db, "lists", "import", "un", small)
    assert code == 2
    assert "would remove 18 of 21 entries (86 %)" in err
    assert "--confirm-shrink" in err
    assert "removed: " in err  # the entries it would remove, named
    code, out, _ = cli("--db", db, "lists", "show", "--json")
    assert [(v["version"], v["name"], v["active"]) for v in json.loads(out)] == [
        (2, "OFAC SDN", True),
        (1, "UN", True),
    ]
    code, out, err = cli("--db", db, "lists", "import", "un", small, "--confirm-shrink")
    assert code == 0, err
    assert "UN list version 3 (un): 3 entries" in out
    assert "(shrink confirmed)" in out

    code, out, err = cli(
        "--db", db, "lists", "import", "un", renamed("YAS AIR", "YAS AIRWAYS", tmp_path / "r.xml")
    )
    assert code == 0, err  # growing back is no shrink
    code, out, err = cli("--db", db, "lists", "diff", "3", "--json")
    assert code == 0, err
    diff = json.loads(out)
    assert (diff["previous"], len(diff["changes"]["removed"])) == (1, 18)
    code, out, err = cli("--db", db, "lists", "diff", "4")
    assert code == 0, err
    assert "added:   IRe.077 YAS AIRWAYS" in out
    assert "18 added" in out

    code, out, _ = cli("--db", db, "lists", "show")
    assert "OFAC SDN" in out
    code, out, err = cli("--db", db, "lists", "withdraw", "OFAC SDN", "--reason", "a test list")
    assert code == 0, err
    assert "OFAC SDN (version 2) withdrawn" in out
    code, out, _ = cli("--db", db, "lists", "show", "--json")
    assert [v["name"] for v in json.loads(out) if v["active"]] == ["UN"]
    code, out, err = cli("--db", db, "lists", "withdraw", "UN", "--reason", "x")
    assert code == 2
    assert "only list in force" in err
    for bad in (("diff", "99"), ("diff", "x"), ("import", "un", SAMPLE, "--name", " ")):
        code, out, err = cli("--db", db, "lists", *bad)
        assert code == 2, (bad, out, err)
        assert "Traceback" not in err


FTM_SAMPLE = SAMPLE.parent / "ftm-sample.jsonl"
PERSIAN = "بهرام قلی زاده توکلی"  # the sample Person's alias, typed without the ZWNJ


def test_an_ftm_list_named_on_import_finds_a_persian_alias(cli: Cli, db: str) -> None:  # noqa: F811
    code, out, err = cli(
        "--db", db, "lists", "import", "ftm", FTM_SAMPLE, "--name", "MoFA Pakistan"
    )
    assert code == 0, err
    assert "MoFA Pakistan list version 1 (ftm): 5 entries" in out
    code, out, err = cli("--db", db, "screen", PERSIAN, "--json")
    assert code == 0, err
    top = json.loads(out)["hits"][0]
    assert top["reference"] == "tx-person-bahram"
    assert top["list"] == "MoFA Pakistan: Example programme (fictitious)"
    code, out, err = cli("--db", db, "screen", PERSIAN)
    assert code == 0, err
    assert "tx-person-bahram Bahram Qolizadeh Tavakoli (MoFA Pakistan" in out


def test_a_withdrawal_needs_its_reason(cli: Cli, db: str) -> None:  # noqa: F811
    assert cli("--db", db, "lists", "import", "un", SAMPLE)[0] == 0
    code, _, err = cli("--db", db, "lists", "withdraw", "UN")
    assert code == 2
    assert "--reason" in err
    assert "Traceback" not in err
