"""The release-times page (WCO Time Release Study): per crossing and lane, how long
consignments took from arrival to release and in each phase, against the lanes'
targets, with a chart and the outliers; its JSON, CSV and PDF downloads.

Customs, the operator and the auditor read it; a trader or a bank has no part in it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tahator.domain.errors import InputError, Problem
from tahator.domain.release_times import INTERVAL_KEYS, TOTAL
from tahator.i18n import _
from tahator.io import release_times as rendering
from tahator.services import access, release_times
from tahator.services.release_times import ReleaseReport
from tahator.services.users import Principal
from tahator.signin import policy_of, today_of
from tahator.web.core import PageError, Reader, User, allow, describe, render
from tahator.web.forms import form_day

router = APIRouter(include_in_schema=False)
READERS = access.REPORT_READERS
"""Who reads release times: the readers of the corridor's reports (customs, the operator
and the auditor)."""
DEFAULT_DAYS = 30
"""The period shown at first: the last 30 days to today."""
OUTLIER_ROWS = 50
"""At most this many outliers on the page (the longest); the downloads list all."""


def _period(request: Request, given_from: str, given_to: str) -> tuple[date, date]:
    today = today_of(request)
    errors: list[Problem] = []
    days: dict[str, date] = {}
    for field, text, default in (
        ("from", given_from, today - timedelta(days=DEFAULT_DAYS - 1)),
        ("to", given_to, today),
    ):
        try:
            days[field] = form_day(text, field) if text.strip() else default
        except InputError as error:
            errors.extend(error.problems)
    if errors:
        raise InputError(errors)
    return days["from"], days["to"]


def _report(
    request: Request, principal: Principal, session: Any, given_from: str, to: str, crossing: str
) -> ReleaseReport:
    allow(principal, *READERS)
    start, end = _period(request, given_from, to)
    return release_times.release_report(
        session, policy_of(request), start, end, crossing.strip() or None
    )


def _chart(report: ReleaseReport) -> dict[str, Any]:
    """What the chart draws, hours as numbers: each crossing and lane's mean of each
    phase (stacked: means add up to the mean total, medians do not), its median and 90th
    percentile from arrival to release (markers), its target."""
    names = dict(report.crossings)

    def hours(delta: timedelta | None) -> float | None:
        value = rendering.hours(delta)
        return None if value is None else float(value)  # display only: a chart coordinate

    groups = []
    for group in report.groups:
        if group.lane is None or group.total is None:
            continue
        crossing = names.get(group.crossing or "", group.crossing or "")
        groups.append(
            {
                "label": f"{crossing} · {rendering.lane_name(group.lane)}",
                "lane": group.lane,
                "phases": {
                    p.interval: hours(p.stats.mean) if p.stats else None for p in group.phases
                },
                "median": hours(group.total.median),
                "p90": hours(group.total.p90),
                "target": hours(group.target),
            }
        )
    stacked = [n for n in INTERVAL_KEYS if n not in ("pre_arrival", "release_to_exit")]
    return {
        "groups": groups,
        "phases": stacked,
        "words": {
            **{name: rendering.interval_name(name) for name in stacked},
            "median": _("median, arrival to release"),
            "p90": _("90th percentile, arrival to release"),
            "target": _("target"),
            "axis": _("hours"),
        },
    }


@router.get("/customs/release-times", response_class=HTMLResponse)
def release_times_page(
    request: Request, principal: User, session: Reader, to: str = "", crossing: str = ""
) -> HTMLResponse:
    """The release times of the period and crossing asked for (the last 30 days and
    every crossing by default); a bad period is the form's error (422)."""
    allow(principal, *READERS)
    given_from = request.query_params.get("from", "")
    context: dict[str, Any] = {"given_from": given_from, "given_to": to, "crossing": crossing}
    context |= {
        "hours": rendering.hours_text,
        "lane_name": rendering.lane_name,
        "interval_name": rendering.interval_name,
        "intervals": INTERVAL_KEYS,
        "total_name": rendering.interval_name(TOTAL),
        "outlier_rows": OUTLIER_ROWS,
    }
    try:
        report = _report(request, principal, session, given_from, to, crossing)
    except InputError as error:
        context["error"] = "; ".join(describe(p) for p in error.problems)
        context["crossings"] = release_times.policy_crossings(policy_of(request))
        return render(request, "release_times.html", principal, status=422, **context)
    context |= {
        "report": report,
        "crossings": report.crossings,
        "names": dict(report.crossings),
        "chart": _chart(report),
        "given_from": given_from or report.from_.isoformat(),
        "given_to": to or report.to.isoformat(),
    }
    return render(request, "release_times.html", principal, **context)


@router.get("/customs/release-times.{kind}", response_model=None)
def release_times_download(
    request: Request, principal: User, session: Reader, kind: str, to: str = "", crossing: str = ""
) -> Response:
    """The same report as JSON or CSV (for machines) or a PDF in the reader's language."""
    if kind not in rendering.FORMATS:
        raise PageError(404, _("There is no such page, or it is not visible to you."))
    try:
        report = _report(
            request, principal, session, request.query_params.get("from", ""), to, crossing
        )
    except InputError as error:
        raise PageError(422, "; ".join(describe(p) for p in error.problems)) from None
    name = f"release-times-{report.from_}-{report.to}-{report.crossing or 'all'}"
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in name)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}.{kind}"',
        "Cache-Control": "no-store",
    }
    if kind == "json":
        import json

        body = json.dumps(rendering.report_document(report), ensure_ascii=False, indent=2)
        return Response(body, media_type="application/json", headers=headers)
    if kind == "csv":
        return Response(
            rendering.report_csv(report), media_type="text/csv; charset=utf-8", headers=headers
        )
    return Response(rendering.report_pdf(report), media_type="application/pdf", headers=headers)
