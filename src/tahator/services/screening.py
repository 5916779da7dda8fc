"""Sanctions screening: screening names and firms, operators' decisions (lists are
imported and withdrawn in ``list_imports.py``).

Every function takes the caller's session and returns frozen dataclasses (field
names are the JSON keys), so the command line, the HTTP API and the web UI share
them.  The newest version of each named list applies.  A firm whose name or an
alias hits a listed entry in the ``review`` or ``match`` band is ``blocked`` until
an operator decides: a false positive (``cleared``) or a true match
(``confirmed``).  A blocked or confirmed firm cannot trade (:func:`require_clear`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.party_facts import screened_name_problem
from tahator.domain.screening import (
    NO_TRADE,
    Band,
    Decision,
    Evidence,
    Hit,
    Identifier,
    Query,
    ScreeningStatus,
    Thresholds,
    screen,
)
from tahator.formatting import jsonable
from tahator.services import audit, firm_hits, sanctions_lists
from tahator.services.common import now
from tahator.store.schema import (
    Firm,
    FirmAlias,
    ScreeningHit,
)

REVIEW_VARIABLE = "TAHATOR_SCREENING_REVIEW"
MATCH_VARIABLE = "TAHATOR_SCREENING_MATCH"


# --- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalizedNames:
    """The screened name and the listed name as screening compared them."""

    query: str
    matched: str


@dataclass(frozen=True)
class ScreenedHit:
    """A listed entry a screened name resembles, and why."""

    reference: str
    name: str
    list: str
    list_type: str
    kind: str
    score: float
    band: Band
    matched_name: str
    matched_quality: str
    normalized: NormalizedNames
    explanation: str
    country_match: bool | None
    name_score: float | None = None
    """The name's score before the evidence (``None`` when no other fact weighed)."""
    evidence: tuple[Evidence, ...] = ()
    """Facts besides the name (identifiers, birth, nationality) and their points."""


@dataclass(frozen=True)
class NameScreening:
    """A name screened and its hits, best first."""

    id: str
    name: str
    hits: tuple[ScreenedHit, ...]


@dataclass(frozen=True)
class FirmHit:
    """A hit recorded against a firm, and the operator's decision on it."""

    reference: str
    name: str
    list: str
    list_version: int
    score: float
    band: Band
    screened_name: str
    matched_name: str
    explanation: str | None
    normalized: NormalizedNames | None
    decision: Decision | None
    decided_by: str | None
    reason: str | None


@dataclass(frozen=True)
class FirmScreening:
    """A firm's screening status and its hits, best first."""

    firm: str
    name: str
    country: str
    screening: ScreeningStatus
    hits: tuple[FirmHit, ...]


@dataclass(frozen=True)
class DecidedFirm(FirmScreening):
    """A firm's screening after an operator's decision, and the audit record of it."""

    audit_id: int


@dataclass(frozen=True)
class FirmName:
    """A firm named in a report of changes."""

    firm: str
    name: str


@dataclass(frozen=True)
class ScreeningChanges:
    """What a screening of firms changed."""

    screened: int = 0
    newly_blocked: tuple[FirmScreening, ...] = ()
    no_longer_hit: tuple[FirmName, ...] = ()
    blocked: int = 0
    """Firms blocked (awaiting a decision) among those screened."""


def thresholds() -> Thresholds:
    """The review and match thresholds: defaults, or ``$TAHATOR_SCREENING_REVIEW`` and
    ``$TAHATOR_SCREENING_MATCH``."""
    default = Thresholds()
    values: dict[str, float] = {}
    for variable, name, fallback in (
        (REVIEW_VARIABLE, "review", default.review),
        (MATCH_VARIABLE, "match", default.match),
    ):
        text = os.environ.get(variable, "").strip()
        try:
            values[name] = float(text) if text else fallback
        except ValueError:
            raise InputError([Problem(f"{text!r} is not a number", field=variable)]) from None
        if not 0 < values[name] <= 100:
            raise InputError([Problem(f"{text!r} must be above 0 and at most 100", field=variable)])
    if values["review"] > values["match"]:
        raise InputError([Problem("the review threshold must not exceed the match threshold")])
    return Thresholds(values["review"], values["match"])


# --- screening names ----------------------------------------------------------


