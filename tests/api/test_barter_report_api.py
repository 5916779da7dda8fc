"""GET /api/v1/reports/barter as JSON, CSV and a one-page PDF (issue 17)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.api.conftest import House
from tests.integration.test_barter import LPG, application, apply, authorize, declare
from tests.pdf_file import pdf_info, pdf_pages

SOURCE = "SRO 642(I)/2023 as amended 17 October 2025"
REPORT = "/api/v1/reports/barter"


@pytest.fixture
def reported(house: House, tmp_path: Path) -> House:
    """An authorization of 20 November 2025 with some LPG declared in December."""
    authorization = apply(house.engine, tmp_path, application())
    authorize(house.engine, authorization, date(2025, 11, 20))
    declare(house.engine, authorization, **LPG, value="1000", currency="USD", on=date(2025, 12, 1))
    return house


def test_the_report_as_a_pdf(reported: House) -> None:
    response = reported.client.get(
        f"{REPORT}?quarter=2025Q4&format=pdf", headers=reported.as_("customs")
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.headers["content-disposition"] == 'attachment; filename="barter-report-2025Q4.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    assert pdf_pages(response.content) == 1
    info = pdf_info(response.content)
    assert info["Title"] == "Quarterly barter report 2025Q4"
    assert info["Subject"] == f"2025-10: {SOURCE}"


def test_the_report_as_csv_and_json_names_the_order(reported: House) -> None:
    customs = reported.as_("customs")
    csv = reported.client.get(f"{REPORT}?quarter=2025Q4&format=csv", headers=customs)
    assert csv.status_code == 200
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="barter-report-2025Q4.csv"' in csv.headers["content-disposition"]
    assert csv.text.startswith("section,partner_country,hs_chapter,measure,value\n")
    assert f"policy,,,version 2025-10 source,{SOURCE}\n" in csv.text
    document = reported.client.get(f"{REPORT}?quarter=2025Q4", headers=customs)
    assert document.headers["content-type"] == "application/json"
    body = document.json()
    assert (body["authorizations_issued"], body["outstanding"]) == (1, 1)
    assert body["policy_versions"] == [
        {"version": "2025-10", "effective": "2025-10-17", "source": SOURCE, "authorizations": 1}
    ]


def test_the_pdf_for_the_same_roles_as_the_json(house: House) -> None:
    for who, status in (("operator", 200), ("auditor", 200), ("trader", 403), ("bank", 403)):
        for output_format in ("pdf", "json"):
            response = house.client.get(
                f"{REPORT}?quarter=2025Q4&format={output_format}", headers=house.as_(who)
            )
            assert response.status_code == status, (who, output_format, response.text)


def test_a_bad_quarter_or_format_is_422(house: House) -> None:
    for query, field in (
        ("quarter=2025Q5&format=pdf", "query.quarter"),
        ("quarter=1999Q4&format=pdf", "quarter"),
        ("quarter=9999Q4&format=pdf", "quarter"),
        ("quarter=2025Q4&format=xml", "query.format"),
        ("format=pdf", "query.quarter"),
    ):
        response = house.client.get(f"{REPORT}?{query}", headers=house.as_("customs"))
        assert response.status_code == 422, query
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [error["field"] for error in response.json()["errors"]], query
