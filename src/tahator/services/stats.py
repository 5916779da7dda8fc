"""Official trade statistics and the corridor's trade against its target.

``import_statistics`` reads UN Comtrade's bulk CSV layout; ``monthly_series`` and
``target_status`` gather official trade, barter, set-off and border-market sales
per month as plain dicts for the command line, the API and the web pages;
``write_target_report`` writes them as CSV, XLSX, PNG or HTML.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tahator.domain.border import TradePolicy
from tahator.domain.errors import InputError, Problem, TahatorError
from tahator.domain.money import MAX_MINOR, format_amount
from tahator.domain.target import (
    Figure,
    Goal,
    MonthRow,
    Status,
    month_index,
    month_label,
    official_monthly,
    target_path,
)
from tahator.domain.target import monthly_series as compute_series
from tahator.domain.target import target_status as compute_status
from tahator.io.tables import Problems, Table, atomic_output, read_table, write_csv
from tahator.services import audit
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.store.schema import (
    BorderSale,
    ClearingRun,
    Declaration,
    Firm,
    Obligation,
    SetoffNotice,
    TradeStatistic,
)

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "comtrade-pk-ir-illustrative.csv"
"""An illustrative Comtrade-layout file for the demo: not real statistics."""

COUNTRY_CODES = {
    "PAK": "PK",
    "586": "PK",
    "IRN": "IR",
    "364": "IR",
    "AFG": "AF",
    "4": "AF",
    "004": "AF",
    "RUS": "RU",
    "643": "RU",
}
"""Comtrade's ISO 3166 alpha-3 and M49 numeric codes of the corridor countries."""
USED_FLOWS = frozenset({"M", "X"})
SKIPPED_FLOWS = frozenset({"RM", "RX", "MIP", "XIP", "MOP", "XOP", "DX", "FM", "CXI", "CMX"})
"""Re-imports, re-exports and processing flows: not bilateral trade, left out."""
_CODE = re.compile(r"[A-Za-z0-9_]{1,4}")
_HS = re.compile(r"[0-9]{2,10}")
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


@dataclass(frozen=True)
class StatsImport:
    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    """Rows of other partners or flows (re-exports, the world), left out."""

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def _country(table: Table, row: int, names: tuple[str, str], problems: Problems) -> str | None:
    """The corridor country code of a reporter or partner, ``""`` for another country."""
    for column in names:
        values = table.columns.get(column)
        if values is None:
            continue
        text = values[row].strip()
        if not text:
            continue
        if not _CODE.fullmatch(text):
            problems.add(table.problem(row, f"{text!r} is not a country code", column))
            return None
        code: str = COUNTRY_CODES.get(text.upper(), COUNTRY_CODES.get(text.lstrip("0"), ""))
        return code
    problems.add(table.problem(row, "is empty", names[0]))
    return None


def _period(table: Table, row: int, problems: Problems) -> str | None:
    if "period" in table.columns:
        text, field = table.columns["period"][row].strip(), "period"
    else:
        text, field = table.columns["refperiodid"][row].strip(), "refPeriodId"
        frequency = table.columns.get("freqcode", ["M"] * table.rows)[row].strip().upper()
        text = text[:4] if frequency == "A" else text[:6]
    valid = text.isascii() and text.isdigit() and len(text) in (4, 6)
    if valid and not 1962 <= int(text[:4]) <= 2100:
        valid = False
    if valid and len(text) == 6 and not 1 <= int(text[4:]) <= 12:
        valid = False
    if not valid:
        problems.add(table.problem(row, f"{text!r} is not a period (YYYY or YYYYMM)", field))
        return None
    return text


def _value(text: str, table: Table, row: int, problems: Problems) -> int | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        problems.add(table.problem(row, f"{text!r} is not a number", "primaryValue"))
        return None
    if not value.is_finite() or value < 0:
        problems.add(table.problem(row, f"{text!r} must be a non-negative number", "primaryValue"))
        return None
    if value.adjusted() > 16:
        problems.add(table.problem(row, f"{text!r} is too large", "primaryValue"))
        return None
    cents = int((value * 100).to_integral_value(rounding=ROUND_HALF_EVEN))
    return cents if cents <= MAX_MINOR else None


