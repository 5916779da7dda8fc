"""The clearing calendar: business days of both countries, schedules, cut-offs, parsing."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tahator.domain.errors import InputError
from tahator.domain.policy import parse_policy
from tahator.io.policy import load_policy
from tahator.services import schedule
from tahator.services.worker import backoff

POLICY = load_policy()
CALENDAR = POLICY.calendar
SHIPPED = Path(__file__).resolve().parents[2] / "src/tahator/policies/pk-ir.toml"


def test_a_business_day_is_open_in_both_countries() -> None:
    assert CALENDAR is not None
    assert CALENDAR.is_business_day(date(2026, 1, 29))  # a Thursday
    assert not CALENDAR.is_business_day(date(2026, 1, 30))  # Friday: Iran's weekend
    assert CALENDAR.closed_because(date(2026, 1, 31)) == ("PK weekend",)  # Saturday
    assert CALENDAR.closed_because(date(2026, 11, 9)) == ("PK holiday",)  # Iqbal Day
    assert CALENDAR.closed_because(date(2026, 3, 23)) == ("IR holiday", "PK holiday")
    # Nowruz from the Solar Hijri month-day: 1 Farvardin 1405 is 21 March 2026.
    assert "IR holiday" in CALENDAR.closed_because(date(2026, 3, 21))
    assert CALENDAR.closed_because(date(2027, 3, 22)) == ("IR holiday",)  # 1 Farvardin 1406
    assert CALENDAR.closed_because(date(2026, 2, 11)) == ("IR holiday",)  # 22 Bahman


def test_clearing_runs_on_the_last_business_day_with_a_cutoff_two_business_days_before() -> None:
    assert CALENDAR is not None
    runs = CALENDAR.next_occurrences("clearing", date(2026, 1, 1), 4)
    assert [r.day for r in runs] == [
        date(2026, 1, 29),  # 30th Friday (IR), 31st Saturday (PK)
        date(2026, 2, 26),  # 27th Friday, 28th Saturday
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    # March's cut-off skips Pakistan Day (23rd), the weekend and Eid: the end of the 26th.
    assert runs[2].cutoff == datetime(2026, 3, 26, 19, tzinfo=UTC)
    assert runs[0].cutoff == datetime(2026, 1, 27, 19, tzinfo=UTC)  # midnight in Karachi


def test_other_schedules_and_catch_up() -> None:
    assert CALENDAR is not None
    reports = CALENDAR.next_occurrences("quarterly_report", date(2026, 1, 1), 2)
    assert [(r.day, r.period) for r in reports] == [
        (date(2026, 4, 6), "2026Q1"),  # Nowruz, Friday, weekend, then Monday
        (date(2026, 7, 1), "2026Q2"),
    ]
    weekly = CALENDAR.next_occurrences("rescreen", date(2026, 1, 1), 2)
    assert [r.day for r in weekly] == [date(2026, 1, 5), date(2026, 1, 12)]
    due = CALENDAR.due("clearing", date(2026, 1, 29), date(2026, 3, 31))
    assert [r.day for r in due] == [date(2026, 2, 26), date(2026, 3, 31)]
    assert CALENDAR.due("sweep", None, date(2026, 5, 5))[0].day == date(2026, 5, 5)
    assert CALENDAR.due("clearing", None, date(2026, 2, 10))[0].day == date(2026, 1, 29)
    assert CALENDAR.due("clearing", date(2026, 2, 26), date(2026, 3, 30)) == ()


def test_an_obligation_registered_after_the_cutoff_waits_for_the_following_run() -> None:
    before = schedule.filing_window(POLICY, datetime(2026, 3, 26, 18, 59, tzinfo=UTC))
    assert (before.run.day, before.waits) == (date(2026, 3, 31), False)
    after = schedule.filing_window(POLICY, datetime(2026, 3, 26, 19, 0, 1, tzinfo=UTC))
    assert (after.upcoming.day, after.run.day, after.waits) == (
        date(2026, 3, 31),
        date(2026, 4, 30),
        True,
    )
    assert after.upcoming.cutoff_day == date(2026, 3, 26)


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 8)] == [60, 120, 240, 3600, 3600]


def _shipped() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text())


def test_every_bad_calendar_field_is_named() -> None:
    data = _shipped()
    calendar = data["calendar"]
    calendar["start"] = "soon"  # not a date
    calendar["countries"]["PK"]["weekend"] = ["caturday"]
    calendar["countries"]["IR"]["solar_hijri_holidays"] = ["13-01", "12-30"]
    calendar["countries"]["IR"]["holidays"] = [date(1900, 1, 1)]
    calendar["jobs"]["clearing"]["cutoff_business_days"] = -1
    calendar["jobs"]["rescreen"]["weekday"] = "someday"
    calendar["jobs"]["quarterly_report"]["on"] = "middle"
    calendar["jobs"]["nightly"] = {"every": "day"}
    del calendar["jobs"]["sweep"]
    with pytest.raises(InputError) as raised:
        parse_policy(data, "pk-ir.toml")
    fields = {p.field for p in raised.value.problems}
    assert fields >= {
        "calendar.start",
        "calendar.countries.PK.weekend",
        "calendar.countries.IR.solar_hijri_holidays",
        "calendar.countries.IR.holidays",
        "calendar.jobs.clearing.cutoff_business_days",
        "calendar.jobs.rescreen.weekday",
        "calendar.jobs.quarterly_report.on",
        "calendar.jobs.nightly",
        "calendar.jobs.sweep",
    }


def test_a_policy_without_a_calendar_has_none() -> None:
    data = _shipped()
    del data["calendar"]
    assert parse_policy(data, "p.toml").calendar is None


def _refused(data: dict[str, Any]) -> set[str | None]:
    with pytest.raises(InputError) as raised:
        parse_policy(data, "pk-ir.toml")
    return {p.field for p in raised.value.problems}


def test_a_calendar_without_a_business_day_in_a_week_is_refused() -> None:
    data = _shipped()
    countries = data["calendar"]["countries"]
    countries["PK"]["weekend"] = ["monday", "tuesday", "wednesday", "thursday"]
    countries["IR"]["weekend"] = ["friday", "saturday", "sunday"]
    assert "calendar.countries" in _refused(data)


def test_a_closed_period_has_no_occurrence_and_the_loops_end() -> None:
    """Holidays may still close a whole month: its run is skipped, nothing loops."""
    assert CALENDAR is not None
    from dataclasses import replace

    july = frozenset(date(2026, 7, d) for d in range(1, 32))
    closed = replace(CALENDAR, holidays={**CALENDAR.holidays, "PK": july})
    runs = closed.next_occurrences("clearing", date(2026, 6, 1), 2)
    assert [r.day for r in runs] == [date(2026, 6, 30), date(2026, 8, 31)]
    everything = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(2000))
    shut = replace(CALENDAR, holidays={**CALENDAR.holidays, "PK": everything})
    with pytest.raises(ValueError, match="no business day"):
        shut.add_business_days(date(2026, 1, 1), 2)
    assert shut.next_occurrences("clearing", date(2026, 1, 1), 1) == ()


@pytest.mark.parametrize("days", [0, -1, 21, True, "2"])
def test_the_filing_window_closes_at_least_a_business_day_before_the_run(days: object) -> None:
    data = _shipped()
    data["calendar"]["jobs"]["clearing"]["cutoff_business_days"] = days
    assert "calendar.jobs.clearing.cutoff_business_days" in _refused(data)


def test_the_calendar_lists_exactly_the_corridors_countries() -> None:
    data = _shipped()
    countries = data["calendar"]["countries"]
    countries["PKK"] = countries.pop("PK")  # a typo would drop Pakistan's holidays
    assert "calendar.countries" in _refused(data)


def test_on_a_run_day_a_done_run_is_no_longer_next() -> None:
    noon = datetime(2026, 3, 31, 7, tzinfo=UTC)  # the run's day, noon in Karachi
    assert schedule.clearing_dates(POLICY, noon).runs[0].day == date(2026, 3, 31)
    done = schedule.clearing_dates(POLICY, noon, done_through=date(2026, 3, 31))
    assert done.runs[0].day == date(2026, 4, 30)
    assert done.files_into.day == date(2026, 4, 30)
