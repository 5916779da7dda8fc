"""A date outside 2000-01-01..2100-12-31 on the command line or in a file: exit 2
with a message naming the option, or the file's line and field; nothing changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from tahator.cli import app
from tests.conftest import Cli, write

BAD_DAYS = ("9999-12-31", "0001-01-01")
OUTSIDE = "outside the accepted dates, 2000-01-01 to 2100-12-31"
DATE_OPTIONS = {"--as-of", "--date", "--from"}


def commands_with_a_date() -> list[tuple[tuple[str, ...], Any, str]]:
    """Every command (path of names) with a date option, found in the Typer app (its
    Click objects come from Typer's own copy of Click: matched by shape, not class)."""
    found: list[tuple[tuple[str, ...], Any, str]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
            return
        for param in command.params:
            for option in set(param.opts) & DATE_OPTIONS:
                found.append((path, command, option))

    walk(typer.main.get_command(app), ())
    return found


def arguments(command: Any, option: str, day: str) -> list[str]:
    """``option`` set to ``day``, every other required parameter (text or a number) "1"."""
    args = [option, day]
    for param in command.params:
        if option in param.opts or not param.required:
            continue
        args += [param.opts[0], "1"] if param.param_type_name == "option" else ["1"]
    return args


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    return url


def test_every_date_option_refuses_a_day_out_of_range(cli: Cli, db: str) -> None:
    found = commands_with_a_date()
    names = {" ".join(path) for path, _, _ in found}
    assert {"clearing run", "corridor rate", "border sell", "match", "barter sweep"} <= names
    for path, command, option in found:
        for day in BAD_DAYS:
            code, out, err = cli("--db", db, *path, *arguments(command, option, day))
            assert code == 2, (path, option, day, out, err)
            assert f"{option}: {day} is {OUTSIDE}" in err, (path, option, err)


def test_a_rate_from_year_one_is_refused_and_not_stored(cli: Cli, db: str) -> None:
    code, _, err = cli("--db", db, "corridor", "rate", "PKR", "280", "--from", "0001-01-01")
    assert code == 2
    assert err.strip() == f"error: --from: 0001-01-01 is {OUTSIDE}"
    code, out, _ = cli("--db", db, "corridor", "show", "--json")
    assert code == 0
    assert "0001-01-01" not in out
    code, _, err = cli("--db", db, "corridor", "rate", "PKR", "280", "--from", "2100-12-31")
    assert code == 0, err  # the last accepted day


def _firms(cli: Cli, db: str, folder: Path) -> None:
    from tests.integration.conftest import firms_file

    source = firms_file(folder / "firms.csv", {"PK-1": "PK", "IR-1": "IR"})
    assert cli("--db", db, "firms", "import", source)[0] == 0


@pytest.mark.parametrize("day", BAD_DAYS)
def test_an_obligations_file_names_the_row_and_field(
    cli: Cli, db: str, tmp_path: Path, day: str
) -> None:
    _firms(cli, db, tmp_path)
    source = write(
        tmp_path / "obligations.csv",
        "id,debtor,creditor,amount,currency,due_date\n"
        "I-1,PK-1,IR-1,10.00,USD,2026-06-30\n"
        f"I-2,IR-1,PK-1,5.00,USD,{day}\n",
    )
    code, _, err = cli("--db", db, "obligations", "import", source)
    assert code == 2
    assert f"{source}:3: due_date: {day} is {OUTSIDE}" in err
    code, out, _ = cli("--db", db, "obligations", "list", "--json")
    assert json.loads(out) == []  # nothing registered, not even the good row


@pytest.mark.parametrize("day", BAD_DAYS)
def test_an_offers_file_names_the_row_and_field(
    cli: Cli, db: str, tmp_path: Path, day: str
) -> None:
    _firms(cli, db, tmp_path)
    header = "id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs,valid_until\n"
    source = write(
        tmp_path / "offers.csv",
        header + f"O-1,PK-1,100630,rice,10,t,1000.00,USD,27,{day}\n",
    )
    code, _, err = cli("--db", db, "offers", "import", source)
    assert code == 2
    assert f"{source}:2: valid_until: {day} is {OUTSIDE}" in err
    code, out, _ = cli("--db", db, "offers", "list", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_clear_tool_names_a_due_date_out_of_range(cli: Cli, tmp_path: Path, day: str) -> None:
    source = write(
        tmp_path / "o.csv",
        f"debtor,creditor,amount,due_date\nA,B,1,2026-01-01\nB,A,1,{day}\n",
    )
    output = tmp_path / "s.csv"
    code, _, err = cli("clear", source, "-o", output)
    assert code == 2
    assert f":3: due_date: {day} is {OUTSIDE}" in err
    assert not output.exists()
    rows = "debtor,creditor,amount,due_date\nA,B,1,2000-01-01\nB,A,1,2100-12-31\n"
    edge = write(tmp_path / "edge.csv", rows)
    code, _, err = cli("clear", edge, "-o", output)
    assert code == 0, err  # the first and last accepted days
