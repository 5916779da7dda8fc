"""The index of the lists in force is built once and reused: by later requests from
memory, by other workers and restarts from the file the first build kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tahator.domain.screening import Index
from tahator.io import screening_index_cache
from tahator.io.un_list import read_list
from tahator.services import list_imports, sanctions_lists
from tahator.store.database import reading, transaction

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tahator" / "data" / "un-sample.xml"


def current(engine: Engine) -> Index:
    with reading(engine) as session:
        _, index = sanctions_lists.current_index(session)
    assert index is not None
    return index


def test_another_process_restores_the_index_from_the_kept_file(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(screening_index_cache.CACHE_VARIABLE, str(cache))
    monkeypatch.setattr(screening_index_cache, "KEEP_NAMES", 1)  # the sample list is small
    monkeypatch.setattr(sanctions_lists, "_INDEX_CACHE", {})
    with transaction(engine) as session:
        list_imports.import_list(session, read_list("un", SAMPLE), "operator")
    built = current(engine)
    assert current(engine) is built  # the next request: from memory
    [kept] = cache.glob("screening-index-*.json")
    # Another process (a worker, a restart) reads the file rather than normalizing:
    # mark the file and see the mark in the index it gets.
    document = json.loads(kept.read_text())
    document["name_normalized"][0] = "restored from the file"
    kept.write_text(json.dumps(document))
    sanctions_lists._INDEX_CACHE.clear()
    restored = current(engine)
    assert restored.name_normalized[0] == "restored from the file"
    assert restored.name_normalized[1:] == built.name_normalized[1:]
    assert restored.entries == built.entries
    # A file that does not fit the entries (another list under the same name) is
    # ignored and the index built again.
    document["name_entry"] = [len(built.entries)] * len(document["name_entry"])
    kept.write_text(json.dumps(document))
    sanctions_lists._INDEX_CACHE.clear()
    assert current(engine).name_normalized == built.name_normalized


def test_a_small_list_is_not_kept_and_an_unwritable_folder_is_no_error(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv(screening_index_cache.CACHE_VARIABLE, str(tmp_path / "small"))
    monkeypatch.setattr(sanctions_lists, "_INDEX_CACHE", {})
    with transaction(engine) as session:
        list_imports.import_list(session, read_list("un", SAMPLE), "operator")
    assert current(engine).name_entry
    assert not (tmp_path / "small").exists()  # 0.01 s to build: not worth a file
    monkeypatch.setenv(screening_index_cache.CACHE_VARIABLE, str(blocker / "cache"))
    monkeypatch.setattr(screening_index_cache, "KEEP_NAMES", 1)
    sanctions_lists._INDEX_CACHE.clear()
    assert current(engine).name_entry  # cannot keep it: built all the same
