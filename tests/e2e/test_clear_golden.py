"""``tahator clear`` gives what it gave before it was made faster, byte for byte.

``clear_golden/expected.json`` holds, for each input file there, the SHA-256 of the
set-off file and the summary that ``tahator clear FILE -o OUT --json`` produced at
commit 82f36f3 (before the NumPy reader and writer, the command line without Typer
and the component search in NumPy).  The files are small networks with many equally
large set-offs (amounts 1–5, parallel obligations), so any change in the order the
solver sees them would show: integers with LF and CRLF line ends, with ids, firm
names, decimals, due dates, and amounts whose total passes 64 bits.  The shared
reference network is checked the same way when it is present.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_DATA, Cli, absent_in_ci

GOLDEN = Path(__file__).parent / "clear_golden"
EXPECTED: dict[str, dict[str, Any]] = json.loads((GOLDEN / "expected.json").read_text())
REFERENCE = SHARED_DATA / "mtcs" / "synthetic_network_01.csv"
FILES = sorted(name for name in EXPECTED if (GOLDEN / name).exists())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(name: str, summary_text: str, output: Path) -> None:
    summary = json.loads(summary_text)
    summary.pop("seconds")
    assert summary == EXPECTED[name]["summary"]
    assert digest(output) == EXPECTED[name]["output_sha256"]


def run_process(source: Path, output: Path) -> str:
    """The installed command as a process: a plain command line skips Typer."""
    command = Path(sys.executable).parent / "tahator"
    done = subprocess.run(
        [str(command), "clear", str(source), "-o", str(output), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_every_golden_file_is_there() -> None:
    assert len(FILES) == len(EXPECTED) - 1  # all but the shared reference network


@pytest.mark.parametrize("name", FILES)
def test_the_command_writes_what_it_wrote_before(name: str, tmp_path: Path) -> None:
    output = tmp_path / "setoffs.csv"
    check(name, run_process(GOLDEN / name, output), output)


@pytest.mark.parametrize("name", FILES)
def test_through_typer_too(cli: Cli, name: str, tmp_path: Path) -> None:
    output = tmp_path / "setoffs.csv"
    code, out, err = cli("clear", GOLDEN / name, "-o", output, "--json")
    assert code == 0, err
    check(name, out, output)


@absent_in_ci(REFERENCE.exists(), f"the shared reference data at {REFERENCE}")
def test_the_reference_network_is_written_as_before(tmp_path: Path) -> None:
    output = tmp_path / "setoffs.csv"
    check("synthetic_network_01.csv", run_process(REFERENCE, output), output)
