"""The clearing calendar: when the next runs are and when filing for them closes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from tahator.api.deps import READERS, Reader, require
from tahator.api.models import model_of
from tahator.formatting import jsonable
from tahator.services import schedule
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.signin import policy_of

router = APIRouter(tags=["schedule"])
AnyReader = Annotated[Principal, Depends(require(*READERS))]
ClearingDatesOut = model_of(schedule.ClearingDates, "ClearingDates")


@router.get("/schedule", response_model=ClearingDatesOut)
def clearing_dates(
    request: Request,
    principal: AnyReader,
    session: Reader,
    count: Annotated[int, Query(ge=1, le=24, description="How many runs")] = 3,
) -> dict[str, Any]:
    """The next clearing runs, each with its filing cut-off (the end of a business day in
    the corridor's zone, as a UTC time), and the run an obligation registered now goes
    into: after the upcoming run's cut-off it waits for the following one (``waits``).
    A run already done today is not upcoming."""
    dates = schedule.clearing_dates(
        policy_of(request), now(), count, done_through=schedule.clearing_done_through(session)
    )
    document: dict[str, Any] = jsonable(dates)
    return document
