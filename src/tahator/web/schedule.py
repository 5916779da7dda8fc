"""The schedule page (operator, auditor): the calendar's next occurrences per job, the
worker's recent runs and its failures; and the next clearing run with its filing
cut-off, shown to traders where they look at and register obligations (DESIGN §9)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError, TahatorError
from tahator.i18n import N_
from tahator.services import schedule
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.signin import engine_of, policy_of, today_of
from tahator.store.database import transaction
from tahator.web.core import Form, Reader, User, allow, render

router = APIRouter(include_in_schema=False)
JOB_LABELS = {
    "sweep": N_("Barter sweep"),
    "clearing": N_("Clearing run"),
    "rescreen": N_("Sanctions re-screening"),
    "quarterly_report": N_("Quarterly barter report"),
    "reminders": N_("Deadline reminders"),
}
OUTCOME_LABELS = {
    "done": N_("done"),
    "covered": N_("covered by an earlier run"),
    "superseded": N_("superseded by a later occurrence"),
}


def next_clearing(request: Request, session: Session) -> schedule.ClearingDates | None:
    """The next clearing runs and the filing window now, for the routes that show a trader
    the next run (position, obligations: ``next_run.html``); ``None`` without a calendar."""
    try:
        return schedule.clearing_dates(
            policy_of(request), now(), done_through=schedule.clearing_done_through(session)
        )
    except InputError:
        return None


@router.get("/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, principal: User, session: Reader) -> HTMLResponse:
    allow(principal, *schedule.SCHEDULE_READERS)
    return _page(request, principal, session)


def _page(
    request: Request, principal: Principal, session: Session, status: int = 200, error: str = ""
) -> HTMLResponse:
    view = schedule.show(session, policy_of(request), today_of(request))
    return render(
        request,
        "schedule.html",
        principal,
        status=status,
        view=view,
        jobs=JOB_LABELS,
        outcomes=OUTCOME_LABELS,
        error=error,
    )


@router.post("/schedule/retry", response_model=None)
def retry(request: Request, principal: User, form: Form, session: Reader) -> Response:
    """The operator clears a given-up failure (audited): the worker's next pass retries it."""
    allow(principal, "operator")
    job, occurrence = str(form.get("job", "")), str(form.get("occurrence", ""))
    try:
        with transaction(engine_of(request)) as writer:
            schedule.retry(writer, principal.actor, job, occurrence)
    except TahatorError as error:
        problems = getattr(error, "problems", None) or []
        message = "; ".join(p.message for p in problems) or str(error)
        return _page(request, principal, session, 422, message)
    return RedirectResponse("/schedule", status_code=303)
