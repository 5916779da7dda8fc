"""The trade-target report rendered as CSV, XLSX, PNG (Plotly through kaleido and
Chromium) or offline HTML.

``render_target_report`` turns a ``services.stats.TargetReport`` into the file's
bytes in memory; ``write_target_report`` writes them to a path whole or not at all.
"""

from __future__ import annotations

import io
import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.money import Amount
from tahator.formatting import amount, jsonable
from tahator.io.tables import spreadsheet_row, write_bytes_atomically, write_csv

if TYPE_CHECKING:
    from tahator.services.stats import TargetReport

REPORT_COLUMNS = (
    "month",
    "official_trade",
    "barter",
    "set_off",
    "border_sales",
    "total",
    "run_rate",
    "target_run_rate",
)
FORMATS = ("csv", "xlsx", "png", "html")
CHROMIUM = Path("/usr/bin/chromium")


class ChartError(TahatorError):
    """A chart could not be drawn (no browser for the PNG, say): not the user's input."""


def render_target_report(report: TargetReport, output_format: str) -> bytes:
    """The report as ``csv``, ``xlsx``, ``png`` or ``html``.  ``InputError`` for another
    format or a report without figures; ``ChartError`` when a PNG cannot be drawn."""
    if output_format not in FORMATS:
        raise InputError([Problem(f"{output_format!r} must be one of {', '.join(FORMATS)}")])
    if not report.series:
        raise InputError(
            [Problem("no figures yet: import statistics or record trade before the report")]
        )
    if output_format == "csv":
        out = io.StringIO(newline="")
        write_csv(out, REPORT_COLUMNS, _csv_columns(report))
        return out.getvalue().encode("utf-8")
    if output_format == "xlsx":
        return _xlsx(report)
    if output_format == "html":
        html: str = _figure(report).to_html(
            include_plotlyjs=True, full_html=True, include_mathjax=False
        )
        return html.encode("utf-8")
    return _png(report)


def write_target_report(report: TargetReport, output_format: str, path: Path) -> None:
    """Write the report to ``path``, whole or not at all (see ``render_target_report``)."""
    write_bytes_atomically(path, render_target_report(report, output_format))


def _csv_columns(report: TargetReport) -> list[list[str]]:
    return [
        [row.month for row in report.series],
        *([amount(getattr(row, c)) for row in report.series] for c in REPORT_COLUMNS[1:]),
    ]


def _decimal(value: Amount | None) -> Decimal | None:
    return None if value is None else Decimal(value.minor).scaleb(-value.digits)


def _xlsx(report: TargetReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "monthly"
    sheet.append(spreadsheet_row(REPORT_COLUMNS))
    for row in report.series:
        cells = [row.month] + [_decimal(getattr(row, c)) for c in REPORT_COLUMNS[1:]]
        sheet.append(spreadsheet_row(cells))
    sheet.freeze_panes = "B2"
    for column in "BCDEFGH":
        sheet.column_dimensions[column].width = 18
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    status = book.create_sheet("target")
    for key, value in jsonable(report.status).items():
        status.append(
            spreadsheet_row([key, ", ".join(value) if isinstance(value, list) else value])
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _millions(value: Amount | None) -> float | None:
    # Display only: chart coordinates, never money that is stored or summed.
    exact = _decimal(value)
    return None if exact is None else float(exact / 1_000_000)


def _figure(report: TargetReport) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    series, status = report.series, report.status
    unit = status.unit_of_account
    months = [row.month for row in series]
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=False,
        vertical_spacing=0.12,
        subplot_titles=(
            f"Trade per month, million {unit}",
            f"Run rate (trailing 12 months) against the target, million {unit} a year",
        ),
    )
    for column, name in (
        ("official_trade", "official trade"),
        ("barter", "barter"),
        ("set_off", "set-off"),
        ("border_sales", "border markets"),
    ):
        figure.add_trace(
            go.Bar(x=months, y=[_millions(getattr(row, column)) for row in series], name=name),
            row=1,
            col=1,
        )
    figure.add_trace(
        go.Scatter(
            x=months,
            y=[_millions(row.run_rate) for row in series],
            name="run rate",
            mode="lines",
        ),
        row=2,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=[point.month for point in report.target_path],
            y=[_millions(point.target_run_rate) for point in report.target_path],
            name="target path",
            mode="lines",
            line={"dash": "dash"},
        ),
        row=2,
        col=1,
    )
    end = f"{status.target_year}-12"
    growth = status.needed_monthly_growth

    def text(value: Amount | None) -> str:
        exact = _decimal(value)
        return "–" if exact is None else f"{exact / 1_000_000:,.0f} million"

    subtitle = (
        f"run rate {text(status.run_rate)} {unit} at {status.as_of}; "
        f"target {text(status.target)} {unit} a year by {end}"
        + (f"; needs {Decimal(growth) * 100:.2f} % growth a month" if growth is not None else "")
        + (f"<br>official statistics from {', '.join(status.sources)}" if status.sources else "")
    )
    figure.update_layout(
        barmode="stack",
        title={"text": f"Pakistan–Iran trade against its target<br><sup>{subtitle}</sup>"},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.08},
        margin={"t": 140},
        height=800,
        width=1200,
    )
    return figure


def chromium_path() -> str | None:
    """The browser kaleido drives: ``$BROWSER_PATH``, Debian's chromium, or one on PATH."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit and Path(explicit).exists():
        return explicit
    if CHROMIUM.exists():
        return str(CHROMIUM)
    return shutil.which("chromium") or shutil.which("google-chrome")


def _png(report: TargetReport) -> bytes:
    browser = chromium_path()
    if browser is None:
        raise ChartError(
            "a PNG needs Chromium, and none was found: install Debian's chromium "
            "(scripts/ensure-chromium.sh does in CI) or set BROWSER_PATH; "
            "--format html draws the same chart without one"
        )
    os.environ["BROWSER_PATH"] = browser  # where kaleido's choreographer looks first
    figure = _figure(report)
    try:
        data: bytes = figure.to_image(format="png", width=1200, height=800, scale=1)
    except Exception as error:  # kaleido raises many kinds; none is the user's input
        raise ChartError(f"the PNG could not be drawn with {browser}: {error}") from error
    if not data.startswith(b"\x89PNG"):
        raise ChartError("the PNG could not be drawn: kaleido returned no PNG")
    return data
