"""The Time Release Study report: release times per crossing and lane over a period.

The period is a span of business dates (the corridor's zone, both days included) and
selects the consignments *released* in it: only a released consignment has an
arrival-to-release time, and a closed period's figures then stay as they are (picking
by arrival instead would leave out whoever is still stuck and make the period look
faster than it was).  Those arrived and not yet released at the period's end (or now,
if earlier) are counted as waiting, and listed as outliers past their target.

A consignment counts in the lane in force (an officer's override, if any), the lane
whose checks it went through: overrides are refused once the goods are inspected
(``consignments.override_lane``), so an inspected consignment cannot count as green.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tahator.domain.corridor import day_problem
from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Policy
from tahator.domain.release_times import Group, Outlier, Timeline, release_times
from tahator.services.consignment_views import day_bounds
from tahator.store.customs_tables import Consignment


@dataclass(frozen=True)
class ReleaseReport:
    from_: date
    to: date
    crossing: str | None
    """The crossing asked for; ``None``: every crossing."""
    crossings: tuple[tuple[str, str], ...]
    """The corridor's crossings, code and name (for the form and the labels)."""
    targets: tuple[tuple[str, timedelta], ...]
    """Each lane's arrival-to-release target."""
    as_of: datetime
    """The moment the waiting are counted at: the period's end, or now if earlier."""
    generated_at: datetime
    groups: tuple[Group, ...]
    outliers: tuple[Outlier, ...]


def policy_crossings(policy: Policy) -> tuple[tuple[str, str], ...]:
    """The corridor's crossings, code and name."""
    return tuple((c.code, c.name) for c in policy.customs.crossings)


def policy_targets(policy: Policy) -> dict[str, timedelta]:
    """Each lane's arrival-to-release target from the policy's ``[customs.target_hours]``
    (a policy without ``[customs]`` gives none)."""
    return {
        str(lane): timedelta(hours=hours)
        for lane, hours in policy.customs.target_hours.items()
        if hours > 0
    }


def check_period(from_: date, to: date) -> None:
    problems = [
        Problem(problem, field=field)
        for field, day in (("from", from_), ("to", to))
        if (problem := day_problem(day)) is not None
    ]
    if not problems and to < from_:
        problems.append(Problem("the period ends before it begins", field="to"))
    if problems:
        raise InputError(problems)


def _timeline(row: Consignment) -> Timeline:
    return Timeline(
        id=row.id,
        reference=row.reference,
        crossing=row.crossing,
        lane=row.lane,
        lodged_at=row.lodged_at,
        arrived_at=row.arrived_at,
        lane_at=row.lane_at,
        documents_at=row.documents_at,
        inspected_at=row.inspected_at,
        released_at=row.released_at,
        exited_at=row.exited_at,
    )


def release_report(
    session: Session,
    policy: Policy,
    start: date,
    end: date,
    crossing: str | None = None,
    *,
    targets: Mapping[str, timedelta] | None = None,
    now: datetime | None = None,
) -> ReleaseReport:
    """The release times of the consignments released from ``start`` to ``end`` (business
    dates, both included) at ``crossing`` (every one by default), against ``targets``
    (each lane's; the policy's by default).  ``InputError`` for a bad period or a
    crossing the policy does not list."""
    check_period(start, end)
    crossings = policy_crossings(policy)
    if crossing is not None and crossings and crossing not in {c for c, _ in crossings}:
        known = ", ".join(c for c, _ in crossings)
        raise InputError([Problem(f"{crossing!r} is not a crossing ({known})", field="crossing")])
    lane_targets = dict(policy_targets(policy) if targets is None else targets)
    generated_at = now or datetime.now(UTC)
    first, after = day_bounds(start, end, policy.zone)
    as_of = min(after, generated_at)
    released_query = select(Consignment).where(
        Consignment.released_at >= first, Consignment.released_at < after
    )
    waiting_query = select(Consignment).where(
        Consignment.arrived_at < as_of,
        or_(Consignment.released_at.is_(None), Consignment.released_at >= as_of),
    )
    if crossing is not None:
        released_query = released_query.where(Consignment.crossing == crossing)
        waiting_query = waiting_query.where(Consignment.crossing == crossing)
    released = [_timeline(r) for r in session.scalars(released_query.order_by(Consignment.id))]
    waiting = [_timeline(r) for r in session.scalars(waiting_query.order_by(Consignment.id))]
    study = release_times(released, waiting, lane_targets, as_of)
    return ReleaseReport(
        from_=start,
        to=end,
        crossing=crossing,
        crossings=crossings,
        targets=tuple(sorted(lane_targets.items())),
        as_of=as_of,
        generated_at=generated_at,
        groups=study.groups,
        outliers=study.outliers,
    )
