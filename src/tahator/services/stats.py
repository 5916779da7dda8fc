"""Official trade statistics and the corridor's trade against its target.

``import_statistics`` stores the figures ``tahator.io.comtrade`` read;
``monthly_series``, ``target_status`` and ``target_report`` gather official
trade, barter, set-off and border-market sales per month, in amounts of the unit
of account.  ``tahator.io.target_report`` renders a report as CSV, XLSX, PNG or HTML.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from tahator.domain.border import TradePolicy
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import Amount
from tahator.domain.run import RunStatus
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
from tahator.io.comtrade import USED_FLOWS, ComtradeFile
from tahator.io.tables import Problems
from tahator.services import access, audit
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.store.schema import (
    Authorization,
    BorderSale,
    ClearingRun,
    Declaration,
    Firm,
    Obligation,
    SetoffNotice,
    TradeStatistic,
)


@dataclass(frozen=True)
class StatsImport:
    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    """Rows of other partners or flows (re-exports, the world), left out."""


def import_statistics(session: Session, statistics: ComtradeFile, actor: str) -> StatsImport:
    """Store the official bilateral trade statistics of a Comtrade file.

    Figures between two countries of the corridor are stored; those with other
    partners (the world, third countries) or re-export flows are counted as
    skipped.  Any problem (the reader's, or the same figure twice) refuses the
    whole file (``InputError``, ``FILE:LINE: field: …``).  Importing the same file
    again changes nothing; a revised figure replaces the stored one.
    """
    info = corridors.load(session)
    if info.unit_of_account != "USD":
        raise InputError(
            [Problem("Comtrade values are US dollars; the corridor's unit of account is not")]
        )
    problems = Problems()
    for problem in statistics.problems:
        problems.add(problem)
    countries = set(info.countries)
    figures: dict[tuple[str, str, str, str, str], tuple[int, int]] = {}
    skipped = 0
    for figure in statistics.figures:
        reporter, partner, flow = figure.reporter, figure.partner, figure.flow
        if flow not in USED_FLOWS or reporter not in countries or partner not in countries:
            skipped += 1
            continue
        if reporter == partner:
            problems.add(
                Problem(
                    "reporter and partner are the same", statistics.file, figure.line, "partnerISO"
                )
            )
            continue
        key = (reporter, partner, flow, figure.period, figure.commodity)
        if key in figures:
            problems.add(
                Problem(
                    f"the same figure is on line {figures[key][1]}",
                    statistics.file,
                    figure.line,
                    "cmdCode",
                )
            )
            continue
        figures[key] = (figure.value, figure.line)
    problems.raise_if_any()
    stored = {
        (s.reporter, s.partner, s.flow, s.period, s.commodity): s
        for s in session.scalars(select(TradeStatistic))
    }
    created = updated = unchanged = 0
    stamp, source = now(), statistics.source
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
    result = StatsImport(statistics.rows, created, updated, unchanged, skipped)
    if created or updated:
        session.flush()
        audit.record(
            session,
            actor,
            "stats.imported",
            f"trade_statistics:{source}",
            None,
            {**dataclasses.asdict(result), "revised": revised[:100]},
        )
    return result


# The monthly series and the target.


@dataclass(frozen=True)
class Components:
    """The four parts of the corridor's trade per month (``month_index``), in minor
    units of the unit of account, and how many firms make up the parts firms make."""

    official_trade: Mapping[int, int]
    barter: Mapping[int, int]
    set_off: Mapping[int, int]
    border_sales: Mapping[int, int]
    barter_firms: Mapping[int, int] = dataclasses.field(default_factory=dict)
    """Per month, the applicants (firms or consortia) whose declarations make up barter."""
    set_off_firms: Mapping[int, int] = dataclasses.field(default_factory=dict)
    """Per month, the firms whose obligations across the border were set off."""
    withheld: frozenset[tuple[str, int]] = frozenset()
    """The (part, month) figures left out for a reader (``withhold``)."""


@dataclass(frozen=True)
class MonthFigures:
    month: str
    """``YYYY-MM``."""
    official_trade: Amount
    barter: Amount | None
    """``None``: withheld from this reader, too few firms make it up (``withhold``)."""
    set_off: Amount | None
    """``None``: withheld from this reader, as ``barter``."""
    border_sales: Amount
    total: Amount
    run_rate: Amount | None
    """Trailing twelve months' total; ``None`` before twelve months of data."""
    target_run_rate: Amount


@dataclass(frozen=True)
class TargetStatus:
    unit_of_account: str
    as_of: str | None
    """The month (``YYYY-MM``) the run rate is read at: the last official statistics."""
    run_rate: Amount | None
    target: Amount
    target_year: int
    target_date: str
    """``YYYY-12``: the month the target is to be reached by."""
    baseline_year: int
    baseline: Amount
    multiple: str
    """The target as a multiple of the baseline: an exact decimal ratio, not money."""
    tripled_baseline: Amount
    share_of_target: str | None
    """The run rate over the target, an exact decimal ratio (``"0.3129"``)."""
    months_left: int
    needed_monthly_growth: str | None
    """The compound monthly growth still needed, an exact decimal ratio."""
    sources: tuple[str, ...]
    """The files the official statistics came from."""


@dataclass(frozen=True)
class PathPoint:
    month: str
    target_run_rate: Amount


@dataclass(frozen=True)
class TargetReport:
    """Everything the report and the dashboard show."""

    series: tuple[MonthFigures, ...]
    status: TargetStatus
    target_path: tuple[PathPoint, ...]


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


def _by_month(pairs: Iterable[tuple[date, int]]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for day, value in pairs:
        totals[month_index(day.year, day.month)] += int(value)
    return dict(totals)


def _firms_by_month(pairs: Iterable[tuple[date, str]]) -> dict[int, int]:
    firms: dict[int, set[str]] = defaultdict(set)
    for day, firm in pairs:
        firms[month_index(day.year, day.month)].add(firm)
    return {month: len(named) for month, named in firms.items()}


def gather(session: Session) -> Components:
    """The four components per month, in minor units of the unit of account."""
    debtor, creditor = aliased(Firm), aliased(Firm)
    set_off = session.execute(
        select(ClearingRun.as_of, SetoffNotice.setoff_unit, debtor.id, creditor.id)
        .join(ClearingRun, ClearingRun.id == SetoffNotice.run_id)
        .join(Obligation, Obligation.id == SetoffNotice.obligation_id)
        .join(debtor, debtor.id == Obligation.debtor)
        .join(creditor, creditor.id == Obligation.creditor)
        # debtor.country != creditor.country is domain.settlement.crosses_border, in SQL:
        # only set-off across the border counts towards the corridor's trade.
        .where(ClearingRun.status == RunStatus.COMPLETED, debtor.country != creditor.country)
    ).all()
    declared = session.execute(
        select(Declaration.declared_on, Declaration.value_unit, Authorization.applicant).join(
            Authorization, Authorization.id == Declaration.authorization_id
        )
    ).all()
    return Components(
        official_trade=official_monthly(_figures(session)),
        barter=_by_month((day, value) for day, value, _ in declared),
        set_off=_by_month((day, value) for day, value, _, _ in set_off),
        border_sales=_by_month(
            session.execute(select(BorderSale.sold_on, BorderSale.value_unit)).all()
        ),
        barter_firms=_firms_by_month((day, applicant) for day, _, applicant in declared),
        set_off_firms=_firms_by_month((day, firm) for day, _, *firms in set_off for firm in firms),
    )


def withhold(parts: Components, min_firms: int) -> Components:
    """``parts`` as a role that may not see a single firm's trade reads them: a month's
    barter or set-off that some but fewer than ``min_firms`` firms make up is withheld,
    and left out of that month's total and the run rates too, so that no figure shown
    gives it away by subtraction (the run rate read is the run rate of what is shown)."""

    def few(counts: Mapping[int, int]) -> set[int]:
        return {month for month, count in counts.items() if 0 < count < min_firms}

    barter, set_off = few(parts.barter_firms), few(parts.set_off_firms)
    return dataclasses.replace(
        parts,
        barter={m: 0 if m in barter else v for m, v in parts.barter.items()},
        set_off={m: 0 if m in set_off else v for m, v in parts.set_off.items()},
        withheld=frozenset({("barter", m) for m in barter} | {("set_off", m) for m in set_off}),
    )


def _rows(
    session: Session, policy: TradePolicy, reader: Principal | None
) -> tuple[list[MonthRow], Goal, Components]:
    parts = gather(session)
    if reader is not None and not access.may_read(reader, access.Part.FIRM_FIGURES):
        parts = withhold(parts, policy.target.min_firms)
    target = goal(session, policy)
    rows = compute_series(
        parts.official_trade, parts.barter, parts.set_off, parts.border_sales, target
    )
    return rows, target, parts


def _month_figures(
    row: MonthRow, unit: str, digits: int, withheld: frozenset[tuple[str, int]] = frozenset()
) -> MonthFigures:
    def money(value: int) -> Amount:
        return Amount(value, unit, digits)

    def shown(part: str, value: int) -> Amount | None:
        return None if (part, row.month) in withheld else money(value)

    return MonthFigures(
        month=month_label(row.month),
        official_trade=money(row.official_trade),
        barter=shown("barter", row.barter),
        set_off=shown("set_off", row.set_off),
        border_sales=money(row.border_sales),
        total=money(row.total),
        run_rate=None if row.run_rate is None else money(row.run_rate),
        target_run_rate=money(row.target_run_rate),
    )


def monthly_series(
    session: Session, policy: TradePolicy, reader: Principal | None = None
) -> list[MonthFigures]:
    """One row per month: the components, total, run rate and target path, as ``reader``
    (if given) may read them (``withhold``)."""
    info = corridors.load(session)
    unit, digits = info.unit_of_account, info.unit_digits
    rows, _, parts = _rows(session, policy, reader)
    return [_month_figures(row, unit, digits, parts.withheld) for row in rows]


def _status(rows: list[MonthRow], target: Goal, official: Mapping[int, int]) -> Status:
    # The run rate is read at the last month official statistics cover: later
    # months lack their largest part until the statistics are published.
    as_of = max(official) if official else None
    if as_of is not None and rows and as_of < rows[0].month + 11:
        as_of = None
    return compute_status(rows, target, as_of)


def _target_status(
    status: Status, target: Goal, unit: str, digits: int, sources: tuple[str, ...]
) -> TargetStatus:
    def money(value: int) -> Amount:
        return Amount(value, unit, digits)

    return TargetStatus(
        unit_of_account=unit,
        as_of=month_label(status.as_of) if status.as_of is not None else None,
        run_rate=None if status.run_rate is None else money(status.run_rate),
        target=money(status.goal),
        target_year=target.year,
        target_date=f"{target.year}-12",
        baseline_year=target.baseline_year,
        baseline=money(target.baseline),
        multiple=str(target.multiple),
        tripled_baseline=money(status.tripled_baseline),
        share_of_target=None if status.share_of_goal is None else str(status.share_of_goal),
        months_left=status.months_left,
        needed_monthly_growth=(
            None if status.needed_monthly_growth is None else str(status.needed_monthly_growth)
        ),
        sources=sources,
    )


def target_status(
    session: Session, policy: TradePolicy, reader: Principal | None = None
) -> TargetStatus:
    """The run rate against the target and the compound monthly growth still needed,
    as ``reader`` (if given) may read them (``withhold``)."""
    info = corridors.load(session)
    rows, target, parts = _rows(session, policy, reader)
    return _target_status(
        _status(rows, target, parts.official_trade),
        target,
        info.unit_of_account,
        info.unit_digits,
        _sources(session),
    )


def _sources(session: Session) -> tuple[str, ...]:
    """The files the official statistics came from."""
    return tuple(sorted(set(session.scalars(select(TradeStatistic.source).distinct()))))


def target_report(
    session: Session, policy: TradePolicy, reader: Principal | None = None
) -> TargetReport:
    """The monthly ``series``, the ``status`` against the target and the ``target_path``
    from the first month to the target's December; ``reader``, if given, reads a month's
    barter and set-off only where enough firms make them up (``withhold``)."""
    info = corridors.load(session)
    unit, digits = info.unit_of_account, info.unit_digits
    rows, target, parts = _rows(session, policy, reader)
    status = _status(rows, target, parts.official_trade)
    end = month_index(target.year, 12)
    start = rows[0].month if rows else end
    return TargetReport(
        series=tuple(_month_figures(row, unit, digits, parts.withheld) for row in rows),
        status=_target_status(status, target, unit, digits, _sources(session)),
        target_path=tuple(
            PathPoint(month_label(m), Amount(target_path(target, m), unit, digits))
            for m in range(start, end + 1)
        ),
    )
