"""Consignments at a border crossing: their phases, their lanes, the inspections' results.

Customs registers a consignment (its crossing, vehicle, declarant and the
declarations it carries), then records each phase's time as it happens; at the
lane phase the corridor's risk rules select its lane (``domain.customs``) from a
seed made here and recorded, so the selection can be recomputed.  An officer may
override the lane, giving a reason.  Every change is audited with what it was
before and after.  Views carry the selections (scores, criteria, seeds): the entry
points leave them out for traders (``status_only``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.corridor import day_problem
from tahator.domain.customs import (
    PHASES,
    Inspection,
    Lane,
    LaneFacts,
    Phase,
    facts_data,
    facts_of,
    lane_floor,
    phase_problem,
    predecessors,
    rules_of,
    select_lane,
    successors,
)
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.identifiers import identifier_problem, name_problem, normalize_identifier
from tahator.domain.policy import Direction, Policy
from tahator.formatting import jsonable
from tahator.services import audit, consignment_views, lane_facts
from tahator.services.common import now
from tahator.services.consignment_views import (
    RANDOM,
    ConsignmentView,
    CriterionRate,
    LaneSelectionView,
    consignment,
    consignments,
    criterion_rates,
    status_only,
)
from tahator.store.customs_tables import Consignment, LaneSelection
from tahator.store.schema import Authorization, Declaration, Firm

MAX_REFERENCE = 40
MAX_VEHICLE = 40
MAX_TEXT = 2000
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class ConsignmentRecord:
    """A consignment as customs registers it."""

    reference: str
    crossing: str
    direction: str
    vehicle: str
    firm_id: str
    origin: str | None = None
    declaration_ids: tuple[int, ...] = ()
    lodged_at: datetime | None = None
    """When its goods declaration was lodged, if it was before registration."""


def _load(session: Session, consignment_id: int, *, lock: bool = False) -> Consignment:
    query = select(Consignment).where(Consignment.id == consignment_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no consignment {consignment_id}")
    return found


def _moment(at: datetime | None, field_name: str) -> tuple[datetime | None, Problem | None]:
    """``at`` in UTC, or why it cannot be a phase's time: naive, outside the accepted
    dates, or in the future."""
    if at is None:
        return None, None
    if at.tzinfo is None or at.utcoffset() is None:
        return None, Problem("must carry its time zone (UTC, or an offset)", field=field_name)
    if (problem := day_problem(at.astimezone(UTC).date())) is not None:
        return None, Problem(problem, field=field_name)
    if at > now():
        return None, Problem(f"{at.isoformat()} is in the future", field=field_name)
    return at.astimezone(UTC), None


def _declaration_problems(
    session: Session, record: ConsignmentRecord, consignment_id: int | None
) -> list[Problem]:
    """Why the declarations cannot travel in this consignment: unknown, repeated, in
    another consignment, of the other direction or of another firm's authorization."""
    problems: list[Problem] = []
    ids = record.declaration_ids
    if len(set(ids)) < len(ids):
        problems.append(Problem("a declaration is listed twice", field="declaration_ids"))
    rows = {
        d.id: (d, applicant)
        for d, applicant in session.execute(
            select(Declaration, Authorization.applicant)
            .join(Authorization, Authorization.id == Declaration.authorization_id)
            .where(Declaration.id.in_(set(ids)))
        )
    }
    firms = lane_facts.applicants(session, record.firm_id)
    for number in dict.fromkeys(ids):
        if number not in rows:
            problems.append(Problem(f"no declaration {number}", field="declaration_ids"))
            continue
        declaration, applicant = rows[number]
        if declaration.consignment_id not in (None, consignment_id):
            problems.append(
                Problem(
                    f"declaration {number} travels in another consignment",
                    field="declaration_ids",
                )
            )
        if declaration.direction != record.direction:
            problems.append(
                Problem(
                    f"declaration {number} is an {declaration.direction}, the consignment "
                    f"an {record.direction}",
                    field="declaration_ids",
                )
            )
        if applicant not in firms:
            problems.append(
                Problem(
                    f"declaration {number} quotes an authorization of another firm than "
                    f"{record.firm_id}",
                    field="declaration_ids",
                )
            )
    return problems


