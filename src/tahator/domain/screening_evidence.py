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
  (-20: any name below the default match threshold of 92 drops below the review
  threshold of 75); one year off lowers less (-10), the same year on another day a
  little (-5).
- **Nationality** supports mildly (+4) or lowers mildly (-6): people hold several.
- **Kind**: a firm screened against a listed person, or a person against a listed
  body, lowers (-5), and no more: firms in the corridor are often named after
  their owner, and a listed person's own firm is itself a concern (owned, it is
  sanctioned too), so a strong name still needs review.

Raises together never exceed :data:`MAX_RAISE`; when an identifier is the listed
one's, the facts against are shown but not counted (lists carry false dates of
birth and nationalities; a document number is harder to share by chance).

Facts against are the party's own claims (whoever screens it says when it was born
and which passport it holds), so they are capped: together they take at most
:data:`MAX_LOWER`, and never take a name scoring at the default match threshold
(92) or more below the default review threshold (75): the listed name itself always
reaches an operator, whatever is claimed.  :func:`adjusted` gives the score.

A number counts only when it has at least :data:`MIN_NUMBER` characters, one of
them a digit, and is not all zeros: ``N/A``, ``none``, ``-`` or ``0000`` on both
sides is a blank form, not the same document.  Digits of any script compare as
their ASCII values (Persian ۱۲۳۴۵ is 12345).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol

from tahator.domain.party_facts import birth_date
from tahator.domain.sanctions_lists import Identifier, ListEntry

MAX_RAISE = 30.0
"""The most that facts besides the name can add: a name scoring this much below the
review threshold is never a hit, whatever else matches."""
MAX_LOWER = 20.0
"""The most that facts besides the name can take away, all together: they are the
party's own claims."""
MIN_NUMBER = 4
"""Characters (one a digit) a number needs to be compared at all."""
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
OTHER_BIRTH = -20.0
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
    @property
    def numbers_only_raise(self) -> bool: ...


def _ascii_digit(character: str) -> str:
    value = unicodedata.decimal(character, None)
    return str(value) if value is not None else character


def plain_number(number: str) -> str:
    """A number as compared: lower case, digits of any script as ASCII, without
    spaces, dashes, dots or slashes (and without an ``IMO`` prefix); ``""`` for a
    placeholder (``N/A``, ``none``, ``-``, ``0000``) or anything shorter than
    :data:`MIN_NUMBER` characters or without a digit, which identify nothing."""
    plain = "".join(_ascii_digit(c) for c in number.casefold() if c.isalnum())
    if plain.startswith("imo") and plain[3:].isdigit():
        plain = plain[3:]
    digits = [c for c in plain if c.isdigit()]
    if len(plain) < MIN_NUMBER or not digits or set(plain) == {"0"}:
        return ""
    return plain


def _family(kind: str) -> str:
    return _FAMILY.get(kind, kind)


def _identifiers(
    entry: ListEntry, known: tuple[Identifier, ...], only_raise: bool = False
) -> list[Evidence]:
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
        if only_raise or not same_kind or mine.kind not in OTHER_IDENTIFIER:
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
    theirs = birth_date(listed)
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
    mine = birth_date(born)
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


@cache
def _thresholds() -> tuple[float, float]:
    """The default match and review thresholds (``Thresholds()``); imported late
    because domain/screening.py imports this module."""
    from tahator.domain.screening import Thresholds

    defaults = Thresholds()
    return defaults.match, defaults.review


def most_lowered(name_score: float | None) -> float:
    """The most that facts against may take from a name scoring ``name_score``:
    :data:`MAX_LOWER`, and never a name at the default match threshold or above
    below the default review threshold."""
    if name_score is None:
        return MAX_LOWER
    match, review = _thresholds()
    if name_score < match:
        return MAX_LOWER
    return min(MAX_LOWER, name_score - review)


def weigh(
    entry: ListEntry, party: Party, *, name_score: float | None = None
) -> tuple[Evidence, ...]:
    """The facts besides the name that ``party`` and ``entry`` both carry, each with
    its points (none when either side lacks them).  Facts against together take at
    most :func:`most_lowered` of ``name_score`` (``None``: :data:`MAX_LOWER`)."""
    identified = _identifiers(entry, party.identifiers, party.numbers_only_raise)
    facts = [
        *identified,
        *_birth(entry, party.born),
        *_nationality(entry, party.nationality),
        *_kind(entry, party.kind),
    ]
    certain = any(f.points == SAME_IDENTIFIER for f in identified)
    may_lower = most_lowered(name_score)
    weighed: list[Evidence] = []
    raised = 0.0
    lowered = 0.0
    for fact in facts:
        if fact.points < 0 and certain:
            fact = replace(fact, points=0.0, detail=f"{fact.detail} (not counted: same number)")
        elif fact.points < 0:
            allowed = max(fact.points, -(may_lower - lowered))
            if allowed != fact.points:
                fact = replace(
                    fact,
                    points=allowed,
                    detail=f"{fact.detail} (facts against capped at {may_lower:g})",
                )
            lowered -= allowed
        elif fact.points > 0:
            allowed = min(fact.points, MAX_RAISE - raised)
            raised += allowed
            fact = replace(fact, points=allowed)
        weighed.append(fact)
    return tuple(weighed)


def adjusted(name_score: float, evidence: tuple[Evidence, ...]) -> float:
    """The score of a name scoring ``name_score`` with ``evidence`` counted: raises up
    to :data:`MAX_RAISE`, facts against up to :func:`most_lowered`, within 0–100, to
    one decimal."""
    raised = min(MAX_RAISE, sum(e.points for e in evidence if e.points > 0))
    lowered = min(most_lowered(name_score), -sum(e.points for e in evidence if e.points < 0))
    return round(min(100.0, max(0.0, name_score + raised - lowered)), 1)
