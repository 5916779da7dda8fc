"""``ledger verify`` never crashes on a stored value it cannot read: it names a break
and exits 1 (ATTACK 6).  SQLite stores what PostgreSQL's types would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import Cli
from tests.integration.test_ledger_seal import _history

EDITS = {
    "remaining": (
        "update obligations set remaining = 'abc' where id = 1",
        "the balance checks stopped: a stored value cannot be read (TypeError",
    ),
    "figures": (
        "update clearing_runs set figures = '{not json'",
        "(clearing.run) cannot be replayed: Expecting property name",
    ),
    "digits": (
        "update currencies set digits = 0 where code = 'USD'",
        "currencies USD: digits is 0, the seed says 2",
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_ledger_verify_names_a_value_it_cannot_read(
    engine: Engine, database_url: str, tmp_path: Path, edit: str
) -> None:
    _history(engine, tmp_path)
    if engine.dialect.name != "sqlite" and edit != "digits":
        # PostgreSQL's column types refuse such a value: the edit cannot be made at all.
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text(EDITS[edit][0]))
        return
    with engine.begin() as connection:
        assert connection.execute(text(EDITS[edit][0])).rowcount
    code, _, err = Cli()("--db", database_url, "ledger", "verify")
    assert code == 1
    assert "Traceback" not in err
    assert EDITS[edit][1] in err


def test_ledger_verify_names_a_country_whose_currency_changed(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """A country's currency decides how its firms' amounts read: the seed fixes it."""
    _history(engine, tmp_path)
    with engine.begin() as connection:
        assert connection.execute(
            text("update countries set currency = 'USD' where code = 'IR'")
        ).rowcount
    code, _, err = Cli()("--db", database_url, "ledger", "verify")
    assert code == 1
    assert "countries IR: currency is USD, the seed says IRR" in err
