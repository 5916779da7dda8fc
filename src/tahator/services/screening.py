"""Sanctions screening: importing lists, screening names and firms, operators' decisions.

Every function takes the caller's session and returns plain dicts, so the command
line, the HTTP API and the web UI share them.  The newest version of each list
format applies.  A firm whose name or an alias hits a listed entry in the
``review`` or ``match`` band is ``blocked`` until an operator decides: a false
positive (``cleared``) or a true match (``confirmed``).  A blocked or confirmed
firm cannot trade (:func:`require_clear`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.screening import (
    PARSERS,
    Hit,
    Index,
    ListedName,
    ListEntry,
    Query,
    Thresholds,
    build_index,
    screen,
)
from tahator.io.tables import Problems, read_table
from tahator.services import audit
from tahator.services.common import now
from tahator.store.bulk import insert_rows
from tahator.store.schema import (
    Firm,
    FirmAlias,
    SanctionsAlias,
    SanctionsEntry,
    SanctionsList,
    ScreeningHit,
)

REVIEW_VARIABLE = "TAHATOR_SCREENING_REVIEW"
MATCH_VARIABLE = "TAHATOR_SCREENING_MATCH"
UNSCREENED, CLEAR, BLOCKED, CONFIRMED, CLEARED = (
    "unscreened",
    "clear",
    "blocked",
    "confirmed",
    "cleared",
)
NO_TRADE = frozenset({BLOCKED, CONFIRMED})
FALSE_POSITIVE = "false_positive"


def thresholds() -> Thresholds:
    """The review and match thresholds: defaults, or ``$TAHATOR_SCREENING_REVIEW`` and
    ``$TAHATOR_SCREENING_MATCH``."""
    default = Thresholds()
    values = {}
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


# --- lists ------------------------------------------------------------------


def import_list(
    session: Session, list_format: str, path: Path, actor: str, *, data: bytes | None = None
) -> dict[str, Any]:
    """Import a list file as a new version of its format, then re-screen every firm.

    A file equal (SHA-256) to the newest version of its format is not imported
    again.  A bad or hostile file raises ``InputError`` and changes nothing.
    """
    parser = PARSERS.get(list_format.lower())
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise InputError([Problem(f"unknown list format {list_format!r} (known: {known})")])
    try:
        if data is None:
            data = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(f"cannot read the file: {error.strerror}", str(path))]) from None
    digest = hashlib.sha256(data).hexdigest()
    newest = _newest(session).get(list_format.lower())
    if newest is not None and newest.sha256 == digest:
        return {"list": _list_view(newest), "unchanged": True, "changes": _no_changes()}
    parsed = parser(data, str(path))
    version = SanctionsList(
        format=parsed.format,
        source=path.name[:300],
        sha256=digest,
        generated=(parsed.generated or "")[:40] or None,
        entries=len(parsed.entries),
        imported_at=now(),
        imported_by=actor,
    )
    session.add(version)
    session.flush()
    _store_entries(session, version.id, parsed.entries)
    audit.record(
        session,
        actor,
        "lists.import",
        f"sanctions_list:{version.id}",
        None,
        _list_view(version),
    )
    changes = rescreen_all(session, actor)
    return {"list": _list_view(version), "unchanged": False, "changes": changes}


def _store_entries(session: Session, list_id: int, entries: Sequence[ListEntry]) -> None:
    insert_rows(
        session,
        SanctionsEntry,
        [
            {
                "list_id": list_id,
                "reference": e.reference[:60],
                "kind": e.kind,
                "name": e.name,
                "list_type": e.list_type[:60],
                "listed_on": e.listed_on,
                "data_id": e.data_id[:40],
                "details": {
                    "updated_on": [d.isoformat() for d in e.updated_on],
                    "countries": list(e.countries),
                    "born": list(e.born),
                },
            }
            for e in entries
        ],
    )
    ids = dict(
        session.execute(
            select(SanctionsEntry.reference, SanctionsEntry.id).where(
                SanctionsEntry.list_id == list_id
            )
        ).all()
    )
    insert_rows(
        session,
        SanctionsAlias,
        [
            {
                "entry_id": ids[e.reference[:60]],
                "position": position,
                "name": alias.name,
                "quality": alias.quality[:40],
            }
            for e in entries
            for position, alias in enumerate(e.aliases, start=1)
        ],
    )


def _newest(session: Session) -> dict[str, SanctionsList]:
    """The newest version of each list format."""
    newest = (
        select(SanctionsList.format, func.max(SanctionsList.id).label("id"))
        .group_by(SanctionsList.format)
        .subquery()
    )
    rows = session.scalars(select(SanctionsList).join(newest, SanctionsList.id == newest.c.id))
    return {row.format: row for row in rows}


def _list_view(version: SanctionsList) -> dict[str, Any]:
    return {
        "version": version.id,
        "format": version.format,
        "source": version.source,
        "generated": version.generated,
        "entries": version.entries,
        "sha256": version.sha256,
        "imported_at": version.imported_at.isoformat(),
        "imported_by": version.imported_by,
    }


def list_versions(session: Session) -> list[dict[str, Any]]:
    """Every imported list version, newest first, marking the ones in force."""
    active = {v.id for v in _newest(session).values()}
    counts = dict(
        session.execute(
            select(SanctionsEntry.list_id, func.count()).group_by(SanctionsEntry.list_id)
        ).all()
    )
    by_type: dict[int, dict[str, int]] = {}
    for list_id, list_type, count in session.execute(
        select(SanctionsEntry.list_id, SanctionsEntry.list_type, func.count()).group_by(
            SanctionsEntry.list_id, SanctionsEntry.list_type
        )
    ):
        by_type.setdefault(list_id, {})[list_type] = count
    return [
        _list_view(v)
        | {
            "active": v.id in active,
            "stored_entries": counts.get(v.id, 0),
            "list_types": dict(sorted(by_type.get(v.id, {}).items())),
        }
        for v in session.scalars(select(SanctionsList).order_by(SanctionsList.id.desc()))
    ]


_INDEX_CACHE: dict[tuple[tuple[int, str, str], ...], Index] = {}
"""The last index built, by the versions in force (id, SHA-256 and import time, since
another database may hold other lists under the same ids)."""


def current_index(session: Session) -> tuple[tuple[int, ...], Index | None]:
    """The lists in force (their version ids) and their index (``None`` without lists)."""
    newest = sorted(_newest(session).values(), key=lambda v: v.id)
    versions = tuple(v.id for v in newest)
    if not versions:
        return versions, None
    key = tuple((v.id, v.sha256, v.imported_at.isoformat()) for v in newest)
    if key not in _INDEX_CACHE:
        entries = session.scalars(
            select(SanctionsEntry)
            .where(SanctionsEntry.list_id.in_(versions))
            .order_by(SanctionsEntry.list_id, SanctionsEntry.id)
        ).all()
        aliases: dict[int, list[ListedName]] = {}
        for alias in session.scalars(
            select(SanctionsAlias)
            .join(SanctionsEntry, SanctionsEntry.id == SanctionsAlias.entry_id)
            .where(SanctionsEntry.list_id.in_(versions))
            .order_by(SanctionsAlias.entry_id, SanctionsAlias.position)
        ):
            aliases.setdefault(alias.entry_id, []).append(ListedName(alias.name, alias.quality))
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = build_index(
            ListEntry(
                reference=e.reference,
                kind=e.kind,
                name=e.name,
                list_type=e.list_type,
                aliases=tuple(aliases.get(e.id, ())),
                listed_on=e.listed_on,
                updated_on=tuple(
                    date.fromisoformat(d) for d in _strings(e.details.get("updated_on"))
                ),
                data_id=e.data_id,
                countries=tuple(_strings(e.details.get("countries"))),
                born=tuple(_strings(e.details.get("born"))),
            )
            for e in entries
        )
    return versions, _INDEX_CACHE[key]


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


# --- screening names ----------------------------------------------------------


def screen_names(
    session: Session,
    queries: Sequence[tuple[str, str, str | None]],
    *,
    min_score: float | None = None,
) -> list[dict[str, Any]]:
    """Screen ``(id, name, country)`` triples against the lists in force:
    ``[{"id", "name", "hits": [hit…]}]``, hits best first."""
    _, index = current_index(session)
    if index is None:
        raise InputError([Problem("no sanctions list is imported; run `tahator lists import`")])
    limits = thresholds()
    found = screen(
        index, [Query(name, country) for _, name, country in queries], limits, min_score=min_score
    )
    return [
        {"id": query_id, "name": name, "hits": [h.as_dict() for h in hits]}
        for (query_id, name, _), hits in zip(queries, found, strict=True)
    ]


def read_batch(path: Path) -> list[tuple[str, str, str | None]]:
    """A CSV of names to screen: ``id,name`` and optionally ``country``."""
    table = read_table(path, ("id", "name"), ("country",))
    problems = Problems()
    rows: list[tuple[str, str, str | None]] = []
    for row in range(table.rows):
        query_id = table.columns["id"][row].strip()
        name = table.columns["name"][row].strip()
        country = table.columns.get("country", [""] * table.rows)[row].strip().upper() or None
        if not query_id:
            problems.add(table.problem(row, "is empty", "id"))
        if not name or len(name) > 1000:
            problems.add(table.problem(row, "must be 1 to 1000 characters", "name"))
        if country is not None and not (len(country) == 2 and country.isalpha()):
            problems.add(table.problem(row, f"{country!r} is not an ISO 3166 code", "country"))
        rows.append((query_id, name, country))
    problems.raise_if_any()
    return rows


# --- screening firms ------------------------------------------------------------


def _no_changes() -> dict[str, Any]:
    return {"screened": 0, "newly_blocked": [], "no_longer_hit": [], "blocked": 0}


def _firm_names(
    session: Session, firm_ids: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each firm's name and aliases, and its country."""
    names: dict[str, list[str]] = {}
    countries: dict[str, str] = {}
    for start in range(0, len(firm_ids), 900):
        chunk = list(firm_ids[start : start + 900])
        for firm_id, name, country in session.execute(
            select(Firm.id, Firm.name, Firm.country).where(Firm.id.in_(chunk))
        ):
            names.setdefault(firm_id, []).insert(0, name)
            countries[firm_id] = country
        for alias in session.scalars(select(FirmAlias).where(FirmAlias.firm_id.in_(chunk))):
            names.setdefault(alias.firm_id, []).append(alias.alias)
    return names, countries


