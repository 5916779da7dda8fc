"""tahator customs consignments and customs criteria: every consignment with its
crossing, lane and phase timestamps (ISO 8601, UTC), never its selection's score or
seed; the criteria's hit rates; the release-time report over the same consignments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tahator.domain.customs import Lane, Phase
from tahator.io.policy import load_policy
from tahator.services import consignments
from tahator.services.consignments import ConsignmentRecord
from tahator.store.database import transaction
from tests.conftest import Cli
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    firms_file,
    import_firms_file,
)

ARRIVED = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


@pytest.fixture
def db(engine: Engine, database_url: str, tmp_path: Path) -> str:  # noqa: F811
    """Two consignments at Taftan and one at Gabd, through release (the lane as drawn)."""
    policy = load_policy()
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", {"PK-1": "PK"}), "test")
        for n, crossing in enumerate(("TFN", "TFN", "GBD")):
            view = consignments.register(
                session,
                policy,
                ConsignmentRecord(
                    f"CN-{n}",
                    crossing,
                    "import",
                    f"TRK-{n}",
                    "PK-1",
                    "IR",
                    lodged_at=ARRIVED - timedelta(hours=5),
                ),
                "test",
            )
            at = ARRIVED + timedelta(hours=n)
            for phase in (Phase.ARRIVED, Phase.LANE):
                at += timedelta(minutes=30)
                view = consignments.record_phase(session, policy, view.id, phase, at, "test")
            assert view.lane is not None
            for phase in (*Lane(view.lane).requires, Phase.RELEASED):
                at += timedelta(hours=2)
                result = "clear" if phase == Phase.INSPECTED else None
                consignments.record_phase(
                    session, policy, view.id, phase, at, "test", result=result
                )
    return database_url


def test_consignments_as_json_with_crossing_lane_and_utc_phase_times(cli: Cli, db: str) -> None:
    code, out, err = cli("--db", db, "customs", "consignments", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert sorted(r["reference"] for r in rows) == ["CN-0", "CN-1", "CN-2"]
    for row in rows:
        assert row["crossing"] in ("TFN", "GBD")
        assert row["lane"] in ("green", "blue", "yellow", "red")
        assert row["lodged_at"] == "2026-03-10T01:00:00+00:00"
        assert datetime.fromisoformat(row["arrived_at"]).utcoffset() == timedelta(0)
        assert datetime.fromisoformat(row["released_at"]) > datetime.fromisoformat(
            row["arrived_at"]
        )
        assert {"lane_at", "documents_at", "inspected_at", "exited_at"} <= set(row)
        assert not {"selections", "seed", "score", "hits"} & set(row)
    code, out, err = cli("--db", db, "customs", "consignments", "--crossing", "GBD", "--json")
    assert code == 0, err
    assert [r["reference"] for r in json.loads(out)] == ["CN-2"]
    code, out, _ = cli("--db", db, "customs", "consignments")
    assert code == 0
    assert "CN-1" in out
    code, _, err = cli("--db", db, "customs", "consignments", "--crossing", "XXX")
    assert code == 2
    assert "--crossing: 'XXX' is not one of TFN, GBD, MND" in err

    code, out, err = cli(
        "--db", db, "report", "release-times", "--from", "2026-03-10", "--to", "2026-03-10"
    )
    assert code == 0, err
    document = json.loads(out)
    assert sum(g["count"] for g in document["groups"]) == 3
    assert document["targets_hours"] == {"blue": 4.0, "green": 4.0, "red": 48.0, "yellow": 24.0}
    code, _, err = cli(
        "--db", db, "report", "release-times", "--from", "2026-03-10", "--to", "2026-03-10",
        "--crossing", "XXX",
    )  # fmt: skip
    assert code == 2
    assert "'XXX' is not a crossing (TFN, GBD, MND)" in err


def test_criteria_hit_rates(cli: Cli, db: str) -> None:
    code, out, err = cli(
        "--db", db, "customs", "criteria", "--from", "2026-03-01", "--to", "2026-03-31", "--json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert {r["criterion"] for r in rows} >= {"price-band", "first-declaration"}
    assert all(r["selections"] >= 0 for r in rows)
    code, out, err = cli("--db", db, "customs", "criteria", "--from", "2026-03-01")
    assert code == 0, err
    assert "price-band" in out
    code, _, err = cli("--db", db, "customs", "criteria", "--from", "2026-13-01")
    assert code == 2
    assert "--from" in err


def test_verify_recomputes_a_selection_from_what_was_recorded(cli: Cli, db: str) -> None:
    code, out, err = cli("--db", db, "customs", "consignments", "--json")
    assert code == 0, err
    first = min(row["id"] for row in json.loads(out))
    code, out, err = cli("--db", db, "customs", "verify", str(first), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["holds"] is True
    assert document["recorded"] == document["recomputed"]
    code, out, err = cli("--db", db, "customs", "verify", str(first))
    assert code == 0, err
    assert "holds" in out
    code, _, err = cli("--db", db, "customs", "verify", "999999")
    assert code == 2
    assert "999999" in err
