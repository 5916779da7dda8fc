"""The quarterly barter report written as JSON, as long-format CSV and as a one-page
A4 PDF: an HTML template in the reader's language (``tahator.i18n.language()``:
English, Persian or Urdu, right to left where they are), printed by WeasyPrint in the
shipped fonts (``io.pdf``).  JSON and CSV are for machines and stay as they are."""

from __future__ import annotations

import io
from typing import Any

from tahator.domain.errors import TahatorError
from tahator.domain.money import Amount
from tahator.formatting import amount, jsonable
from tahator.io.pdf import document_context, document_environment, render
from tahator.io.tables import write_csv
from tahator.services.barter_report import Flow, QuarterlyReport, ReportRow, report_rows

REPORT_CSV_HEADER = ("section", "partner_country", "hs_chapter", "measure", "value")


def report_document(report: QuarterlyReport) -> dict[str, Any]:
    """The report as a JSON object; its period's first day is keyed ``from``."""
    document: dict[str, Any] = {}
    for key, value in jsonable(report).items():
        document["from" if key == "from_" else key] = value
    return document


def csv_row(row: ReportRow) -> tuple[str, str, str, str, str]:
    """``row`` as CSV cells (``REPORT_CSV_HEADER``), amounts as plain decimals."""
    value = amount(row.value) if not isinstance(row.value, int | str) else str(row.value)
    return (row.section, row.partner_country, row.hs_chapter, row.measure, value)


def report_csv(report: QuarterlyReport) -> str:
    """The report as CSV text with a header, one measure a line (``write_csv``: cells
    safe for spreadsheets)."""
    rows = [csv_row(row) for row in report_rows(report)]
    out = io.StringIO(newline="")
    write_csv(out, REPORT_CSV_HEADER, [list(column) for column in zip(*rows, strict=True)])
    return out.getvalue()


PDF_FLOW_ROWS = 30
"""At most this many flows (the largest) on the PDF's one page; the rest are counted."""


class ReportLayoutError(TahatorError):
    """The PDF could not be kept to one page: not the user's input."""


def _largest(flows: tuple[Flow, ...], rows: int) -> list[Flow]:
    """The ``rows`` largest flows by declared value, in the report's order."""
    ranked = sorted(flows, key=lambda f: f.imported.minor + f.exported.minor, reverse=True)
    shown = set(map(id, ranked[:rows]))
    return [flow for flow in flows if id(flow) in shown]


def report_html(report: QuarterlyReport, flow_rows: int = PDF_FLOW_ROWS) -> str:
    """The report as the HTML page the PDF is printed from, in the active language, with
    at most ``flow_rows`` flows (the largest), saying how many more there are."""
    flows = _largest(report.flows, flow_rows)

    def total(side: str) -> Amount:
        minor = sum(getattr(flow, side).minor for flow in report.flows)
        return Amount(minor, report.unit_of_account, report.planned_import.digits)

    return (
        document_environment()
        .get_template("barter_report.html")
        .render(
            **document_context(),
            report=report,
            flows=flows,
            omitted=len(report.flows) - len(flows),
            imported=total("imported"),
            exported=total("exported"),
            declarations=sum(flow.declarations for flow in report.flows),
        )
    )


def report_pdf(report: QuarterlyReport) -> bytes:
    """The report as a one-page A4 PDF in the active language and the shipped fonts:
    when its flows would run over the page, fewer of the largest are shown (the page
    says how many are omitted)."""
    rows = PDF_FLOW_ROWS
    while True:
        document = render(report_html(report, rows))
        if len(document.pages) == 1:
            pdf: bytes = document.write_pdf()
            return pdf
        if rows == 0:
            raise ReportLayoutError(
                f"the barter report for {report.quarter} does not fit on one page"
            )
        rows = rows * 3 // 4
