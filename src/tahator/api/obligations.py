"""Obligations: one at a time, in batches, and a firm's list."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tahator.api.deps import (
    READERS,
    REQUEST,
    Cursor,
    Day,
    Id,
    Limit,
    Reader,
    decode_cursor,
    encode_cursor,
    require,
    write,
)
from tahator.api.problems import ApiError
from tahator.domain.errors import InputError, Problem
from tahator.domain.local_text import Calendar
from tahator.domain.obligations import ObligationStatus
from tahator.formatting import jsonable
from tahator.i18n import _
from tahator.io.obligations import obligation_record
from tahator.services import access, obligations, schedule
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.signin import policy_of, today_of

router = APIRouter(tags=["obligations"])
AnyReader = Annotated[Principal, Depends(require(*READERS))]
Submitter = Annotated[Principal, Depends(require("operator", "trader"))]
AMOUNT = r"^[\d,٬]{1,30}([.٫]\d{1,6})?$"
"""Digits (Latin, Persian or Arabic-Indic), grouped or not: ``io.obligations`` checks."""
MAX_BATCH = 10_000
SOURCE = str(REQUEST)


class ObligationIn(BaseModel):
    reference: str = Field(min_length=1, max_length=100, description="The submitter's own id")
    debtor: str = Field(min_length=1, max_length=64)
    creditor: str = Field(min_length=1, max_length=64)
    amount: str = Field(
        pattern=AMOUNT,
        description="A decimal string, e.g. `1250.00` or `1,250.00` (rials: whole rials)",
    )
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217")
    due_date: Day | None = Field(None, description="Gregorian, `YYYY-MM-DD`")
    due_date_sh: str | None = Field(
        None,
        max_length=40,
        description="Or the due date in the Solar Hijri calendar, `1404/12/12`",
    )


class ObligationOut(BaseModel):
    id: int
    reference: str
    debtor: str
    creditor: str
    amount: str
    currency: str
    due_date: str
    status: str
    remaining: str
    set_off: str = Field(description="What clearing runs have set off of it so far")
    origin: str | None
    jointly_liable: list[str]


class FilesInto(BaseModel):
    """A clearing run on the calendar and when filing for it closes."""

    day: str = Field(description="The run's date, `YYYY-MM-DD`")
    cutoff: str | None = Field(
        description="Filing for it closes: the end of a business day in the corridor's "
        "zone, as a UTC time"
    )
    cutoff_day: str | None = Field(description="That business day, `YYYY-MM-DD`")


class FilingOut(BaseModel):
    """Added to a registration's answer: which clearing run the obligations go into."""

    files_into: FilesInto | None = Field(
        None,
        description="The clearing run they go into (null: the corridor has no calendar)",
    )
    waits: bool | None = Field(
        None,
        description="Registered after the upcoming run's cut-off: they wait for the "
        "following run (`files_into`)",
    )


class RegisteredObligationOut(ObligationOut, FilingOut):
    """The obligation, and the clearing run it goes into."""


class ObligationPage(BaseModel):
    items: list[ObligationOut]
    next_cursor: str | None


