"""Release times as the WCO Time Release Study measures them: per border crossing and
lane, how long each phase of a consignment took and how long from arrival to release,
against a target.

Intervals (each only where both ends are recorded and the later is not before the
earlier):

* ``pre_arrival``: lodgement → arrival, for declarations lodged before the goods came
  (a declaration lodged after arrival has no pre-arrival time; it is counted as such);
* ``arrival_to_lane``: arrival → lane assigned;
* ``lane_to_documents``: lane → documents checked (yellow and red);
* ``documents_to_inspection``: documents → inspected (red);
* ``to_release``: the last step recorded before release (inspection, documents, lane,
  arrival: the first present) → release, so a green lane's wait after selection counts;
* ``release_to_exit``: release → exit on the other side, where known;
* ``arrival_to_release``: the study's headline figure.

Durations are integer microseconds, so sums and comparisons are exact.  The median
and the 90th percentile are by linear interpolation between the closest ranks
(Hyndman and Fan's type 7: numpy's default ``percentile`` and a spreadsheet's
``PERCENTILE.INC``), so an analyst checking the figures gets the same numbers; the
result is rounded to the microsecond.

Outliers are the consignments to look at one by one: released (or still waiting at
the period's end) beyond their lane's target, or beyond their crossing-and-lane
group's upper fence (the third quartile plus 1.5 times the interquartile range,
Tukey's rule, in groups of four or more), so a truck stuck far longer than its peers
is listed even under a generous target (one still waiting for its lane is past its
target once past every lane's).  Not "beyond the 90th percentile": that is a tenth
of every group by definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from tahator.domain.customs import Lane, Phase

LANES = tuple(str(lane) for lane in Lane)
"""The lanes in the order a report lists them: from the least control to the most."""

INTERVALS: tuple[tuple[str, Phase | None, Phase], ...] = (
    ("pre_arrival", Phase.LODGED, Phase.ARRIVED),
    ("arrival_to_lane", Phase.ARRIVED, Phase.LANE),
    ("lane_to_documents", Phase.LANE, Phase.DOCUMENTS),
    ("documents_to_inspection", Phase.DOCUMENTS, Phase.INSPECTED),
    ("to_release", None, Phase.RELEASED),
    ("release_to_exit", Phase.RELEASED, Phase.EXITED),
)
"""Each phase interval's name, its start and end phase (``None``: the last phase
recorded before release)."""
INTERVAL_KEYS = tuple(name for name, _, _ in INTERVALS)
TOTAL = "arrival_to_release"
MEDIAN = Fraction(1, 2)
P90 = Fraction(9, 10)
_BEFORE_RELEASE = (Phase.INSPECTED, Phase.DOCUMENTS, Phase.LANE, Phase.ARRIVED)


@dataclass(frozen=True)
class Timeline:
    """One consignment's phase times (UTC), as recorded."""

    id: int
    reference: str
    crossing: str
    lane: str | None
    lodged_at: datetime | None = None
    arrived_at: datetime | None = None
    lane_at: datetime | None = None
    documents_at: datetime | None = None
    inspected_at: datetime | None = None
    released_at: datetime | None = None
    exited_at: datetime | None = None


@dataclass(frozen=True)
class Stats:
    """Count, median, 90th percentile, maximum and mean of some durations."""

    count: int
    median: timedelta
    p90: timedelta
    max: timedelta
    mean: timedelta


@dataclass(frozen=True)
class PhaseStats:
    interval: str
    stats: Stats | None
    """``None`` when no consignment of the group has this interval."""


@dataclass(frozen=True)
class Group:
    """The figures of one crossing and lane; ``None`` for either means all of them."""

    crossing: str | None
    lane: str | None
    count: int
    """Consignments released in the period."""
    total: Stats | None
    """Arrival to release."""
    phases: tuple[PhaseStats, ...]
    target: timedelta | None
    """The arrival-to-release target (the same for every lane in a group of all lanes;
    ``None`` when there is none or they differ)."""
    within_target: int | None
    """Released within their lane's target (``None``: no lane of the group has one)."""
    pre_arrival: int
    """Lodged before arrival (the declaration waited for the goods, not the reverse)."""
    waiting: int
    """Arrived but not released at the period's end."""


@dataclass(frozen=True)
class Outlier:
    id: int
    reference: str
    crossing: str
    lane: str | None
    arrived_at: datetime
    released_at: datetime | None
    """``None``: still waiting at the period's end (``duration`` is until then)."""
    duration: timedelta
    beyond_target: bool
    beyond_fence: bool
    over_median: timedelta | None
    """How much longer than its group's median."""


@dataclass(frozen=True)
class ReleaseTimes:
    groups: tuple[Group, ...]
    """Each crossing's lanes, then the crossing over all lanes; last, all crossings."""
    outliers: tuple[Outlier, ...]
    """The longest first."""


def micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def percentile(ordered: Sequence[int], q: Fraction) -> Fraction:
    """The ``q`` quantile of ``ordered`` (ascending, not empty) by linear interpolation
    between closest ranks (type 7), exactly."""
    position = (len(ordered) - 1) * q
    low = int(position)
    if low + 1 >= len(ordered):
        return Fraction(ordered[-1])
    return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])


def _delta(value: Fraction) -> timedelta:
    return timedelta(microseconds=round(value))


def stats(durations: Iterable[int]) -> Stats | None:
    """The figures of ``durations`` (microseconds); ``None`` for none."""
    ordered = sorted(durations)
    if not ordered:
        return None
    return Stats(
        count=len(ordered),
        median=_delta(percentile(ordered, MEDIAN)),
        p90=_delta(percentile(ordered, P90)),
        max=timedelta(microseconds=ordered[-1]),
        mean=_delta(Fraction(sum(ordered), len(ordered))),
    )


