"""What the lists carry besides names, weighed against what is known of a party
(pure; no I/O).

A name alone is weak evidence; an identity or registration number, a date of birth
or a nationality can make a hit near-certain or rule it out.  :func:`weigh` turns
each fact both sides have into points added to (or taken from) a name's score,
each with a sentence saying why, so the operator reads the reasoning, not a number.

The points, and why:

- **Identifiers** are compared without spaces, dashes, dots, slashes and case, and
  only within a family (passport with passport; national id with national id;
  registration and tax numbers together, since lists and traders confuse them) and
  only when the issuing countries agree or one is unknown.  The same number is
  near-certain: it alone adds the most facts may add.  A different number of the
  same kind and country lowers: a company has one registration and one tax number,
  a person one national id for life (-15); passports are renewed, so a different
  one lowers less (-10); a country unknown on either side halves that.  A tax
  number says nothing against a listed registration number: they differ anyway.
- **Dates of birth** are compared at the precision both have.  The same full date
  (+12) says more than the same month (+8), the same year (+6) or a year inside a
  listed range (+4).  Day and month swapped is a clerk's slip (+6).  Persons born
  two or more years from every listed date are most likely different persons
  (-24: any name short of the listed one drops below the default review threshold
  of 75, but the listed name itself stays in review, since lists carry false dates
  of birth); one year off lowers less (-10), the same year on another day a
  little (-5).
- **Nationality** supports mildly (+4) or lowers mildly (-6): people hold several.
- **Kind**: a firm screened against a listed person, or a person against a listed
  body, lowers (-5), and no more: firms in the corridor are often named after
  their owner, and a listed person's own firm is itself a concern (owned, it is
  sanctioned too), so a strong name still needs review.

Raises together never exceed :data:`MAX_RAISE`; when an identifier is the listed
one's, the facts against are shown but not counted (lists carry false dates of
birth and nationalities; a document number is harder to share by chance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Protocol

from tahator.domain.sanctions_lists import Identifier, ListEntry

MAX_RAISE = 30.0
"""The most that facts besides the name can add: a name scoring this much below the
review threshold is never a hit, whatever else matches."""
SAME_IDENTIFIER = 30.0
OTHER_IDENTIFIER = {"passport": -10.0, "national_id": -15.0, "registration": -15.0, "tax": -15.0}
"""A different number of the same kind and issuing country."""
SAME_BIRTH_DATE = 12.0
SAME_BIRTH_MONTH = 8.0
SAME_BIRTH_YEAR = 6.0
SWAPPED_BIRTH_DATE = 6.0
BIRTH_IN_RANGE = 4.0
OTHER_BIRTH_DAY = -5.0
BIRTH_YEAR_OFF = -10.0
OTHER_BIRTH = -24.0
SAME_NATIONALITY = 4.0
OTHER_NATIONALITY = -6.0
OTHER_KIND = -5.0

_FAMILY = {"passport": "passport", "national_id": "national_id", "registration": "registration"}
_FAMILY["tax"] = "registration"
_WORDS = {
    "passport": "passport",
    "national_id": "national identity",
    "registration": "registration",
    "tax": "tax",
    "other": "identification",
}
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_DATE = re.compile(r"(\d{4})(?:-(\d\d))?(?:-(\d\d))?")
_RANGE = re.compile(r"(\d{4})\s*-\s*(\d{4})")


@dataclass(frozen=True)
class Evidence:
    """A fact besides the name that raised or lowered a hit's score."""

    fact: str
    """``identifier``, ``birth``, ``nationality`` or ``kind``."""
    points: float
    detail: str
    """The fact in plain words: ``passport Z9876543 is the listed one's``."""


class Party(Protocol):
    """What is known of a screened party besides its name (a screening ``Query``)."""

    @property
    def born(self) -> str | None: ...
    @property
    def nationality(self) -> str | None: ...
    @property
    def identifiers(self) -> tuple[Identifier, ...]: ...
    @property
    def kind(self) -> str | None: ...


def plain_number(number: str) -> str:
    """A number as compared: lower case, without spaces, dashes, dots or slashes
    (and without an ``IMO`` prefix)."""
    plain = _NOT_ALNUM.sub("", number.casefold())
    return plain[3:] if plain.startswith("imo") and plain[3:].isdigit() else plain


def _family(kind: str) -> str:
    return _FAMILY.get(kind, kind)


