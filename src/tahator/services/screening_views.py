"""A firm's screening as each role reads it.

Operators, customs, banks and auditors read the hits (``access.Part.SCREENING_DETAIL``):
the listed entry, its reference, the score, the explanation and the operator's
decision and reason.  A trader is told only where its own firm stands, in words, and
reads the same for a pending and a confirmed match (``Standing``): told more, it
could tip a listed partner off.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from tahator.domain.screening import ScreeningStatus
from tahator.services import access
from tahator.services.screening import FirmScreening, firm_screening
from tahator.services.users import Principal
from tahator.store.schema import Firm


class Standing(StrEnum):
    """Where a firm stands with screening, in the words its own trader is told."""

    UNSCREENED = "unscreened"
    """Never checked against the lists."""
    CLEAR = "clear"
    """It may trade: no hit, or an operator found its hits false positives."""
    UNDER_REVIEW = "under review"
    """It may not trade: a hit awaits the clearing house's review, or was confirmed."""


_STANDING = {
    ScreeningStatus.UNSCREENED: Standing.UNSCREENED,
    ScreeningStatus.CLEAR: Standing.CLEAR,
    ScreeningStatus.CLEARED: Standing.CLEAR,
    ScreeningStatus.BLOCKED: Standing.UNDER_REVIEW,
    ScreeningStatus.CONFIRMED: Standing.UNDER_REVIEW,
}


def standing(status: str) -> Standing:
    """The words for a firm's screening ``status`` (a ``ScreeningStatus`` value)."""
    return _STANDING[ScreeningStatus(status)]


@dataclass(frozen=True)
class FirmStanding:
    """A firm's screening as its trader reads it: no hit, no score, no reason."""

    firm: str
    name: str
    country: str
    screening: Standing


def firm_screening_for(
    session: Session, firm_id: str, reader: Principal
) -> FirmScreening | FirmStanding:
    """``firm_screening`` as ``reader``'s role reads it (``access.may_read``); the caller
    has checked that ``reader`` sees the firm at all (``access.sees_firm``)."""
    full = firm_screening(session, firm_id)
    if access.may_read(reader, access.Part.SCREENING_DETAIL):
        return full
    return FirmStanding(full.firm, full.name, full.country, standing(full.screening))


WORDS: dict[str, str] = {
    ScreeningStatus.UNSCREENED: "unscreened",
    ScreeningStatus.CLEAR: "clear",
    ScreeningStatus.BLOCKED: "held for review",
    ScreeningStatus.CONFIRMED: "confirmed match",
    ScreeningStatus.CLEARED: "cleared as false positive",
    **{s.value: s.value for s in Standing},
}
"""A firm's screening in the words every page shows it: for a status (to those who read
the detail) or a ``Standing`` (to its trader); the firm list and the firm page agree."""

HELD_NOTICE = (
    "Your firm's trading is paused pending a routine compliance review by the clearing "
    "house. Until the review is settled, new obligations, offers and applications "
    "cannot be recorded for your firm. The clearing house will contact you; you need "
    "not do anything now."
)
"""What a held firm's users read on their dashboard: the same for a hit awaiting review
and a confirmed match, and nothing of the list, the entry or the score."""


def words(shown: str) -> str:
    """The words for a screening status or standing, as :func:`screening_shown` gives it."""
    return WORDS.get(shown, shown)


def held_notice(session: Session, firm_id: str | None) -> str | None:
    """The neutral notice for the users of ``firm_id`` when screening stops it from
    trading (held for review or a confirmed match alike); ``None`` otherwise."""
    if firm_id is None:
        return None
    firm = session.get(Firm, firm_id)
    if firm is None or standing(firm.screening) != Standing.UNDER_REVIEW:
        return None
    return HELD_NOTICE


def screening_shown(reader: Principal, status: str) -> str:
    """A firm's screening ``status`` as ``reader`` is shown it in a firm's record: the
    status itself, or for a role without the detail the ``Standing`` in words."""
    if access.may_read(reader, access.Part.SCREENING_DETAIL):
        return status
    return standing(status).value


__all__ = [
    "HELD_NOTICE",
    "WORDS",
    "FirmStanding",
    "Standing",
    "firm_screening_for",
    "held_notice",
    "screening_shown",
    "standing",
    "words",
]
