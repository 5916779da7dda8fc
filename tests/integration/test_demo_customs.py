"""The demo's consignments: a few hundred over the three crossings, through the same
services as an officer's clicks, with times true to each lane, once per database."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from tahator.demo_customs import CONSIGNMENTS, DAYS, build_consignments
from tahator.domain.customs import Lane
from tahator.io.policy import load_policy
from tahator.store.customs_tables import Consignment, LaneSelection
from tahator.store.database import transaction
from tests.integration.conftest import firms_file, import_firms_file


def test_the_demo_trucks_cross_in_plausible_times(engine: Engine, tmp_path: Path) -> None:
    firms = {f"PK-{n}": "PK" for n in range(1, 13)} | {"IR-1": "IR"}
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", firms), "test")
    today = date(2026, 11, 23)
    made = build_consignments(engine, load_policy(), today)
    assert made >= CONSIGNMENTS
    with transaction(engine) as session:
        rows = list(session.scalars(select(Consignment)))
        selections = list(session.scalars(select(LaneSelection)))
    assert len(rows) == made
    assert {r.crossing for r in rows} == {"TFN", "GBD", "MND"}
    assert len(selections) == sum(1 for r in rows if r.lane is not None)
    end = min(datetime.now(UTC), datetime(2026, 11, 23, 13, tzinfo=UTC))
    hours: dict[str, list[float]] = {}
    for row in rows:
        phases = ("arrived", "lane", "documents", "inspected", "released", "exited")
        times = [t for p in phases if (t := getattr(row, f"{p}_at")) is not None]
        assert times == sorted(times), row.reference
        assert all(t <= end for t in times)
        if row.released_at is not None and row.arrived_at is not None and row.lane:
            span = (row.released_at - row.arrived_at).total_seconds() / 3600
            hours.setdefault(row.lane, []).append(span)
    medians = {lane: statistics.median(spans) for lane, spans in hours.items()}
    assert medians[Lane.GREEN] < 8 < medians[Lane.YELLOW] < medians[Lane.RED]
    lodged_first = sum(
        1 for r in rows if r.lodged_at and r.arrived_at and r.lodged_at < r.arrived_at
    )
    assert 0.25 < lodged_first / len(rows) < 0.55
    # The lanes' shares of a crossing's 90 days: the regulars have a history, so the
    # first-declaration criterion no longer sends a third of the trucks to blue.
    window = [
        r for r in rows if r.arrived_at is not None and r.arrived_at >= end - timedelta(days=DAYS)
    ]
    shares = Counter(r.lane for r in window if r.lane is not None)
    laned = sum(shares.values())
    assert shares[Lane.GREEN] / laned > 0.6, shares
    assert shares[Lane.BLUE] / laned < 0.2, shares
    assert shares[Lane.YELLOW] + shares[Lane.RED] > 0, shares
    firsts = [s for s in selections if "first-declaration" in s.hits]
    assert len(firsts) < 0.25 * len(rows)
    # Each step drawn on its own: a red truck's documents and inspection take different times.
    red = [r for r in rows if r.lane == Lane.RED and r.inspected_at is not None]
    assert red
    for row in red:
        assert row.documents_at is not None
        assert row.lane_at is not None
        assert row.documents_at - row.lane_at != row.inspected_at - row.documents_at
    assert build_consignments(engine, load_policy(), today) == 0  # once per database