def import_statistics(
    session: Session, path: Path, actor: str, *, data: bytes | None = None
) -> StatsImport:
    """Import official bilateral trade statistics in UN Comtrade's bulk CSV layout.

    Columns (Comtrade's names, any case): ``period`` (or ``refPeriodId`` with
    ``freqCode``), ``reporterISO`` or ``reporterCode``, ``partnerISO`` or
    ``partnerCode``, ``flowCode``, ``cmdCode``, ``primaryValue`` (US dollars);
    others are ignored.  Rows between two countries of the corridor are stored;
    rows with other partners (the world, third countries) or re-export flows are
    counted as skipped.  Every row is checked first: any problem refuses the
    whole file (``InputError``, ``FILE:LINE: field: …``).  Importing the same file
    again changes nothing; a revised figure replaces the stored one.
    """
    info = corridors.load(session)
    if info.unit_of_account != "USD":
        raise InputError(
            [Problem("Comtrade values are US dollars; the corridor's unit of account is not")]
        )
    optional = (
        "period",
        "refperiodid",
        "freqcode",
        "reporteriso",
        "reportercode",
        "partneriso",
        "partnercode",
    )
    table = read_table(path, ("flowcode", "cmdcode", "primaryvalue"), optional, data=data)
    header_problems = []
    for names in (("period", "refperiodid"), ("reporteriso", "reportercode")):
        if not any(n in table.header for n in names):
            header_problems.append(Problem(f"missing column {names[0]!r} or {names[1]!r}"))
    if not any(n in table.header for n in ("partneriso", "partnercode")):
        header_problems.append(Problem("missing column 'partnerISO' or 'partnerCode'"))
    if header_problems:
        raise InputError(
            [Problem(p.message, table.path, table.line(0) - 1) for p in header_problems]
        )
    problems = Problems()
    countries = set(info.countries)
    figures: dict[tuple[str, str, str, str, str], tuple[int, int]] = {}
    skipped = 0
    for row in range(table.rows):
        period = _period(table, row, problems)
        reporter = _country(table, row, ("reporteriso", "reportercode"), problems)
        partner = _country(table, row, ("partneriso", "partnercode"), problems)
        flow = table.columns["flowcode"][row].strip().upper()
        if flow not in USED_FLOWS | SKIPPED_FLOWS:
            problems.add(table.problem(row, f"{flow!r} must be M or X", "flowCode"))
        commodity = table.columns["cmdcode"][row].strip().upper()
        if commodity != "TOTAL" and not _HS.fullmatch(commodity):
            problems.add(
                table.problem(row, f"{commodity!r} must be TOTAL or an HS code", "cmdCode")
            )
        value = _value(table.columns["primaryvalue"][row], table, row, problems)
        if period is None or reporter is None or partner is None or value is None:
            continue
        if flow not in USED_FLOWS or reporter not in countries or partner not in countries:
            skipped += 1
            continue
        if reporter == partner:
            problems.add(table.problem(row, "reporter and partner are the same", "partnerISO"))
            continue
        key = (reporter, partner, flow, period, commodity)
        if key in figures:
            problems.add(
                table.problem(
                    row, f"the same figure is on line {table.line(figures[key][1])}", "cmdCode"
                )
            )
            continue
        figures[key] = (value, row)
    problems.raise_if_any()
    stored = {
        (s.reporter, s.partner, s.flow, s.period, s.commodity): s
        for s in session.scalars(select(TradeStatistic))
    }
    created = updated = unchanged = 0
    stamp, source = now(), path.name[:300]
    revised = []
    for key, (value, _) in figures.items():
        existing = stored.get(key)
        if existing is None:
            reporter, partner, flow, period, commodity = key
            session.add(
                TradeStatistic(
                    reporter=reporter,
                    partner=partner,
                    flow=flow,
                    period=period,
                    commodity=commodity,
                    value=value,
                    source=source,
                    imported_at=stamp,
                    imported_by=actor,
                )
            )
            created += 1
        elif existing.value == value:
            unchanged += 1
        else:
            revised.append({"figure": "/".join(key), "before": existing.value, "after": value})
            existing.value, existing.source = value, source
            existing.imported_at, existing.imported_by = stamp, actor
            updated += 1
    result = StatsImport(table.rows, created, updated, unchanged, skipped)
    if created or updated:
        session.flush()
        audit.record(
            session,
            actor,
            "stats.imported",
            f"trade_statistics:{source}",
            None,
            {**result.as_dict(), "revised": revised[:100]},
        )
    return result


# The monthly series and the target.