def screen_firms(session: Session, firm_ids: Sequence[str], actor: str) -> dict[str, Any]:
    """Screen these firms (names and aliases) against the lists in force and set their
    status; report what changed.  Without lists nothing happens."""
    versions, index = current_index(session)
    changes = _no_changes()
    if index is None or not firm_ids:
        return changes
    limits = thresholds()
    names, countries = _firm_names(session, firm_ids)
    queries: list[tuple[str, str, str]] = []
    for firm_id, firm_names in names.items():
        queries.extend((firm_id, n, countries.get(firm_id, "")) for n in firm_names)
    results = screen(index, [Query(n, c or None) for _, n, c in queries], limits)
    hits: dict[str, list[tuple[str, Hit]]] = {}
    for (firm_id, name, _), found in zip(queries, results, strict=True):
        hits.setdefault(firm_id, []).extend((name, h) for h in found)
    stored = {
        f.id: f
        for start in range(0, len(firm_ids), 900)
        for f in session.scalars(
            select(Firm).where(Firm.id.in_(list(firm_ids[start : start + 900])))
        )
    }
    for firm_id in sorted(stored):
        firm = stored[firm_id]
        change = _apply(session, firm, hits.get(firm_id, []), versions[-1], actor)
        changes["screened"] += 1
        if change == "newly_blocked":
            changes["newly_blocked"].append(_firm_summary(session, firm))
        elif change == "no_longer_hit":
            changes["no_longer_hit"].append({"firm": firm.id, "name": firm.name})
        if firm.screening == BLOCKED:
            changes["blocked"] += 1
    return changes