def screen_names(
    session: Session, queries: Sequence[Query], *, min_score: float | None = None
) -> list[NameScreening]:
    """Screen names (each with its caller's id and country) against the lists in force,
    hits best first.  A name with nothing to screen (no letter) or too many words is
    refused: "no hit" must never stand for "nothing was compared"."""
    problems = [
        Problem(f"{query.name!r} {wrong}", field="name")
        for query in queries
        if (wrong := screened_name_problem(query.name)) is not None
    ]
    if problems:
        raise InputError(problems)
    _, index = sanctions_lists.current_index(session)
    if index is None:
        raise InputError([Problem("no sanctions list is imported; run `tahator lists import`")])
    found = screen(index, queries, thresholds(), min_score=min_score)
    return [
        NameScreening(query.id, query.name, tuple(_screened_hit(h) for h in hits))
        for query, hits in zip(queries, found, strict=True)
    ]


def _screened_hit(hit: Hit) -> ScreenedHit:
    return ScreenedHit(
        reference=hit.reference,
        name=hit.name,
        list=hit.list_name,
        list_type=hit.list_type,
        kind=hit.kind,
        score=hit.score,
        band=hit.band,
        matched_name=hit.matched_name,
        matched_quality=hit.matched_quality,
        normalized=NormalizedNames(hit.normalized_query, hit.normalized_matched),
        explanation=hit.explanation,
        country_match=hit.country_match,
        name_score=hit.name_score,
        evidence=hit.evidence,
    )


# --- screening firms ------------------------------------------------------------


def _firm_names(
    session: Session, firm_ids: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, Query]]:
    """Each firm's name and aliases, and what else screening weighs (its country and
    tax number), as a query without a name.  A firm's country is not taken as a
    nationality: a front company is registered where it is useful, so where a firm is
    registered must not lower a hit."""
    names: dict[str, list[str]] = {}
    facts: dict[str, Query] = {}
    for start in range(0, len(firm_ids), 900):
        chunk = list(firm_ids[start : start + 900])
        for firm_id, name, country, tax_id in session.execute(
            select(Firm.id, Firm.name, Firm.country, Firm.tax_id).where(Firm.id.in_(chunk))
        ):
            names.setdefault(firm_id, []).insert(0, name)
            facts[firm_id] = Query(
                "",
                country or None,
                firm_id,
                identifiers=(Identifier("tax", tax_id, country),) if tax_id else (),
                numbers_only_raise=True,
                kind="entity",
            )
        for alias in session.scalars(select(FirmAlias).where(FirmAlias.firm_id.in_(chunk))):
            names.setdefault(alias.firm_id, []).append(alias.alias)
    return names, facts


def screen_firms(session: Session, firm_ids: Sequence[str], actor: str) -> ScreeningChanges:
    """Screen these firms (names and aliases) against the lists in force and set their
    status; report what changed.  Without lists nothing happens."""
    versions, index = sanctions_lists.current_index(session)
    if index is None or not firm_ids:
        return ScreeningChanges()
    limits = thresholds()
    names, facts = _firm_names(session, firm_ids)
    queries: list[tuple[str, Query]] = [
        (firm_id, replace(facts[firm_id], name=n))
        for firm_id, firm_names in names.items()
        for n in firm_names
    ]
    results = screen(index, [q for _, q in queries], limits)
    hits: dict[str, list[tuple[str, Hit]]] = {}
    for (firm_id, query), found in zip(queries, results, strict=True):
        hits.setdefault(firm_id, []).extend((query.name, h) for h in found)
    # Each hit is recorded against the version of the list its entry is on.
    lists = sanctions_lists.list_names(session)
    changed = firm_hits.Changed(session)
    stored = {
        f.id: f
        for start in range(0, len(firm_ids), 900)
        for f in session.scalars(
            select(Firm).where(Firm.id.in_(list(firm_ids[start : start + 900])))
        )
    }
    screened = blocked = 0
    newly_blocked: list[FirmScreening] = []
    no_longer_hit: list[FirmName] = []
    for firm_id in sorted(stored):
        firm = stored[firm_id]
        change = _apply(session, firm, hits.get(firm_id, []), lists, changed, versions[-1], actor)
        screened += 1
        if change == "newly_blocked":
            newly_blocked.append(_firm_summary(session, firm))
        elif change == "no_longer_hit":
            no_longer_hit.append(FirmName(firm.id, firm.name))
        if firm.screening == ScreeningStatus.BLOCKED:
            blocked += 1
    return ScreeningChanges(screened, tuple(newly_blocked), tuple(no_longer_hit), blocked)