def goal(session: Session, policy: TradePolicy) -> Goal:
    """The target of the markets file, its baseline from the statistics when they
    hold the whole baseline year, else from the file."""
    target = policy.target
    official = official_monthly(_figures(session))
    first = month_index(target.baseline_year, 1)
    months = [official.get(m) for m in range(first, first + 12)]
    baseline = (
        sum(m for m in months if m is not None)
        if all(m is not None for m in months)
        else target.baseline
    )
    return Goal(target.annual, target.year, target.baseline_year, baseline, target.multiple)


def _figures(session: Session) -> list[Figure]:
    return [
        Figure(s.reporter, s.partner, s.flow, s.period, s.commodity, s.value)
        for s in session.scalars(select(TradeStatistic))
    ]


def _by_month(pairs: Any) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for day, value in pairs:
        totals[month_index(day.year, day.month)] += int(value)
    return dict(totals)


def gather(session: Session) -> dict[str, dict[int, int]]:
    """The four components per month, in minor units of the unit of account."""
    debtor, creditor = aliased(Firm), aliased(Firm)
    set_off = session.execute(
        select(ClearingRun.as_of, SetoffNotice.setoff_unit)
        .join(ClearingRun, ClearingRun.id == SetoffNotice.run_id)
        .join(Obligation, Obligation.id == SetoffNotice.obligation_id)
        .join(debtor, debtor.id == Obligation.debtor)
        .join(creditor, creditor.id == Obligation.creditor)
        .where(ClearingRun.status == "completed", debtor.country != creditor.country)
    ).all()
    return {
        "official_trade": official_monthly(_figures(session)),
        "barter": _by_month(
            session.execute(select(Declaration.declared_on, Declaration.value_unit)).all()
        ),
        "set_off": _by_month(set_off),
        "border_sales": _by_month(
            session.execute(select(BorderSale.sold_on, BorderSale.value_unit)).all()
        ),
    }


def _rows(session: Session, policy: TradePolicy) -> tuple[list[MonthRow], Goal, dict[int, int]]:
    parts = gather(session)
    target = goal(session, policy)
    rows = compute_series(
        parts["official_trade"], parts["barter"], parts["set_off"], parts["border_sales"], target
    )
    return rows, target, parts["official_trade"]


def monthly_series(session: Session, policy: TradePolicy) -> list[dict[str, Any]]:
    """One dict per month: the components, total, run rate and target path (decimal strings)."""
    digits = corridors.load(session).unit_digits
    return [_row_dict(row, digits) for row in _rows(session, policy)[0]]


def _row_dict(row: MonthRow, digits: int) -> dict[str, Any]:
    return {
        "month": month_label(row.month),
        "official_trade": format_amount(row.official_trade, digits),
        "barter": format_amount(row.barter, digits),
        "set_off": format_amount(row.set_off, digits),
        "border_sales": format_amount(row.border_sales, digits),
        "total": format_amount(row.total, digits),
        "run_rate": None if row.run_rate is None else format_amount(row.run_rate, digits),
        "target_run_rate": format_amount(row.target_run_rate, digits),
    }


def _status(rows: list[MonthRow], target: Goal, official: dict[int, int]) -> Status:
    # The run rate is read at the last month official statistics cover: later
    # months lack their largest part until the statistics are published.
    as_of = max(official) if official else None
    if as_of is not None and rows and as_of < rows[0].month + 11:
        as_of = None
    return compute_status(rows, target, as_of)


def _status_dict(status: Status, target: Goal, digits: int, unit: str) -> dict[str, Any]:
    def money(value: int | None) -> str | None:
        return None if value is None else format_amount(value, digits)

    return {
        "unit_of_account": unit,
        "as_of": month_label(status.as_of) if status.as_of is not None else None,
        "run_rate": money(status.run_rate),
        "target": money(status.goal),
        "target_year": target.year,
        "target_date": f"{target.year}-12",
        "baseline_year": target.baseline_year,
        "baseline": money(target.baseline),
        "multiple": str(target.multiple),
        "tripled_baseline": money(status.tripled_baseline),
        "share_of_target": None if status.share_of_goal is None else str(status.share_of_goal),
        "months_left": status.months_left,
        "needed_monthly_growth": (
            None if status.needed_monthly_growth is None else str(status.needed_monthly_growth)
        ),
    }


def target_status(session: Session, policy: TradePolicy) -> dict[str, Any]:
    """The run rate against the target and the compound monthly growth still needed."""
    info = corridors.load(session)
    rows, target, official = _rows(session, policy)
    return {
        **_status_dict(
            _status(rows, target, official), target, info.unit_digits, info.unit_of_account
        ),
        "sources": _sources(session),
    }


