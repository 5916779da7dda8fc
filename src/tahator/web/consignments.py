"""Consignments at the border, for customs officers and for traders.

An officer records each phase with one click, the time defaulting to now (editable,
in the reader's zone), the inspection's result with a note, and overrides a lane with
a reason.  A trader sees its own firm's consignments' status only: what the page shows
comes from ``services.consignment_reading``, which leaves out how a lane was chosen.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from tahator import i18n
from tahator.domain.corridor import FIRST_DAY, LAST_DAY
from tahator.domain.customs import Lane, Phase
from tahator.domain.errors import InputError, Problem
from tahator.domain.local_text import latin_digits
from tahator.i18n import N_, _
from tahator.services import access, consignment_reading, consignments
from tahator.services.common import now
from tahator.services.paging import page_of
from tahator.services.users import Principal
from tahator.signin import engine_of, policy_of
from tahator.store.database import transaction
from tahator.web.core import Form, PageError, Reader, User, allow, render
from tahator.web.forms import form_day
from tahator.web.paging import window

router = APIRouter(include_in_schema=False)

PHASE_NAMES = {
    "lodged": N_("Declaration lodged"),
    "arrived": N_("Arrived"),
    "lane": N_("Lane assigned"),
    "documents": N_("Documents checked"),
    "inspected": N_("Inspected"),
    "released": N_("Released"),
    "exited": N_("Exited on the other side"),
}
"""Each phase as a row's label and a button's words."""
LANE_NAMES = {
    "green": N_("green"),
    "yellow": N_("yellow"),
    "red": N_("red"),
    "blue": N_("blue"),
}
MINUTE = "%Y-%m-%dT%H:%M"
"""A ``datetime-local`` field's value."""


def _zone() -> ZoneInfo:
    return ZoneInfo(i18n.reader().zone)


def local_now() -> str:
    """Now in the reader's zone, as a ``datetime-local`` field's value."""
    return now().astimezone(_zone()).strftime(MINUTE)


def typed_moment(text: str, default: str) -> datetime | None:
    """The time an officer left or typed in a phase's field (the reader's zone), in UTC;
    ``None`` (now, when the click arrives, or not yet) where the field is empty or still
    shows the time the page put in it.  ``InputError`` naming ``at`` for anything else."""
    written = latin_digits(text.strip())
    if not written or written == default:
        return None
    try:
        local = datetime.fromisoformat(written)
    except ValueError:
        raise InputError(
            [Problem(_("%(text)s is not a time: YYYY-MM-DD HH:MM") % {"text": written}, field="at")]
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=_zone())
    return local.astimezone(UTC)


def _filters(request: Request, principal: Principal) -> dict[str, Any]:
    """The list's filters from the query string; a bad date is an error beside its field."""
    query = request.query_params
    errors: dict[str, list[str]] = {}
    days: dict[str, date | None] = {}
    for field in ("from", "to"):
        text = query.get(field, "").strip()
        days[field] = None
        if text:
            try:
                days[field] = form_day(text, field)
            except InputError as error:
                errors[field] = [p.message for p in error.problems]
    firm = query.get("firm", "").strip() or None
    return {
        "crossing": query.get("crossing", "").strip() or None,
        "firm": firm if access.sees_every_firm(principal) else None,
        "start": days["from"],
        "end": days["to"],
        "errors": errors,
    }


@router.get("/consignments", response_class=HTMLResponse)
def consignment_list(request: Request, principal: User, session: Reader) -> HTMLResponse:
    return _list_page(request, principal, session)


