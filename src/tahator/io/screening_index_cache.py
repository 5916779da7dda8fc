"""The screening index's normalized names kept in a file, so that other workers and
restarts do not normalize a large list again (about 15 s for 200,000 names here).

The file is JSON, written whole under a temporary name and then renamed, and only
read as data: nothing in it is executed (no pickle).  It is keyed by a digest of the
entries' names and of the code that normalizes them; a file whose key, form or shape
is not what is expected is ignored and the index built again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tahator.domain import names as normalization
from tahator.domain import screening_index, screening_tables
from tahator.domain.sanctions_lists import ListEntry
from tahator.domain.screening_index import (
    Index,
    IndexForms,
    build_index,
    forms_of,
    index_from_forms,
)

FORMAT = 1


def write_forms(path: Path, key: str, forms: IndexForms) -> None:
    """Keep ``forms`` in ``path`` (its folder created, readable by its owner only)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    document = {
        "format": FORMAT,
        "key": key,
        "name_entry": list(forms.name_entry),
        "name_text": list(forms.name_text),
        "name_quality": list(forms.name_quality),
        "name_normalized": list(forms.name_normalized),
        "latin": [list(w) for w in forms.latin],
        "skeleton": [list(w) for w in forms.skeleton],
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, separators=(",", ":"))
        os.replace(temporary, path)  # readers see the old file or the whole new one
    finally:
        temporary.unlink(missing_ok=True)


def read_forms(path: Path, key: str) -> IndexForms | None:
    """The forms kept in ``path`` under ``key``; ``None`` if there are none, or the
    file is not one this version wrote for that key."""
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or document.get("key") != key
    ):
        return None
    try:
        return IndexForms(
            name_entry=tuple(_column(document, "name_entry", int)),
            name_text=tuple(_column(document, "name_text", str)),
            name_quality=tuple(_column(document, "name_quality", str)),
            name_normalized=tuple(_column(document, "name_normalized", str)),
            latin=tuple(_words(document, "latin")),
            skeleton=tuple(_words(document, "skeleton")),
        )
    except ValueError:
        return None


def _column(document: dict[str, Any], key: str, kind: type) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list) or not _all(value, kind):
        raise ValueError(key)
    return value


def _words(document: dict[str, Any], key: str) -> list[tuple[str, ...]]:
    return [tuple(_column({key: w}, key, str)) for w in _column(document, key, list)]


def _all(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, kind) and not isinstance(v, bool) for v in value
    )


CACHE_VARIABLE = "TAHATOR_CACHE_DIR"
"""Where the index's normalized names are kept for other workers and restarts (else
``$XDG_CACHE_HOME/tahator`` or ``~/.cache/tahator``)."""
KEEP_NAMES = 20_000
"""Indexes of at least this many names are kept in a file: normalizing the UN list's
3,900 names takes 0.3 s, an OpenSanctions-sized list's 200,000 some 15 s."""
_FORMS_CODE = (normalization, screening_index, screening_tables)
"""The modules that decide the normalized forms: a change to one makes old files stale."""


def kept_or_built(listed: Iterable[ListEntry]) -> Index:
    """The index of ``entries``, from the file another process kept if there is one
    (checked against the entries), else built and, when large, kept."""
    entries = list(listed)
    digest = hashlib.sha256(f"{unicodedata.unidata_version}\x1e".encode())
    for module in _FORMS_CODE:
        digest.update(Path(module.__file__ or "").read_bytes())
    for entry in entries:
        for name in entry.names:
            digest.update(f"\x1e{name.name}\x1f{name.quality}".encode())
        digest.update(b"\x1d")
    key = digest.hexdigest()
    path = cache_folder() / f"screening-index-{key[:32]}.json"
    forms = read_forms(path, key)
    if forms is not None:
        try:
            return index_from_forms(entries, forms)
        except ValueError:
            pass  # not these entries' after all: build
    index = build_index(entries)
    if len(index.name_entry) >= KEEP_NAMES:
        with contextlib.suppress(OSError):  # an unwritable folder costs time, not results
            write_forms(path, key, forms_of(index))
    return index


def cache_folder() -> Path:
    """The folder for files worth keeping between processes."""
    if configured := os.environ.get(CACHE_VARIABLE):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tahator"
