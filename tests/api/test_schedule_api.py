"""``GET /api/v1/schedule``: the next clearing runs and their filing cut-offs, for anyone
signed in."""

from __future__ import annotations

from datetime import date, datetime

from tahator.io.policy import load_policy
from tahator.services import schedule
from tahator.services.common import now
from tests.api.conftest import ROLES, House


def test_every_role_sees_the_next_runs_and_their_cutoffs(house: House) -> None:
    for role in ROLES:
        response = house.client.get("/api/v1/schedule?count=2", headers=house.as_(role))
        assert response.status_code == 200, response.text
        document = response.json()
        assert len(document["runs"]) == 2
        first = document["runs"][0]
        assert first["job"] == "clearing"
        assert date.fromisoformat(first["day"]) > date.fromisoformat(first["cutoff_day"])
        assert datetime.fromisoformat(first["cutoff"]).utcoffset() is not None
        assert document["zone"] == "Asia/Karachi"
    expected = schedule.clearing_dates(load_policy(), now(), 2)
    assert document["waits"] is expected.waits
    assert document["files_into"]["day"] == expected.files_into.day.isoformat()


def test_the_schedule_needs_a_sign_in_and_a_sane_count(house: House) -> None:
    assert house.client.get("/api/v1/schedule").status_code == 401
    response = house.client.get("/api/v1/schedule?count=0", headers=house.as_("trader"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
