"""The Comtrade reader's records and problems, and the report rendered without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tahator.domain.errors import InputError
from tahator.domain.money import Amount
from tahator.io.comtrade import ComtradeFigure, read_comtrade
from tahator.io.target_report import REPORT_COLUMNS, render_target_report
from tahator.services.stats import MonthFigures, PathPoint, TargetReport, TargetStatus

HEADER = "period,reporterISO,partnerISO,flowCode,cmdCode,primaryValue\n"


def test_the_reader_returns_figures_and_every_row_problem() -> None:
    data = (
        HEADER
        + "202401,PAK,IRN,M,TOTAL,1000.505\n"
        + "202401,PAK,W00,X,TOTAL,5\n"
        + "202413,PAK,IRN,M,TOTAL,1\n"
        + "202402,IRN,PAK,M,27AB,2\n"
    ).encode()
    read = read_comtrade(Path("folder/stats.csv"), data=data)
    assert (read.file, read.source, read.rows) == ("folder/stats.csv", "stats.csv", 4)
    assert read.figures[:2] == (
        ComtradeFigure("PK", "IR", "M", "202401", "TOTAL", 100050, 2),  # half-even cents
        ComtradeFigure("PK", "", "X", "202401", "TOTAL", 500, 3),  # the world: not a corridor
    )
    # A bad commodity still yields its figure (the file is refused for its problem).
    assert read.figures[2].commodity == "27AB"
    assert [str(p) for p in read.problems] == [
        "folder/stats.csv:4: period: '202413' is not a period (YYYY or YYYYMM)",
        "folder/stats.csv:5: cmdCode: '27AB' must be TOTAL or an HS code",
    ]


def test_a_file_without_the_columns_is_refused_by_the_reader() -> None:
    with pytest.raises(InputError, match="missing column 'period' or 'refperiodid'"):
        read_comtrade(Path("odd.csv"), data=b"flowCode,cmdCode,primaryValue\nM,TOTAL,1\n")


def usd(minor: int) -> Amount:
    return Amount(minor, "USD", 2)


def report(series: tuple[MonthFigures, ...]) -> TargetReport:
    status = TargetStatus(
        unit_of_account="USD",
        as_of=None,
        run_rate=None,
        target=usd(1_000_000_000_000),
        target_year=2028,
        target_date="2028-12",
        baseline_year=2024,
        baseline=usd(300_000_000_000),
        multiple="3",
        tripled_baseline=usd(900_000_000_000),
        share_of_target=None,
        months_left=0,
        needed_monthly_growth=None,
        sources=(),
    )
    return TargetReport(series, status, (PathPoint("2024-01", usd(300_000_000_000)),))


def test_the_csv_report_is_rendered_in_memory() -> None:
    month = MonthFigures(
        "2024-01", usd(150), usd(0), usd(25), usd(5), usd(180), None, usd(300_000_000_000)
    )
    data = render_target_report(report((month,)), "csv")
    assert data.decode().splitlines() == [
        ",".join(REPORT_COLUMNS),
        "2024-01,1.50,0.00,0.25,0.05,1.80,,3000000000.00",
    ]


def test_a_report_without_figures_or_in_another_format_is_refused() -> None:
    with pytest.raises(InputError, match="no figures yet"):
        render_target_report(report(()), "csv")
    with pytest.raises(InputError, match="must be one of csv, xlsx, png, html"):
        render_target_report(report(()), "pdf")
