"""What customs and the entry points read of consignments: views, lists, hit rates.

``services.consignments`` re-exports them with the use cases that change consignments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.corridor import day_problem
from tahator.domain.customs import PHASES, Inspection, Lane, Phase, phase_problem
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.policy import Direction, Policy
from tahator.store.customs_tables import Consignment, LaneSelection
from tahator.store.schema import Declaration, Firm


@dataclass(frozen=True)
class LaneSelectionView:
    """A lane decision: the rules' score and criteria with the seeded draw, or an
    officer's override of the one before with the reason."""

    id: int
    lane: Lane
    score: int
    hits: tuple[str, ...]
    random: bool
    seed: str
    """Empty for an override (no draw)."""
    draw: int
    rules: str
    """SHA-256 of the risk rules in force."""
    overrides: int | None
    reason: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class ConsignmentView:
    id: int
    reference: str
    crossing: str
    direction: Direction
    vehicle: str
    firm_id: str
    firm_name: str
    origin: str | None
    lane: Lane | None
    lodged_at: datetime | None
    arrived_at: datetime | None
    lane_at: datetime | None
    documents_at: datetime | None
    inspected_at: datetime | None
    released_at: datetime | None
    exited_at: datetime | None
    inspection: Inspection | None
    note: str | None
    """The inspection's note (required with a discrepancy)."""
    declaration_ids: tuple[int, ...]
    selections: tuple[LaneSelectionView, ...] = field(default=())
    """Oldest first; the last is in force.  Never shown to traders."""

    @property
    def times(self) -> Mapping[Phase, datetime]:
        """The recorded phases' times, in phase order."""
        found = {phase: getattr(self, phase.column) for phase in PHASES}
        return {phase: at for phase, at in found.items() if at is not None}

    @property
    def phase(self) -> Phase | None:
        """The last phase reached (in phase order), if any."""
        return next(reversed(list(self.times)), None)

    @property
    def next_phases(self) -> tuple[Phase, ...]:
        """The phases that may be recorded now (one click each)."""
        times = self.times
        return tuple(p for p in PHASES if phase_problem(p, self.lane, times) is None)


@dataclass(frozen=True)
class CriterionRate:
    """How one criterion did: consignments it hit, how many were inspected and how
    many of those had a discrepancy (its hit rate)."""

    criterion: str
    description: str
    weight: int | None
    """``None`` for a criterion no longer in the policy, and for the draw's row."""
    selections: int
    inspected: int
    discrepancies: int
    hit_rate: float | None
    """Discrepancies per inspection; ``None`` before any inspection."""


RANDOM = "(random)"
"""The hit-rate row of the selections the draw made: the baseline the criteria's rates
are compared with (no criterion id can be written so)."""


def status_only(view: ConsignmentView) -> ConsignmentView:
    """``view`` as a trader may see it: status and lane, nothing of the rules nor of the
    officers' inspection note (access.Part.LANE_DETAIL)."""
    return replace(view, selections=(), note=None)


def selection_view(row: LaneSelection) -> LaneSelectionView:
    return LaneSelectionView(
        id=row.id,
        lane=Lane(row.lane),
        score=row.score,
        hits=tuple(row.hits),
        random=row.random,
        seed=row.seed,
        draw=row.draw,
        rules=row.rules,
        overrides=row.overrides,
        reason=row.reason,
        by=row.selected_by,
        at=row.selected_at,
    )


def views(session: Session, rows: Sequence[Consignment]) -> list[ConsignmentView]:
    """``rows`` as views, their firms, declarations and selections read in batches."""
    by_id = {row.id: row for row in rows}
    firms: dict[str, str] = {}
    declarations: dict[int, list[int]] = defaultdict(list)
    selections: dict[int, list[LaneSelectionView]] = defaultdict(list)
    ids = list(by_id)
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        firm_ids = {by_id[i].firm_id for i in batch}
        firms.update(
            (row.id, row.name)
            for row in session.execute(select(Firm.id, Firm.name).where(Firm.id.in_(firm_ids)))
        )
        for declaration, consignment_id in session.execute(
            select(Declaration.id, Declaration.consignment_id)
            .where(Declaration.consignment_id.in_(batch))
            .order_by(Declaration.id)
        ):
            if consignment_id is not None:  # (selected so)
                declarations[consignment_id].append(declaration)
        for selection in session.scalars(
            select(LaneSelection)
            .where(LaneSelection.consignment_id.in_(batch))
            .order_by(LaneSelection.id)
        ):
            selections[selection.consignment_id].append(selection_view(selection))
    return [
        ConsignmentView(
            id=row.id,
            reference=row.reference,
            crossing=row.crossing,
            direction=Direction(row.direction),
            vehicle=row.vehicle,
            firm_id=row.firm_id,
            firm_name=firms.get(row.firm_id, row.firm_id),
            origin=row.origin,
            lane=Lane(row.lane) if row.lane else None,
            lodged_at=row.lodged_at,
            arrived_at=row.arrived_at,
            lane_at=row.lane_at,
            documents_at=row.documents_at,
            inspected_at=row.inspected_at,
            released_at=row.released_at,
            exited_at=row.exited_at,
            inspection=Inspection(row.inspection) if row.inspection else None,
            note=row.inspection_note,
            declaration_ids=tuple(declarations[row.id]),
            selections=tuple(selections[row.id]),
        )
        for row in rows
    ]