def interval(timeline: Timeline, name: str) -> int | None:
    """``timeline``'s interval ``name`` (``INTERVALS`` or ``TOTAL``) in microseconds;
    ``None`` where it has none."""
    if name == TOTAL:
        start_phase: Phase | None = Phase.ARRIVED
        end_phase = Phase.RELEASED
    else:
        _, start_phase, end_phase = next(i for i in INTERVALS if i[0] == name)
    if start_phase is None:
        start_phase = next((p for p in _BEFORE_RELEASE if getattr(timeline, p.column)), None)
        if start_phase is None:
            return None
    start, end = getattr(timeline, start_phase.column), getattr(timeline, end_phase.column)
    if start is None or end is None or end < start:
        return None
    return micros(end - start)


def _lane_key(lane: str | None) -> tuple[int, str]:
    return (LANES.index(lane), "") if lane in LANES else (len(LANES), lane or "")


def _group(
    crossing: str | None,
    lane: str | None,
    released: Sequence[Timeline],
    waiting: int,
    targets: Mapping[str, timedelta],
) -> Group:
    lanes = {t.lane for t in released} if lane is None else {lane}
    lane_targets = {targets.get(each or "") for each in lanes}
    within = [
        (total := interval(t, TOTAL)) is not None and total <= micros(target)
        for t in released
        if (target := targets.get(t.lane or "")) is not None
    ]
    return Group(
        crossing=crossing,
        lane=lane,
        count=len(released),
        total=stats(d for t in released if (d := interval(t, TOTAL)) is not None),
        phases=tuple(
            PhaseStats(name, stats(d for t in released if (d := interval(t, name)) is not None))
            for name, _, _ in INTERVALS
        ),
        target=next(iter(lane_targets)) if len(lane_targets) == 1 else None,
        within_target=sum(within) if within else None,
        pre_arrival=sum(1 for t in released if interval(t, "pre_arrival") is not None),
        waiting=waiting,
    )


def release_times(
    released: Sequence[Timeline],
    waiting: Sequence[Timeline],
    targets: Mapping[str, timedelta],
    as_of: datetime,
) -> ReleaseTimes:
    """The study over the consignments ``released`` in a period and those ``waiting``
    (arrived, not released) at its end ``as_of``; ``targets`` is each lane's
    arrival-to-release target (a lane not in it has none)."""
    by_group: dict[tuple[str, str | None], list[Timeline]] = defaultdict(list)
    waiting_by: dict[tuple[str, str | None], int] = defaultdict(int)
    for timeline in released:
        by_group[(timeline.crossing, timeline.lane)].append(timeline)
    for timeline in waiting:
        waiting_by[(timeline.crossing, timeline.lane)] += 1
    keys = sorted(set(by_group) | set(waiting_by), key=lambda k: (k[0], *_lane_key(k[1])))
    groups: list[Group] = []
    crossings = sorted({crossing for crossing, _ in keys})
    for crossing in crossings:
        mine = [k for k in keys if k[0] == crossing]
        for key in mine:
            # A consignment released without a lane counts in its crossing's total only.
            if key[1] is not None:
                groups.append(_group(crossing, key[1], by_group[key], waiting_by[key], targets))
        every = [t for k in mine for t in by_group[k]]
        groups.append(_group(crossing, None, every, sum(waiting_by[k] for k in mine), targets))
    if len(crossings) != 1:
        groups.append(_group(None, None, list(released), len(waiting), targets))
    return ReleaseTimes(tuple(groups), _outliers(by_group, waiting, targets, as_of))


def _outliers(
    by_group: Mapping[tuple[str, str | None], Sequence[Timeline]],
    waiting: Sequence[Timeline],
    targets: Mapping[str, timedelta],
    as_of: datetime,
) -> tuple[Outlier, ...]:
    fences: dict[tuple[str, str | None], tuple[Fraction | None, Fraction]] = {}
    for key, timelines in by_group.items():
        ordered = sorted(d for t in timelines if (d := interval(t, TOTAL)) is not None)
        if not ordered:
            continue
        q1, q3 = percentile(ordered, Fraction(1, 4)), percentile(ordered, Fraction(3, 4))
        fence = q3 + Fraction(3, 2) * (q3 - q1) if len(ordered) >= 4 else None
        fences[key] = (fence, percentile(ordered, MEDIAN))
    found: list[Outlier] = []
    candidates = [(t, interval(t, TOTAL), True) for ts in by_group.values() for t in ts]
    candidates += [
        (t, micros(as_of - t.arrived_at), False)
        for t in waiting
        if t.arrived_at is not None and t.arrived_at <= as_of
    ]
    for timeline, duration, released in candidates:
        if duration is None or timeline.arrived_at is None:
            continue
        # One still without a lane is past its target once past every lane's.
        target = (
            targets.get(timeline.lane) if timeline.lane else max(targets.values(), default=None)
        )
        fence, median = fences.get((timeline.crossing, timeline.lane), (None, None))
        beyond_target = target is not None and duration > micros(target)
        beyond_fence = fence is not None and duration > fence
        if beyond_target or beyond_fence:
            found.append(
                Outlier(
                    id=timeline.id,
                    reference=timeline.reference,
                    crossing=timeline.crossing,
                    lane=timeline.lane,
                    arrived_at=timeline.arrived_at,
                    released_at=timeline.released_at if released else None,
                    duration=timedelta(microseconds=duration),
                    beyond_target=beyond_target,
                    beyond_fence=beyond_fence,
                    over_median=None if median is None else _delta(duration - median),
                )
            )
    return tuple(sorted(found, key=lambda o: (-o.duration, o.reference)))
