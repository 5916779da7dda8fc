"""What the lists carry besides names, weighed against what is known of a party
(pure; no I/O).

A name alone is weak evidence; an identity or registration number, a date of birth
or a nationality can make a hit near-certain or rule it out.  :func:`weigh` turns
each fact both sides have into points added to (or taken from) a name's score,
each with a sentence saying why, so the operator reads the reasoning, not a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from tahator.domain.sanctions_lists import Identifier, ListEntry

MAX_RAISE = 20.0
"""The most that facts besides the name can add: a name scoring this much below the
review threshold is never a hit, whatever else matches."""
SAME_IDENTIFIER = 20.0
OTHER_IDENTIFIER = -10.0
SAME_BIRTH = 10.0
OTHER_BIRTH = -25.0
SAME_NATIONALITY = 5.0
OTHER_NATIONALITY = -10.0

_NOT_ALNUM = re.compile(r"[^0-9a-z]")


@dataclass(frozen=True)
class Evidence:
    """A fact besides the name that raised or lowered a hit's score."""

    fact: str
    """``identifier``, ``birth`` or ``nationality``."""
    points: float
    detail: str
    """The fact in words: ``passport number A1234567 is the listed one's``."""


def _plain(number: str) -> str:
    return _NOT_ALNUM.sub("", number.casefold())


def _years(written: str) -> set[int]:
    """The years a written date of birth allows (``1960-1965`` allows six)."""
    found = [int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", written)]
    if re.fullmatch(r"\s*\d{4}\s*-\s*\d{4}\s*", written) and len(found) == 2:
        return set(range(min(found), max(found) + 1))
    return set(found)


def _identifiers(entry: ListEntry, known: tuple[Identifier, ...]) -> list[Evidence]:
    listed = {_plain(i.number): i for i in entry.identifiers if _plain(i.number)}
    if not listed:
        return []
    facts: list[Evidence] = []
    for mine in known:
        number = _plain(mine.number)
        if not number:
            continue
        if number in listed:
            facts.append(
                Evidence(
                    "identifier",
                    SAME_IDENTIFIER,
                    f"{mine.kind} number {mine.number} is the listed one's",
                )
            )
        elif any(i.kind == mine.kind for i in listed.values()):
            facts.append(
                Evidence(
                    "identifier",
                    OTHER_IDENTIFIER,
                    f"{mine.kind} number {mine.number} is not the listed one's",
                )
            )
    # one number the listed one's settles it; otherwise one that is not counts once
    return sorted(facts, key=lambda f: -f.points)[:1]


class Party(Protocol):
    """What is known of a screened party besides its name (a screening ``Query``)."""

    @property
    def born(self) -> str | None: ...
    @property
    def nationality(self) -> str | None: ...
    @property
    def identifiers(self) -> tuple[Identifier, ...]: ...


def weigh(entry: ListEntry, party: Party) -> tuple[Evidence, ...]:
    """The facts besides the name that ``party`` and ``entry`` both carry, each with
    its points (none when either side lacks them)."""
    facts: list[Evidence] = _identifiers(entry, party.identifiers)
    born = party.born
    if born and entry.born:
        mine = _years(born)
        listed = set().union(*(_years(b) for b in entry.born))
        if mine and listed:
            if mine & listed:
                facts.append(Evidence("birth", SAME_BIRTH, f"born {born}, as listed"))
            else:
                shown = ", ".join(entry.born)
                facts.append(Evidence("birth", OTHER_BIRTH, f"born {born}; listed {shown}"))
    nationality = party.nationality
    if nationality and entry.nationalities:
        code = nationality.upper()
        if code in entry.nationalities:
            facts.append(
                Evidence("nationality", SAME_NATIONALITY, f"a national of {code}, as listed")
            )
        else:
            shown = ", ".join(entry.nationalities)
            facts.append(
                Evidence("nationality", OTHER_NATIONALITY, f"a national of {code}; listed {shown}")
            )
    return tuple(facts)