_BATCH = 500
"""Consignments per query when reading their declarations and selections."""


def view(session: Session, row: Consignment) -> ConsignmentView:
    return views(session, [row])[0]


def day_bounds(start: date | None, end: date | None, zone: str) -> tuple[datetime, datetime]:
    for day, name in ((start, "start"), (end, "end")):
        if day is not None and (problem := day_problem(day)) is not None:
            raise InputError([Problem(problem, field=name)])
    if start and end and end < start:
        raise InputError([Problem(f"{end} is before {start}", field="end")])
    tz = ZoneInfo(zone)
    low = datetime.combine(start, time(), tz) if start else datetime(1, 1, 2, tzinfo=UTC)
    high = (
        datetime.combine(end + timedelta(days=1), time(), tz)
        if end
        else datetime(9999, 12, 30, tzinfo=UTC)
    )
    return low.astimezone(UTC), high.astimezone(UTC)


def consignments(
    session: Session,
    *,
    firm_id: str | None = None,
    crossing: str | None = None,
    start: date | None = None,
    end: date | None = None,
    zone: str = "UTC",
    limit: int | None = None,
    after: int | None = None,
) -> list[ConsignmentView]:
    """Consignments, newest first: a firm's only when ``firm_id`` is given; those that
    arrived from ``start`` to ``end`` (dates in ``zone``, the corridor's), counting one
    not yet arrived by its registration.  With ``after`` (an API page's cursor; 0 for
    the first page), oldest first from the one after it, so a page reads ``limit`` rows,
    not every consignment."""
    if after is None:
        query = select(Consignment).order_by(Consignment.id.desc())
    else:
        query = select(Consignment).where(Consignment.id > after).order_by(Consignment.id)
    if firm_id is not None:
        query = query.where(Consignment.firm_id == firm_id)
    if crossing is not None:
        query = query.where(Consignment.crossing == crossing)
    if start is not None or end is not None:
        low, high = day_bounds(start, end, zone)
        query = query.where(
            Consignment.id.in_(
                select(Consignment.id).where(
                    ((Consignment.arrived_at >= low) & (Consignment.arrived_at < high))
                    | (
                        Consignment.arrived_at.is_(None)
                        & (Consignment.created_at >= low)
                        & (Consignment.created_at < high)
                    )
                )
            )
        )
    if limit is not None:
        query = query.limit(limit)
    return views(session, session.scalars(query).all())


def consignment(
    session: Session, consignment_id: int, *, firm_id: str | None = None
) -> ConsignmentView:
    """One consignment; to a firm (``firm_id``), another firm's does not exist."""
    row = session.get(Consignment, consignment_id)
    if row is None or (firm_id is not None and row.firm_id != firm_id):
        raise NotFoundError(f"no consignment {consignment_id}")
    return view(session, row)


def criterion_rates(
    session: Session, policy: Policy, start: date, end: date
) -> list[CriterionRate]:
    """Each criterion's hit rate over the consignments whose lane was selected from
    ``start`` to ``end`` (business dates): the policy's criteria in order, then any
    that hit under earlier rules."""
    low, high = day_bounds(start, end, policy.zone)
    rows = session.execute(
        select(LaneSelection.hits, Consignment.inspection, LaneSelection.random)
        .join(Consignment, Consignment.id == LaneSelection.consignment_id)
        .where(
            LaneSelection.overrides.is_(None),
            LaneSelection.selected_at >= low,
            LaneSelection.selected_at < high,
        )
    ).all()
    ids = [c.id for c in policy.customs.rules.criteria]
    ids += sorted({hit for hits, _, _ in rows for hit in hits} - set(ids))

    def rate(
        id_: str, description: str, weight: int | None, hit: list[str | None]
    ) -> CriterionRate:
        inspected = [i for i in hit if i is not None]
        found = sum(1 for i in inspected if i == Inspection.DISCREPANCY)
        return CriterionRate(
            criterion=id_,
            description=description,
            weight=weight,
            selections=len(hit),
            inspected=len(inspected),
            discrepancies=found,
            hit_rate=found / len(inspected) if inspected else None,
        )

    rates = []
    for id_ in ids:
        criterion = policy.customs.rules.criterion(id_)
        rates.append(
            rate(
                id_,
                criterion.description if criterion else "",
                criterion.weight if criterion else None,
                [inspection for hits, inspection, _ in rows if id_ in hits],
            )
        )
    drawn = [inspection for _, inspection, random in rows if random]
    return [*rates, rate(RANDOM, "sent to a stricter lane by the draw", None, drawn)]
