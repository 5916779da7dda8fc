"""The authorization page's differences, and the barter desk's lists a page at a time."""

from __future__ import annotations

import re

from tests.api.test_barter_desk import BASE, IMPORT, applied, authorized
from tests.web.conftest import House, browser


def _dd(html: str, name: str) -> str:
    found = re.search(rf'<dd class="num" id="{name}">(.*?)</dd>', html, re.S)
    assert found, f"no {name}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_plan_s_difference_is_shown_beside_the_declared_one(house: House) -> None:
    authorization = applied(house)  # plans 300,000.00 USD in, 290,000.00 USD out
    customs = browser(house, "customs")
    page = customs.get(f"/barter/{authorization}").text
    assert "300,000.00 USD" in page
    assert "290,000.00 USD" in page
    # Before: "Difference 0.00 USD" (the declared goods', none yet) beside the plan.
    assert _dd(page, "planned-difference") == "10,000.00 USD import exceeds export"
    assert _dd(page, "declared-difference") == "0.00 USD"
    authorized(house, authorization, "2025-11-01")
    declared = house.client.post(
        f"{BASE}/{authorization}/declarations", json=IMPORT, headers=house.as_("customs")
    )
    assert declared.status_code == 201, declared.text
    page = customs.get(f"/barter/{authorization}").text
    assert _dd(page, "planned-difference") == "10,000.00 USD import exceeds export"
    assert _dd(page, "declared-difference") == "60,000.00 USD more imported than exported"


def test_odd_cents_are_exact(house: House) -> None:
    exports = [
        {
            "hs": "10063010",
            "description": "Basmati rice",
            "quantity": "1",
            "unit": "kg",
            "value": "299999.99",
            "currency": "USD",
        }
    ]
    authorization = applied(house, exports=exports)
    page = browser(house, "operator").get(f"/barter/{authorization}").text
    assert _dd(page, "planned-difference") == "0.01 USD import exceeds export"


def _ids(html: str) -> list[int]:
    body = html[html.index('id="authorizations"') :]
    return [int(n) for n in re.findall(r'<td class="num"><a href="/barter/(\d+)">', body)]


def test_authorizations_page_sort_and_search(house: House) -> None:
    made = [applied(house) for _ in range(27)]
    other = applied(house, applicant="PK-3", counterparty="IR-2")
    operator = browser(house, "operator")
    first = operator.get("/barter?a_size=25").text
    assert _ids(first) == made[:25]
    assert "Rows 1–25 of 28" in first
    assert _ids(operator.get("/barter?a_size=25&a_page=2").text) == [*made[25:], other]
    assert _ids(operator.get("/barter?a_sort=-id&a_size=25").text)[0] == other
    # Case-insensitive, by a party's name or id.
    assert _ids(operator.get("/barter?a_q=ir-2 trading").text) == [other]
    assert _ids(operator.get("/barter?a_q=Ir-2").text) == [other]
    # A trader's list holds its own firm's only, searched or not.
    trader = browser(house, "trader")  # PK-1
    assert other not in _ids(trader.get("/barter?a_q=ir-2").text)
    assert _ids(trader.get("/barter?a_size=100").text) == made


def test_deadlines_page_and_sort(house: House) -> None:
    first = applied(house)
    second = applied(house, applicant="PK-3", counterparty="IR-2", valid_until="2027-06-30")
    authorized(house, first, "2025-11-01")
    authorized(house, second, "2026-03-01")
    customs = browser(house, "customs")

    def rows(path: str) -> list[int]:
        return [int(n) for n in re.findall(r'<tr id="deadline-(\d+)"', customs.get(path).text)]

    assert rows("/barter") == [first, second]  # overdue (fewest days left) first
    assert rows("/barter?d_sort=-days") == [second, first]
    assert rows("/barter?d_q=pk-3 trading") == [second]
    page = customs.get("/barter").text
    assert "PK-3 Trading" in page
    assert 'name="d_q"' in page
