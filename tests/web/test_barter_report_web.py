"""The reports page links the quarterly barter report's one-page PDF, served beside
its CSV and JSON to the same roles (issue 17)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.integration.test_barter import LPG, application, apply, authorize, declare
from tests.pdf_file import pdf_info, pdf_pages
from tests.web.conftest import House, browser

SOURCE = "SRO 642(I)/2023 as amended 17 October 2025"


def test_the_reports_page_links_the_pdf_and_names_the_order(house: House, tmp_path: Path) -> None:
    authorization = apply(house.engine, tmp_path, application())
    authorize(house.engine, authorization, date(2025, 11, 20))
    declare(house.engine, authorization, **LPG, value="1000", currency="USD", on=date(2025, 12, 1))
    customs = browser(house, "customs")
    page = customs.get("/reports?quarter=2025Q4")
    assert page.status_code == 200
    assert 'href="/reports/barter.pdf?quarter=2025Q4"' in page.text
    assert f"<td>{SOURCE}</td>" in page.text
    assert "dated by its deadline" in page.text
    pdf = customs.get("/reports/barter.pdf?quarter=2025Q4")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="barter-report-2025Q4.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    assert pdf_pages(pdf.content) == 1
    assert pdf_info(pdf.content)["Subject"] == f"2025-10: {SOURCE}"
    csv = customs.get("/reports/barter.csv?quarter=2025Q4")
    assert f"policy,,,version 2025-10 source,{SOURCE}\n" in csv.text


def test_the_pdf_for_the_same_roles_and_a_bad_quarter_is_422(house: House) -> None:
    for who in ("operator", "auditor", "trader", "bank"):
        client = browser(house, who)
        for kind in ("pdf", "json"):
            response = client.get(f"/reports/barter.{kind}?quarter=2025Q4")
            assert response.status_code == (403 if who in ("trader", "bank") else 200), (who, kind)
    operator = browser(house, "operator")
    for quarter in ("2025Q5", "1999Q4", "9999Q4", "Q4"):
        response = operator.get(f"/reports/barter.pdf?quarter={quarter}")
        assert response.status_code == 422, quarter
        assert response.headers["content-type"].startswith("text/html")
    page = operator.get("/reports?quarter=1999Q4")
    assert page.status_code == 422
    assert "outside the accepted dates" in page.text
