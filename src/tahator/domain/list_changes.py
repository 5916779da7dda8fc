"""What a new version of a sanctions list changes against the version in force
(pure; no I/O): entries added, removed and changed, by reference.

An operator reads these before a version applies: a list that suddenly lost most of
its entries is far more likely a truncated or wrong file than a mass delisting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tahator.domain.sanctions_lists import ListEntry

COMPARED = (
    "name",
    "kind",
    "list_type",
    "aliases",
    "born",
    "birth_places",
    "nationalities",
    "countries",
    "identifiers",
)
"""The fields whose difference makes an entry changed: its names, its programme and the
evidence screening weighs.  Dates of listing and update are the publisher's
bookkeeping and follow a real change anyway."""


@dataclass(frozen=True)
class EntryRef:
    """An entry named in a report of changes."""

    reference: str
    name: str


@dataclass(frozen=True)
class ChangedEntry:
    """An entry on both versions that differs, and in which fields."""

    reference: str
    name: str
    fields: tuple[str, ...]
    """Of :data:`COMPARED`, in that order."""
    before_name: str


@dataclass(frozen=True)
class ListChanges:
    """What a new version changes against an older one, each part by reference."""

    before: int
    """Entries in the older version."""
    after: int
    """Entries in the new version."""
    added: tuple[EntryRef, ...] = ()
    removed: tuple[EntryRef, ...] = ()
    changed: tuple[ChangedEntry, ...] = ()

    @property
    def removed_share(self) -> float:
        """The share (0..1) of the older version's entries the new one removes."""
        return len(self.removed) / self.before if self.before else 0.0


@dataclass(frozen=True)
class ChangeSummary:
    """The counts of a :class:`ListChanges` and the first few of each kind (what the
    command line, the API and the web UI show after an import)."""

    before: int
    after: int
    added: int
    removed: int
    changed: int
    first_added: tuple[EntryRef, ...]
    first_removed: tuple[EntryRef, ...]
    first_changed: tuple[ChangedEntry, ...]


def _key(entry: ListEntry, field: str) -> object:
    value = getattr(entry, field)
    if field == "aliases":
        # The order of aliases and how the list grades them are presentation.
        return sorted({a.name for a in entry.aliases})
    if isinstance(value, tuple):
        return sorted(value, key=repr)
    return value


def _differences(old: ListEntry, new: ListEntry) -> tuple[str, ...]:
    return tuple(f for f in COMPARED if _key(old, f) != _key(new, f))


def changes(old_entries: Iterable[ListEntry], new_entries: Iterable[ListEntry]) -> ListChanges:
    """What ``new_entries`` change against ``old_entries``, matched by reference; each
    part sorted by reference.  A reference twice in one version counts once (its last)."""
    old = {e.reference: e for e in old_entries}
    new = {e.reference: e for e in new_entries}
    changed = []
    for reference in sorted(old.keys() & new.keys()):
        fields = _differences(old[reference], new[reference])
        if fields:
            changed.append(
                ChangedEntry(reference, new[reference].name, fields, old[reference].name)
            )
    return ListChanges(
        before=len(old),
        after=len(new),
        added=tuple(EntryRef(r, new[r].name) for r in sorted(new.keys() - old.keys())),
        removed=tuple(EntryRef(r, old[r].name) for r in sorted(old.keys() - new.keys())),
        changed=tuple(changed),
    )


def summary(found: ListChanges, first: int = 10) -> ChangeSummary:
    """The counts of ``found`` and its ``first`` entries of each kind."""
    return ChangeSummary(
        before=found.before,
        after=found.after,
        added=len(found.added),
        removed=len(found.removed),
        changed=len(found.changed),
        first_added=found.added[:first],
        first_removed=found.removed[:first],
        first_changed=found.changed[:first],
    )


def exceeds(found: ListChanges, limit_percent: float) -> bool:
    """Whether the new version removes more than ``limit_percent`` % of the larger of the
    two versions: a truncated or wrong file does; restoring a whole list over a
    truncated one (one entry of one removed, 1,093 back) does not."""
    larger = max(found.before, found.after)
    return larger > 0 and len(found.removed) * 100 > limit_percent * larger


def shrink_message(found: ListChanges, limit_percent: float) -> str:
    """The refusal of a version that removes too much, naming the numbers."""
    share = found.removed_share * 100
    return (
        f"would remove {len(found.removed):,} of {found.before:,} entries ({share:.0f} %), "
        f"leaving {found.after:,}; more than {limit_percent:g} % removed needs an explicit "
        "confirmation: check the file is the whole list, then confirm the shrink"
    )
