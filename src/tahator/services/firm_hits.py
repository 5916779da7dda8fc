"""What a firm's screening keeps and weighs beyond the scores: when an operator's
decision on a hit no longer holds, and why a firm's own tax number only raises a hit."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from tahator.domain.screening import LOW_QUALITY, Band, Hit, Thresholds
from tahator.domain.screening_evidence import adjusted
from tahator.services import sanctions_lists
from tahator.store.schema import ScreeningHit

REOPEN_RISE = 5.0
"""Points a hit's score may rise by and keep the operator's decision on it."""
_BAND_RANK = {Band.CLEAR: 0, Band.REVIEW: 1, Band.MATCH: 2}


def without_own_number(hit: Hit, limits: Thresholds) -> Hit:
    """``hit`` without a different identifier's negative points: a firm's tax number
    is self-declared at registration, so a front company could declare another number
    to lower a near-name below review and be cleared.  The firm's number only raises a
    hit (the same number as the listed one's); the name and the other facts stand.
    Done here because the scoring (``domain/screening.py``) lets every identifier a
    caller gives lower a hit, which is right for a party a clerk vouches for."""
    if not any(e.fact == "identifier" and e.points < 0 for e in hit.evidence):
        return hit
    evidence = tuple(e for e in hit.evidence if not (e.fact == "identifier" and e.points < 0))
    name_score = hit.name_score if hit.name_score is not None else hit.score
    score = adjusted(name_score, evidence)
    band = limits.band(score)
    if band == Band.MATCH and hit.matched_quality.casefold() in LOW_QUALITY:
        band = Band.REVIEW
    return replace(
        hit,
        score=score,
        band=band,
        name_score=name_score if evidence else None,
        evidence=evidence,
    )


class Changed:
    """The references a list version changed against an older one, computed once per
    pair of versions in a screening."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[tuple[int, int], frozenset[str]] = {}

    def __call__(self, old: int, new: int) -> frozenset[str]:
        if (old, new) not in self.found:
            self.found[old, new] = sanctions_lists.changed_references(self.session, old, new)
        return self.found[old, new]


def reopens(before: ScreeningHit, hit: Hit, version: int, changed: Changed) -> bool:
    """Whether a decision on ``before`` no longer holds for ``hit``: the operator
    decided on what they saw, so a higher band, a score risen by more than
    :data:`REOPEN_RISE` or a changed listed entry (a new alias, a new number) is a new
    question."""
    if _BAND_RANK[hit.band] > _BAND_RANK.get(Band(before.band), 0):
        return True
    if hit.score > before.score + REOPEN_RISE:
        return True
    return hit.reference in changed(before.list_id, version)