def _apply(
    session: Session,
    firm: Firm,
    found: list[tuple[str, Hit]],
    lists: sanctions_lists.ListNames,
    changed: firm_hits.Changed,
    newest: int,
    actor: str,
) -> str | None:
    """Record a firm's hits and set its status; return the change worth reporting."""
    # An entry is known by its list and reference: one reference may be on two lists.
    best: dict[tuple[str, str], tuple[str, Hit]] = {}
    for name, hit in found:
        key = (hit.list, hit.reference)
        if key not in best or hit.score > best[key][1].score:
            best[key] = (name, hit)
    # A decision stays with the entry from one version of its list to the next, unless
    # the hit or the entry changed (_reopens).
    previous = {
        (lists.of_version.get(h.list_id, ""), h.reference): h
        for h in session.scalars(select(ScreeningHit).where(ScreeningHit.firm_id == firm.id))
    }
    session.execute(delete(ScreeningHit).where(ScreeningHit.firm_id == firm.id))
    created = now()
    kept: dict[tuple[str, str], ScreeningHit] = {}
    for key, (name, hit) in best.items():
        version = lists.in_force.get(key[0], newest)
        before = previous.get(key)
        if (
            before is not None
            and before.decision is not None
            and not firm_hits.reopens(before, hit, version, changed)
        ):
            kept[key] = before
        decided = kept.get(key)
        session.add(
            ScreeningHit(
                firm_id=firm.id,
                list_id=version,
                reference=hit.reference,
                entry_name=hit.name,
                list_type=hit.list_type,
                screened_name=name,
                matched_name=hit.matched_name,
                score=hit.score,
                band=hit.band,
                explanation=jsonable(_screened_hit(hit)),
                created_at=created,
                decision=decided.decision if decided else None,
                decided_by=decided.decided_by if decided else None,
                decided_at=decided.decided_at if decided else None,
                reason=decided.reason if decided else None,
            )
        )
    status = firm.screening
    undecided = [key for key in best if key not in kept]
    reopened = sorted(
        key[1] for key in best if key in previous and previous[key].decision and key not in kept
    )
    if status == ScreeningStatus.CONFIRMED:
        new_status = ScreeningStatus.CONFIRMED
    elif not best:
        new_status = ScreeningStatus.CLEAR
    elif status == ScreeningStatus.CLEARED and not undecided:
        new_status = ScreeningStatus.CLEARED
    else:
        new_status = ScreeningStatus.BLOCKED
    session.flush()
    if new_status == status:
        return None
    firm.screening = new_status
    audit.record(
        session,
        actor,
        "screening.screen",
        f"firm:{firm.id}",
        {"screening": status},
        {"screening": new_status, "hits": sorted({r for _, r in best}), "reopened": reopened},
    )
    if new_status == ScreeningStatus.BLOCKED:
        return "newly_blocked"
    if (
        status in (ScreeningStatus.BLOCKED, ScreeningStatus.CLEARED)
        and new_status == ScreeningStatus.CLEAR
    ):
        return "no_longer_hit"
    return None


def rescreen_all(session: Session, actor: str) -> ScreeningChanges:
    """Screen every firm against the lists in force (after a new list version)."""
    return screen_firms(session, list(session.scalars(select(Firm.id).order_by(Firm.id))), actor)


def ensure_screened(session: Session, firm_ids: Iterable[str], actor: str) -> None:
    """Screen those of these firms never screened yet (registered before screening)."""
    wanted = set(firm_ids)
    if not wanted:
        return
    unscreened = sorted(
        wanted.intersection(
            session.scalars(select(Firm.id).where(Firm.screening == ScreeningStatus.UNSCREENED))
        )
    )
    if unscreened:
        screen_firms(session, unscreened, actor)


def blocked_problems(
    session: Session,
    firm_ids: Iterable[str],
    actor: str,
    *,
    label: str = "",
    field: str | None = None,
) -> list[Problem]:
    """A problem naming each of these firms that sanctions screening stops from trading."""
    wanted = set(firm_ids)
    if not wanted:
        return []
    ensure_screened(session, wanted, actor)
    return [
        Problem(_reason(session, firm), label, field=field)
        for firm in stopped_firms(session)
        if firm.id in wanted
    ]


def stopped_firms(session: Session) -> list[Firm]:
    """Every firm that may not trade (blocked or confirmed), by id."""
    return list(session.scalars(select(Firm).where(Firm.screening.in_(NO_TRADE)).order_by(Firm.id)))


