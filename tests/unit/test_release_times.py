"""The release-time figures' percentile is numpy's default (linear, type 7), exactly."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tahator.domain.release_times import P90, percentile, stats


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=60))
def test_percentiles_are_numpys_linear_ones(values: list[int]) -> None:
    ordered = sorted(values)
    for q in (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), P90):
        expected = np.percentile(np.array(values, dtype=np.float64), float(q) * 100)
        assert float(percentile(ordered, q)) == pytest.approx(expected, rel=1e-12, abs=1e-6)


def test_one_value_and_two() -> None:
    one = stats([7_200_000_000])
    assert one is not None
    assert one.median == one.p90 == one.max == one.mean
    two = stats([0, 10 * 3_600_000_000])
    assert two is not None
    assert two.median.total_seconds() == 5 * 3600  # the mean of the two middles
    assert two.p90.total_seconds() == 9 * 3600
    assert stats([]) is None


def test_a_group_only_waiting_has_no_figures_in_every_format() -> None:
    from datetime import UTC, date, datetime, timedelta

    from tahator.domain.release_times import Timeline, release_times
    from tahator.io.release_times import report_csv, report_document, report_html
    from tahator.services.release_times import ReleaseReport

    at = datetime(2026, 3, 1, tzinfo=UTC)
    stuck = Timeline(1, "CN-1", "TFN", "red", arrived_at=at, lane_at=at + timedelta(hours=1))
    study = release_times([], [stuck], {"red": timedelta(hours=48)}, at + timedelta(days=3))
    report = ReleaseReport(
        date(2026, 3, 1), date(2026, 3, 3), None, (("TFN", "Taftan–Mirjaveh"),),
        (("red", timedelta(hours=48)),), at + timedelta(days=3), at, study.groups,
        study.outliers,
    )  # fmt: skip
    (group,) = report_document(report)["groups"]
    assert (group["count"], group["waiting"], group["median_hours"]) == (0, 1, None)
    assert group["phases"]["to_release"]["count"] == 0
    (outlier,) = report_document(report)["outliers"]
    assert (outlier["released_at"], outlier["hours"], outlier["beyond_target"]) == (
        None,
        72.0,
        True,
    )
    lines = report_csv(report).splitlines()
    assert lines[1].startswith("TFN,red,0,,,,,48.0,,0,1,")
    assert "CN-1" in report_html(report)


def test_a_truck_waiting_for_its_lane_is_an_outlier_past_every_lanes_target() -> None:
    from datetime import UTC, datetime, timedelta

    from tahator.domain.release_times import Timeline, release_times

    at = datetime(2026, 3, 1, tzinfo=UTC)
    waiting = Timeline(1, "CN-1", "TFN", None, arrived_at=at)
    targets = {"green": timedelta(hours=4), "red": timedelta(hours=48)}
    assert release_times([], [waiting], targets, at + timedelta(hours=47)).outliers == ()
    (late,) = release_times([], [waiting], targets, at + timedelta(hours=49)).outliers
    assert late.beyond_target
    assert late.released_at is None
    (group,) = release_times([], [waiting], targets, at).groups
    assert (group.crossing, group.lane, group.waiting) == ("TFN", None, 1)
