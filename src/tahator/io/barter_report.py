"""The quarterly barter report written as JSON and as long-format CSV."""

from __future__ import annotations

import io
from typing import Any

from tahator.formatting import amount, jsonable
from tahator.io.tables import write_csv
from tahator.services.barter_report import QuarterlyReport, ReportRow, report_rows

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
