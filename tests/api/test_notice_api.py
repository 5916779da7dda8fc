"""GET /clearing/runs/{run}/notices/{firm}.pdf: a firm's set-off notice as a PDF, in the
reader's language; a trader reads only its own firm's."""

from __future__ import annotations

import pytest

from tests.api.conftest import House
from tests.pdf_file import pdf_info, pdf_objects


@pytest.fixture
def ran(house: House) -> House:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text
    assert started.json()["run_id"] == 1
    return house


def test_a_trader_downloads_its_own_notice_in_its_language(ran: House) -> None:
    path = "/api/v1/clearing/runs/1/notices/PK-1.pdf"
    got = ran.client.get(path, headers=ran.as_("trader"))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert 'filename="setoff-notice-run-1-PK-1.pdf"' in got.headers["content-disposition"]
    assert got.content.startswith(b"%PDF-")
    assert pdf_info(got.content)["Title"] == "Set-off notice: clearing run 1, PK-1"
    assert b"/Lang (en)" in pdf_objects(got.content)
    persian = ran.client.get(path, headers=ran.as_("trader") | {"Accept-Language": "fa-IR"})
    assert b"/Lang (fa)" in pdf_objects(persian.content)
    urdu = ran.client.get(
        path + "?language=ur", headers=ran.as_("trader") | {"Accept-Language": "fa"}
    )
    assert urdu.status_code == 200
    assert b"/Lang (ur)" in pdf_objects(urdu.content)


def test_a_trader_may_not_read_another_firms_notice(ran: House) -> None:
    other = ran.client.get("/api/v1/clearing/runs/1/notices/IR-1.pdf", headers=ran.as_("trader"))
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    assert b"%PDF" not in other.content


@pytest.mark.parametrize(
    ("role", "status"), [("operator", 200), ("bank", 200), ("auditor", 200), ("customs", 403)]
)
def test_who_reads_any_firms_notice(ran: House, role: str, status: int) -> None:
    got = ran.client.get("/api/v1/clearing/runs/1/notices/IR-1.pdf", headers=ran.as_(role))
    assert got.status_code == status, got.text[:300]
    if status == 200:
        assert pdf_info(got.content)["Title"] == "Set-off notice: clearing run 1, IR-1"


def test_unknown_run_firm_or_language(ran: House) -> None:
    operator = ran.as_("operator")
    assert (
        ran.client.get("/api/v1/clearing/runs/9/notices/PK-1.pdf", headers=operator).status_code
        == 404
    )
    assert (
        ran.client.get("/api/v1/clearing/runs/1/notices/XX-9.pdf", headers=operator).status_code
        == 404
    )
    bad = ran.client.get("/api/v1/clearing/runs/1/notices/PK-1.pdf?language=de", headers=operator)
    assert bad.status_code == 422
