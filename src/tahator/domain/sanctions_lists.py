"""Sanctions lists as screening reads them: entries, their names and the facts the
lists carry besides names (pure; no I/O).

The readers in ``tahator.io`` (the UN XML, FollowTheMoney entities) turn a file into
a :class:`ParsedList`; ``services/sanctions_lists.py`` stores it as a version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tahator.domain import screening_tables as tables

UN = "UN"
"""The name of the UN Security Council Consolidated List."""


@dataclass(frozen=True)
class Identifier:
    """A number identifying a person or a body: a passport, a national identity card,
    a company registration or a tax number."""

    kind: str
    """``passport``, ``national_id``, ``registration``, ``tax`` or ``other``."""
    number: str
    """As written (compared without spaces, dashes and case)."""
    country: str | None = None
    """The issuing country (ISO 3166 alpha-2) when known."""


@dataclass(frozen=True)
class ListedName:
    name: str
    quality: str
    """``primary``, ``original script``, or the list's alias quality (Good, Low, a.k.a.)."""


@dataclass(frozen=True)
class ListEntry:
    """One individual or entity on a sanctions list."""

    reference: str
    kind: str
    """``individual`` or ``entity``."""
    name: str
    list_type: str
    """The programme: UN_LIST_TYPE, e.g. ``Iran``, ``DPRK``, ``Al-Qaida``."""
    aliases: tuple[ListedName, ...] = ()
    listed_on: date | None = None
    updated_on: tuple[date, ...] = ()
    data_id: str = ""
    countries: tuple[str, ...] = ()
    """Nationalities and address countries as the list writes them."""
    born: tuple[str, ...] = ()
    """Dates of birth as ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or a range ``YYYY-YYYY``."""
    list_name: str = UN
    """The list it is on, as people name it: ``UN``, ``OFAC SDN``, ``EU``."""
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    """ISO 3166 alpha-2 codes of the nationalities (or, for a body, its jurisdiction)."""
    identifiers: tuple[Identifier, ...] = ()

    @property
    def names(self) -> tuple[ListedName, ...]:
        return (ListedName(self.name, "primary"), *self.aliases)


@dataclass(frozen=True)
class ParsedList:
    """A list file's entries, as a reader in ``tahator.io`` parsed them."""

    format: str
    generated: str | None
    """When the list's publisher generated the file, as it says."""
    entries: tuple[ListEntry, ...]
    source: str = ""
    """The file's name."""
    sha256: str = ""
    """The file's SHA-256: a file equal to the version in force is not a new version."""
    name: str = UN
    """The list's name (``UN``, ``OFAC SDN``); the newest version of each name applies."""


def countries_of(entry: ListEntry) -> frozenset[str]:
    """ISO codes of the countries the list ties an entry to (nationality, addresses)."""
    found = set()
    for written in entry.countries:
        text = written.casefold()
        for words, code in tables.COUNTRY_WORDS.items():
            if words in text:
                found.add(code)
    return frozenset(found)
