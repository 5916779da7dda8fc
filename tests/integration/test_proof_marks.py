"""Who confirmed or returned an instruction, why, and which return a collection
replaces are proved by the audit records of the confirmation and return (ATTACK 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.conftest import Cli
from tests.integration.test_ledger_seal import _history

EDITS = {
    "confirmed_by": "update settlement_instructions set confirmed_by = 'mallory' "
    "where confirmed_by is not null",
    "returned_by": "update settlement_instructions set returned_by = 'mallory' "
    "where returned_by is not null",
    "return_reason": "update settlement_instructions set return_reason = 'AC04' "
    "where return_reason is not null",
    "replaces": "update settlement_instructions set replaces = "
    "(select min(id) from settlement_instructions) where kind = 'collection' "
    "and status = 'pending'",
}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_an_edited_mark_of_an_instruction_is_named(
    engine: Engine, database_url: str, tmp_path: Path, column: str
) -> None:
    _history(engine, tmp_path)
    assert Cli()("--db", database_url, "ledger", "verify")[0] == 0
    with engine.begin() as connection:
        assert connection.execute(text(EDITS[column])).rowcount
    code, _, err = Cli()("--db", database_url, "ledger", "verify")
    assert code == 1
    assert f": {column} is " in err


ENTRY_EDITS = {
    "kind": (
        "update journal_entries set kind = 'return' where id = (select min(id) from "
        "journal_entries)",
        ": kind is return, the recomputation says obligations",
    ),
    "instruction_id": (
        "update journal_entries set instruction_id = null where instruction_id is not null",
        ": instruction_id is None, the recomputation says ",
    ),
    "run_id": (
        "update journal_entries set run_id = null where run_id is not null",
        "journal_entries of run ",
    ),
}


@pytest.mark.parametrize("column", sorted(ENTRY_EDITS))
def test_an_edited_journal_entry_is_named(
    engine: Engine, database_url: str, tmp_path: Path, column: str
) -> None:
    _history(engine, tmp_path)
    edit, said = ENTRY_EDITS[column]
    with engine.begin() as connection:
        assert connection.execute(text(edit)).rowcount
    code, _, err = Cli()("--db", database_url, "ledger", "verify")
    assert code == 1
    assert said in err
