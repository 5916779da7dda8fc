"""Versions of the sample UN list for tests of list imports: fewer entries, a renamed one."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import Engine

from tahator.io.un_list import read_list
from tahator.services import list_imports
from tahator.store.database import transaction
from tests.unit.test_screening import SAMPLE

BLOCK = re.compile(r"<(INDIVIDUAL|ENTITY)>.*?</\1>", re.S)
REFERENCE = re.compile(r"<REFERENCE_NUMBER>([^<]*)</REFERENCE_NUMBER>")


def references(path: Path = SAMPLE) -> list[str]:
    """The references of a list file's entries, in file order."""
    return REFERENCE.findall(path.read_text())


def only(references_kept: Collection[str], target: Path, source: Path = SAMPLE) -> Path:
    """``source`` keeping only the entries of these references."""

    def keep(block: re.Match[str]) -> str:
        found = REFERENCE.search(block.group(0))
        return block.group(0) if found and found.group(1) in references_kept else ""

    target.write_text(BLOCK.sub(keep, source.read_text()))
    return target


def renamed(old: str, new: str, target: Path, source: Path = SAMPLE) -> Path:
    """``source`` with one entry's listed name ``old`` written ``new``."""
    text = source.read_text()
    assert f"<FIRST_NAME>{old}</FIRST_NAME>" in text
    target.write_text(
        text.replace(f"<FIRST_NAME>{old}</FIRST_NAME>", f"<FIRST_NAME>{new}</FIRST_NAME>")
    )
    return target


def imported(
    engine: Engine,
    path: Path,
    name: str | None = None,
    *,
    new_list: bool = False,
    confirm: bool = False,
) -> list_imports.ListImport:
    """Import the UN-format list file ``path`` as the operator (named ``name``)."""
    with transaction(engine) as session:
        return list_imports.import_list(
            session,
            read_list("un", path, name=name),
            "operator",
            new_list=new_list,
            confirm_shrink=confirm,
        )
