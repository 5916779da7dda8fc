"""The trade-target report rendered as CSV, XLSX, PNG (Plotly through kaleido and
Chromium) or offline HTML.

The PNG and the HTML page are for people: in the reader's language
(``tahator.i18n.language()``), the page ``<html lang dir>`` with the shipped fonts
inline; CSV and XLSX are for machines and stay as they are.

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

from markupsafe import Markup

from tahator import display, i18n
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.money import Amount
from tahator.formatting import amount, jsonable
from tahator.i18n import _
from tahator.io.pdf import document_context, document_environment, embedded_fonts_css, font_family
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
        return target_html(report).encode("utf-8")
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


def _month(month: str) -> str:
    return display.digits(month)


def _in_millions(value: Amount | None) -> str:
    """``3,129 million`` for people, in the language (``—`` for none)."""
    exact = _decimal(value)
    if exact is None:
        return "–"
    return _("%(amount)s million") % {"amount": display.number(round(exact / 1_000_000))}


def _percent(ratio: str) -> str:
    from babel.numbers import format_percent

    text = format_percent(
        Decimal(ratio),
        format="#,##0.00%",
        locale=display.BABEL_LOCALE[i18n.language()],
        numbering_system="default",
    )
    return display.digits(text)


def summary(report: TargetReport) -> list[str]:
    """The target's state in a few lines for people, in the language: the run rate, the
    target, the growth still needed, where the official statistics came from."""
    status = report.status
    unit = status.unit_of_account
    lines = [
        _("run rate %(amount)s %(unit)s at %(month)s")
        % {
            "amount": _in_millions(status.run_rate),
            "unit": unit,
            "month": _month(status.as_of or "–"),
        },
        _("target %(amount)s %(unit)s a year by %(month)s")
        % {
            "amount": _in_millions(status.target),
            "unit": unit,
            "month": _month(f"{status.target_year}-12"),
        },
    ]
    if status.needed_monthly_growth is not None:
        lines.append(
            _("needs %(percent)s growth a month")
            % {"percent": _percent(status.needed_monthly_growth)}
        )
    if status.sources:
        lines.append(
            _("official statistics from %(sources)s") % {"sources": ", ".join(status.sources)}
        )
    return lines


def _figure(report: TargetReport, titled: bool = True) -> Any:
    """The chart in the active language (a PNG's carries its title; the HTML page
    writes the title and the summary as text above it)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    series, status = report.series, report.status
    unit = status.unit_of_account
    english = i18n.language() == "en"
    months = [_month(row.month) for row in series]
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=False,
        vertical_spacing=0.12,
        subplot_titles=(
            _("Trade per month, million %(unit)s") % {"unit": unit},
            _("Run rate (trailing 12 months) against the target, million %(unit)s a year")
            % {"unit": unit},
        ),
    )
    for column, name in (
        ("official_trade", _("official trade")),
        ("barter", _("barter")),
        ("set_off", _("set-off")),
        ("border_sales", _("border markets")),
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
            name=_("run rate"),
            mode="lines",
        ),
        row=2,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=[_month(point.month) for point in report.target_path],
            y=[_millions(point.target_run_rate) for point in report.target_path],
            name=_("target path"),
            mode="lines",
            line={"dash": "dash"},
        ),
        row=2,
        col=1,
    )
    if not english:
        # Months written in the language's digits are labels, not dates Plotly reads.
        figure.update_xaxes(type="category")
    title = _("Pakistan–Iran trade against its target")
    subtitle = " · ".join(summary(report))
    figure.update_layout(
        barmode="stack",
        title={"text": f"{title}<br><sup>{subtitle}</sup>"} if titled else None,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.08},
        margin={"t": 140 if titled else 60},
        height=800,
        width=1200,
        font={"family": font_family()},
    )
    return figure


def target_html(report: TargetReport) -> str:
    """The report as one offline HTML page in the active language: ``<html lang
    dir>``, the title and the summary as text, the chart (plotly.js inline) and the
    shipped fonts inline."""
    chart: str = _figure(report, titled=False).to_html(
        include_plotlyjs=True, full_html=False, include_mathjax=False
    )
    return (
        document_environment()
        .get_template("target_report.html")
        .render(
            **document_context(),
            report=report,
            summary=summary(report),
            chart=Markup(chart),
            fonts=Markup(embedded_fonts_css()),
        )
    )


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
