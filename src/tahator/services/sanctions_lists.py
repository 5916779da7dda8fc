"""Sanctions list versions: storing an imported list, listing the versions, what a
version changes, and the index of the versions in force that screening scores names
against.

Every version belongs to a named list (``UN``, ``OFAC SDN``); the newest version of
each name is in force.  A new version that would remove more than
``$TAHATOR_LIST_SHRINK_LIMIT`` % (default 10) of the entries in force is refused
unless the operator confirms the shrink: a truncated or wrong file must not silently
replace a whole list.  Names are one regardless of case, and a name no list has yet
needs the operator's confirmation (but the house's first list and ``UN``).
``services/list_imports.py`` imports a list through :func:`add_version` and then
screens every firm again.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain import list_changes
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.list_changes import ChangeSummary, ListChanges
from tahator.domain.screening import (
    UN,
    Identifier,
    Index,
    ListedName,
    ListEntry,
    ParsedList,
)
from tahator.formatting import jsonable
from tahator.io.screening_index_cache import kept_or_built
from tahator.io.un_list import list_name
from tahator.services import audit
from tahator.services.common import now
from tahator.store.bulk import insert_rows
from tahator.store.schema import SanctionsAlias, SanctionsEntry, SanctionsList

SHRINK_VARIABLE = "TAHATOR_LIST_SHRINK_LIMIT"
DEFAULT_SHRINK_LIMIT = 10.0
"""Percent of the entries in force a new version may remove without a confirmation."""
FIRST = 10
"""How many added, removed and changed entries an import's report names."""


@dataclass(frozen=True)
class ListVersion:
    """One imported version of a list."""

    version: int
    name: str
    """The list it is a version of (``UN``, ``OFAC SDN``)."""
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
    withdrawn: str | None = None
    """When, by whom and why the list was withdrawn (on its newest version)."""
    problem: str | None = None
    """Why a version in force looks wrong (no entries, fewer stored than read), or
    ``None``: a check against it must not be reported clear."""


@dataclass(frozen=True)
class AddedVersion:
    """A list file stored as a new version (or found equal to the version in force), and
    what it changes against the version of its name in force before it."""

    version: ListVersion
    added: bool
    """``False`` when the file equals the version in force: nothing was stored."""
    changes: ListChanges
    shrink_confirmed: bool = False
    """It removes more than the shrink limit and the operator confirmed it."""


@dataclass(frozen=True)
class VersionChanges:
    """What one stored version changed against the version of its name before it."""

    version: ListVersion
    previous: int | None
    """The version it is compared with (``None``: the first of its name)."""
    changes: ListChanges


class ShrinkRefusedError(InputError):
    """A new version would remove more than the shrink limit of the entries in force
    and the operator has not confirmed it; nothing was stored."""

    def __init__(self, name: str, found: ListChanges, limit: float) -> None:
        self.name = name
        self.changes = found
        self.summary = list_changes.summary(found, FIRST)
        self.limit = limit
        super().__init__(
            [
                Problem(
                    f"{name}: {list_changes.shrink_message(found, limit)}", field="confirm_shrink"
                )
            ]
        )


def shrink_limit() -> float:
    """The share (percent) of a list's entries a new version may remove unconfirmed:
    ``$TAHATOR_LIST_SHRINK_LIMIT`` or 10."""
    text = os.environ.get(SHRINK_VARIABLE, "").strip()
    try:
        limit = float(text.rstrip("%").strip()) if text else DEFAULT_SHRINK_LIMIT
    except ValueError:
        raise InputError([Problem(f"{text!r} is not a number", field=SHRINK_VARIABLE)]) from None
    if not 0 <= limit <= 100:
        raise InputError([Problem(f"{text!r} must be 0 to 100 (percent)", field=SHRINK_VARIABLE)])
    return limit