def _sources(session: Session) -> list[str]:
    """The files the official statistics came from."""
    return sorted(set(session.scalars(select(TradeStatistic.source).distinct())))


def target_report(session: Session, policy: TradePolicy) -> dict[str, Any]:
    """Everything the report and the dashboard show: ``series`` and ``status``."""
    info = corridors.load(session)
    rows, target, official = _rows(session, policy)
    status = _status(rows, target, official)
    end = month_index(target.year, 12)
    start = rows[0].month if rows else end
    return {
        "series": [_row_dict(row, info.unit_digits) for row in rows],
        "status": {
            **_status_dict(status, target, info.unit_digits, info.unit_of_account),
            "sources": _sources(session),
        },
        "target_path": [
            {
                "month": month_label(m),
                "target_run_rate": format_amount(target_path(target, m), info.unit_digits),
            }
            for m in range(start, end + 1)
        ],
    }


# Writing the report.


def write_target_report(report: dict[str, Any], output_format: str, path: Path) -> None:
    """Write the report as ``csv``, ``xlsx``, ``png`` or ``html`` to ``path``, whole or not
    at all.  ``ChartError`` when a PNG cannot be drawn."""
    if output_format not in FORMATS:
        raise InputError([Problem(f"{output_format!r} must be one of {', '.join(FORMATS)}")])
    if not report["series"]:
        raise InputError(
            [Problem("no figures yet: import statistics or record trade before the report")]
        )
    if output_format == "csv":
        with atomic_output(path) as out:
            write_csv(out, REPORT_COLUMNS, _csv_columns(report["series"]))
    elif output_format == "xlsx":
        _write_bytes(path, _xlsx(report))
    elif output_format == "html":
        figure = _figure(report)
        with atomic_output(path) as out:
            out.write(figure.to_html(include_plotlyjs=True, full_html=True, include_mathjax=False))
    else:
        _write_bytes(path, _png(report))


def _csv_columns(series: list[dict[str, Any]]) -> list[list[str]]:
    return [[row[c] if row[c] is not None else "" for row in series] for c in REPORT_COLUMNS]


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise InputError([Problem(f"cannot write here: {error.strerror}", str(path))]) from error
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "monthly"
    sheet.append(list(REPORT_COLUMNS))
    for row in report["series"]:
        sheet.append(
            [row["month"]]
            + [None if row[c] is None else Decimal(row[c]) for c in REPORT_COLUMNS[1:]]
        )
    sheet.freeze_panes = "B2"
    for column in "BCDEFGH":
        sheet.column_dimensions[column].width = 18
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    status = book.create_sheet("target")
    for key, value in report["status"].items():
        status.append([key, ", ".join(value) if isinstance(value, list) else value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _millions(text: str | None) -> float | None:
    # Display only: chart coordinates, never money that is stored or summed.
    return None if text is None else float(Decimal(text) / 1_000_000)


def _figure(report: dict[str, Any]) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    series, status = report["series"], report["status"]
    unit = status["unit_of_account"]
    months = [row["month"] for row in series]
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
            go.Bar(x=months, y=[_millions(row[column]) for row in series], name=name),
            row=1,
            col=1,
        )
    figure.add_trace(
        go.Scatter(
            x=months,
            y=[_millions(row["run_rate"]) for row in series],
            name="run rate",
            mode="lines",
        ),
        row=2,
        col=1,
    )
    path = [(row["month"], row["target_run_rate"]) for row in report["target_path"]]
    end = f"{status['target_year']}-12"
    figure.add_trace(
        go.Scatter(
            x=[m for m, _ in path],
            y=[_millions(v) for _, v in path],
            name="target path",
            mode="lines",
            line={"dash": "dash"},
        ),
        row=2,
        col=1,
    )
    growth = status["needed_monthly_growth"]

    def text(amount: str | None) -> str:
        return "–" if amount is None else f"{Decimal(amount) / 1_000_000:,.0f} million"

    subtitle = (
        f"run rate {text(status['run_rate'])} {unit} at {status['as_of']}; "
        f"target {text(status['target'])} {unit} a year by {end}"
        + (f"; needs {Decimal(growth) * 100:.2f} % growth a month" if growth is not None else "")
        + (
            f"<br>official statistics from {', '.join(status['sources'])}"
            if status["sources"]
            else ""
        )
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


def _png(report: dict[str, Any]) -> bytes:
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
