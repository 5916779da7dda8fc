"""UN Comtrade's bulk CSV layout: official trade statistics as typed figures.

``read_comtrade`` checks every row and returns the figures with the problems it
found (``FILE:LINE: field: reason``); which figures belong to the corridor, and
whether a figure appears twice, are decided by ``services.stats.import_statistics``,
which refuses the whole file when anything is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR
from tahator.domain.target import Figure
from tahator.io.tables import Problems, Table, read_table

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
_OPTIONAL = (
    "period",
    "refperiodid",
    "freqcode",
    "reporteriso",
    "reportercode",
    "partneriso",
    "partnercode",
)


@dataclass(frozen=True)
class ComtradeFigure(Figure):
    """A figure as read from ``line`` of the file (its period, countries and value
    readable): ``reporter`` or ``partner`` is ``""`` for a country outside the corridor
    (the world, say); a re-export or processing ``flow`` is kept, to be counted as
    skipped; ``value`` is in US cents."""

    line: int


@dataclass(frozen=True)
class ComtradeFile:
    file: str
    """The file as the user named it, for problems (``FILE:LINE: field: reason``)."""
    source: str
    """The file's name, recorded with each figure."""
    rows: int
    figures: tuple[ComtradeFigure, ...]
    problems: tuple[Problem, ...]
    """Every row problem found; the file is refused whole when there is any."""


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


def read_comtrade(path: Path, *, data: bytes | None = None) -> ComtradeFile:
    """Read official bilateral trade statistics in UN Comtrade's bulk CSV layout.

    Columns (Comtrade's names, any case): ``period`` (or ``refPeriodId`` with
    ``freqCode``), ``reporterISO`` or ``reporterCode``, ``partnerISO`` or
    ``partnerCode``, ``flowCode``, ``cmdCode``, ``primaryValue`` (US dollars);
    others are ignored.  ``data``, if given, is the file's content already read.
    Raises ``InputError`` for a file that cannot be read as such a table (no such
    columns, say); row problems are returned with the figures.
    """
    table = read_table(path, ("flowcode", "cmdcode", "primaryvalue"), _OPTIONAL, data=data)
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
    figures: list[ComtradeFigure] = []
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
        # A row with a bad flow or commodity still yields its figure: the checks
        # across rows (the same figure twice) see it, and its problem refuses the file.
        figures.append(
            ComtradeFigure(reporter, partner, flow, period, commodity, value, table.line(row))
        )
    return ComtradeFile(
        table.path, path.name[:300], table.rows, tuple(figures), tuple(problems.found)
    )