def _identifiers(entry: ListEntry, known: tuple[Identifier, ...]) -> list[Evidence]:
    listed = [(i, plain_number(i.number)) for i in entry.identifiers if plain_number(i.number)]
    against: list[Evidence] = []
    for mine in known:
        number = plain_number(mine.number)
        if not number:
            continue
        family = _family(mine.kind)
        words = _WORDS.get(mine.kind, mine.kind)
        same_family = [
            (i, n)
            for i, n in listed
            if _family(i.kind) == family
            and not (mine.country and i.country and mine.country.upper() != i.country.upper())
        ]
        if any(n == number for _, n in same_family):
            return [
                Evidence(
                    "identifier",
                    SAME_IDENTIFIER,
                    f"{words} number {mine.number} is the listed one's",
                )
            ]
        # a different number proves something only against a number of the same kind
        # (a firm's tax number differs from its registration number)
        same_kind = [(i, n) for i, n in same_family if i.kind == mine.kind]
        if not same_kind or mine.kind not in OTHER_IDENTIFIER:
            continue
        both_known = bool(mine.country) and all(i.country for i, _ in same_kind)
        points = OTHER_IDENTIFIER[mine.kind] * (1.0 if both_known else 0.5)
        shown = ", ".join(i.number for i, _ in same_kind)
        where = f" of {mine.country.upper()}" if mine.country else ""
        against.append(
            Evidence(
                "identifier",
                points,
                f"{words} number {mine.number}{where} is not the listed one ({shown})",
            )
        )
    # one number not the listed one's counts once, the strongest
    return sorted(against, key=lambda f: f.points)[:1]


def _date(written: str) -> tuple[int, int | None, int | None] | None:
    found = _DATE.fullmatch(written.strip())
    if not found:
        return None
    year, month, day = found.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def _birth_against(mine: tuple[int, int | None, int | None], listed: str) -> tuple[float, str]:
    """Points and words for one listed date of birth."""
    year, month, day = mine
    span = _RANGE.fullmatch(listed.strip())
    if span:
        low, high = sorted(int(y) for y in span.groups())
        if low <= year <= high:
            return BIRTH_IN_RANGE, f"born in {year}, within the listed {low}–{high}"
        off = min(abs(year - low), abs(year - high))
        return (OTHER_BIRTH if off >= 2 else BIRTH_YEAR_OFF), f"listed born {low}–{high}"
    theirs = _date(listed)
    if theirs is None:
        return 0.0, ""
    their_year, their_month, their_day = theirs
    if year != their_year:
        off = abs(year - their_year)
        return (OTHER_BIRTH if off >= 2 else BIRTH_YEAR_OFF), f"listed born {listed}"
    if month is None or their_month is None:
        return SAME_BIRTH_YEAR, f"born in {year}, as listed"
    if month != their_month:
        if day is not None and (their_month, their_day) == (day, month):
            return SWAPPED_BIRTH_DATE, f"listed born {listed}: day and month swapped"
        return OTHER_BIRTH_DAY, f"born in the listed year but listed {listed}"
    if day is None or their_day is None:
        return SAME_BIRTH_MONTH, f"born in {year}-{month:02d}, as listed"
    if day == their_day:
        return SAME_BIRTH_DATE, f"born on {listed}, as listed"
    return OTHER_BIRTH_DAY, f"born in the listed month but listed {listed}"


def _birth(entry: ListEntry, born: str | None) -> list[Evidence]:
    if not born or not entry.born or entry.kind != "individual":
        return []
    mine = _date(born)
    if mine is None:
        return []
    weighed = [_birth_against(mine, listed) for listed in entry.born]
    weighed = [(points, words) for points, words in weighed if words]
    if not weighed:
        return []
    points, words = max(weighed)  # any listed date that agrees is the one that counts
    if points < 0:
        words = f"born {born}; listed born {', '.join(entry.born)}"
    return [Evidence("birth", points, words)]


def _nationality(entry: ListEntry, nationality: str | None) -> list[Evidence]:
    if not nationality or not entry.nationalities:
        return []
    code = nationality.strip().upper()
    if code in entry.nationalities:
        return [Evidence("nationality", SAME_NATIONALITY, f"a national of {code}, as listed")]
    shown = ", ".join(entry.nationalities)
    return [Evidence("nationality", OTHER_NATIONALITY, f"a national of {code}; listed {shown}")]


def _kind(entry: ListEntry, kind: str | None) -> list[Evidence]:
    if not kind or kind == entry.kind:
        return []
    said = (
        "a firm screened against a listed person"
        if entry.kind == "individual"
        else "a person screened against a listed body"
    )
    return [Evidence("kind", OTHER_KIND, said)]


def weigh(entry: ListEntry, party: Party) -> tuple[Evidence, ...]:
    """The facts besides the name that ``party`` and ``entry`` both carry, each with
    its points (none when either side lacks them)."""
    identified = _identifiers(entry, party.identifiers)
    facts = [
        *identified,
        *_birth(entry, party.born),
        *_nationality(entry, party.nationality),
        *_kind(entry, party.kind),
    ]
    certain = any(f.points == SAME_IDENTIFIER for f in identified)
    weighed: list[Evidence] = []
    raised = 0.0
    for fact in facts:
        if fact.points < 0 and certain:
            fact = replace(fact, points=0.0, detail=f"{fact.detail} (not counted: same number)")
        elif fact.points > 0:
            allowed = min(fact.points, MAX_RAISE - raised)
            raised += allowed
            fact = replace(fact, points=allowed)
        weighed.append(fact)
    return tuple(weighed)
