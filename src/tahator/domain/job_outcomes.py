"""What each scheduled job did, typed: the worker returns these, stores them as the
job's ``job_runs.outcome`` JSON (with ``outcome``, the result's name), and the schedule
reads them back (DESIGN §9)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SweepOutcome:
    cancelled: tuple[int, ...]
    balanced: tuple[int, ...]


@dataclass(frozen=True)
class ClearingOutcome:
    run_id: int
    cutoff: datetime | None
    obligations: int


@dataclass(frozen=True)
class CoveredOutcome:
    """A scheduled clearing run covered by a completed run (by hand) as of its day or later."""

    run_id: int


@dataclass(frozen=True)
class RescreenOutcome:
    screened: int
    newly_blocked: int
    blocked: int


@dataclass(frozen=True)
class ReportOutcome:
    """The quarterly report's counts and the SHA-256 of its JSON document, not the report
    (it is made again by ``tahator barter report``)."""

    quarter: str
    authorizations_issued: int
    balanced: int
    closed_on_purpose: int
    cancelled: int
    rejected: int
    outstanding: int
    flagged: int
    sha256: str


@dataclass(frozen=True)
class RemindersOutcome:
    reminders: int


@dataclass(frozen=True)
class SupersededOutcome:
    """A failed sweep, rescreen or reminders occurrence made moot by a newer done one."""

    by: str


JobDetail = (
    SweepOutcome
    | ClearingOutcome
    | CoveredOutcome
    | RescreenOutcome
    | ReportOutcome
    | RemindersOutcome
    | SupersededOutcome
)
_BY_OUTCOME: Mapping[str, type[CoveredOutcome | SupersededOutcome]] = {
    "covered": CoveredOutcome,
    "superseded": SupersededOutcome,
}
_BY_JOB: Mapping[str, type[JobDetail]] = {
    "sweep": SweepOutcome,
    "clearing": ClearingOutcome,
    "rescreen": RescreenOutcome,
    "quarterly_report": ReportOutcome,
    "reminders": RemindersOutcome,
}


def to_json(outcome: str, detail: JobDetail | None) -> dict[str, Any]:
    """The ``job_runs.outcome`` document: the result's name, then its detail."""
    data: dict[str, Any] = {"outcome": outcome}
    if detail is not None:
        for name, value in asdict(detail).items():
            data[name] = value.isoformat() if isinstance(value, datetime) else value
    return data


def from_json(job: str, data: Mapping[str, Any]) -> tuple[str, JobDetail | None]:
    """A stored ``job_runs.outcome`` read back: its result's name and typed detail
    (``None`` when the stored document is not of the job's kind, e.g. an older one)."""
    outcome = str(data.get("outcome", ""))
    kind = _BY_OUTCOME.get(outcome) or _BY_JOB.get(job)
    if kind is None:
        return outcome, None
    names = {f.name for f in fields(kind)}
    if not names <= set(data):
        return outcome, None
    values = {name: data[name] for name in names}
    for name, value in values.items():
        if isinstance(value, list):
            values[name] = tuple(value)
    if kind is ClearingOutcome and isinstance(values["cutoff"], str):
        values["cutoff"] = datetime.fromisoformat(values["cutoff"])
    return outcome, kind(**values)
