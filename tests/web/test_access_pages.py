"""The one access rule in the web UI: a consortium's lead and members see its barter
authorization, on its page and in their list; an unrelated trader gets a 404 page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, House
from tests.api.test_access import TRADERS, consortium_application
from tests.web.conftest import browser, csrf_of


def signed_in(house: House, username: str) -> TestClient:
    client = browser(house)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303, response.text
    return client


def test_the_lead_and_a_member_see_their_consortium_s_authorization(house: House) -> None:
    authorization = consortium_application(house)
    for username in TRADERS:
        client = signed_in(house, username)
        page = client.get(f"/barter/{authorization}")
        assert page.status_code == 200, (username, page.text[:500])
        assert "C-1" in page.text
        listing = client.get("/barter")
        assert listing.status_code == 200
        assert f'href="/barter/{authorization}"' in listing.text, username
        assert "Lahore Consortium" in client.get("/firms").text, username


def test_a_trader_of_an_unrelated_firm_gets_a_404_page(house: House) -> None:
    authorization = consortium_application(house)
    for who in ("trader", "trader2"):
        client = browser(house, who)
        page = client.get(f"/barter/{authorization}")
        assert page.status_code == 404, who
        assert "Not found" in page.text
        assert f'href="/barter/{authorization}"' not in client.get("/barter").text, who
        assert "Lahore Consortium" not in client.get("/firms").text, who
