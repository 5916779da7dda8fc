"""The command line of ``tahator clear`` read without Typer agrees with Typer's.

``main`` runs a plain ``tahator clear`` itself (``tahator.cli.fast``) and hands
anything else to Typer; both must give the same exit code, output and files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tahator.cli.fast import ClearArgs, parse_clear
from tahator.domain.local_text import Calendar
from tests.conftest import Cli, write

SOURCE = "debtor,creditor,amount\nA,B,100\nB,C,100\nC,A,50\nC,D,7\n"
DATED = "id,debtor,creditor,amount,due_date\nx,A,B,60,1404-10-01\ny,B,A,70,1404-11-01\n"
PEOPLE = "id,country\nA,PK\nB,IR\nC,IR\nD,PK\n"


def test_plain_command_lines_are_parsed() -> None:
    assert parse_clear(["o.csv"]) == ClearArgs(Path("o.csv"))
    assert parse_clear(["--json", "o.csv", "-o", "s.csv", "--scale=3"]) == ClearArgs(
        Path("o.csv"), output=Path("s.csv"), as_json=True, scale=3
    )
    assert parse_clear(
        ["o.csv", "--credit-line", "IR=5", "--credit-line=PK=1%", "--calendar", "solar-hijri"]
    ) == ClearArgs(Path("o.csv"), calendar=Calendar.SOLAR_HIJRI, credit_lines=("IR=5", "PK=1%"))


@pytest.mark.parametrize(
    "words",
    [
        [],
        ["--help"],
        ["o.csv", "--help"],
        ["o.csv", "p.csv"],
        ["o.csv", "-o"],
        ["o.csv", "-os.csv"],
        ["o.csv", "-o", "a", "-o", "b"],
        ["o.csv", "--scale", "two"],
        ["o.csv", "--scale", "02"],
        ["o.csv", "--scale", "-1"],
        ["o.csv", "--calendar", "Gregorian"],
        ["o.csv", "--unknown"],
        ["--", "o.csv"],
        ["-"],
        [""],
        ["o.csv", "--json=yes"],
    ],
)
def test_anything_unusual_is_left_to_typer(words: list[str]) -> None:
    assert parse_clear(words) is None


def run(*words: str | Path) -> tuple[int, str, str]:
    command = Path(sys.executable).parent / "tahator"
    done = subprocess.run(
        [str(command), *map(str, words)], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    "options",
    [
        ["--json"],
        [],
        ["--json", "--scale", "0"],
        ["--json", "--scale=4"],
        ["--json", "--participants", "{people}", "--credit-line", "IR=20%"],
        ["--participants", "{people}", "--settlement", "{settle}", "--credit-line=PK=10"],
        ["--settlement", "{settle}"],  # refused: no participants
        ["--json", "--credit-line", "IR"],  # refused: a bad credit line
        ["--json", "--calendar", "solar-hijri", "{dated}"],
        ["--json", "{dated}"],  # refused: a Solar Hijri year read as Gregorian
        ["{missing}"],
    ],
)
def test_both_paths_agree(cli: Cli, tmp_path: Path, options: list[str]) -> None:
    files = {
        "source": write(tmp_path / "o.csv", SOURCE),
        "dated": write(tmp_path / "dated.csv", DATED),
        "people": write(tmp_path / "p.csv", PEOPLE),
        "missing": tmp_path / "missing.csv",
    }
    words = [o.format(**files, settle=tmp_path / "{}-settle.csv") for o in options]
    if not any(w in (str(files["dated"]), str(files["missing"])) for w in words):
        words.insert(0, str(files["source"]))
    results = []
    for path in ("fast", "typer"):
        output = tmp_path / f"{path}.csv"
        these = [w.replace("{}", path) for w in [*words, "-o", str(output)]]
        if path == "fast":
            code, out, err = run("clear", *these)
        else:
            code, out, err = cli("clear", *these)
        made = sorted(p.name.replace(path, "") for p in tmp_path.iterdir() if path in p.name)
        texts = [(tmp_path / f"{path}{n}").read_text() for n in made]
        # The time taken differs, and the table wraps the file names where they fall.
        out = "".join(line for line in out.splitlines() if "seconds" not in line)
        out = "".join(out.replace(path, "*").split())
        results.append((code, out, err.replace(path, "*"), made, texts))
    assert results[0] == results[1]


def test_help_and_odd_forms_still_work() -> None:
    code, out, _ = run("clear", "--help")
    assert code == 0
    assert "--credit-line" in out
    code, out, _ = run("--help")
    assert code == 0
    assert "clear" in out
    assert "ledger" in out
    code, _, err = run("clear", "a.csv", "b.csv")
    assert code == 2
    assert "unexpected extra argument" in err.lower() or "got unexpected" in err.lower()