def _record_problems(
    session: Session, policy: Policy, record: ConsignmentRecord
) -> tuple[ConsignmentRecord, list[Problem]]:
    """The record as stored (trimmed, normalized) and every problem with it."""
    problems: list[Problem] = []
    reference = normalize_identifier(record.reference)
    if (problem := identifier_problem(reference, MAX_REFERENCE)) is not None:
        problems.append(Problem(problem, field="reference"))
    if policy.customs.crossing(record.crossing) is None:
        known = ", ".join(c.code for c in policy.customs.crossings) or "none"
        problems.append(
            Problem(f"no border crossing {record.crossing!r} (known: {known})", field="crossing")
        )
    if record.direction not in tuple(Direction):
        problems.append(
            Problem(f"{record.direction!r} must be 'import' or 'export'", field="direction")
        )
    vehicle = record.vehicle.strip()
    if (problem := name_problem(vehicle, MAX_VEHICLE)) is not None:
        problems.append(Problem(problem, field="vehicle"))
    if session.get(Firm, record.firm_id) is None:
        problems.append(Problem(f"no firm {record.firm_id!r}", field="firm_id"))
    origin = record.origin.strip().upper() if record.origin else None
    if origin is not None and not _COUNTRY.fullmatch(origin):
        problems.append(
            Problem(f"{record.origin!r} is not an ISO 3166 country code", field="origin")
        )
    lodged_at, wrong = _moment(record.lodged_at, "lodged_at")
    if wrong is not None:
        problems.append(wrong)
    cleaned = replace(
        record, reference=reference, vehicle=vehicle, origin=origin, lodged_at=lodged_at
    )
    return cleaned, problems