def require_clear(
    session: Session, firm_ids: Iterable[str], actor: str, *, label: str = ""
) -> None:
    """Refuse (``InputError``) when any of these firms is blocked or confirmed."""
    problems = blocked_problems(session, firm_ids, actor, label=label)
    if problems:
        raise InputError(problems)


def _reason(session: Session, firm: Firm) -> str:
    # The same words whether the firm awaits a decision or is a confirmed match, and
    # no list entry or score: a trader told more could tip its partner off.  The
    # operator reads the detail in the queue (tahator screening show FIRM).
    del session
    return (
        f"firm {firm.id} ({firm.name}) is held by the clearing house's compliance review "
        "and cannot trade until that review is settled"
    )


def _firm_hit(hit: ScreeningHit) -> FirmHit:
    normalized = hit.explanation.get("normalized")
    explanation = hit.explanation.get("explanation")
    return FirmHit(
        reference=hit.reference,
        name=hit.entry_name,
        list=str(hit.explanation.get("list") or f"UN {hit.list_type}"),
        list_version=hit.list_id,
        score=hit.score,
        band=Band(hit.band),
        screened_name=hit.screened_name,
        matched_name=hit.matched_name,
        explanation=None if explanation is None else str(explanation),
        normalized=(
            NormalizedNames(str(normalized["query"]), str(normalized["matched"]))
            if isinstance(normalized, dict)
            else None
        ),
        decision=None if hit.decision is None else Decision(hit.decision),
        decided_by=hit.decided_by,
        reason=hit.reason,
    )


def _firm_summary(session: Session, firm: Firm) -> FirmScreening:
    hits = session.scalars(
        select(ScreeningHit)
        .where(ScreeningHit.firm_id == firm.id)
        .order_by(ScreeningHit.score.desc(), ScreeningHit.reference)
    ).all()
    return FirmScreening(
        firm=firm.id,
        name=firm.name,
        country=firm.country,
        screening=ScreeningStatus(firm.screening),
        hits=tuple(_firm_hit(h) for h in hits),
    )


def firm_screening(session: Session, firm_id: str) -> FirmScreening:
    """A firm's screening status and its hits."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFoundError(f"unknown firm {firm_id!r}")
    return _firm_summary(session, firm)


def queue(session: Session) -> list[FirmScreening]:
    """Firms whose hits await an operator's decision, best hit first."""
    firms = session.scalars(
        select(Firm).where(Firm.screening == ScreeningStatus.BLOCKED).order_by(Firm.id)
    ).all()
    rows = [_firm_summary(session, f) for f in firms]
    return sorted(rows, key=lambda r: (-(r.hits[0].score if r.hits else 0), r.firm))


def decide(session: Session, firm_id: str, decision: str, reason: str, actor: str) -> DecidedFirm:
    """An operator decides a firm's hits: ``false_positive`` (it may trade) or
    ``confirmed`` (it never may).  Audited with the status before and after."""
    if decision not in tuple(Decision):
        raise InputError(
            [Problem(f"{decision!r} must be false_positive or confirmed", field="decision")]
        )
    decided_as = Decision(decision)
    if not reason.strip():
        raise InputError([Problem("give the reason for the decision", field="reason")])
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFoundError(f"unknown firm {firm_id!r}")
    hits = session.scalars(select(ScreeningHit).where(ScreeningHit.firm_id == firm_id)).all()
    if (
        decided_as == Decision.FALSE_POSITIVE
        and not hits
        and firm.screening != ScreeningStatus.CONFIRMED
    ):
        raise InputError([Problem(f"firm {firm_id} has no screening hits to decide")])
    before = _firm_summary(session, firm)
    decided = now()
    for hit in hits:
        hit.decision, hit.decided_by, hit.decided_at, hit.reason = (
            decided_as,
            actor,
            decided,
            reason.strip(),
        )
    firm.screening = (
        ScreeningStatus.CLEARED
        if decided_as == Decision.FALSE_POSITIVE
        else ScreeningStatus.CONFIRMED
    )
    session.flush()
    after = _firm_summary(session, firm)
    audit_id = audit.record(
        session,
        actor,
        "screening.decide",
        f"firm:{firm_id}",
        {"screening": before.screening, "hits": [h.reference for h in before.hits]},
        {
            "screening": after.screening,
            "decision": decided_as,
            "reason": reason.strip(),
            "hits": [h.reference for h in after.hits],
        },
    )
    return DecidedFirm(after.firm, after.name, after.country, after.screening, after.hits, audit_id)