def _list_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    allow(principal, *access.CONSIGNMENT_READERS)
    chosen = _filters(request, principal)
    rows = consignment_reading.listed(
        session,
        principal,
        firm_id=chosen["firm"],
        crossing=chosen["crossing"],
        start=chosen["start"],
        end=chosen["end"],
        zone=policy_of(request).zone,
    )
    return render(
        request,
        "consignments.html",
        principal,
        status=422 if chosen["errors"] else status,
        title=_("Consignments"),
        page=page_of(
            rows,
            window(request),
            {"reference": lambda c: c.reference, "lane": lambda c: c.lane or ""},
            text=lambda c: f"{c.reference} {c.vehicle} {c.firm_id} {c.firm_name}",
        ),
        chosen=chosen,
        errors=chosen["errors"],
        crossings=policy_of(request).customs.crossings,
        phase_names=PHASE_NAMES,
        lane_names=LANE_NAMES,
        sees_every_firm=access.sees_every_firm(principal),
        writes=principal.role in access.CONSIGNMENT_WRITERS,
        rates=_rates(request, principal, session, chosen),
        random_row=consignments.RANDOM,
        **extra,
    )


def _rates(
    request: Request, principal: Principal, session: Session, chosen: dict[str, Any]
) -> list[consignments.CriterionRate]:
    """The risk criteria's hit rates over the lanes selected in the filter's period, for
    the roles that read the rules (the feedback customs tunes them by)."""
    if chosen["errors"] or not access.may_read(principal, access.Part.LANE_DETAIL):
        return []
    start, end = chosen["start"] or FIRST_DAY, chosen["end"] or LAST_DAY
    return consignments.criterion_rates(session, policy_of(request), start, end)


REGISTER_FIELDS = ("reference", "crossing", "direction", "vehicle", "firm_id", "origin")


