"""The quarterly barter report's one-page PDF, from reports made by hand: however
many flows there are, one A4 page that says how many it leaves out."""

from __future__ import annotations

import datetime as dt

from tahator.domain.money import Amount
from tahator.io.barter_report import PDF_FLOW_ROWS, report_html, report_pdf
from tahator.services.barter_report import (
    FlaggedDeclaration,
    Flow,
    PolicyVersion,
    QuarterlyReport,
)
from tests.pdf_file import pdf_info, pdf_pages


def usd(minor: int) -> Amount:
    return Amount(minor, "USD", 2)


def quarterly(flows: int, versions: tuple[PolicyVersion, ...]) -> QuarterlyReport:
    return QuarterlyReport(
        quarter="2026Q1",
        from_=dt.date(2026, 1, 1),
        to=dt.date(2026, 3, 31),
        unit_of_account="USD",
        authorizations_issued=7,
        planned_import=usd(123_456_789),
        planned_export=usd(120_000_000),
        balanced=2,
        closed_on_purpose=1,
        cancelled=3,
        rejected=1,
        outstanding=4,
        flows=tuple(
            # Flow i declared (i + 1) × 1,000 USD of imports: the largest come last.
            Flow("AF" if i % 2 else "IR", f"{i % 97 + 1:02d}", usd(100_000 * (i + 1)), usd(0), 1)
            for i in range(flows)
        ),
        flagged=(FlaggedDeclaration(9, 3, "27111900", dt.date(2026, 2, 1), "cheap"),) * 5,
        policy_versions=versions,
        generated_at=dt.datetime(2026, 4, 2, 8, 15, tzinfo=dt.UTC),
    )


AMENDED = PolicyVersion(
    "2025-10", dt.date(2025, 10, 17), "SRO 642(I)/2023 as amended 17 October 2025", 7
)


def test_many_flows_keep_to_one_page_and_say_how_many_are_left_out() -> None:
    report = quarterly(300, (AMENDED,))
    pdf = report_pdf(report)
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    html = report_html(report)
    assert html.count('<tr class="flow">') == PDF_FLOW_ROWS
    assert f"{300 - PDF_FLOW_ROWS} more are omitted" in html
    assert "3,000.00" in html  # the largest flow (the 300th) is shown …
    assert ">1,000.00<" not in html  # … the smallest is not
    # The totals cover every flow, shown or not: 1,000 × (1 + … + 300) USD.
    assert ">45,150,000.00<" in html
    assert '<td class="num">300</td></tr></tfoot>' in html  # declarations


def test_the_page_carries_the_counts_the_order_and_when_it_was_made() -> None:
    report = quarterly(3, (AMENDED,))
    html = report_html(report)
    for text in (
        "Quarterly barter report: 2026Q1",
        "Period 2026-01-01 to 2026-03-31",
        "1,234,567.89 USD",
        "1,200,000.00 USD",
        '<td>Declarations flagged outside their reference price band</td><td class="num">5</td>',
        "<td><bdi>2025-10</bdi></td><td>2025-10-17</td>"
        "<td><bdi>SRO 642(I)/2023 as amended 17 October 2025</bdi></td>",
        "generated 2026-04-02 13:15 PKT",  # in the reader's zone (Pakistan's by default)
    ):
        assert text in html, text
    assert "omitted" not in html
    info = pdf_info(report_pdf(report))
    assert info["Title"] == "Quarterly barter report 2026Q1"
    assert info["Subject"] == "2025-10: SRO 642(I)/2023 as amended 17 October 2025"
    assert info["CreationDate"].startswith("D:20260402081500")


def test_an_empty_quarter_is_one_page_saying_so() -> None:
    report = quarterly(0, ())
    pdf = report_pdf(report)
    assert pdf_pages(pdf) == 1
    html = report_html(report)
    assert "No declarations in this quarter." in html
    assert "No authorization is counted in this quarter." in html
    assert "All flows" not in html


def test_a_long_source_in_any_script_still_fits_one_page() -> None:
    # A source is a setting: long text, or not Latin, wraps and takes flow rows' room.
    long = PolicyVersion("2025-10", dt.date(2025, 10, 17), "اصلاحیه " + "SRO 642(I)/2023 " * 40, 1)
    report = quarterly(300, (AMENDED, long, AMENDED))
    pdf = report_pdf(report)
    assert pdf_pages(pdf) == 1
    assert "اصلاحیه" in pdf_info(pdf)["Subject"]
