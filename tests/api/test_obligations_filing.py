"""A registration's answer says which clearing run the obligations go into and whether
they wait past the upcoming run's cut-off, as the web pages and ``/schedule`` do."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tahator.asgi import create_app
from tahator.io.policy import DEFAULT_POLICY
from tests.api.conftest import House

OBLIGATION = {
    "reference": "F-1",
    "debtor": "PK-1",
    "creditor": "IR-1",
    "amount": "10.00",
    "currency": "USD",
    "due_date": "2026-12-31",
}


def policy_with_cutoff(folder: Path, days: int) -> Path:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    assert "cutoff_business_days = 2" in text
    path = folder / f"cutoff-{days}.toml"
    path.write_text(
        text.replace("cutoff_business_days = 2", f"cutoff_business_days = {days}"),
        encoding="utf-8",
    )
    return path


def test_the_answer_names_the_run_as_the_schedule_does(house: House, tmp_path: Path) -> None:
    trader = house.as_("trader")
    # 1 business day: the cut-off is most days still ahead; 20: most days it has passed
    # and what is registered now waits for the following run.  Either way the answer
    # says what ``/schedule`` says at that moment.
    for days in (1, 20):
        app = create_app(house.url, policy_with_cutoff(tmp_path, days))
        with TestClient(app, raise_server_exceptions=False) as client:
            schedule = client.get("/api/v1/schedule", headers=trader).json()
            one = client.post(
                "/api/v1/obligations",
                json=OBLIGATION | {"reference": f"F-{days}"},
                headers=trader,
            )
            again = client.post(
                "/api/v1/obligations",
                json=OBLIGATION | {"reference": f"F-{days}"},
                headers=trader,
            )
            batch = client.post(
                "/api/v1/obligations/batch",
                json={"obligations": [OBLIGATION | {"reference": f"B-{days}"}]},
                headers=trader,
            )
        app.state.engine.dispose()
        assert one.status_code == 201, one.text
        waits = schedule["waits"]
        expected = {key: schedule["files_into"][key] for key in ("day", "cutoff", "cutoff_day")}
        assert one.json()["files_into"] == expected
        assert one.json()["waits"] is waits
        if waits:
            assert expected["day"] != schedule["runs"][0]["day"]  # the following run
        assert again.status_code == 200  # already registered: when it was, counts
        assert again.json()["files_into"] == expected
        assert batch.status_code == 201, batch.text
        assert batch.json()["files_into"] == expected
        assert batch.json()["waits"] is waits


def test_a_corridor_without_a_calendar_answers_null(house: House, tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    start = text.index("[calendar]")
    path = tmp_path / "no-calendar.toml"
    path.write_text(text[:start], encoding="utf-8")
    app = create_app(house.url, path)
    with TestClient(app, raise_server_exceptions=False) as client:
        one = client.post("/api/v1/obligations", json=OBLIGATION, headers=house.as_("trader"))
    app.state.engine.dispose()
    assert one.status_code == 201, one.text
    assert one.json()["files_into"] is None
    assert one.json()["waits"] is None