def register(
    session: Session, policy: Policy, record: ConsignmentRecord, actor: str
) -> ConsignmentView:
    """Register a consignment with the declarations it carries.

    Its reference names it in the corridor: registering the same consignment again
    answers with the stored one; other content under the same reference is refused."""
    record, problems = _record_problems(session, policy, record)
    existing = session.scalar(select(Consignment).where(Consignment.reference == record.reference))
    if existing is not None and not problems:
        stored = consignment_views.view(session, existing)
        same = (
            stored.crossing == record.crossing
            and stored.direction == record.direction
            and stored.vehicle == record.vehicle
            and stored.firm_id == record.firm_id
            and stored.origin == record.origin
            and set(stored.declaration_ids) == set(record.declaration_ids)
            and (record.lodged_at is None or record.lodged_at == stored.lodged_at)
        )
        if same:
            return stored
        raise InputError(
            [
                Problem(
                    f"consignment {record.reference!r} was registered with other content",
                    field="reference",
                )
            ]
        )
    problems += _declaration_problems(session, record, None)
    if problems:
        raise InputError(problems)
    row = Consignment(
        reference=record.reference,
        crossing=record.crossing,
        direction=record.direction,
        vehicle=record.vehicle,
        firm_id=record.firm_id,
        origin=record.origin,
        lodged_at=record.lodged_at,
        created_at=now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    for declaration in session.scalars(
        select(Declaration).where(Declaration.id.in_(record.declaration_ids))
    ):
        declaration.consignment_id = row.id
    session.flush()
    # Built from what was just checked and stored rather than read back: customs
    # registers consignments by the hundred a day.
    firm = session.get(Firm, record.firm_id)
    columns: dict[str, Any] = {name: getattr(row, name) for name in _ROW_FIELDS}
    view = ConsignmentView(
        **columns,
        direction=Direction(row.direction),
        firm_name=firm.name if firm else row.firm_id,
        lane=None,
        inspection=None,
        note=None,
        declaration_ids=tuple(sorted(set(record.declaration_ids))),
    )
    audit.record(session, actor, "customs.register", f"consignment:{row.id}", None, view)
    return view


def link_declarations(
    session: Session, consignment_id: int, declaration_ids: tuple[int, ...], actor: str
) -> ConsignmentView:
    """Add declarations to a registered consignment (lodged after its registration);
    only before its lane is selected, since the risk rules look at them."""
    row = _load(session, consignment_id, lock=True)
    before = consignment_views.view(session, row)
    problems: list[Problem] = []
    if not declaration_ids:
        problems.append(Problem("list at least one declaration", field="declaration_ids"))
    if before.selections:
        problems.append(
            Problem(
                "the lane is selected: its declarations are the ones it was chosen on",
                field="declaration_ids",
            )
        )
    added = tuple(d for d in declaration_ids if d not in before.declaration_ids)
    record = ConsignmentRecord(
        reference=row.reference,
        crossing=row.crossing,
        direction=row.direction,
        vehicle=row.vehicle,
        firm_id=row.firm_id,
        declaration_ids=tuple(declaration_ids),
    )
    problems += _declaration_problems(session, record, row.id)
    if problems:
        raise InputError(problems)
    for declaration in session.scalars(select(Declaration).where(Declaration.id.in_(added))):
        declaration.consignment_id = row.id
    session.flush()
    after = replace(before, declaration_ids=tuple(sorted({*before.declaration_ids, *added})))
    audit.record(session, actor, "customs.declarations", f"consignment:{row.id}", before, after)
    return after


_ROW_FIELDS = (
    "id",
    "reference",
    "crossing",
    "vehicle",
    "firm_id",
    "origin",
    *(phase.column for phase in PHASES),
)


def _phase_of(phase: Phase | str) -> Phase:
    try:
        return Phase(phase)
    except ValueError:
        known = ", ".join(PHASES)
        raise InputError(
            [Problem(f"{phase!r} is not a phase (phases: {known})", field="phase")]
        ) from None


def _check_order(view: ConsignmentView, phase: Phase, at: datetime) -> list[Problem]:
    """Why ``at`` cannot be ``phase``'s time: before a phase it follows, or after one
    it precedes."""
    times = view.times
    problems = [
        Problem(f"{at.isoformat()} is before the {p} phase ({times[p].isoformat()})", field="at")
        for p in predecessors(phase)
        if p in times and at < times[p]
    ]
    problems += [
        Problem(f"{at.isoformat()} is after the {p} phase ({times[p].isoformat()})", field="at")
        for p in successors(phase)
        if p in times and at > times[p]
    ]
    return problems


def record_phase(
    session: Session,
    policy: Policy,
    consignment_id: int,
    phase: Phase | str,
    at: datetime | None,
    actor: str,
    *,
    result: str | None = None,
    note: str | None = None,
    draw_seed: str | None = None,
) -> ConsignmentView:
    """Record that the consignment reached ``phase`` at ``at`` (now unless given; never in
    the future, never before a phase it follows).  The lane phase selects the lane; the
    inspected phase takes the ``result`` (``clear`` or ``discrepancy``, with a ``note``).
    ``draw_seed`` is for the demo alone, which must be the same every time it is built:
    otherwise the seed of the random draw is fresh and secret (no entry point takes one)."""
    row = _load(session, consignment_id, lock=True)
    before = consignment_views.view(session, row)
    chosen = _phase_of(phase)
    moment, problem = _moment(at, "at")
    problems = [problem] if problem is not None else []
    moment = moment or now()
    if (wrong := phase_problem(chosen, before.lane, before.times)) is not None:
        problems.append(Problem(wrong, field="phase"))
    elif problem is None:
        problems += _check_order(before, chosen, moment)
    inspection: Inspection | None = None
    note = note.strip() if note else None
    if chosen is Phase.INSPECTED:
        try:
            inspection = Inspection(result or "")
        except ValueError:
            problems.append(
                Problem(f"must be 'clear' or 'discrepancy', not {result!r}", field="result")
            )
        if inspection is Inspection.DISCREPANCY and not note:
            problems.append(Problem("a discrepancy needs a note saying what", field="note"))
        if note is not None and (bad_note := name_problem(note, MAX_TEXT)) is not None:
            problems.append(Problem(bad_note, field="note"))
    elif result is not None or note is not None:
        problems.append(Problem("only an inspection takes a result and a note", field="result"))
    if problems:
        raise InputError(problems)
    setattr(row, chosen.column, moment)
    changes: dict[str, Any] = {chosen.column: moment}
    if inspection is not None:
        row.inspection, row.inspection_note = inspection, note
        changes |= {"inspection": inspection, "note": note}
    recorded: dict[str, Any] = {}
    if chosen is Phase.LANE:
        seed = draw_seed if draw_seed is not None else secrets.token_hex(16)
        selection, facts = _select(session, policy, row, moment, actor, seed)
        changes |= {"lane": selection.lane, "selections": (selection,)}
        # What the choice was made from, so that it can be re-checked (``recheck``)
        # once the facts' data and the policy file have changed.
        recorded = {"facts": facts_data(facts), "rules": policy.customs.rules.as_dict()}
    session.flush()
    after = replace(before, **changes)
    audit.record(
        session,
        actor,
        f"customs.{chosen}",
        f"consignment:{row.id}",
        before,
        jsonable(after) | recorded if recorded else after,
    )
    return after


def _select(
    session: Session, policy: Policy, row: Consignment, at: datetime, actor: str, seed: str
) -> tuple[LaneSelectionView, LaneFacts]:
    """Select the lane by the policy's risk rules, with the draw's seed recorded beside
    it; the selection and the facts it was made from."""
    rules = policy.customs.rules
    facts = lane_facts.gather(session, policy, row, at)
    choice = select_lane(rules, facts, seed)
    selection = LaneSelection(
        consignment_id=row.id,
        lane=str(choice.lane),
        score=choice.score,
        hits=list(choice.hits),
        seed=seed,
        draw=choice.draw,
        random=choice.random,
        rules=rules.digest,
        selected_at=at,
        selected_by=actor,
    )
    session.add(selection)
    session.flush()
    row.lane = str(choice.lane)
    return consignment_views.selection_view(selection), facts


@dataclass(frozen=True)
class SelectionCheck:
    """A lane selection recomputed from what was recorded with it."""

    consignment_id: int
    selection_id: int
    recorded: Lane
    recomputed: Lane
    rules_match: bool
    """Whether the recorded rules still have the digest the selection names."""

    @property
    def holds(self) -> bool:
        return self.rules_match and self.recorded is self.recomputed


def recheck(session: Session, consignment_id: int) -> SelectionCheck:
    """Recompute the rules' selection of the consignment's lane from the facts, rules
    and seed recorded with it (not from today's data or policy file)."""
    view = consignment_views.consignment(session, consignment_id)
    automatic = [s for s in view.selections if s.overrides is None]
    entries = audit.list_records(session, action="customs.lane", subject=f"consignment:{view.id}")
    if not automatic or not entries:
        raise NotFoundError(f"consignment {consignment_id} has no recorded lane selection")
    selection, after = automatic[0], entries[0].after
    recorded = after.get("facts") if isinstance(after, dict) else None
    written = after.get("rules") if isinstance(after, dict) else None
    if not (isinstance(recorded, dict) and isinstance(written, dict)):
        raise NotFoundError(f"consignment {consignment_id}'s selection recorded no facts")
    rules = rules_of(written)
    choice = select_lane(rules, facts_of(recorded), selection.seed)
    return SelectionCheck(
        consignment_id=view.id,
        selection_id=selection.id,
        recorded=selection.lane,
        recomputed=choice.lane,
        rules_match=rules.digest == selection.rules,
    )


def override_lane(
    session: Session, consignment_id: int, lane: Lane | str, reason: str, actor: str
) -> ConsignmentView:
    """An officer's lane for the consignment instead of the one in force, with the
    reason (required); only between the lane's selection and the inspection's result
    (after it, the lane is what the goods were checked under, and the statistics group
    by it), and never below the floor of a price-flagged consignment."""
    row = _load(session, consignment_id, lock=True)
    before = consignment_views.view(session, row)
    problems: list[Problem] = []
    try:
        chosen: Lane | None = Lane(lane)
    except ValueError:
        chosen = None
        problems.append(Problem(f"{lane!r} must be one of {', '.join(Lane)}", field="lane"))
    reason = reason.strip()
    if (problem := name_problem(reason, MAX_TEXT)) is not None:
        problems.append(Problem(f"a reason is required: it {problem}", field="reason"))
    if not before.selections:
        problems.append(Problem("no lane has been selected yet", field="lane"))
    elif before.released_at is not None:
        problems.append(Problem("the consignment is released: its lane is final", field="lane"))
    elif before.inspected_at is not None:
        problems.append(
            Problem("the goods are inspected: the lane they were checked in is final", field="lane")
        )
    elif chosen is not None and chosen is before.lane:
        problems.append(Problem(f"the consignment is in the {chosen} lane already", field="lane"))
    elif (
        chosen is not None
        and chosen.rank < (floor := lane_floor(lane_facts.price_flagged(session, row.id))).rank
    ):
        problems.append(
            Problem(
                f"a declaration carries a price-band flag: the lane is {floor} or stricter",
                field="lane",
            )
        )
    if problems or chosen is None:
        raise InputError(problems)
    previous = before.selections[-1]
    session.add(
        LaneSelection(
            consignment_id=row.id,
            lane=str(chosen),
            score=previous.score,
            hits=list(previous.hits),
            seed="",
            draw=0,
            random=False,
            rules=previous.rules,
            selected_at=now(),
            selected_by=actor,
            overrides=previous.id,
            reason=reason,
        )
    )
    row.lane = str(chosen)
    session.flush()
    after = consignment_views.view(session, row)
    audit.record(
        session,
        actor,
        "customs.override",
        f"consignment:{row.id}",
        {"lane": str(previous.lane), "selection": previous.id},
        {"lane": str(chosen), "selection": after.selections[-1].id, "reason": reason},
    )
    return after


__all__ = [
    "RANDOM",
    "ConsignmentRecord",
    "ConsignmentView",
    "CriterionRate",
    "LaneSelectionView",
    "SelectionCheck",
    "consignment",
    "consignments",
    "criterion_rates",
    "link_declarations",
    "override_lane",
    "recheck",
    "record_phase",
    "register",
    "status_only",
]
