"""The release-time report over a real database (SQLite and PostgreSQL): its medians,
90th percentiles and maxima match numpy's on the same timestamps, per crossing and
lane and per phase; the period picks by release; targets and outliers."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from tahator.domain.errors import InputError
from tahator.domain.release_times import INTERVALS, TOTAL, Timeline, interval, release_times
from tahator.io.policy import load_policy
from tahator.services.release_times import release_report
from tahator.store.customs_tables import Consignment
from tahator.store.database import transaction
from tests.integration.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.release_times_data import add_consignments

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TARGETS = {"green": timedelta(hours=4), "blue": timedelta(hours=4)}
TARGETS |= {"yellow": timedelta(hours=24), "red": timedelta(hours=48)}


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def test_figures_match_numpy_per_crossing_and_lane_and_phase(
    engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    with transaction(engine) as session:
        add_consignments(session, tmp_path)
    with transaction(engine) as session:
        report = release_report(
            session,
            load_policy(),
            date(2026, 3, 1),
            date(2026, 3, 31),
            targets=TARGETS,
            now=NOW,
        )
        rows = list(session.scalars(select(Consignment)))
    # The period: released on 1–31 March in the corridor's zone (Asia/Karachi, UTC+5).
    first = datetime(2026, 2, 28, 19, tzinfo=UTC)
    after = datetime(2026, 3, 31, 19, tzinfo=UTC)
    released = [r for r in rows if r.released_at is not None and first <= r.released_at < after]
    by_group: dict[tuple[str, str], list[Consignment]] = defaultdict(list)
    for row in released:
        assert row.lane is not None
        by_group[(row.crossing, row.lane)].append(row)
    groups = {(g.crossing, g.lane): g for g in report.groups}
    assert {k for k in groups if k[1] is not None} == set(by_group)
    checked = 0
    for key, members in by_group.items():
        group = groups[key]
        totals = [_hours(r.released_at - r.arrived_at) for r in members]  # type: ignore[operator]
        assert group.count == len(members)
        assert group.total is not None
        assert _hours(group.total.median) == pytest.approx(np.median(totals), abs=1e-9)
        assert _hours(group.total.p90) == pytest.approx(np.percentile(totals, 90), abs=1e-9)
        assert _hours(group.total.max) == pytest.approx(max(totals), abs=1e-9)
        assert _hours(group.total.mean) == pytest.approx(np.mean(totals), abs=1e-9)
        within = sum(1 for t in totals if t <= _hours(TARGETS[key[1]]))
        assert group.within_target == within
        for phase in group.phases:
            timelines = [_timeline(r) for r in members]
            values = [
                d / 3.6e9 for t in timelines if (d := interval(t, phase.interval)) is not None
            ]
            if not values:
                assert phase.stats is None
                continue
            assert phase.stats is not None
            assert phase.stats.count == len(values)
            assert _hours(phase.stats.median) == pytest.approx(np.median(values), abs=1e-9)
            assert _hours(phase.stats.p90) == pytest.approx(np.percentile(values, 90), abs=1e-9)
            checked += 1
    assert checked > 30
    # Each crossing over all lanes, then every crossing.
    for crossing in ("GBD", "MND", "TFN"):
        mine = [_hours(r.released_at - r.arrived_at) for r in released if r.crossing == crossing]  # type: ignore[operator]
        total = groups[(crossing, None)].total
        assert total is not None
        assert _hours(total.p90) == pytest.approx(np.percentile(mine, 90), abs=1e-9)
    assert groups[(None, None)].count == len(released)
    # Still waiting at the period's end: arrived before it, released after or never.
    waiting = [
        r
        for r in rows
        if r.arrived_at is not None
        and r.arrived_at < after
        and (r.released_at is None or r.released_at >= after)
    ]
    assert groups[(None, None)].waiting == len(waiting) > 0
    assert report.as_of == after
    # Outliers: every one beyond its target or its group's fence, the longest first.
    assert report.outliers
    durations = [o.duration for o in report.outliers]
    assert durations == sorted(durations, reverse=True)
    assert all(o.beyond_target or o.beyond_fence for o in report.outliers)
    assert any(o.released_at is None for o in report.outliers)


def _timeline(row: Consignment) -> Timeline:
    from tahator.services.release_times import _timeline as timeline

    return timeline(row)


def test_intervals_skip_what_is_missing_and_count_pre_arrival_only_before() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    green = Timeline(
        1,
        "A",
        "TFN",
        "green",
        lodged_at=at + timedelta(hours=1),  # lodged after arrival: no pre-arrival time
        arrived_at=at,
        lane_at=at + timedelta(minutes=30),
        released_at=at + timedelta(hours=2),
    )
    assert interval(green, "pre_arrival") is None
    assert interval(green, "to_release") == 90 * 60 * 10**6  # from the lane
    assert interval(green, "lane_to_documents") is None
    assert interval(green, TOTAL) == 2 * 3600 * 10**6
    study = release_times([green], [], {"green": timedelta(hours=1)}, at + timedelta(days=1))
    (group, crossing_total) = study.groups
    assert (group.lane, crossing_total.lane) == ("green", None)
    assert group.within_target == 0
    assert group.pre_arrival == 0
    assert [p.interval for p in group.phases] == [i[0] for i in INTERVALS]
    (outlier,) = study.outliers
    assert outlier.beyond_target
    assert not outlier.beyond_fence


def test_a_bad_period_or_unknown_crossing_is_refused(
    engine: Engine,  # noqa: F811
) -> None:
    with transaction(engine) as session:
        with pytest.raises(InputError, match="ends before it begins"):
            release_report(session, load_policy(), date(2026, 3, 2), date(2026, 3, 1))
        policy = load_policy()
        if getattr(policy, "customs", None) is not None:
            with pytest.raises(InputError, match="not a crossing"):
                release_report(session, policy, date(2026, 3, 1), date(2026, 3, 2), "XXX")
