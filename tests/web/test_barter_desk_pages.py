"""Customs' desk in the web UI: the deadline view, cancelling and closing from the pages,
the application form's rules, and what a partner-country trader sees (issue 17)."""

from __future__ import annotations

import re

from tests.api.test_barter_desk import BASE, IMPORT, applied, authorized
from tests.web.conftest import House, browser, token


def _authorize_today(house: House, authorization: int) -> None:
    response = house.client.post(
        f"{BASE}/{authorization}/authorize", json={}, headers=house.as_("customs")
    )
    assert response.status_code == 200, response.text


def _desk(house: House) -> tuple[int, int]:
    first = applied(house)
    second = applied(
        house, "operator", applicant="PK-3", counterparty="IR-2", valid_until="2027-06-30"
    )
    authorized(house, first, "2025-11-01")
    _authorize_today(house, second)
    declared = house.client.post(
        f"{BASE}/{first}/declarations", json=IMPORT, headers=house.as_("customs")
    )
    assert declared.status_code == 201, declared.text
    return first, second


def _rows(html: str) -> list[int]:
    """The authorizations of a deadline view, in order."""
    return [int(n) for n in re.findall(r'<tr id="deadline-(\d+)"', html)]


def test_customs_sees_the_overdue_first_and_cancels_it(house: House) -> None:
    first, second = _desk(house)
    customs = browser(house, "customs")
    for path in ("/", "/barter"):
        page = customs.get(path)
        assert page.status_code == 200
        assert _rows(page.text) == [first, second], path
        assert "days overdue" in page.text
        assert f'action="/barter/{first}/cancel"' in page.text
        assert f'action="/barter/{second}/cancel"' not in page.text  # not overdue
    cancelled = customs.post(
        f"/barter/{first}/cancel", data={"csrf_token": token(customs, "/barter")}
    )
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/barter/{first}?done=cancel"
    page = customs.get(cancelled.headers["location"]).text
    assert "Cancelled: past its deadline." in page
    assert "state-cancelled" in page
    assert re.search(r'id="obligation">.*PK-1 Trading owes IR-1 Trading 60,000.00 USD', page)
    assert _rows(customs.get("/").text) == [second]
    # Not overdue: refused with the reason, nothing changed.
    early = customs.post(
        f"/barter/{second}/cancel", data={"csrf_token": token(customs, f"/barter/{second}")}
    )
    assert early.status_code == 422
    assert "not overdue" in early.text
    assert _rows(customs.get("/").text) == [second]


def test_a_trader_sees_its_deadlines_but_cannot_cancel(house: House) -> None:
    first, second = _desk(house)
    trader = browser(house, "trader")
    page = trader.get("/").text
    assert _rows(page) == [first]
    assert "/cancel" not in page
    refused = trader.post(f"/barter/{first}/cancel", data={"csrf_token": token(trader)})
    assert refused.status_code == 403
    assert _rows(browser(house, "trader2").get("/barter").text) == [second]
    customs = browser(house, "customs")
    assert "state-authorized" in customs.get(f"/barter/{first}").text


def test_only_customs_or_the_applicant_s_trader_closes(house: House) -> None:
    first, second = _desk(house)  # PK-1 → IR-1, PK-3 → IR-2
    trader, trader2 = browser(house, "trader"), browser(house, "trader2")
    reason = {"reason": "the buyer withdrew"}
    # Another firm's authorization does not exist for a trader.
    hidden = trader.post(f"/barter/{second}/close", data={"csrf_token": token(trader), **reason})
    assert hidden.status_code == 404
    # The counterparty's trader sees it but has no close form and is refused.
    page = trader2.get(f"/barter/{second}").text
    assert 'action="/barter/' not in page
    refused = trader2.post(f"/barter/{second}/close", data={"csrf_token": token(trader2), **reason})
    assert refused.status_code == 403
    # Past its deadline it is cancelled, not closed: no close form, and refused.
    assert f'action="/barter/{first}/close"' not in trader.get(f"/barter/{first}").text
    overdue = trader.post(f"/barter/{first}/close", data={"csrf_token": token(trader), **reason})
    assert overdue.status_code == 422
    assert "cancel it instead" in overdue.text
    current = applied(house, valid_until="2027-06-30", reference="CURRENT")
    _authorize_today(house, current)
    assert f'action="/barter/{current}/close"' in trader.get(f"/barter/{current}").text
    blank = trader.post(
        f"/barter/{current}/close", data={"csrf_token": token(trader), "reason": " "}
    )
    assert blank.status_code == 422
    assert "needs a reason" in blank.text
    # A trader's actions carry today's date: one it states is refused, as in the API.
    dated = trader.post(
        f"/barter/{current}/close",
        data={"csrf_token": token(trader), **reason, "as_of": "2026-11-30"},
    )
    assert dated.status_code == 422
    assert "only customs states the date" in dated.text
    closed = trader.post(f"/barter/{current}/close", data={"csrf_token": token(trader), **reason})
    assert closed.status_code == 303
    page = trader.get(closed.headers["location"]).text
    assert "Closed on purpose." in page
    assert "the buyer withdrew" in page
    assert "state-balanced" in page
    customs = browser(house, "customs")
    by_customs = customs.post(
        f"/barter/{second}/close",
        data={"csrf_token": token(customs), "reason": "goods unavailable"},
    )
    assert by_customs.status_code == 303


def test_the_application_form_says_who_may_apply_and_asks_the_undertaking(house: House) -> None:
    page = browser(house, "trader").get("/barter").text
    assert 'action="/barter/apply"' in page
    assert "Who may apply:" in page
    assert "active-taxpayer list" in page
    assert "Pakistan Single Window" in page
    assert "a consortium of such firms under the 2025-10 order" in page
    assert 'name="undertaking"' in page
    assert "required under the 2025-10 order" in page


def test_a_partner_country_trader_gets_no_form_but_its_authorizations(house: House) -> None:
    _, second = _desk(house)
    trader2 = browser(house, "trader2")
    page = trader2.get("/barter").text
    assert 'action="/barter/apply"' not in page
    assert "binds Pakistani applicants" in page
    assert f'href="/barter/{second}"' in page
    refused = trader2.post("/barter/apply", data={"csrf_token": token(trader2, "/barter")})
    assert refused.status_code == 403


def test_the_authorization_page_shows_its_rules_and_gd_numbers(house: House) -> None:
    first, _ = _desk(house)
    page = browser(house, "auditor").get(f"/barter/{first}").text
    assert "the 2025-10 order" in page
    assert "SRO 642(I)/2023 as amended 17 October 2025" in page
    assert "120 days to balance" in page
    assert "Pakistan Single Window barter procedure" in page  # the tolerance's source
    assert "given for the foreign partner" in page
    assert '<td class="mono gd" dir="auto">GD-KHI-1</td>' in page


def test_a_rejection_takes_its_decision_date(house: House) -> None:
    authorization = applied(house)
    customs = browser(house, "customs")
    path = f"/barter/{authorization}"
    late = customs.post(
        f"{path}/reject",
        data={"csrf_token": token(customs, path), "reason": "no", "as_of": "9999-12-31"},
    )
    assert late.status_code == 422
    assert "outside the accepted dates" in late.text
    assert "state-submitted" in customs.get(path).text
    rejected = customs.post(
        f"{path}/reject",
        data={"csrf_token": token(customs, path), "reason": "incomplete", "as_of": "2025-12-01"},
    )
    assert rejected.status_code == 303
    page = customs.get(path).text
    assert re.search(r'id="decided-on"><time datetime="2025-12-01">', page)
