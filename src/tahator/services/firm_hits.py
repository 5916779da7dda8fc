"""When an operator's decision on a firm's hit no longer holds."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tahator.domain.screening import Band, Hit
from tahator.services import sanctions_lists
from tahator.store.schema import ScreeningHit

REOPEN_RISE = 5.0
"""Points a hit's score may rise by and keep the operator's decision on it."""
_BAND_RANK = {Band.CLEAR: 0, Band.REVIEW: 1, Band.MATCH: 2}


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
