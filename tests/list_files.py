"""Versions of the sample UN list for tests of list imports: fewer entries, a renamed one."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

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
