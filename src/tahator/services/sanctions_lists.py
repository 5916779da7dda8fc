"""Sanctions list versions: storing an imported list, listing the versions, and the
index of the versions in force that screening scores names against.

``services/screening.py`` imports a list through :func:`add_version` and then
screens every firm again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain import names as normalization
from tahator.domain import screening_index, screening_tables
from tahator.domain.screening import (
    Identifier,
    Index,
    ListedName,
    ListEntry,
    ParsedList,
    build_index,
)
from tahator.domain.screening_index import forms_of, index_from_forms
from tahator.formatting import jsonable
from tahator.io.screening_index_cache import read_forms, write_forms
from tahator.services import audit
from tahator.services.common import now
from tahator.store.bulk import insert_rows
from tahator.store.schema import SanctionsAlias, SanctionsEntry, SanctionsList


@dataclass(frozen=True)
class ListVersion:
    """One imported version of a list."""

    version: int
    format: str
    source: str
    generated: str | None
    entries: int
    sha256: str
    imported_at: datetime
    imported_by: str


@dataclass(frozen=True)
class ListVersionStatus(ListVersion):
    """A list version with whether it is in force and what it holds."""

    active: bool
    stored_entries: int
    list_types: Mapping[str, int]
    """Entries per programme (``Iran``, ``DPRK``…), by name."""


def add_version(session: Session, parsed: ParsedList, actor: str) -> tuple[ListVersion, bool]:
    """Store a parsed list file as a new version of its format (audited), and say so;
    a file equal (SHA-256) to the newest version of its format is not stored again:
    that version, and ``False``."""
    newest = _newest(session).get(parsed.format)
    if newest is not None and newest.sha256 == parsed.sha256:
        return _list_version(newest), False
    version = SanctionsList(
        name=parsed.name[:100],
        format=parsed.format,
        source=parsed.source[:300],
        sha256=parsed.sha256,
        generated=(parsed.generated or "")[:40] or None,
        entries=len(parsed.entries),
        imported_at=now(),
        imported_by=actor,
    )
    session.add(version)
    session.flush()
    _store_entries(session, version.id, parsed.entries)
    view = _list_version(version)
    audit.record(
        session, actor, "lists.import", f"sanctions_list:{version.id}", None, jsonable(view)
    )
    return view, True


def _store_entries(session: Session, list_id: int, entries: Sequence[ListEntry]) -> None:
    insert_rows(
        session,
        SanctionsEntry,
        [
            {
                "list_id": list_id,
                "reference": e.reference[:60],
                "kind": e.kind,
                "name": e.name,
                "list_type": e.list_type[:60],
                "listed_on": e.listed_on,
                "data_id": e.data_id[:40],
                "details": {
                    "updated_on": [d.isoformat() for d in e.updated_on],
                    "countries": list(e.countries),
                    "born": list(e.born),
                    "birth_places": list(e.birth_places),
                    "nationalities": list(e.nationalities),
                    "identifiers": [
                        {"kind": i.kind, "number": i.number, "country": i.country}
                        for i in e.identifiers
                    ],
                },
            }
            for e in entries
        ],
    )
    ids = dict(
        session.execute(
            select(SanctionsEntry.reference, SanctionsEntry.id).where(
                SanctionsEntry.list_id == list_id
            )
        ).all()
    )
    insert_rows(
        session,
        SanctionsAlias,
        [
            {
                "entry_id": ids[e.reference[:60]],
                "position": position,
                "name": alias.name,
                "quality": alias.quality[:40],
            }
            for e in entries
            for position, alias in enumerate(e.aliases, start=1)
        ],
    )


def _newest(session: Session) -> dict[str, SanctionsList]:
    """The newest version of each list format."""
    newest = (
        select(SanctionsList.format, func.max(SanctionsList.id).label("id"))
        .group_by(SanctionsList.format)
        .subquery()
    )
    rows = session.scalars(select(SanctionsList).join(newest, SanctionsList.id == newest.c.id))
    return {row.format: row for row in rows}


def _list_version(version: SanctionsList) -> ListVersion:
    return ListVersion(
        version=version.id,
        format=version.format,
        source=version.source,
        generated=version.generated,
        entries=version.entries,
        sha256=version.sha256,
        imported_at=version.imported_at,
        imported_by=version.imported_by,
    )


def list_versions(session: Session) -> list[ListVersionStatus]:
    """Every imported list version, newest first, marking the ones in force."""
    active = {v.id for v in _newest(session).values()}
    counts: dict[int, int] = dict(
        session.execute(
            select(SanctionsEntry.list_id, func.count()).group_by(SanctionsEntry.list_id)
        ).all()
    )
    by_type: dict[int, dict[str, int]] = {}
    for list_id, list_type, count in session.execute(
        select(SanctionsEntry.list_id, SanctionsEntry.list_type, func.count()).group_by(
            SanctionsEntry.list_id, SanctionsEntry.list_type
        )
    ):
        by_type.setdefault(list_id, {})[list_type] = count
    return [
        ListVersionStatus(
            **vars(_list_version(v)),
            active=v.id in active,
            stored_entries=counts.get(v.id, 0),
            list_types=dict(sorted(by_type.get(v.id, {}).items())),
        )
        for v in session.scalars(select(SanctionsList).order_by(SanctionsList.id.desc()))
    ]


_INDEX_CACHE: dict[tuple[tuple[int, str, str], ...], Index] = {}
"""The last index built, by the versions in force (id, SHA-256 and import time, since
another database may hold other lists under the same ids)."""


def current_index(session: Session) -> tuple[tuple[int, ...], Index | None]:
    """The lists in force (their version ids) and their index (``None`` without lists)."""
    newest = sorted(_newest(session).values(), key=lambda v: v.id)
    versions = tuple(v.id for v in newest)
    names = {v.id: v.name for v in newest}
    if not versions:
        return versions, None
    key = tuple((v.id, v.sha256, v.imported_at.isoformat()) for v in newest)
    if key not in _INDEX_CACHE:
        # rows, not ORM objects: a 50,000-entry list loads in a third of the time
        entries = session.execute(
            select(*SanctionsEntry.__table__.columns)
            .where(SanctionsEntry.list_id.in_(versions))
            .order_by(SanctionsEntry.list_id, SanctionsEntry.id)
        ).all()
        aliases: dict[int, list[ListedName]] = {}
        for alias in session.execute(
            select(SanctionsAlias.entry_id, SanctionsAlias.name, SanctionsAlias.quality)
            .join(SanctionsEntry, SanctionsEntry.id == SanctionsAlias.entry_id)
            .where(SanctionsEntry.list_id.in_(versions))
            .order_by(SanctionsAlias.entry_id, SanctionsAlias.position)
        ):
            aliases.setdefault(alias.entry_id, []).append(ListedName(alias.name, alias.quality))
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = _kept_or_built(
            ListEntry(
                reference=e.reference,
                kind=e.kind,
                name=e.name,
                list_type=e.list_type,
                aliases=tuple(aliases.get(e.id, ())),
                listed_on=e.listed_on,
                updated_on=tuple(
                    date.fromisoformat(d) for d in _strings(e.details.get("updated_on"))
                ),
                data_id=e.data_id,
                countries=tuple(_strings(e.details.get("countries"))),
                born=tuple(_strings(e.details.get("born"))),
                list_name=names[e.list_id],
                birth_places=tuple(_strings(e.details.get("birth_places"))),
                nationalities=tuple(_strings(e.details.get("nationalities"))),
                identifiers=_identifiers(e.details.get("identifiers")),
            )
            for e in entries
        )
    return versions, _INDEX_CACHE[key]


CACHE_VARIABLE = "TAHATOR_CACHE_DIR"
"""Where the index's normalized names are kept for other workers and restarts (else
``$XDG_CACHE_HOME/tahator`` or ``~/.cache/tahator``)."""
KEEP_NAMES = 20_000
"""Indexes of at least this many names are kept in a file: normalizing the UN list's
3,900 names takes 0.3 s, an OpenSanctions-sized list's 200,000 some 15 s."""
_FORMS_CODE = (normalization, screening_index, screening_tables)
"""The modules that decide the normalized forms: a change to one makes old files stale."""


def _kept_or_built(listed: Iterable[ListEntry]) -> Index:
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


def _identifiers(value: object) -> tuple[Identifier, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Identifier(str(i.get("kind", "")), str(i.get("number", "")), i.get("country") or None)
        for i in value
        if isinstance(i, dict)
    )


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
