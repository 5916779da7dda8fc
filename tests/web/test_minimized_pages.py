"""The web pages follow the same rule as the API (``services.access.READERS``): a run's
page, a firm's page, the dashboard and the target downloads, role by role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, ROLES
from tests.api.test_minimization import (
    declare_one_barter_month,
    held_firm_with_its_trader,
    run_clearing,
)
from tests.web.conftest import House, browser, csrf_of

ACCOUNT_ROLES = {"operator", "bank", "auditor"}


@pytest.mark.parametrize("role", ROLES)
def test_a_runs_page_shows_each_role_only_its_parts(house: House, role: str) -> None:
    run_id = run_clearing(house)
    page = browser(house, role).get(f"/clearing/runs/{run_id}")
    assert page.status_code == 200, page.text
    assert "Clearing run" in page.text
    assert ('id="money-rules"' in page.text) == (role in ACCOUNT_ROLES)
    assert ("Imbalance this period" in page.text) == (role in ACCOUNT_ROLES)
    assert ("Settlement instructions" in page.text) == (role != "customs")
    clearing = browser(house, role).get("/clearing")
    assert ('id="instructions"' in clearing.text) == (role != "customs")
    download = browser(house, role).get(f"/clearing/instructions.csv?run={run_id}")
    assert download.status_code == (403 if role == "customs" else 200)


def signed_in(house: House, username: str) -> TestClient:
    client = browser(house)
    form = {"username": username, "password": PASSWORD}
    answer = client.post("/login", data=form | {"csrf_token": csrf_of(client.get("/login").text)})
    assert answer.status_code == 303, answer.text
    return client


def test_a_trader_of_a_held_firm_sees_it_under_review_and_nothing_of_the_hit(
    house: House,
) -> None:
    held_firm_with_its_trader(house)
    operator = house.client.get("/api/v1/firms/IR-9/screening", headers=house.as_("operator"))
    hit = operator.json()["hits"][0]
    trader = signed_in(house, "trader9")
    for path in ("/firms/IR-9", "/firms"):
        page = trader.get(path)
        assert page.status_code == 200, page.text
        assert "under review" in page.text
        assert "blocked" not in page.text
        assert hit["reference"] not in page.text
    assert trader.get("/screening").status_code == 403
    # An operator reads the status as it is, and the hit on the screening page.
    assert "blocked" in browser(house, "operator").get("/firms/IR-9").text
    assert hit["reference"] in browser(house, "operator").get("/screening").text


@pytest.mark.parametrize("role", ROLES)
def test_the_target_downloads_are_for_the_reports_pages_roles(house: House, role: str) -> None:
    declare_one_barter_month(house)
    for kind in ("csv", "xlsx", "html"):
        answer = browser(house, role).get(f"/reports/target.{kind}")
        if role in ("operator", "customs", "auditor"):
            assert answer.status_code == 200, answer.text
        else:
            assert answer.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_withholds_a_month_one_firm_makes_up(house: House, role: str) -> None:
    declare_one_barter_month(house)
    page = browser(house, role).get("/")
    assert page.status_code == 200, page.text
    # The trader is the applicant: its own authorization's row (deadline view) may show
    # the value; the monthly figures (chart data and its table) may not.
    figures = page.text.split('id="h-chart"')[1].split('id="barter-deadlines"')[0]
    assert ("300000" in figures.replace(",", "")) == (role in ("operator", "customs", "auditor"))
