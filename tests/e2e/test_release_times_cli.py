"""tahator report release-times: JSON per crossing and lane (count, median and 90th
percentile hours from arrival to release), CSV, a PDF in Persian; bad input exits 2
and writes nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from tahator.store.customs_tables import Consignment
from tahator.store.database import transaction
from tests.conftest import Cli
from tests.integration.conftest import database_url, engine  # noqa: F401  (fixtures)
from tests.pdf_file import pdf_info, pdf_objects
from tests.release_times_data import add_consignments

PERIOD = ("--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture
def db(engine: Engine, database_url: str, tmp_path: Path) -> str:  # noqa: F811
    with transaction(engine) as session:
        add_consignments(session, tmp_path)
    return database_url


def _released(db_engine: Engine) -> dict[tuple[str, str], list[float]]:
    from datetime import UTC, datetime

    first = datetime(2026, 2, 28, 19, tzinfo=UTC)
    after = datetime(2026, 3, 31, 19, tzinfo=UTC)
    found: dict[tuple[str, str], list[float]] = {}
    with transaction(db_engine) as session:
        for r in session.scalars(select(Consignment)):
            if r.released_at is not None and first <= r.released_at < after:
                hours = (r.released_at - r.arrived_at).total_seconds() / 3600  # type: ignore[operator]
                found.setdefault((r.crossing, r.lane or ""), []).append(hours)
    return found


def test_json_gives_count_median_and_p90_per_crossing_and_lane(
    cli: Cli,
    db: str,
    engine: Engine,  # noqa: F811
) -> None:
    code, out, err = cli("--db", db, "report", "release-times", *PERIOD, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert (document["from"], document["to"], document["crossing"]) == (*PERIOD[1::2], None)
    expected = _released(engine)
    groups = {(g["crossing"], g["lane"]): g for g in document["groups"]}
    assert set(groups) == set(expected)
    for key, hours in expected.items():
        group = groups[key]
        assert group["count"] == len(hours)
        assert group["median_hours"] == pytest.approx(np.median(hours), abs=5e-5)
        assert group["p90_hours"] == pytest.approx(np.percentile(hours, 90), abs=5e-5)
        assert group["max_hours"] == pytest.approx(max(hours), abs=5e-5)
        assert set(group["phases"]) >= {"arrival_to_lane", "to_release", "pre_arrival"}
    assert [t["crossing"] for t in document["totals"]] == ["GBD", "MND", "TFN", None]
    assert all(t["lane"] is None for t in document["totals"])
    assert document["outliers"]
    assert document["outliers"][0]["arrived_at"].endswith("+00:00")

    code, out, err = cli(
        "--db", db, "report", "release-times", *PERIOD, "--crossing", "TFN", "--format", "csv"
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["crossing"] for r in rows} == {"TFN"}
    assert rows[-1]["lane"] == "all"
    green = next(r for r in rows if r["lane"] == "green")
    assert int(green["count"]) == len(expected[("TFN", "green")])
    assert float(green["p90_hours"]) == pytest.approx(
        np.percentile(expected[("TFN", "green")], 90), abs=5e-5
    )
    assert "arrival_to_lane_median_hours" in green


def test_the_report_as_a_persian_pdf(cli: Cli, db: str, tmp_path: Path) -> None:
    pdf = tmp_path / "out" / "release.pdf"
    code, out, err = cli(
        "--db", db, "report", "release-times", *PERIOD, "--format", "pdf", "--language", "fa",
        "-o", pdf,
    )  # fmt: skip
    assert code == 0, err
    assert out == f"release times 2026-03-01 to 2026-03-31 (pdf) written to {pdf}\n"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert pdf_info(data)["Title"].startswith("زمان ترخیص") or pdf_info(data)["Title"]
    assert b"Vazirmatn" in pdf_objects(data)


def test_bad_input_exits_2_and_writes_nothing(cli: Cli, db: str, tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    for args, message in (
        (("--from", "2026-03-31", "--to", "2026-03-01"), "the period ends before it begins"),
        (("--from", "2026-02-30", "--to", "2026-03-01"), "--from"),
        ((*PERIOD, "--format", "xml"), "--format: 'xml' must be json, csv or pdf"),
        ((*PERIOD, "--format", "pdf"), "--output: a PDF report is written to a file"),
        ((*PERIOD, "--language", "de", "--format", "pdf", "-o", pdf), "--language"),
    ):
        code, _, err = cli("--db", db, "report", "release-times", *args)
        assert code == 2, args
        assert message in err
    assert not pdf.exists()
