"""The web UI without a browser: sign-in, cookies, CSRF, roles, per-firm isolation, errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tahator.signin import csrf_token
from tahator.store.database import transaction
from tahator.store.schema import Firm, Obligation
from tests.web.conftest import ORIGIN, House, browser, csrf_of, token

GOOD = "id,debtor,creditor,amount,currency,due_date\nWEB-1,PK-1,IR-1,250.00,USD,2026-12-31\n"
BAD = (
    "id,debtor,creditor,amount,currency,due_date\n"
    "WEB-2,PK-1,IR-1,abc,USD,2026-12-31\n"
    "WEB-3,PK-1,NOPE,10.00,USD,2026-13-01\n"
)


def count(house: House, table: type) -> int:
    with transaction(house.engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_page_without_a_session_sends_to_the_sign_in_page(house: House) -> None:
    client = browser(house)
    response = client.get("/obligations?status=open")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/obligations%3Fstatus%3Dopen"
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text
    assert 'name="csrf_token"' in page.text


def test_the_session_cookie_is_http_only_and_same_site_lax(house: House) -> None:
    client = browser(house)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "op",
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
            "next": "/clearing",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/clearing"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("tahator_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests; https gets Secure
    secure = browser(house)
    secure.base_url = secure.base_url.copy_with(scheme="https")
    secure.headers["Origin"] = "https://testserver"
    page = secure.get("/login")
    response = secure.post(
        "/login",
        data={
            "username": "op",
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
        },
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("tahator_session=")
    )
    assert "Secure" in cookie


def test_sign_in_failures_say_so_beside_the_form(house: House) -> None:
    client = browser(house)
    page = client.get("/login")
    wrong = client.post(
        "/login", data={"username": "op", "password": "wrong", "csrf_token": csrf_of(page.text)}
    )
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert "tahator_session" not in client.cookies
    empty = client.post(
        "/login", data={"username": "", "password": "", "csrf_token": csrf_of(page.text)}
    )
    assert empty.status_code == 422
    assert "Enter your username and password." in empty.text
    forged = client.post("/login", data={"username": "op", "password": "correct horse battery"})
    assert forged.status_code == 403


def test_an_open_redirect_after_sign_in_is_refused(house: House) -> None:
    client = browser(house)
    page = client.get("/login?next=//evil.example/")
    assert 'value="/"' in page.text
    response = client.post(
        "/login",
        data={
            "username": "op",
            "password": "correct horse battery",
            "csrf_token": csrf_of(page.text),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    house: House, csrf: str | None
) -> None:
    operator = browser(house, "operator")
    firm = {"id": "PK-9", "name": "Nine", "country": "PK", "tax_id": "1234567-8"}
    data = firm if csrf is None else firm | {"csrf_token": csrf}
    before = count(house, Firm)
    assert operator.post("/firms", data=data).status_code == 403
    assert count(house, Firm) == before
    trader = browser(house, "trader")
    files = {"file": ("good.csv", GOOD.encode(), "text/csv")}
    stored = count(house, Obligation)
    check = trader.post(
        "/obligations/check", data={} if csrf is None else {"csrf_token": csrf}, files=files
    )
    assert check.status_code == 403
    assert (
        operator.post(
            "/clearing/run", data={} if csrf is None else {"csrf_token": csrf}
        ).status_code
        == 403
    )
    assert count(house, Obligation) == stored
    # Another user's token does not pass either.
    assert operator.post("/firms", data=firm | {"csrf_token": token(trader)}).status_code == 403


def test_sign_out_revokes_the_session(house: House) -> None:
    client = browser(house, "auditor")
    session = client.cookies["tahator_session"]
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token(client)}).status_code == 303
    client.cookies.set("tahator_session", session)
    assert client.get("/").status_code == 303


def test_every_page_renders_for_every_role(house: House) -> None:
    pages = [
        "/",
        "/firms",
        "/firms?q=pk&country=PK",
        "/obligations",
        "/obligations?status=open",
        "/clearing",
        "/market",
    ]
    for who in ("operator", "customs", "bank", "trader", "auditor"):
        client = browser(house, who)
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, (who, path, response.text[:500])
            assert "Content-Security-Policy" in response.headers
        barter = client.get("/barter")
        assert barter.status_code == (403 if who == "bank" else 200), who
        reports = client.get("/reports?quarter=2025Q4")
        assert reports.status_code == (200 if who in ("operator", "customs", "auditor") else 403)


def test_a_trader_sees_its_own_firm_only(house: House) -> None:
    trader = browser(house, "trader")
    assert trader.get("/firms/PK-1").status_code == 200
    other = trader.get("/firms/IR-1")
    assert other.status_code == 404
    assert "Not found" in other.text
    assert trader.get("/obligations?firm=IR-2").status_code == 404
    listing = trader.get("/obligations").text
    assert "INV-1" in listing
    assert "INV-4" not in listing
    firms_page = trader.get("/firms").text
    assert "PK-1" in firms_page
    # The directory names every firm (to find counterparties), nothing private of them.
    assert "IR-2 Trading" in firms_page
    assert "Tax id" not in firms_page
    assert "Screening" not in firms_page


def test_roles_are_enforced_on_every_change(house: House) -> None:
    trader = browser(house, "trader")
    auditor = browser(house, "auditor")
    firm = {"id": "PK-9", "name": "Nine", "country": "PK", "tax_id": "1234567-8"}
    assert trader.post("/firms", data=firm | {"csrf_token": token(trader)}).status_code == 403
    assert auditor.post("/clearing/run", data={"csrf_token": token(auditor)}).status_code == 403
    assert auditor.post("/market/match", data={"csrf_token": token(auditor)}).status_code == 403
    assert (
        trader.post("/settlement/1/confirm", data={"csrf_token": token(trader)}).status_code == 403
    )
    assert count(house, Firm) == 5


def test_an_upload_is_checked_before_anything_is_stored(house: House) -> None:
    trader = browser(house, "trader")
    before = count(house, Obligation)
    bad = trader.post(
        "/obligations/check",
        data={"csrf_token": token(trader, "/obligations")},
        files={"file": ("bad.csv", BAD.encode(), "text/csv")},
    )
    assert bad.status_code == 422
    assert "bad.csv:2: amount:" in bad.text
    assert "bad.csv:3:" in bad.text
    assert "nothing stored" in bad.text
    foreign = trader.post(
        "/obligations/check",
        data={"csrf_token": token(trader, "/obligations")},
        files={"file": ("x.csv", GOOD.replace("PK-1", "PK-2").encode(), "text/csv")},
    )
    assert "it must be the debtor" in foreign.text
    good = trader.post(
        "/obligations/check",
        data={"csrf_token": token(trader, "/obligations")},
        files={"file": ("good.csv", GOOD.encode(), "text/csv")},
    )
    assert good.status_code == 200
    assert "good.csv is valid" in good.text
    assert count(house, Obligation) == before
    data = __import__("re").search(r'name="data" value="([^"]+)"', good.text).group(1)
    stored = trader.post(
        "/obligations/store",
        data={"csrf_token": csrf_of(good.text), "name": "good.csv", "data": data},
    )
    assert stored.status_code == 303
    assert count(house, Obligation) == before + 1
    assert "Stored 1 new obligation" in trader.get(stored.headers["location"]).text


def test_a_firm_registered_with_bad_fields_names_each_beside_it(house: House) -> None:
    operator = browser(house, "operator")
    response = operator.post(
        "/firms",
        data={
            "csrf_token": token(operator),
            "id": "PK-9",
            "name": "",
            "country": "PK",
            "tax_id": "x",
        },
    )
    assert response.status_code == 422
    assert 'id="err-name"' in response.text
    assert count(house, Firm) == 5


def test_unknown_pages_and_bad_ids_get_a_404_page_never_a_500(house: House) -> None:
    client = browser(house, "operator")
    for path in (
        "/nowhere",
        "/clearing/runs/999",
        "/barter/999",
        "/market/proposals/999",
        "/firms/NOPE",
        "/clearing/runs/99999999999999999999",
        "/reports/barter.xml",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    assert client.get("/reports?quarter=2025Q9").status_code == 422
    assert client.get("/api/v1/nowhere").headers["content-type"] == "application/problem+json"
    anonymous = browser(house)
    assert anonymous.get("/nowhere").status_code == 404


def test_plotly_and_every_asset_come_from_the_server(house: House) -> None:
    client = browser(house)
    plotly = client.get("/static/vendor/plotly.min.js")
    assert plotly.status_code == 200
    assert len(plotly.content) > 1_000_000
    assert client.get("/static/app.css").status_code == 200
    page = browser(house, "operator").get("/").text
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_a_run_then_a_bank_confirms_an_instruction_once(house: House) -> None:
    operator = browser(house, "operator")
    future = {"csrf_token": token(operator, "/clearing"), "as_of": "2100-12-31"}
    refused = operator.post("/clearing/run", data=future)
    assert refused.status_code == 422
    assert "after today&#39;s business date" in refused.text
    started = operator.post("/clearing/run", data={"csrf_token": token(operator, "/clearing")})
    assert started.status_code == 303
    run_page = operator.get(started.headers["location"])
    assert "Set-off notices" in run_page.text
    assert "Cumulative imbalance" in run_page.text  # the run's money rules, shown
    bank = browser(house, "bank")
    page = bank.get("/clearing")
    assert "Confirm instruction 1" in page.text
    confirmed = bank.post(
        "/settlement/1/confirm", data={"csrf_token": csrf_of(page.text), "back": "/clearing"}
    )
    assert confirmed.status_code == 303
    assert "Instruction 1 confirmed." in bank.get(confirmed.headers["location"]).text
    again = bank.post("/settlement/1/confirm", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 422
    assert "already confirmed" in again.text
    csv = bank.get("/clearing/instructions.csv?run=1")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("id,run_id,firm")
    assert csv.text.splitlines()[0].endswith(",return_reason,reference")
    assert ",RF" in csv.text or ",TAH-1-" in csv.text  # what each payment quotes
    notices = operator.get("/clearing/runs/1/notices.csv")
    assert notices.text.splitlines()[0] == (
        "obligation,reference,debtor,creditor,currency,before,setoff,after,setoff_unit"
    )
    assert browser(house, "customs").get("/clearing/instructions.csv").status_code == 403


def test_a_bad_application_names_each_field_and_stores_nothing(house: House) -> None:
    trader = browser(house, "trader")
    response = trader.post(
        "/barter/apply",
        data={
            "csrf_token": token(trader, "/barter"),
            "counterparty": "IR-1",
            "partner_country": "IR",
            "valid_from": "2025-10-20",
            "valid_until": "not a date",
            "import_hs": "27111900",
            "import_description": "LPG",
            "import_quantity": "500",
            "import_unit": "t",
            "import_value": "abc",
            "import_currency": "USD",
            "export_hs": "10063010",
            "export_description": "Rice",
            "export_quantity": "400",
            "export_unit": "t",
            "export_value": "290000.00",
            "export_currency": "USD",
        },
    )
    assert response.status_code == 422
    assert 'id="err-valid_until"' in response.text
    assert 'id="err-import_value"' in response.text
    assert "No authorizations." in response.text


def test_customs_declares_goods_through_the_form(house: House) -> None:
    from tests.api.test_resources import application

    applied = house.client.post(
        "/api/v1/barter/authorizations",
        json=application(as_of="2025-10-20"),
        headers=house.as_("operator"),
    )
    authorization = applied.json()["id"]
    customs = browser(house, "customs")
    path = f"/barter/{authorization}"
    authorized = customs.post(
        f"{path}/authorize", data={"csrf_token": token(customs, path), "as_of": "2025-11-01"}
    )
    assert authorized.status_code == 303
    form = {
        "direction": "import",
        "hs": "27111900",
        "quantity": "500",
        "unit": "t",
        "value": "1.234",
        "currency": "usd",
        "date": "2025-10-01",
    }
    refused = customs.post(f"{path}/declare", data={"csrf_token": token(customs, path), **form})
    assert refused.status_code == 422
    assert "&#39;1.234&#39; has more than 2 fraction digits" in refused.text
    assert "2025-10-01 is outside the balancing window" in refused.text
    declared = customs.post(
        f"{path}/declare",
        data={
            "csrf_token": token(customs, path),
            **form,
            "value": "300000",
            "date": "2025-11-10",
        },
    )
    assert declared.status_code == 303
    assert declared.headers["location"] == f"{path}?done=declare"
    page = customs.get(path).text
    assert "No declarations yet." not in page
    assert '<td class="mono">27111900</td>' in page


def posting_from(client: TestClient, headers: dict[str, str]) -> TestClient:
    """``client`` now posting with ``headers`` instead of its own ``Origin``."""
    client.headers.pop("Origin", None)
    client.headers.update(headers)
    return client


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:8019"},  # another port of the same host
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "same-site"},  # another port's form
        {"Sec-Fetch-Site": "same-site"},
        {},
    ],
)
def test_a_form_post_from_another_origin_is_refused_even_with_the_right_token(
    house: House, headers: dict[str, str]
) -> None:
    # Login CSRF: a page on another port sets the sign-in form's key cookie (cookies are
    # shared across ports) and posts the attacker's credentials with the token it
    # computed from that key.  The token is right; the origin is not.
    client = browser(house)
    client.cookies.set("tahator_login", "attackerkey123")
    form = {
        "username": "op",
        "password": "correct horse battery",
        "csrf_token": csrf_token("attackerkey123", "login"),
    }
    signed = posting_from(client, headers).post("/login", data=form)
    assert signed.status_code == 403
    assert "tahator_session" not in client.cookies
    operator = browser(house, "operator")
    session = operator.cookies["tahator_session"]
    csrf = token(operator)
    firm = {"id": "PK-9", "name": "Nine", "country": "PK", "tax_id": "1234567-8"}
    before = count(house, Firm)
    posting_from(operator, headers)
    assert operator.post("/firms", data=firm | {"csrf_token": csrf}).status_code == 403
    assert count(house, Firm) == before
    assert operator.post("/logout", data={"csrf_token": csrf}).status_code == 403
    assert operator.cookies["tahator_session"] == session
    assert operator.get("/").status_code == 200
    # The same forms from this site pass: with its Origin, or with none and
    # Sec-Fetch-Site: same-origin; the sign-in form too.
    posting_from(operator, {"Sec-Fetch-Site": "same-origin"})
    assert operator.post("/firms", data=firm | {"csrf_token": csrf}).status_code == 303
    assert count(house, Firm) == before + 1
    # A browser's own form under Referrer-Policy: no-referrer says Origin: null.
    posting_from(operator, {"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    other = firm | {"id": "PK-10", "csrf_token": csrf}
    assert operator.post("/firms", data=other).status_code == 303
    assert count(house, Firm) == before + 2
    posting_from(client, {"Origin": ORIGIN})
    assert client.post("/login", data=form).status_code == 303