class Batch(BaseModel):
    obligations: list[ObligationIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(FilingOut):
    rows: int
    created: int
    unchanged: int
    ids: list[int] = Field(description="The stored obligations' ids, in the batch's order")


def _view(obligation: obligations.ObligationView) -> dict[str, Any]:
    """The API's view: ``id`` is the clearing house's number, ``reference`` the submitter's."""
    view: dict[str, Any] = jsonable(obligation)
    view["reference"] = view.pop("id")
    view["id"] = view.pop("number")
    return view


def _filing(request: Request, at: datetime | None) -> dict[str, Any]:
    """``files_into`` and ``waits`` for obligations registered at ``at`` (the same
    rule as the web pages' "next run" note: ``schedule.filing_window``)."""
    policy = policy_of(request)
    if at is None or policy.calendar is None:
        return {"files_into": None, "waits": None}
    window = schedule.filing_window(policy, at)
    run = window.run
    return {
        "files_into": {
            "day": run.day.isoformat(),
            "cutoff": run.cutoff.isoformat() if run.cutoff else None,
            "cutoff_day": run.cutoff_day.isoformat() if run.cutoff_day else None,
        },
        "waits": window.waits,
    }


def _store(
    request: Request, session: Session, principal: Principal, items: list[ObligationIn]
) -> obligations.RegisteredObligations:
    # Problems name an item as the line it would have in a file: the first is line 2.
    corridor = corridors.load_briefly(session)
    digits = corridor.digits
    problems: list[Problem] = []
    records = []
    for line, i in enumerate(items, start=2):
        if (i.due_date is None) == (i.due_date_sh is None):
            message = _("give the due date in one of due_date and due_date_sh")
            problems.append(Problem(message, SOURCE, line, "due_date"))
            continue
        if i.due_date is not None:
            due, calendar, field = i.due_date.isoformat(), Calendar.GREGORIAN, "due_date"
        else:
            due, calendar, field = str(i.due_date_sh), Calendar.SOLAR_HIJRI, "due_date_sh"
        fields = (i.reference, i.debtor, i.creditor, i.amount, i.currency, due)
        record = obligation_record(
            SOURCE, line, fields, digits, problems, calendar=calendar, due_field=field
        )
        if record is not None:
            records.append(record)
    return obligations.register_obligations(
        session,
        records,
        principal.actor,
        source=SOURCE,
        problems=problems,
        owed_by=access.acting_firm(principal),
        registered_on=today_of(request),
        corridor=corridor,
    )


@router.post("/obligations", status_code=201, response_model=RegisteredObligationOut)
def create_obligation(request: Request, body: ObligationIn, principal: Submitter) -> JSONResponse:
    """Register one obligation: the debtor owes the creditor the amount by the due date.

    Posting the same reference and content again changes nothing (200); the same
    reference with other content is a 422.  The answer says which clearing run it goes
    into (``files_into``), and whether that is the following one because the upcoming
    run's filing cut-off had passed when it was registered (``waits``).
    """

    def work(session: Session) -> tuple[int, Any]:
        try:
            stored = _store(request, session, principal, [body])
        except InputError as error:  # one obligation, not a file: no line to name
            raise InputError([replace(p, line=None) for p in error.problems]) from None
        view = stored.obligations[0]
        at = obligations.registered_at(session, view.number)
        return (201 if stored.result.created else 200), _view(view) | _filing(request, at)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.post("/obligations/batch", status_code=201, response_model=BatchResult)
def create_obligations(request: Request, body: Batch, principal: Submitter) -> JSONResponse:
    """Register many obligations, all or none; each problem names its item (`line` − 2).
    ``files_into`` and ``waits``: the clearing run the obligations registered now go into."""

    def work(session: Session) -> tuple[int, Any]:
        stored = _store(request, session, principal, body.obligations)
        ids = [obligation.number for obligation in stored.obligations]
        return 201, {**jsonable(stored.result), "ids": ids, **_filing(request, now())}

    return write(request, principal, body.model_dump(mode="json"), work)


def _listing(
    session: Session,
    principal: Principal,
    firm: str | None,
    status: ObligationStatus | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, int):
        raise ApiError(422, "the cursor is not one this API gave")
    rows = obligations.list_obligations(
        session, access.firm_filter(principal, firm), status, after=after, limit=limit + 1
    )
    items = [_view(r) for r in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}


Status = Annotated[ObligationStatus | None, "where the obligation stands"]


@router.get("/obligations", response_model=ObligationPage)
def list_obligations(
    session: Reader,
    principal: AnyReader,
    firm: str | None = None,
    status: Status = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Obligations, oldest first; a trader sees its own firm's."""
    return _listing(session, principal, firm, status, cursor, limit)


@router.get("/firms/{firm_id}/obligations", response_model=ObligationPage)
def firm_obligations(
    firm_id: str,
    session: Reader,
    principal: AnyReader,
    status: Status = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """What a firm owes, is owed, or is jointly liable for."""
    return _listing(session, principal, firm_id, status, cursor, limit)


@router.get("/obligations/{obligation_id:int}", response_model=ObligationOut)
def get_obligation(obligation_id: Id, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """One obligation."""
    rows = obligations.list_obligations(
        session, access.firm_filter(principal, None), number=obligation_id
    )
    if not rows:
        raise ApiError(404, f"no obligation {obligation_id}")
    return _view(rows[0])
