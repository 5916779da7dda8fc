"""Each user's language: the browser's, the switch on every page, the profile."""

from __future__ import annotations

from sqlalchemy import select

from tahator.store.database import reading
from tahator.store.schema import AuditRecord, User
from tests.web.conftest import House, browser, csrf_of, token


def test_the_browsers_language_decides_before_any_choice(house: House) -> None:
    client = browser(house)
    page = client.get("/login", headers={"Accept-Language": "fa-IR,fa;q=0.9"})
    assert '<html lang="fa" dir="rtl">' in page.text
    page = client.get("/login", headers={"Accept-Language": "ur"})
    assert '<html lang="ur" dir="rtl">' in page.text
    assert '<html lang="en" dir="ltr">' in client.get("/login").text


def test_the_switch_before_signing_in_keeps_to_this_browser(house: House) -> None:
    client = browser(house)
    switched = client.post("/language", data={"language": "ur", "next": "/login?next=/firms"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login?next=/firms"
    assert '<html lang="ur" dir="rtl">' in client.get("/login").text
    # Never an open redirect, never an unknown language.
    assert (
        client.post("/language", data={"language": "fa", "next": "//evil"}).headers["location"]
        == "/"
    )
    assert client.post("/language", data={"language": "xx"}).status_code == 422


def test_a_signed_in_users_switch_is_kept_in_the_profile(house: House) -> None:
    trader = browser(house, "trader")
    # Without the session's CSRF token the switch is refused and nothing is saved.
    refused = trader.post("/language", data={"language": "fa", "next": "/"})
    assert refused.status_code == 403
    switched = trader.post(
        "/language", data={"language": "fa", "next": "/", "csrf_token": token(trader)}
    )
    assert switched.status_code == 303
    with reading(house.engine) as session:
        user = session.scalar(select(User).where(User.role == "trader").order_by(User.id))
        assert user is not None
        assert user.language == "fa"
        assert (
            session.scalar(select(AuditRecord).where(AuditRecord.action == "user.preferences"))
            is not None
        )
    # A new browser signing in as that user gets the profile's language.
    again = browser(house, "trader")
    assert '<html lang="fa" dir="rtl">' in again.get("/").text


def test_the_profile_sets_language_zone_and_tomans(house: House) -> None:
    operator = browser(house, "operator")
    page = operator.get("/profile")
    assert page.status_code == 200
    saved = operator.post(
        "/profile",
        data={
            "csrf_token": csrf_of(page.text),
            "language": "ur",
            "zone": "Asia/Tehran",
            "toman": "1",
        },
    )
    assert saved.status_code == 200
    assert '<html lang="ur" dir="rtl">' in saved.text
    assert "Asia/Tehran" in operator.get("/").text  # the footer names the zone
    bad = operator.post(
        "/profile",
        data={"csrf_token": csrf_of(page.text), "language": "ur", "zone": "Mars/Base"},
    )
    assert bad.status_code == 422
    assert "Asia/Tehran" in operator.get("/").text
