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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain.list_changes import ChangedEntry, EntryRef
from tahator.domain.screening import ScreeningStatus
from tahator.services import access, sanctions_lists
from tahator.services.paging import Page, Window, page_of, paged
from tahator.services.screening import FirmScreening, ScreenedHit, firm_screening
from tahator.services.users import Principal
from tahator.store.schema import Firm, ScreeningHit


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


# --- the screening page's lists, a page at a time --------------------------------------


def queue_page(session: Session, window: Window) -> Page[FirmScreening]:
    """Firms whose hits await an operator's decision (``screening.queue``) a page at a
    time: best hit first unless sorted by ``firm``, ``name``, ``country`` or ``score``;
    searched by the firm's id or name."""
    best = (
        select(ScreeningHit.firm_id, func.max(ScreeningHit.score).label("best"))
        .group_by(ScreeningHit.firm_id)
        .subquery()
    )
    score = func.coalesce(best.c.best, 0.0)
    firm_id, name = Firm.id.expression, Firm.name.expression
    query = (
        select(Firm.id)
        .outerjoin(best, best.c.firm_id == Firm.id)
        .where(Firm.screening == ScreeningStatus.BLOCKED)
        .order_by(score.desc())
    )
    found = paged(
        session,
        query,
        window,
        sorts={"firm": firm_id, "name": name, "country": Firm.country.expression, "score": score},
        searched=[firm_id, name],
        tiebreak=[firm_id],
    )
    return Page(tuple(firm_screening(session, f) for f in found.rows), found.total, found.window)


def list_versions_page(session: Session, window: Window) -> Page[sanctions_lists.ListVersionStatus]:
    """Every imported list version (``sanctions_lists.list_versions``) a page at a time,
    newest first unless sorted by ``version``, ``name``, ``entries`` or ``imported``;
    searched by the list's name, its source or the version's number."""
    versions = sorted(sanctions_lists.list_versions(session), key=lambda v: v.version, reverse=True)
    return page_of(
        versions,
        window,
        sorts={
            "version": lambda v: v.version,
            "name": lambda v: v.name.casefold(),
            "entries": lambda v: v.entries,
            "imported": lambda v: v.imported_at,
        },
        text=lambda v: f"{v.version} {v.name} {v.source}",
    )


def entries_page(entries: tuple[EntryRef, ...], window: Window) -> Page[EntryRef]:
    """Entries a list version added or removed, a page at a time: sorted by
    ``reference`` or ``name``, searched by either."""
    return page_of(
        entries,
        window,
        sorts={"reference": lambda e: e.reference, "name": lambda e: e.name.casefold()},
        text=lambda e: f"{e.reference} {e.name}",
    )


def changed_page(entries: tuple[ChangedEntry, ...], window: Window) -> Page[ChangedEntry]:
    """Entries a list version changed, a page at a time (as :func:`entries_page`; the
    name before the change is searched too)."""
    return page_of(
        entries,
        window,
        sorts={"reference": lambda e: e.reference, "name": lambda e: e.name.casefold()},
        text=lambda e: f"{e.reference} {e.name} {e.before_name}",
    )


def hits_page(hits: tuple[ScreenedHit, ...], window: Window) -> Page[ScreenedHit]:
    """A name check's hits, best first unless sorted by ``score``, ``name``,
    ``reference`` or ``list``; searched by the listed name or reference."""
    return page_of(
        hits,
        window,
        sorts={
            "score": lambda h: h.score,
            "name": lambda h: h.name.casefold(),
            "reference": lambda h: h.reference,
            "list": lambda h: h.list.casefold(),
        },
        text=lambda h: f"{h.reference} {h.name} {h.matched_name}",
    )


__all__ = [
    "HELD_NOTICE",
    "WORDS",
    "FirmStanding",
    "Standing",
    "changed_page",
    "entries_page",
    "firm_screening_for",
    "held_notice",
    "hits_page",
    "list_versions_page",
    "queue_page",
    "screening_shown",
    "standing",
    "words",
]
