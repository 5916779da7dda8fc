"""The clearing calendar as data (DESIGN §9): business days, the jobs' schedules, and
their occurrences, without a database or a clock.

A business day is a day open in *every* country of the corridor: not a weekend day
there, not a public holiday there.  Each job has a schedule (``every`` day, business
day, week, month or quarter); clearing runs also have a filing cut-off, the end of the
business day ``cutoff_business_days`` before the run, in the corridor's zone.
Obligations registered after it wait for the following run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime

from tahator.domain.corridor import day_problem
from tahator.domain.errors import Problem

JOBS = ("sweep", "clearing", "rescreen", "quarterly_report", "reminders")
"""The scheduled jobs, in the order a worker does those due on one day: the sweep
first, so that what it cancels is settled before the clearing run reads what is open."""
EVERY = ("day", "business_day", "week", "month", "quarter")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ON = ("first_business_day", "last_business_day")
STATE_LIKE = frozenset({"sweep", "rescreen", "reminders"})
"""Jobs that bring state up to date: after missed occurrences only the latest is done
(each occurrence of the others, clearing runs and reports, is done in order)."""
_MONTH_DAY = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_SEARCH_DAYS = 800  # a schedule's next occurrence is always within this many days


@dataclass(frozen=True)
class Schedule:
    job: str
    every: str
    on: str | None = None
    """For months and quarters: the first or last business day."""
    weekday: int | None = None
    """For weeks: 0 is Monday."""
    cutoff_business_days: int | None = None
    """For clearing: the filing window closes this many business days before the run."""


@dataclass(frozen=True)
class Occurrence:
    job: str
    day: date
    cutoff: datetime | None = None
    """The filing cut-off (UTC), for clearing runs."""
    period: str | None = None
    """What the occurrence covers, for quarterly reports (``2026Q1``)."""

    @property
    def key(self) -> str:
        return self.day.isoformat()


@dataclass(frozen=True)
class ClearingCalendar:
    zone: str
    weekends: Mapping[str, frozenset[int]]
    """Per country, its weekend days (0 is Monday): data, not code."""
    holidays: Mapping[str, frozenset[date]]
    years: tuple[int, ...]
    """The years whose holidays are listed; later dates count only weekends."""
    schedules: Mapping[str, Schedule]
    start: date | None = None
    """Occurrences on a fresh database count from here (else only the latest due one)."""

    def as_dict(self) -> dict[str, Any]:
        """The calendar as its TOML table would hold it (holidays as dates, each listed)."""
        return {
            "years": list(self.years),
            **({"start": self.start.isoformat()} if self.start else {}),
            "countries": {
                country: {
                    "weekend": [WEEKDAYS[d] for d in sorted(self.weekends[country])],
                    "holidays": [d.isoformat() for d in sorted(self.holidays[country])],
                }
                for country in sorted(self.weekends)
            },
            "jobs": {
                job: {
                    "every": s.every,
                    **({"on": s.on} if s.on else {}),
                    **({"weekday": WEEKDAYS[s.weekday]} if s.weekday is not None else {}),
                    **(
                        {"cutoff_business_days": s.cutoff_business_days}
                        if s.cutoff_business_days is not None
                        else {}
                    ),
                }
                for job, s in self.schedules.items()
            },
        }

    def is_business_day(self, day: date) -> bool:
        return all(
            day.weekday() not in self.weekends[country] and day not in self.holidays[country]
            for country in self.weekends
        )

    def closed_because(self, day: date) -> tuple[str, ...]:
        """Why ``day`` is not a business day: ``PK weekend``, ``IR holiday``…"""
        reasons = []
        for country in sorted(self.weekends):
            if day.weekday() in self.weekends[country]:
                reasons.append(f"{country} weekend")
            elif day in self.holidays[country]:
                reasons.append(f"{country} holiday")
        return tuple(reasons)

    def add_business_days(self, day: date, count: int) -> date:
        """The business day ``count`` business days after ``day`` (before, if negative)."""
        step = 1 if count >= 0 else -1
        left = abs(count)
        # Bounded: ``parse_calendar`` makes every week hold a business day, but a year of
        # holidays could still close many days in a row.
        for _ in range(_SEARCH_DAYS * max(left, 1)):
            if not left:
                break
            day += timedelta(days=step)
            if self.is_business_day(day):
                left -= 1
        if left:
            raise ValueError(f"no business day within {_SEARCH_DAYS} days of {day}")
        return day

    def end_of_day(self, day: date) -> datetime:
        """The end of ``day`` in the corridor's zone (the next midnight there), in UTC."""
        local = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(self.zone))
        return local.astimezone(UTC)

    def occurrence(self, job: str, day: date) -> Occurrence:
        schedule = self.schedules[job]
        cutoff = None
        if schedule.cutoff_business_days is not None:
            cutoff = self.end_of_day(self.add_business_days(day, -schedule.cutoff_business_days))
        period = None
        if schedule.every == "quarter":
            before = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1) - timedelta(days=1)
            period = f"{before.year}Q{(before.month - 1) // 3 + 1}"
        return Occurrence(job, day, cutoff, period)

    def _days_of_period(self, schedule: Schedule, day: date) -> date | None:
        """The scheduled day of the month or quarter that ``day`` falls in, if any."""
        if schedule.every == "quarter":
            first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            months = 3
        else:
            first = date(day.year, day.month, 1)
            months = 1
        following = date(
            first.year + (first.month + months - 1) // 12, (first.month + months - 1) % 12 + 1, 1
        )
        # Each loop stays inside the period, so it ends even if no day of it is open.
        if schedule.on == "last_business_day":
            found = following - timedelta(days=1)
            while found >= first and not self.is_business_day(found):
                found -= timedelta(days=1)
            return found if found >= first else None
        found = first
        while found < following and not self.is_business_day(found):
            found += timedelta(days=1)
        return found if found < following else None

    def is_scheduled(self, job: str, day: date) -> bool:
        schedule = self.schedules[job]
        match schedule.every:
            case "day":
                return True
            case "business_day":
                return self.is_business_day(day)
            case "week":
                return day.weekday() == schedule.weekday
            case _:
                return self._days_of_period(schedule, day) == day

    def next_occurrences(self, job: str, after: date, count: int) -> tuple[Occurrence, ...]:
        """The ``count`` occurrences of ``job`` after ``after``."""
        found: list[Occurrence] = []
        day = after
        limit = after + timedelta(days=_SEARCH_DAYS * max(count, 1))
        while len(found) < count and day < limit:
            day += timedelta(days=1)
            if self.is_scheduled(job, day):
                found.append(self.occurrence(job, day))
        return tuple(found)

    def due(self, job: str, since: date | None, as_of: date) -> tuple[Occurrence, ...]:
        """The occurrences of ``job`` in (``since``, ``as_of``]; without ``since``, only the
        latest one on or before ``as_of`` (a fresh database does not replay the past)."""
        if since is None:
            day = as_of
            for _ in range(_SEARCH_DAYS):
                if self.is_scheduled(job, day):
                    return (self.occurrence(job, day),)
                day -= timedelta(days=1)
            return ()
        found = []
        day = since
        while day < as_of:
            day += timedelta(days=1)
            if self.is_scheduled(job, day):
                found.append(self.occurrence(job, day))
        return tuple(found)