def _apply(
    session: Session, firm: Firm, found: list[tuple[str, Hit]], list_id: int, actor: str
) -> str | None:
    """Record a firm's hits and set its status; return the change worth reporting."""
    best: dict[str, tuple[str, Hit]] = {}
    for name, hit in found:
        if hit.reference not in best or hit.score > best[hit.reference][1].score:
            best[hit.reference] = (name, hit)
    previous = {
        h.reference: h
        for h in session.scalars(select(ScreeningHit).where(ScreeningHit.firm_id == firm.id))
    }
    session.execute(delete(ScreeningHit).where(ScreeningHit.firm_id == firm.id))
    created = now()
    for reference, (name, hit) in best.items():
        before = previous.get(reference)
        session.add(
            ScreeningHit(
                firm_id=firm.id,
                list_id=list_id,
                reference=reference,
                entry_name=hit.name,
                list_type=hit.list_type,
                screened_name=name,
                matched_name=hit.matched_name,
                score=hit.score,
                band=hit.band,
                explanation=hit.as_dict(),
                created_at=created,
                decision=before.decision if before else None,
                decided_by=before.decided_by if before else None,
                decided_at=before.decided_at if before else None,
                reason=before.reason if before else None,
            )
        )
    status = firm.screening
    undecided = [r for r in best if previous.get(r) is None or previous[r].decision is None]
    if status == CONFIRMED:
        new_status = CONFIRMED
    elif not best:
        new_status = CLEAR
    elif status == CLEARED and not undecided:
        new_status = CLEARED
    else:
        new_status = BLOCKED
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
        {"screening": new_status, "hits": sorted(best)},
    )
    if new_status == BLOCKED:
        return "newly_blocked"
    if status in (BLOCKED, CLEARED) and new_status == CLEAR:
        return "no_longer_hit"
    return None


