"""The quarterly barter report on a real database: how it dates cancellations and
rejections, the versions of the order it names, and its one-page PDF (issue 17)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tahator import display
from tahator.domain.errors import InputError
from tahator.formatting import amount
from tahator.io.barter_report import report_csv, report_document, report_html, report_pdf
from tahator.services import barter, barter_report
from tahator.store.database import transaction
from tahator.store.schema import Authorization
from tests.integration.test_barter import (  # noqa: F401  (the house fixture)
    LPG,
    POLICY,
    application,
    apply,
    authorize,
    declare,
    house,
)
from tests.pdf_file import pdf_info, pdf_pages

SOURCE_2023 = "SRO 642(I)/2023 of 1 June 2023"
SOURCE_2025 = "SRO 642(I)/2023 as amended 17 October 2025"


def history(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """Two authorizations cancelled by one sweep on 10 April 2026, and a rejection.

    - ``old``: authorized 10 September 2025 under the 2023 order (90 days): deadline
      9 December 2025, some LPG declared in November;
    - ``new``: authorized 20 November 2025 under the amended order (120 days):
      deadline 20 March 2026;
    - ``rejected``: submitted now, rejected by a decision dated 6 January 2026.
    """
    old = apply(engine, tmp_path, application(valid_from="2025-09-01"))
    assert authorize(engine, old, date(2025, 9, 10)).deadline == date(2025, 12, 9)
    declare(engine, old, **LPG, value="1000", currency="USD", on=date(2025, 11, 10))
    new = apply(engine, tmp_path, application())
    assert authorize(engine, new, date(2025, 11, 20)).deadline == date(2026, 3, 20)
    with transaction(engine) as session:
        swept = barter.sweep(session, POLICY, date(2026, 4, 10), "customs")
    assert sorted(a.id for a in swept.cancelled) == [old, new]
    rejected = apply(engine, tmp_path, application())
    with transaction(engine) as session:
        # The decision as customs' rejection records it: its state and business date.
        row = session.get(Authorization, rejected)
        assert row is not None
        row.state, row.decided_on = "rejected", date(2026, 1, 6)
    return {"old": old, "new": new, "rejected": rejected}


def report(engine: Engine, quarter: str) -> barter_report.QuarterlyReport:
    with transaction(engine) as session:
        return barter_report.quarterly_report(session, POLICY, quarter)


def test_cancellations_and_rejections_in_the_quarter_they_happened(
    house: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    history(house, tmp_path)
    q4, q1, q2 = report(house, "2025Q4"), report(house, "2026Q1"), report(house, "2026Q2")
    # 2025Q4: the new one issued and open at the end; the old one cancelled on its
    # deadline (9 December), though the sweep ran in April.
    assert (q4.authorizations_issued, q4.outstanding, q4.cancelled, q4.rejected) == (1, 1, 1, 0)
    assert amount(q4.planned_import) == "300000.00"
    # 2026Q1: the new one cancelled on its deadline (20 March), so not outstanding at
    # the end; the rejection decided in January.
    assert (q1.authorizations_issued, q1.outstanding, q1.cancelled, q1.rejected) == (0, 0, 1, 1)
    # 2026Q2, when the sweep ran: nothing.
    assert (q2.outstanding, q2.cancelled, q2.rejected) == (0, 0, 0)
    assert q2.policy_versions == ()


def test_the_report_names_the_versions_governing_what_it_counts(
    house: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    history(house, tmp_path)
    q4, q1 = report(house, "2025Q4"), report(house, "2026Q1")
    assert [(v.version, v.effective, v.source, v.authorizations) for v in q4.policy_versions] == [
        ("2023", date(2023, 6, 1), SOURCE_2023, 1),
        ("2025-10", date(2025, 10, 17), SOURCE_2025, 1),
    ]
    assert [(v.version, v.authorizations) for v in q1.policy_versions] == [("2025-10", 2)]
    document = report_document(q4)
    assert list(document)[:4] == ["quarter", "from", "to", "unit_of_account"]
    assert document["policy_versions"][0] == {
        "version": "2023",
        "effective": "2023-06-01",
        "source": SOURCE_2023,
        "authorizations": 1,
    }
    assert document["generated_at"].endswith("+00:00")
    csv_text = report_csv(q4)
    assert f"policy,,,version 2023 source,{SOURCE_2023}\n" in csv_text
    assert "policy,,,version 2025-10 authorizations,1\n" in csv_text
    assert "\nreport,,,generated_at," in csv_text


def test_the_report_as_a_one_page_pdf(house: Engine, tmp_path: Path) -> None:  # noqa: F811
    history(house, tmp_path)
    q4 = report(house, "2025Q4")
    pdf = report_pdf(q4)
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    info = pdf_info(pdf)
    assert info["Title"] == "Quarterly barter report 2025Q4"
    assert info["Subject"] == f"2023: {SOURCE_2023}; 2025-10: {SOURCE_2025}"
    # The page it is printed from: the quarter, its dates, the counts, the flows, the
    # order's versions and sources, when it was made.
    html = report_html(q4)
    for text in (
        "Quarterly barter report: 2025Q4",
        "Period 2025-10-01 to 2025-12-31",
        '<td>Outstanding at the quarter\'s end</td><td class="num">1</td>',
        '<td>Cancelled (deadline in the quarter)</td><td class="num">1</td>',
        "300,000.00 USD",
        '<td>Iran</td><td>27</td><td class="num">1,000.00</td>',
        SOURCE_2023,
        SOURCE_2025,
        display.moment(q4.generated_at),  # in the reader's zone: Pakistan's by default
    ):
        assert text in html, text


def test_a_quarter_outside_the_accepted_dates_is_refused(house: Engine) -> None:  # noqa: F811
    with transaction(house) as session:
        with pytest.raises(InputError, match="outside the accepted dates") as caught:
            barter_report.quarterly_report(session, POLICY, "9999Q4")
        assert caught.value.problems[0].field == "quarter"
        with pytest.raises(InputError, match="not a quarter"):
            barter_report.quarterly_report(session, POLICY, "2025-Q4")
