"""The corridor's trade against its target: monthly series, run rate, growth needed.

Months are counted as integers (``year * 12 + month - 1``) so that arithmetic on
them is plain.  Money is integer minor units of the unit of account; growth
rates are ``Decimal`` ratios.

Official statistics (UN Comtrade's layout) need two rules to count each flow
once:

* Mirror statistics: both countries report the same goods, one as its exports
  (``X``) and the other as its imports (``M``).  Each direction counts the
  importer's report (customs check imports more closely, and they carry the
  duty), and the exporter's only for months where the importer reported nothing.
* Levels: a ``TOTAL`` figure is used when the reporter gave one; otherwise the
  figures at the shortest HS level present (chapters, say), which do not overlap.
  A yearly figure is spread evenly over its months, and only where the same
  reporter gave no monthly figure for that flow in that year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

TOTAL = "TOTAL"


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """``YYYY-MM``."""
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


@dataclass(frozen=True)
class Figure:
    """One row of official statistics: ``reporter`` reports trade with ``partner``."""

    reporter: str
    partner: str
    flow: str
    """``M``: the reporter's imports from the partner; ``X``: its exports to it."""
    period: str
    """``YYYYMM`` or ``YYYY``."""
    commodity: str
    value: int


def _level_value(figures: list[Figure]) -> int:
    totals = [f.value for f in figures if f.commodity == TOTAL]
    if totals:
        return sum(totals)
    shortest = min(len(f.commodity) for f in figures)
    return sum(f.value for f in figures if len(f.commodity) == shortest)


def spread(value: int, parts: int) -> list[int]:
    """``value`` in ``parts`` whole shares that add up to it, the larger ones first."""
    share, rest = divmod(value, parts)
    return [share + (1 if i < rest else 0) for i in range(parts)]


def official_monthly(figures: Iterable[Figure]) -> dict[int, int]:
    """Bilateral trade per month, each flow counted once (see the module's rules)."""
    by_period: dict[tuple[str, str, str, str], list[Figure]] = defaultdict(list)
    for figure in figures:
        key = (figure.reporter, figure.partner, figure.flow, figure.period)
        by_period[key].append(figure)
    reports: dict[tuple[str, str, str], dict[int, int]] = defaultdict(dict)
    yearly: list[tuple[tuple[str, str, str], int, int]] = []
    for (reporter, partner, flow, period), group in by_period.items():
        value = _level_value(group)
        if len(period) == 6:
            reports[(reporter, partner, flow)][month_index(int(period[:4]), int(period[4:]))] = (
                value
            )
        else:
            yearly.append(((reporter, partner, flow), int(period), value))
    for flow_key, year, value in yearly:
        months = reports[flow_key]
        first = month_index(year, 1)
        if any(first <= m < first + 12 for m in months):
            continue  # the monthly figures of that year take precedence
        for offset, part in enumerate(spread(value, 12)):
            months[first + offset] = part
    totals: dict[int, int] = defaultdict(int)
    directions = {(r, p) if f == "X" else (p, r) for r, p, f in reports}
    for exporter, importer in directions:
        by_importer = reports.get((importer, exporter, "M"), {})
        by_exporter = reports.get((exporter, importer, "X"), {})
        for month in set(by_importer) | set(by_exporter):
            totals[month] += by_importer.get(month, by_exporter.get(month, 0))
    return dict(totals)


@dataclass(frozen=True)
class Goal:
    """What the corridor aims at: ``annual`` trade a year by December of ``year``."""

    annual: int
    year: int
    baseline_year: int
    baseline: int
    """The baseline year's trade."""
    multiple: Decimal
    """The other form of the goal: this many times the baseline."""


@dataclass(frozen=True)
class MonthRow:
    month: int
    official_trade: int
    barter: int
    set_off: int
    border_sales: int
    total: int
    run_rate: int | None
    """Trailing twelve months' total; ``None`` before twelve months of data."""
    target_run_rate: int
    """Where the run rate should be this month on the compound path to the goal."""


def target_path(goal: Goal, month: int) -> int:
    """The run rate on the compound path from the baseline (December of the baseline
    year) to the goal (December of the target year), at ``month``."""
    start, end = month_index(goal.baseline_year, 12), month_index(goal.year, 12)
    if goal.baseline <= 0 or end <= start:
        return goal.annual
    step = min(max(month - start, 0), end - start)
    with localcontext() as context:
        context.prec = 40
        ratio = Decimal(goal.annual) / Decimal(goal.baseline)
        value = Decimal(goal.baseline) * ratio ** (Decimal(step) / Decimal(end - start))
        return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def monthly_series(
    official: Mapping[int, int],
    barter: Mapping[int, int],
    set_off: Mapping[int, int],
    border_sales: Mapping[int, int],
    goal: Goal,
) -> list[MonthRow]:
    """One row per month from the first to the last month with any figure."""
    months = {m for series in (official, barter, set_off, border_sales) for m in series}
    if not months:
        return []
    rows: list[MonthRow] = []
    totals: list[int] = []
    first = min(months)
    for month in range(first, max(months) + 1):
        parts = [s.get(month, 0) for s in (official, barter, set_off, border_sales)]
        total = sum(parts)
        totals.append(total)
        run_rate = sum(totals[-12:]) if len(totals) >= 12 else None
        official_trade, barter_value, set_off_value, border_value = parts
        rows.append(
            MonthRow(
                month,
                official_trade,
                barter_value,
                set_off_value,
                border_value,
                total,
                run_rate,
                target_path(goal, month),
            )
        )
    return rows


def needed_growth(run_rate: int, goal: int, months: int) -> Decimal | None:
    """The compound monthly growth that takes ``run_rate`` to ``goal`` in ``months``.

    Zero when the goal is already reached; ``None`` when it cannot be computed
    (no run rate yet, or no months left).
    """
    if run_rate >= goal:
        return Decimal(0)
    if run_rate <= 0 or months <= 0:
        return None
    with localcontext() as context:
        context.prec = 28
        growth = (Decimal(goal) / Decimal(run_rate)) ** (Decimal(1) / Decimal(months)) - 1
    return growth.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Status:
    as_of: int | None
    run_rate: int | None
    goal: int
    tripled_baseline: int
    months_left: int
    needed_monthly_growth: Decimal | None
    share_of_goal: Decimal | None


def target_status(rows: list[MonthRow], goal: Goal, as_of: int | None = None) -> Status:
    """The run rate at ``as_of`` (default: the last month) against the goal."""
    end = month_index(goal.year, 12)
    tripled = int(
        (Decimal(goal.baseline) * goal.multiple).to_integral_value(rounding=ROUND_HALF_EVEN)
    )
    by_month = {row.month: row for row in rows}
    if as_of is None and rows:
        as_of = rows[-1].month
    row = by_month.get(as_of) if as_of is not None else None
    run_rate = row.run_rate if row is not None else None
    months_left = max(end - as_of, 0) if as_of is not None else 0
    growth = needed_growth(run_rate, goal.annual, months_left) if run_rate is not None else None
    share = (
        (Decimal(run_rate) / Decimal(goal.annual)).quantize(Decimal("0.0001"))
        if run_rate is not None and goal.annual
        else None
    )
    return Status(as_of, run_rate, goal.annual, tripled, months_left, growth, share)