def parse_calendar(
    data: Any,
    zone: str,
    source: str,
    problems: list[Problem],
    corridor_countries: frozenset[str] | None = None,
) -> ClearingCalendar | None:
    """The ``[calendar]`` table, or ``None``; each bad field is added to ``problems``
    (named ``calendar.…``), so the policy reports them with its own.  With
    ``corridor_countries``, the calendar must list exactly those countries (a typo would
    quietly drop a country's holidays)."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        problems.append(Problem("must be a table", source, field="calendar"))
        return None

    def bad(message: str, field: str) -> None:
        problems.append(Problem(message, source, field=f"calendar.{field}"))

    def day_of(value: Any, field: str) -> date | None:
        if isinstance(value, str):  # as ``as_dict`` writes it
            try:
                value = date.fromisoformat(value)
            except ValueError:
                bad(f"{value!r} must be a date (2026-03-23)", field)
                return None
        if isinstance(value, datetime) or not isinstance(value, date):
            bad(f"{value!r} must be a date (2026-03-23)", field)
            return None
        if (outside := day_problem(value)) is not None:
            bad(outside, field)
            return None
        return value

    start = None
    if "start" in data:
        start = day_of(data["start"], "start")
    years_raw = data.get("years")
    years: list[int] = []
    if not isinstance(years_raw, list) or not years_raw:
        bad("must list the years whose holidays are given (years = [2026, 2027])", "years")
    else:
        for year in years_raw:
            if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
                bad(f"{year!r} is not a year from 2000 to 2100", "years")
            else:
                years.append(year)
    weekends: dict[str, frozenset[int]] = {}
    holidays: dict[str, frozenset[date]] = {}
    countries = data.get("countries")
    if not isinstance(countries, Mapping) or not countries:
        bad("must have a table per country ([calendar.countries.PK])", "countries")
        countries = {}
    elif corridor_countries is not None and set(countries) != set(corridor_countries):
        bad(
            f"must list exactly the corridor's countries ({', '.join(sorted(corridor_countries))}),"
            f" not {', '.join(sorted(map(str, countries)))}",
            "countries",
        )
    for country, node in countries.items():
        at = f"countries.{country}"
        if not isinstance(node, Mapping):
            bad("must be a table", at)
            continue
        weekend = node.get("weekend")
        if not isinstance(weekend, list) or not all(w in WEEKDAYS for w in weekend):
            bad(
                f"must list weekday names ({', '.join(WEEKDAYS)}), not {weekend!r}", f"{at}.weekend"
            )
            weekend = []
        weekends[country] = frozenset(WEEKDAYS.index(w) for w in weekend)
        days: set[date] = set()
        listed = node.get("holidays", [])
        if not isinstance(listed, list):
            bad("must be a list of dates", f"{at}.holidays")
            listed = []
        for value in listed:
            if (found := day_of(value, f"{at}.holidays")) is not None:
                days.add(found)
        solar = node.get("solar_hijri_holidays", [])
        if not isinstance(solar, list):
            bad('must be a list of Solar Hijri month-days ("01-01")', f"{at}.solar_hijri_holidays")
            solar = []
        for value in solar:
            match = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
            if match is None:
                bad(
                    f'{value!r} is not a Solar Hijri month-day ("01-13")',
                    f"{at}.solar_hijri_holidays",
                )
                continue
            month, day = int(match[1]), int(match[2])
            # A Solar Hijri year begins in March: two of them overlap each Gregorian year.
            for year in {y - 622 for y in years} | {y - 621 for y in years}:
                try:
                    gregorian = jdatetime.date(year, month, day).togregorian()
                except ValueError:
                    bad(
                        f"{value!r} is not a day of Solar Hijri year {year}",
                        f"{at}.solar_hijri_holidays",
                    )
                    break
                if gregorian.year in years:
                    days.add(gregorian)
        holidays[country] = frozenset(days)
    if weekends and len(set().union(*weekends.values())) == len(WEEKDAYS):
        # Business days are open in every country: weekends covering the week leave none.
        bad("the countries' weekends together cover the whole week: no business day", "countries")
    schedules: dict[str, Schedule] = {}
    jobs = data.get("jobs")
    if not isinstance(jobs, Mapping):
        bad("must have a table per job ([calendar.jobs.clearing])", "jobs")
        jobs = {}
    for name in jobs:
        if name not in JOBS:
            bad(f"{name!r} is not a job ({', '.join(JOBS)})", f"jobs.{name}")
    for name in JOBS:
        node = jobs.get(name)
        at = f"jobs.{name}"
        if not isinstance(node, Mapping):
            bad("is missing" if node is None else "must be a table", at)
            continue
        every = node.get("every")
        if every not in EVERY:
            bad(f"{every!r} must be one of {', '.join(EVERY)}", f"{at}.every")
            continue
        on = node.get("on")
        weekday = None
        if every in ("month", "quarter") and on not in ON:
            bad(f"{on!r} must be one of {', '.join(ON)}", f"{at}.on")
        if every == "week":
            name_of_day = node.get("weekday")
            if name_of_day not in WEEKDAYS:
                bad(f"{name_of_day!r} must be a weekday name", f"{at}.weekday")
            else:
                weekday = WEEKDAYS.index(name_of_day)
        cutoff = node.get("cutoff_business_days")
        if name == "clearing" and (
            isinstance(cutoff, bool) or not isinstance(cutoff, int) or not 1 <= cutoff <= 20
        ):
            # At least 1: the filing window closes at the end of a business day before the
            # run's, so it has closed when the run starts and nothing filed on the run day
            # is promised to it (0 would close it at the end of the run day, after the run).
            bad(
                f"{cutoff!r} must be a whole number of business days from 1 to 20",
                f"{at}.cutoff_business_days",
            )
            cutoff = 1
        schedules[name] = Schedule(name, every, on, weekday, cutoff if name == "clearing" else None)
    if len(schedules) < len(JOBS) or any(
        p.field and p.field.startswith("calendar") for p in problems
    ):
        return None
    return ClearingCalendar(
        zone=zone,
        weekends=weekends,
        holidays=holidays,
        years=tuple(sorted(years)),
        schedules=schedules,
        start=start,
    )