def rescreen_all(session: Session, actor: str) -> dict[str, Any]:
    """Screen every firm against the lists in force (after a new list version)."""
    return screen_firms(session, list(session.scalars(select(Firm.id).order_by(Firm.id))), actor)


def ensure_screened(session: Session, firm_ids: Iterable[str], actor: str) -> None:
    """Screen those of these firms never screened yet (registered before screening)."""
    wanted = set(firm_ids)
    if not wanted:
        return
    unscreened = sorted(
        wanted.intersection(session.scalars(select(Firm.id).where(Firm.screening == UNSCREENED)))
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
        f"firm {firm.id} ({firm.name}) is held by sanctions screening and cannot trade "
        "until the clearing house's review of it is settled"
    )


def _hit_view(hit: ScreeningHit) -> dict[str, Any]:
    return {
        "reference": hit.reference,
        "name": hit.entry_name,
        "list": f"UN {hit.list_type}",
        "list_version": hit.list_id,
        "score": hit.score,
        "band": hit.band,
        "screened_name": hit.screened_name,
        "matched_name": hit.matched_name,
        "explanation": hit.explanation.get("explanation"),
        "normalized": hit.explanation.get("normalized"),
        "decision": hit.decision,
        "decided_by": hit.decided_by,
        "reason": hit.reason,
    }


def _firm_summary(session: Session, firm: Firm) -> dict[str, Any]:
    hits = session.scalars(
        select(ScreeningHit)
        .where(ScreeningHit.firm_id == firm.id)
        .order_by(ScreeningHit.score.desc(), ScreeningHit.reference)
    ).all()
    return {
        "firm": firm.id,
        "name": firm.name,
        "country": firm.country,
        "screening": firm.screening,
        "hits": [_hit_view(h) for h in hits],
    }


def firm_screening(session: Session, firm_id: str) -> dict[str, Any]:
    """A firm's screening status and its hits."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFoundError(f"unknown firm {firm_id!r}")
    return _firm_summary(session, firm)


def queue(session: Session) -> list[dict[str, Any]]:
    """Firms whose hits await an operator's decision, best hit first."""
    firms = session.scalars(select(Firm).where(Firm.screening == BLOCKED).order_by(Firm.id)).all()
    rows = [_firm_summary(session, f) for f in firms]
    return sorted(rows, key=lambda r: (-(r["hits"][0]["score"] if r["hits"] else 0), r["firm"]))


def decide(
    session: Session, firm_id: str, decision: str, reason: str, actor: str
) -> dict[str, Any]:
    """An operator decides a firm's hits: ``false_positive`` (it may trade) or
    ``confirmed`` (it never may).  Audited with the status before and after."""
    if decision not in (FALSE_POSITIVE, "confirmed"):
        raise InputError(
            [Problem(f"{decision!r} must be false_positive or confirmed", field="decision")]
        )
    if not reason.strip():
        raise InputError([Problem("give the reason for the decision", field="reason")])
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFoundError(f"unknown firm {firm_id!r}")
    hits = session.scalars(select(ScreeningHit).where(ScreeningHit.firm_id == firm_id)).all()
    if decision == FALSE_POSITIVE and not hits and firm.screening != CONFIRMED:
        raise InputError([Problem(f"firm {firm_id} has no screening hits to decide")])
    before = _firm_summary(session, firm)
    decided = now()
    for hit in hits:
        hit.decision, hit.decided_by, hit.decided_at, hit.reason = (
            decision,
            actor,
            decided,
            reason.strip(),
        )
    firm.screening = CLEARED if decision == FALSE_POSITIVE else CONFIRMED
    session.flush()
    after = _firm_summary(session, firm)
    audit_id = audit.record(
        session,
        actor,
        "screening.decide",
        f"firm:{firm_id}",
        {"screening": before["screening"], "hits": [h["reference"] for h in before["hits"]]},
        {
            "screening": after["screening"],
            "decision": decision,
            "reason": reason.strip(),
            "hits": [h["reference"] for h in after["hits"]],
        },
    )
    return after | {"audit_id": audit_id}
