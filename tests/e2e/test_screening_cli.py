"""Sanctions screening from the command line: lists, screen, the queue, decisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, Cli, absent_in_ci, write
from tests.unit.test_screening import BILLION_LAUGHS, EXTERNAL_ENTITY, SAMPLE

UN_LIST = SHARED_DATA / "sanctions" / "un-consolidated-2018-10-29.xml"
FIRMS = (
    "id,name,country,tax_id,active_taxpayer,psw_subscribed\n"
    "PK-1,Karachi Rice Mills,PK,{pk},true,true\n"
    "IR-1,Shahid Sayad Shirazi Industries Co.,IR,{ir},false,false\n"
)


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    from tahator.demo import tax_id

    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    firms = write(tmp_path / "firms.csv", FIRMS.format(pk=tax_id("PK", 1), ir=tax_id("IR", 1)))
    assert cli("--db", url, "firms", "import", firms)[0] == 0
    return url


def test_import_screen_queue_and_decide(cli: Cli, db: str, tmp_path: Path) -> None:
    code, out, err = cli("--db", db, "lists", "import", "un", SAMPLE, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["list"]["version"] == 1
    assert [f["firm"] for f in result["changes"]["newly_blocked"]] == ["IR-1"]

    code, out, _ = cli("--db", db, "lists", "show", "--json")
    assert [(v["version"], v["entries"], v["active"]) for v in json.loads(out)] == [(1, 21, True)]

    code, out, _ = cli("--db", db, "screen", "Ghorb Nuh Trading Co", "--json")
    answer = json.loads(out)
    assert answer["id"] == "1"
    assert answer["hits"][0]["reference"] == "IRe.024"
    assert answer["hits"][0]["band"] == "match"
    assert set(answer["hits"][0]) >= {"reference", "name", "list", "score", "band"}

    code, out, _ = cli("--db", db, "screen", "Karachi Rice Mills", "--country", "PK", "--json")
    assert json.loads(out)["hits"] == []

    batch = write(
        tmp_path / "names.csv",
        "id,name,country\n"
        "a,Kaveh Cutting Tools Co.,IR\n"
        "b,Lahore Textiles,PK\n"
        "c,شهید صیاد شیرازی,IR\n",
    )
    code, out, _ = cli("--db", db, "screen", "--batch", batch, "--json")
    answers = {a["id"]: a for a in json.loads(out)}
    assert answers["a"]["hits"][0]["reference"] == "IRe.034"
    assert answers["b"]["hits"] == []
    assert answers["c"]["hits"][0]["reference"] == "IRe.070"
    code, out, _ = cli("--db", db, "screen", "--batch", batch)
    assert "a: Kaveh Cutting Tools Co.: match" in out

    code, out, _ = cli("--db", db, "screening", "queue", "--json")
    assert [(f["firm"], f["hits"][0]["reference"]) for f in json.loads(out)] == [
        ("IR-1", "IRe.070")
    ]
    code, _, err = cli("--db", db, "screening", "decide", "IR-1", "--false-positive")
    assert code == 2
    assert "reason" in err
    code, _, err = cli("--db", db, "screening", "decide", "IR-1", "--reason", "x")
    assert code == 2
    assert "exactly one of" in err
    code, out, err = cli(
        "--db", db, "screening", "decide", "IR-1", "--false-positive", "--reason", "a date farm"
    )
    assert code == 0, err
    assert "cleared" in out
    code, out, _ = cli("--db", db, "screening", "queue", "--json")
    assert json.loads(out) == []
    code, out, _ = cli("--db", db, "screening", "show", "IR-1", "--json")
    assert json.loads(out)["hits"][0]["decision"] == "false_positive"


def test_bad_batch_names_the_file_line_and_field(cli: Cli, db: str, tmp_path: Path) -> None:
    assert cli("--db", db, "lists", "import", "un", SAMPLE)[0] == 0
    batch = write(tmp_path / "names.csv", "id,name,country\na,Yas Air,IR\n,No Id,IRN\n")
    code, out, err = cli("--db", db, "screen", "--batch", batch, "--json")
    assert code == 2
    assert out == ""
    assert f"{batch}:3: id: is empty" in err
    assert f"{batch}:3: country: 'IRN' is not an ISO 3166 code" in err
    assert cli("--db", db, "screen", "X", "--batch", batch)[0] == 2
    assert cli("--db", db, "screen", "X", "--country", "Iran")[0] == 2


def test_screening_before_any_list_says_so(cli: Cli, db: str) -> None:
    code, _, err = cli("--db", db, "screen", "Yas Air")
    assert code == 2
    assert "no sanctions list is imported" in err


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (BILLION_LAUGHS, "refused: unsafe XML"),
        (EXTERNAL_ENTITY, "refused: unsafe XML"),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS>", "not well-formed XML"),
        (b"\xff\xfe garbage", "not well-formed XML"),
    ],
)
def test_hostile_or_malformed_lists_exit_2_and_store_nothing(
    cli: Cli, db: str, tmp_path: Path, data: bytes, expected: str
) -> None:
    path = write(tmp_path / "list.xml", data)
    code, out, err = cli("--db", db, "lists", "import", "un", path)
    assert code == 2
    assert f"{path}" in err
    assert expected in err
    code, out, _ = cli("--db", db, "lists", "show", "--json")
    assert json.loads(out) == []
    code, out, _ = cli("--db", db, "firms", "list", "--json")
    assert {f["screening"] for f in json.loads(out)} == {"unscreened"}


def test_unknown_format_and_missing_file(cli: Cli, db: str, tmp_path: Path) -> None:
    code, _, err = cli("--db", db, "lists", "import", "ofac", SAMPLE)
    assert code == 2
    assert "unknown list format 'ofac'" in err
    code, _, err = cli("--db", db, "lists", "import", "un", tmp_path / "absent.xml")
    assert code == 2
    assert "cannot read the file" in err


@absent_in_ci(UN_LIST.exists(), "shared/data/sanctions")
def test_the_whole_un_list_imports_and_rescreens(cli: Cli, db: str) -> None:
    code, out, err = cli("--db", db, "lists", "import", "un", UN_LIST)
    assert code == 0, err
    assert "1,093 entries" in out
    assert "newly blocked: IR-1" in out
    code, out, _ = cli("--db", db, "screen", "Mohammad Bagher Ghalibaf", "--json")
    assert json.loads(out)["hits"] == []  # not on the 2018 UN list
    code, out, _ = cli("--db", db, "screen", "Abdul Khaliq al-Houthi", "--json")
    assert json.loads(out)["hits"][0]["reference"] == "YEi.001"


@pytest.mark.parametrize("name", ["   ", "...", "\u200b"])
def test_a_name_with_nothing_to_screen_is_refused_not_clear(cli: Cli, db: str, name: str) -> None:
    assert cli("--db", db, "lists", "import", "un", SAMPLE)[0] == 0
    code, out, err = cli("--db", db, "screen", name)
    assert code == 2
    assert "nothing to screen" in err
    assert "clear" not in out