@router.post("/consignments", response_class=HTMLResponse, response_model=None)
def register(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    """Register a consignment (then record its phases on its page)."""
    allow(principal, *access.CONSIGNMENT_WRITERS)
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    try:
        numbers = [
            n for n in re.split(r"[\s,،]+", latin_digits(values.get("declarations", ""))) if n
        ]
        if not all(n.isdigit() and 0 < int(n) < 2**63 for n in numbers):
            raise InputError(
                [Problem(_("list declaration numbers, separated by commas"), field="declarations")]
            )
        record = consignments.ConsignmentRecord(
            reference=values.get("reference", ""),
            crossing=values.get("crossing", ""),
            direction=values.get("direction", ""),
            vehicle=values.get("vehicle", ""),
            firm_id=values.get("firm_id", ""),
            origin=values.get("origin", "").upper() or None,
            declaration_ids=tuple(int(n) for n in numbers),
            lodged_at=typed_moment(values.get("lodged_at", ""), ""),
        )
        with transaction(engine_of(request)) as writer:
            made = consignments.register(writer, policy_of(request), record, principal.actor)
    except InputError as error:
        errors: dict[str, list[str]] = {}
        for problem in error.problems:
            name = {"at": "lodged_at", "declaration_ids": "declarations"}.get(
                problem.field or "", problem.field or ""
            )
            known = name in (*REGISTER_FIELDS, "lodged_at", "declarations")
            errors.setdefault(name if known else "", []).append(
                problem.message if known else str(problem)
            )
        return _list_page(
            request, principal, session, status=422, register_errors=errors, form=values
        )
    return RedirectResponse(f"/consignments/{made.id}?done=registered", status_code=303)


def _detail(
    request: Request,
    principal: Principal,
    session: Session,
    consignment_id: int,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    allow(principal, *access.CONSIGNMENT_READERS)
    view = consignment_reading.shown(session, principal, consignment_id)
    writes = principal.role in access.CONSIGNMENT_WRITERS
    pending = view.next_phases if writes else ()
    return render(
        request,
        "consignment.html",
        principal,
        status=status,
        title=_("Consignment %(reference)s") % {"reference": view.reference},
        c=view,
        phases=[(phase.value, getattr(view, phase.column)) for phase in Phase],
        current=view.phase,
        # The inspection has its own form, with the result.
        pending=[p for p in pending if p != Phase.INSPECTED],
        inspects=Phase.INSPECTED in pending,
        writes=writes,
        sees_lane_detail=access.may_read(principal, access.Part.LANE_DETAIL),
        phase_names=PHASE_NAMES,
        lane_names=LANE_NAMES,
        lanes=[lane.value for lane in Lane],
        crossings={c.code: c.name for c in policy_of(request).customs.crossings},
        default_at=local_now(),
        max_text=consignments.MAX_TEXT,
        **extra,
    )


@router.get("/consignments/{consignment_id:int}", response_class=HTMLResponse)
def consignment_page(
    request: Request, consignment_id: int, principal: User, session: Reader
) -> HTMLResponse:
    _in_range(consignment_id)
    return _detail(request, principal, session, consignment_id)


def _in_range(consignment_id: int) -> None:
    if not 1 <= consignment_id <= 2**63 - 1:
        raise PageError(404, _("There is no such page, or it is not visible to you."))


def _failed(
    request: Request,
    principal: Principal,
    session: Session,
    consignment_id: int,
    action: str,
    error: InputError,
    values: dict[str, str],
) -> HTMLResponse:
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        known = problem.field in ("at", "result", "note", "lane", "reason")
        # A phase out of order belongs to the whole form (the buttons), said without
        # the field's name in front of it.
        errors.setdefault(problem.field if known and problem.field else "", []).append(
            problem.message if known or problem.field == "phase" else str(problem)
        )
    return _detail(
        request,
        principal,
        session,
        consignment_id,
        status=422,
        action=action,
        errors=errors,
        form=values,
    )


@router.post(
    "/consignments/{consignment_id:int}/phases/{phase}",
    response_class=HTMLResponse,
    response_model=None,
)
def record_phase(
    request: Request,
    consignment_id: int,
    phase: str,
    principal: User,
    form: Form,
    session: Reader,
) -> HTMLResponse | RedirectResponse:
    """One click: the phase at the field's time (now, unless the officer changed it)."""
    allow(principal, *access.CONSIGNMENT_WRITERS)
    _in_range(consignment_id)
    if phase not in PHASE_NAMES:
        raise PageError(404, _("There is no such page, or it is not visible to you."))
    consignment_reading.shown(session, principal, consignment_id)  # 404 before anything
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    try:
        at = typed_moment(values.get("at", ""), values.get("at_default", ""))
        result = values.get("result") or None
        with transaction(engine_of(request)) as writer:
            consignments.record_phase(
                writer,
                policy_of(request),
                consignment_id,
                Phase(phase),
                at,
                principal.actor,
                result=result if phase == Phase.INSPECTED else None,
                note=(values.get("note") or None) if phase == Phase.INSPECTED else None,
            )
    except InputError as error:
        return _failed(request, principal, session, consignment_id, phase, error, values)
    return RedirectResponse(f"/consignments/{consignment_id}?done={phase}", status_code=303)


@router.post(
    "/consignments/{consignment_id:int}/lane", response_class=HTMLResponse, response_model=None
)
def override_lane(
    request: Request, consignment_id: int, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    """An officer's override of the lane in force: the reason is required."""
    allow(principal, *access.CONSIGNMENT_WRITERS)
    _in_range(consignment_id)
    consignment_reading.shown(session, principal, consignment_id)
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    try:
        problems = []
        if values.get("lane") not in LANE_NAMES:
            problems.append(Problem(_("choose a lane"), field="lane"))
        if not values.get("reason"):
            problems.append(Problem(_("say why the lane is overridden"), field="reason"))
        if problems:
            raise InputError(problems)
        with transaction(engine_of(request)) as writer:
            consignments.override_lane(
                writer, consignment_id, Lane(values["lane"]), values["reason"], principal.actor
            )
    except InputError as error:
        return _failed(request, principal, session, consignment_id, "override", error, values)
    return RedirectResponse(f"/consignments/{consignment_id}?done=override", status_code=303)


__all__ = ["router"]
