"""Consignments with plausible phase times at three crossings, stored straight in the
``consignments`` table (the release-time report reads nothing else), for the report's
tests: green a few hours, yellow about a day, red one to three days, lognormal, some
lodged before arrival, some still waiting, a few stuck far longer than their peers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from tahator.store.customs_tables import Consignment
from tests.integration.conftest import firms_file, import_firms_file

CROSSINGS = ("TFN", "GBD", "MND")
START = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
"""The first arrival; consignments arrive over March 2026."""
MEDIAN_HOURS = {"green": 3.0, "blue": 2.5, "yellow": 20.0, "red": 40.0}


def add_consignments(
    session: Session, folder: Path, count: int = 240, seed: int = 7, *, firm: bool = True
) -> None:
    """``count`` consignments of firm ``PK-1`` arriving through March 2026 (registering
    the firm first unless ``firm`` is false)."""
    if firm:
        import_firms_file(session, firms_file(folder / "firms.csv", {"PK-1": "PK"}), "test")
    rng = random.Random(seed)
    lanes = ("green",) * 10 + ("yellow",) * 5 + ("red",) * 3 + ("blue",) * 2
    for n in range(count):
        crossing = CROSSINGS[n % 3]
        lane = rng.choice(lanes)
        minutes = rng.randrange(0, 31 * 24 * 60)
        arrived = START + timedelta(minutes=minutes, seconds=rng.randrange(60))
        hours = rng.lognormvariate(0, 0.5) * MEDIAN_HOURS[lane]
        if n % 37 == 5:
            hours *= 6  # stuck
        total = timedelta(hours=hours)
        lane_at = arrived + total * 0.1
        documents = lane_at + total * 0.4 if lane in ("yellow", "red") else None
        inspected = (documents or lane_at) + total * 0.3 if lane == "red" else None
        released = arrived + total
        row = Consignment(
            reference=f"CN-{n:04d}",
            crossing=crossing,
            direction="import" if n % 2 else "export",
            vehicle=f"TRK-{n:04d}",
            firm_id="PK-1",
            origin="IR",
            lane=lane,
            inspection="clear" if inspected else None,
            lodged_at=arrived - timedelta(hours=rng.uniform(1, 30)) if n % 4 != 1 else None,
            arrived_at=arrived,
            lane_at=lane_at,
            documents_at=documents,
            inspected_at=inspected,
            released_at=None if n % 41 == 3 else released,  # some still waiting
            exited_at=released + timedelta(minutes=rng.randrange(20, 200)) if n % 4 else None,
            created_at=arrived,
            created_by="test",
        )
        session.add(row)
    session.flush()
