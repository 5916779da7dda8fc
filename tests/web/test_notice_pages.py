"""The set-off notice on the web: the run page links the trader to its own notice PDF
(the operator, bank and auditor to a chosen firm's), in the reader's language."""

from __future__ import annotations

import pytest

from tests.pdf_file import pdf_info, pdf_objects
from tests.web.conftest import House, browser


@pytest.fixture
def ran(house: House) -> House:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text
    return house


def test_the_trader_downloads_its_own_notice_from_the_run_page(ran: House) -> None:
    trader = browser(ran, "trader")
    page = trader.get("/clearing/runs/1")
    assert page.status_code == 200
    assert 'id="notice-pdf" href="/clearing/runs/1/notice.pdf"' in page.text
    assert "Set-off notice (PDF)" in page.text
    got = trader.get("/clearing/runs/1/notice.pdf", headers={"Accept-Language": "fa"})
    assert got.status_code == 200, got.text[:300]
    assert got.headers["content-type"] == "application/pdf"
    title = pdf_info(got.content)["Title"]
    assert title.endswith("PK-1")
    assert "Set-off notice" not in title  # in Persian, as asked
    assert b"/Lang (fa)" in pdf_objects(got.content)
    assert trader.get("/clearing/runs/1/notice.pdf?firm=IR-1").status_code == 404
    assert trader.get("/clearing/runs/9/notice.pdf").status_code == 404


def test_the_operator_chooses_the_firm_and_customs_may_not(ran: House) -> None:
    operator = browser(ran, "operator")
    assert 'id="notice-pdf"' not in operator.get("/clearing/runs/1").text
    chosen = operator.get("/clearing/runs/1?firm=IR-1").text
    assert 'href="/clearing/runs/1/notice.pdf?firm=IR-1"' in chosen
    got = operator.get("/clearing/runs/1/notice.pdf?firm=IR-1")
    assert pdf_info(got.content)["Title"] == "Set-off notice: clearing run 1, IR-1"
    assert operator.get("/clearing/runs/1/notice.pdf").status_code == 404
    huge = operator.get(f"/clearing/runs/{2**63}/notice.pdf?firm=IR-1")
    assert huge.status_code == 404  # no such run, not an overflow
    customs = browser(ran, "customs")
    assert customs.get("/clearing/runs/1/notice.pdf?firm=IR-1").status_code == 403