class NewListRefusedError(InputError):
    """A version names a list the house has not got and the operator has not confirmed
    a new list: a mistyped or changed name would make a second list in force beside the
    first, never compared with it (no shrink check) and never replacing it."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        super().__init__(
            [
                Problem(
                    f"{name!r} is a new list (the lists are: {', '.join(known)}): check the "
                    "name, or confirm a new list",
                    field="new_list",
                )
            ]
        )


def _reference(entry: ListEntry) -> str:
    # Never cut: two references sharing their first 60 characters would merge.
    if len(entry.reference) > 60:
        said = f"{entry.reference[:80]!r}: a reference over 60 characters"
        raise InputError([Problem(said, field="reference")])
    return entry.reference


def _as_stored(entry: ListEntry) -> ListEntry:
    """An entry as the store keeps it (so a version compares equal to itself stored)."""
    return replace(
        entry,
        reference=_reference(entry),
        list_type=entry.list_type[:60],
        data_id=entry.data_id[:40],
        aliases=tuple(ListedName(a.name, a.quality[:40]) for a in entry.aliases),
    )


def _latest(session: Session) -> dict[str, SanctionsList]:
    """The newest version of each list, withdrawn or not, by the list's name: what a
    new version is compared with (a withdrawn list's next version is still checked
    against what it held)."""
    newest = (
        select(SanctionsList.name, func.max(SanctionsList.id).label("id"))
        .group_by(SanctionsList.name)
        .subquery()
    )
    rows = session.scalars(select(SanctionsList).join(newest, SanctionsList.id == newest.c.id))
    return {row.name: row for row in rows}


def _spelled(name: str, known: Sequence[str]) -> str | None:
    """The stored spelling of list ``name`` (names are one regardless of case and of
    width or compatibility forms: ``ＵＮ`` is ``UN``)."""
    wanted = _folded(name)
    return next((k for k in known if _folded(k) == wanted), None)


def _folded(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def add_version(
    session: Session,
    parsed: ParsedList,
    actor: str,
    *,
    confirm_shrink: bool = False,
    new_list: bool = False,
) -> AddedVersion:
    """Store a parsed list file as a new version of its list (audited, with what it
    changes), and say so; a file equal (SHA-256) to the newest version of its list in
    force is not stored again.  List names are one regardless of case (the first
    spelling is kept).  A name no list has yet is refused (:class:`NewListRefusedError`)
    unless ``new_list``, or it is the house's first list or ``UN``.  A version removing
    more than :func:`shrink_limit` % of the entries of the newest version of its list
    (withdrawn or not) is refused (:class:`ShrinkRefusedError`) unless
    ``confirm_shrink``."""
    name = list_name(parsed.name)
    if not parsed.entries:
        raise InputError([Problem(f"{parsed.source or 'the file'} holds no entries")])
    latest = _latest(session)
    known = sorted(latest)
    spelled = _spelled(name, [UN, *known])
    if spelled is None and known and not new_list:
        raise NewListRefusedError(name, known)
    name = spelled or name
    newest = latest.get(name)
    if newest is not None and newest.sha256 == parsed.sha256 and newest.withdrawn_at is None:
        return AddedVersion(
            _list_version(newest), False, ListChanges(newest.entries, newest.entries)
        )
    entries = tuple(_as_stored(e) for e in parsed.entries)
    found = list_changes.changes(
        load_entries(session, [newest.id]) if newest is not None else (), entries
    )
    limit = shrink_limit()
    shrinks = list_changes.exceeds(found, limit)
    if shrinks and not confirm_shrink:
        raise ShrinkRefusedError(name, found, limit)
    version = SanctionsList(
        name=name,
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
    _store_entries(session, version.id, entries)
    view = _list_version(version)
    report = list_changes.summary(found, 0)
    audit.record(
        session,
        actor,
        "lists.import",
        f"sanctions_list:{version.id}",
        None if newest is None else {"version": newest.id, "entries": newest.entries},
        jsonable(view)
        | {
            "changes": {
                "added": report.added,
                "removed": report.removed,
                "changed": report.changed,
            },
            # A shrink past the limit is on the record as the operator's own decision.
            "shrink_confirmed": shrinks,
            "shrink_limit": limit,
        },
    )
    return AddedVersion(view, True, found, shrinks)


def withdraw(session: Session, name: str, reason: str, actor: str) -> ListVersion:
    """Withdraw list ``name`` (audited, with the reason): its newest version is no
    longer in force until a new version is imported.  The UN list may not be
    withdrawn (Pakistan's order applies it whatever else is notified; a bad version is
    replaced by importing a good one), nor the last list in force."""
    name = list_name(name)
    reason = reason.strip()
    if not reason or len(reason) > 1000:
        raise InputError([Problem("give the reason (1 to 1000 characters)", field="reason")])
    newest = _newest(session)
    version = newest.get(_spelled(name, list(newest)) or name)
    if version is None:
        known = ", ".join(sorted(newest)) or "none"
        raise NotFoundError(f"no list {name!r} is in force (in force: {known})")
    if len(newest) == 1:
        raise InputError(
            [Problem(f"{name} is the only list in force: import another before withdrawing it")]
        )
    name = version.name
    if name == UN:
        raise InputError(
            [Problem("the UN list is always applied; import a corrected version instead")]
        )
    version.withdrawn_at, version.withdrawn_by, version.withdrawn_reason = now(), actor, reason
    session.flush()
    view = _list_version(version)
    audit.record(
        session,
        actor,
        "lists.withdraw",
        f"sanctions_list:{version.id}",
        {"name": name, "version": version.id, "in_force": True},
        {"name": name, "version": version.id, "in_force": False, "reason": reason},
    )
    return view


def version_changes(session: Session, version_id: int) -> VersionChanges:
    """What stored version ``version_id`` changed against the version of its list
    imported before it."""
    # An id no column can hold is no version either (not a database error).
    version = session.get(SanctionsList, version_id) if 0 < version_id < 2**31 else None
    if version is None:
        raise NotFoundError(f"no list version {version_id}")
    previous = session.scalar(
        select(func.max(SanctionsList.id)).where(
            SanctionsList.name == version.name, SanctionsList.id < version.id
        )
    )
    found = list_changes.changes(
        load_entries(session, [previous]) if previous is not None else (),
        load_entries(session, [version.id]),
    )
    return VersionChanges(_list_version(version), previous, found)


def report(found: ListChanges) -> ChangeSummary:
    """The counts and the first :data:`FIRST` entries of each kind of change."""
    return list_changes.summary(found, FIRST)


def _store_entries(session: Session, list_id: int, entries: Sequence[ListEntry]) -> None:
    insert_rows(
        session,
        SanctionsEntry,
        [
            {
                "list_id": list_id,
                "reference": _reference(e),
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
                "entry_id": ids[e.reference],
                "position": position,
                "name": alias.name,
                "quality": alias.quality[:40],
            }
            for e in entries
            for position, alias in enumerate(e.aliases, start=1)
        ],
    )


def _newest(session: Session) -> dict[str, SanctionsList]:
    """The newest version of each list, by the list's name, unless the list was
    withdrawn: the versions in force."""
    newest = (
        select(SanctionsList.name, func.max(SanctionsList.id).label("id"))
        .group_by(SanctionsList.name)
        .subquery()
    )
    rows = session.scalars(select(SanctionsList).join(newest, SanctionsList.id == newest.c.id))
    return {row.name: row for row in rows if row.withdrawn_at is None}


def _list_version(version: SanctionsList) -> ListVersion:
    return ListVersion(
        version=version.id,
        name=version.name,
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
            withdrawn=(
                f"withdrawn {v.withdrawn_at:%Y-%m-%d} by {v.withdrawn_by}: {v.withdrawn_reason}"
                if v.withdrawn_at is not None
                else None
            ),
            problem=_problem(v, counts.get(v.id, 0)) if v.id in active else None,
        )
        for v in session.scalars(select(SanctionsList).order_by(SanctionsList.id.desc()))
    ]


@dataclass(frozen=True)
class ListNames:
    """Which version of each list is in force, and the list of every stored version."""

    in_force: Mapping[str, int]
    """The version in force, by the list's name."""
    of_version: Mapping[int, str]
    """The list's name, by version."""


