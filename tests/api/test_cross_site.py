"""Cross-site writes: an API write signed in only by the web UI's session cookie must
come from this site's own pages (Origin and the session's CSRF token), or it is refused
with a 403 and changes nothing; bearer tokens are unaffected."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tahator import signin
from tahator.api.app import API_PREFIX
from tahator.store.database import reading
from tahator.store.schema import AuditRecord
from tests.api.conftest import PASSWORD, House
from tests.unit.test_screening import SAMPLE
from tests.web.conftest import browser

EVIL = "http://evil.example"
OWN = "http://testserver"  # the test client's origin
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
NO_SIGN_IN = {f"{API_PREFIX}/auth/token"}  # takes a password, sets no cookie


def session_token(house: House, username: str) -> str:
    return signin.sign_in(house.engine, username, PASSWORD, "session", "testclient").token


def api_writes(house: House) -> list[tuple[str, str]]:
    """Every write of the API, as its OpenAPI document lists them (no API route is left
    out of it)."""
    paths = house.client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(API_PREFIX) and path not in NO_SIGN_IN
        for method in operations
        if method.upper() in WRITES
    ]


def audit_count(house: House) -> int:
    with reading(house.engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_every_api_write_refuses_a_foreign_origin_with_only_the_cookie(house: House) -> None:
    writes = api_writes(house)
    assert len(writes) >= 20, writes  # the enumeration found the API's writes
    assert ("POST", f"{API_PREFIX}/settlement/instructions/{{instruction_id}}/confirm") in writes
    assert ("POST", f"{API_PREFIX}/lists/{{list_format}}") in writes
    cookie = session_token(house, "op")
    before = audit_count(house)
    for method, path in writes:
        url = re.sub(r"\{[^}]+\}", "1", path)
        house.client.cookies.set(signin.SESSION_COOKIE, cookie)
        try:
            response = house.client.request(
                method,
                url,
                headers={"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"},
                content=b"as_of=2026-11-24",
            )
        finally:
            house.client.cookies.clear()
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "bearer token" in response.json()["detail"]
    assert audit_count(house) == before  # nothing was written


def pending_instruction(house: House) -> int:
    run = house.client.post(
        "/api/v1/clearing/runs", json={"as_of": "2026-11-24"}, headers=house.as_("operator")
    )
    assert run.status_code == 201, run.text
    pending = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=house.as_("bank")
    ).json()["items"]
    assert pending
    return int(pending[0]["id"])


def status_of(house: House, instruction: int) -> str:
    items = house.client.get("/api/v1/settlement/instructions", headers=house.as_("bank")).json()[
        "items"
    ]
    return str(next(i["status"] for i in items if i["id"] == instruction))


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},  # the reported attack: a form on another site
        {"Origin": EVIL, signin.CSRF_HEADER: "from-the-page"},  # a token cannot be guessed
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Origin": "http://testserver:8080"},  # same host, another port (same-site)
        {},  # neither Origin nor Sec-Fetch-Site
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": OWN},  # this site, but without the session's CSRF token
        {"Origin": OWN, signin.CSRF_HEADER: "\u00e9t\u00e9".encode("latin-1")},  # not ASCII
    ],
)
def test_a_cross_site_confirmation_is_refused_and_changes_nothing(
    house: House, headers: dict[str, str | bytes]
) -> None:
    instruction = pending_instruction(house)
    house.client.cookies.set(signin.SESSION_COOKIE, session_token(house, "bank"))
    try:
        refused = house.client.post(
            f"/api/v1/settlement/instructions/{instruction}/confirm", headers=headers
        )
    finally:
        house.client.cookies.clear()
    assert refused.status_code == 403, refused.text
    assert status_of(house, instruction) == "pending"


@pytest.mark.parametrize(
    "same_origin", [{"Origin": OWN}, {"Sec-Fetch-Site": "same-origin"}], ids=["origin", "fetch"]
)
def test_this_sites_pages_may_write_with_the_cookie_and_the_csrf_token(
    house: House, same_origin: dict[str, str]
) -> None:
    instruction = pending_instruction(house)
    cookie = session_token(house, "bank")
    house.client.cookies.set(signin.SESSION_COOKIE, cookie)
    try:
        confirmed = house.client.post(
            f"/api/v1/settlement/instructions/{instruction}/confirm",
            headers=same_origin | {signin.CSRF_HEADER: signin.csrf_token(cookie)},
        )
        # Reads need neither: they change nothing.
        assert house.client.get("/api/v1/auth/me").json()["username"] == "bank"
    finally:
        house.client.cookies.clear()
    assert confirmed.status_code == 200, confirmed.text
    assert status_of(house, instruction) == "confirmed"


def test_a_cross_site_list_import_is_refused_and_the_list_kept(house: House) -> None:
    operator = house.as_("operator")
    imported = house.client.post(
        "/api/v1/lists/un",
        files={"file": ("list.xml", SAMPLE.read_bytes(), "application/xml")},
        headers=operator,
    )
    assert imported.status_code == 201, imported.text
    lists = house.client.get("/api/v1/lists", headers=operator).json()
    one_entry = (
        b'<?xml version="1.0"?><CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES>'
        b"<ENTITY><DATAID>1</DATAID><FIRST_NAME>Nobody Trading</FIRST_NAME>"
        b"<REFERENCE_NUMBER>X.1</REFERENCE_NUMBER></ENTITY></ENTITIES></CONSOLIDATED_LIST>"
    )
    house.client.cookies.set(signin.SESSION_COOKIE, session_token(house, "op"))
    try:
        refused = house.client.post(
            "/api/v1/lists/un",
            files={"file": ("list.xml", one_entry, "application/xml")},
            headers={"Origin": EVIL},
        )
    finally:
        house.client.cookies.clear()
    assert refused.status_code == 403, refused.text
    assert house.client.get("/api/v1/lists", headers=operator).json() == lists


def test_a_bearer_token_needs_neither_origin_nor_csrf_token(house: House) -> None:
    instruction = pending_instruction(house)
    confirmed = house.client.post(
        f"/api/v1/settlement/instructions/{instruction}/confirm",
        headers=house.as_("bank") | {"Origin": EVIL},
    )
    assert confirmed.status_code == 200, confirmed.text


def test_signing_out_by_cookie_from_another_site_is_refused(house: House) -> None:
    cookie = session_token(house, "op")
    house.client.cookies.set(signin.SESSION_COOKIE, cookie)
    try:
        assert house.client.post("/api/v1/auth/revoke", headers={"Origin": EVIL}).status_code == 403
        assert house.client.get("/api/v1/auth/me").status_code == 200  # still signed in
    finally:
        house.client.cookies.clear()


def test_a_form_token_that_is_not_ascii_is_a_403_not_a_500(house: House) -> None:
    client = browser(house, "operator")
    signed_out = client.post("/logout", data={"csrf_token": "\u00e9t\u00e9"})
    assert signed_out.status_code == 403
    assert client.get("/").status_code == 200  # still signed in
