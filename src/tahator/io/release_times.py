"""The release-time report (``services.release_times.ReleaseReport``) as JSON, as CSV
and as an A4 PDF in the reader's language (``io.pdf``, the shipped fonts).

Hours are decimal numbers to four places (a third of a second) in JSON and CSV, so
they agree with a computation on the timestamps themselves; people get one place.
In JSON ``groups`` are per crossing and lane, ``totals`` per crossing over every
lane (``lane`` null) and, last, over every crossing (``crossing`` null too); the CSV
has the same rows, ``all`` written for every crossing or lane.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tahator import display
from tahator.domain.release_times import INTERVAL_KEYS, TOTAL, Group, Outlier, Stats
from tahator.i18n import N_, _
from tahator.io.pdf import document_context, document_environment, pdf_bytes
from tahator.io.tables import write_csv
from tahator.services.release_times import ReleaseReport

FORMATS = ("json", "csv", "pdf")
MEASURES = ("count", "median_hours", "p90_hours", "max_hours", "mean_hours")
CSV_HEADER = (
    "crossing",
    "lane",
    "count",
    "median_hours",
    "p90_hours",
    "max_hours",
    "mean_hours",
    "target_hours",
    "within_target",
    "pre_arrival",
    "waiting",
    *(f"{name}_{measure}" for name in INTERVAL_KEYS for measure in MEASURES[:4]),
)
_PLACES = Decimal("0.0001")
LANE_NAMES = {
    "green": N_("green"),
    "yellow": N_("yellow"),
    "red": N_("red"),
    "blue": N_("blue"),
}
INTERVAL_NAMES = {
    "pre_arrival": N_("lodged before arrival"),
    "arrival_to_lane": N_("arrival to lane"),
    "lane_to_documents": N_("lane to documents checked"),
    "documents_to_inspection": N_("documents to inspection"),
    "to_release": N_("last step to release"),
    "release_to_exit": N_("release to exit"),
    TOTAL: N_("arrival to release"),
}
"""The words people read for each lane and interval (translated where shown)."""


def hours(delta: timedelta | None, places: Decimal = _PLACES) -> Decimal | None:
    """``delta`` in hours, rounded half-even to ``places``."""
    if delta is None:
        return None
    seconds = Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / 10**6
    return (seconds / 3600).quantize(places, rounding=ROUND_HALF_EVEN)


def hours_text(delta: timedelta | None) -> str:
    """``delta`` in hours for people, one place, in the language's digits: ``27.7``,
    ``۲۷٫۷``; ``—`` for none."""
    value = hours(delta, Decimal("0.1"))
    return "—" if value is None else display.number(value, pattern="#,##0.0")


def lane_name(lane: str | None) -> str:
    """A lane in the reader's language; ``None`` is every lane."""
    if lane is None:
        return _("all lanes")
    return _(LANE_NAMES[lane]) if lane in LANE_NAMES else lane


def interval_name(name: str) -> str:
    return _(INTERVAL_NAMES[name]) if name in INTERVAL_NAMES else name


def _number(value: Decimal | None) -> float | None:
    # JSON numbers, as ``median_hours`` promises; the four places survive the float.
    return None if value is None else float(value)


def _stats(stats: Stats | None) -> dict[str, Any]:
    if stats is None:
        return {"count": 0} | dict.fromkeys(MEASURES[1:])
    return {
        "count": stats.count,
        "median_hours": _number(hours(stats.median)),
        "p90_hours": _number(hours(stats.p90)),
        "max_hours": _number(hours(stats.max)),
        "mean_hours": _number(hours(stats.mean)),
    }


def _group(group: Group) -> dict[str, Any]:
    total = _stats(group.total)
    return {
        "crossing": group.crossing,
        "lane": group.lane,
        "count": group.count,
        **{key: value for key, value in total.items() if key != "count"},
        "target_hours": _number(hours(group.target)),
        "within_target": group.within_target,
        "pre_arrival": group.pre_arrival,
        "waiting": group.waiting,
        "phases": {p.interval: _stats(p.stats) for p in group.phases},
    }


def _outlier(outlier: Outlier) -> dict[str, Any]:
    return {
        "reference": outlier.reference,
        "crossing": outlier.crossing,
        "lane": outlier.lane,
        "arrived_at": outlier.arrived_at.isoformat(),
        "released_at": None if outlier.released_at is None else outlier.released_at.isoformat(),
        "hours": _number(hours(outlier.duration)),
        "over_median_hours": _number(hours(outlier.over_median)),
        "beyond_target": outlier.beyond_target,
        "beyond_fence": outlier.beyond_fence,
    }


def report_document(report: ReleaseReport) -> dict[str, Any]:
    """The report as a JSON object (see the module's note)."""
    return {
        "from": report.from_.isoformat(),
        "to": report.to.isoformat(),
        "crossing": report.crossing,
        "as_of": report.as_of.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "measure": TOTAL,
        "percentile_method": "linear (numpy's default, PERCENTILE.INC)",
        "targets_hours": {lane: _number(hours(t)) for lane, t in report.targets},
        "groups": [_group(g) for g in report.groups if g.lane is not None],
        "totals": [_group(g) for g in report.groups if g.lane is None],
        "outliers": [_outlier(o) for o in report.outliers],
    }


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def report_csv(report: ReleaseReport) -> str:
    """One line per crossing and lane, then the totals (``all``), every cell safe for
    spreadsheets."""
    rows: list[list[str]] = []
    for group in report.groups:
        document = _group(group)
        row = [
            group.crossing or "all",
            group.lane or "all",
            *(_cell(document[c]) for c in CSV_HEADER[2:11]),
        ]
        for name in INTERVAL_KEYS:
            phase = document["phases"][name]
            row += [_cell(phase[m]) for m in MEASURES[:4]]
        rows.append(row)
    out = io.StringIO(newline="")
    write_csv(out, CSV_HEADER, [list(c) for c in zip(*rows, strict=True)] if rows else [])
    return out.getvalue()


def report_html(report: ReleaseReport) -> str:
    """The page the PDF is printed from, in the active language."""
    names = dict(report.crossings)
    return (
        document_environment()
        .get_template("release_times.html")
        .render(
            **document_context(),
            report=report,
            names=names,
            intervals=INTERVAL_KEYS,
            hours=hours_text,
            lane_name=lane_name,
            interval_name=interval_name,
            bar=_bar_scale(report),
        )
    )


def _bar_scale(report: ReleaseReport) -> Any:
    """A duration as a share (percent, at most 100) of the longest 90th percentile or
    target in the report: the bars' lengths in the PDF."""
    longest = max(
        [g.total.p90 for g in report.groups if g.total]
        + [t for _, t in report.targets]
        + [timedelta(hours=1)]
    )

    def share(delta: timedelta) -> float:
        # Display only: a bar's length, never a figure that is reported.
        return round(min(delta / longest, 1.0) * 100, 2)

    return share


def report_pdf(report: ReleaseReport) -> bytes:
    """The report as an A4 PDF (landscape) in the active language and shipped fonts."""
    return pdf_bytes(report_html(report))