def list_names(session: Session) -> ListNames:
    """The versions in force by name and every version's list name."""
    return ListNames(
        {name: v.id for name, v in _newest(session).items()},
        dict(session.execute(select(SanctionsList.id, SanctionsList.name)).all()),
    )


def changed_references(session: Session, old: int, new: int) -> frozenset[str]:
    """The references of the entries version ``new`` changed against version ``old``
    (names, programme or evidence; ``domain/list_changes``)."""
    if old == new:
        return frozenset()
    found = list_changes.changes(load_entries(session, [old]), load_entries(session, [new]))
    return frozenset(c.reference for c in found.changed)


def in_force(session: Session) -> list[ListVersionStatus]:
    """The versions in force (the newest of each list), by name."""
    return sorted((v for v in list_versions(session) if v.active), key=lambda v: v.name)


def _problem(version: SanctionsList, stored: int) -> str | None:
    if version.entries == 0 or stored == 0:
        return f"{version.name} version {version.id} holds no entries"
    if stored != version.entries:
        return (
            f"{version.name} version {version.id} stores {stored:,} of its "
            f"{version.entries:,} entries"
        )
    return None


_INDEX_CACHE: dict[tuple[tuple[int, str, str], ...], Index] = {}
"""The last index built, by the versions in force (id, SHA-256 and import time, since
another database may hold other lists under the same ids)."""


def current_index(session: Session) -> tuple[tuple[int, ...], Index | None]:
    """The lists in force (their version ids) and their index (``None`` without lists)."""
    newest = sorted(_newest(session).values(), key=lambda v: v.id)
    versions = tuple(v.id for v in newest)
    if not versions:
        return versions, None
    key = tuple((v.id, v.sha256, v.imported_at.isoformat()) for v in newest)
    if key not in _INDEX_CACHE:
        entries = load_entries(session, versions)
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = kept_or_built(entries)
    return versions, _INDEX_CACHE[key]


def load_entries(session: Session, versions: Sequence[int]) -> list[ListEntry]:
    """The stored entries of these list versions, as the readers parsed them (each with
    its list's name), by version and then as imported."""
    names = dict(
        session.execute(
            select(SanctionsList.id, SanctionsList.name).where(SanctionsList.id.in_(versions))
        ).all()
    )
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
    return [
        ListEntry(
            reference=e.reference,
            kind=e.kind,
            name=e.name,
            list_type=e.list_type,
            aliases=tuple(aliases.get(e.id, ())),
            listed_on=e.listed_on,
            updated_on=tuple(date.fromisoformat(d) for d in _strings(e.details.get("updated_on"))),
            data_id=e.data_id,
            countries=tuple(_strings(e.details.get("countries"))),
            born=tuple(_strings(e.details.get("born"))),
            list_name=names[e.list_id],
            birth_places=tuple(_strings(e.details.get("birth_places"))),
            nationalities=tuple(_strings(e.details.get("nationalities"))),
            identifiers=_identifiers(e.details.get("identifiers")),
        )
        for e in entries
    ]


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
