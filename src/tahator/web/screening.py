"""The screening page: the queue of hits to decide, the lists in force, a name check."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tahator.domain.errors import InputError, TahatorError
from tahator.domain.screening import Query
from tahator.io.un_list import read_list
from tahator.services import access, sanctions_lists, screening
from tahator.services.users import Principal
from tahator.signin import engine_of
from tahator.store.database import reading, transaction
from tahator.web.core import Form, Reader, User, allow, render

router = APIRouter(include_in_schema=False)
SCREENERS = access.SCREENING_READERS
"""Who reads the queue of hits and checks names: the roles that read screening detail."""
MAX_LIST = 64 * 1024 * 1024


def _page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "screening.html",
        principal,
        status=status,
        queue=screening.queue(session),
        lists=sanctions_lists.list_versions(session),
        **extra,
    )


@router.get("/screening", response_class=HTMLResponse)
def screening_page(
    request: Request, principal: User, session: Reader, name: str = "", country: str = ""
) -> HTMLResponse:
    allow(principal, *SCREENERS)
    results: tuple[screening.ScreenedHit, ...] | None = None
    errors: dict[str, list[str]] = {}
    if name.strip():
        try:
            found = screening.screen_names(
                session, [Query(name.strip()[:500], country.strip().upper()[:2] or None, "q")]
            )
            results = found[0].hits
        except InputError as error:
            errors["name"] = [p.message for p in error.problems]
    return _page(
        request, principal, session, results=results, name=name, country=country, errors=errors
    )


@router.post("/screening/decide", response_class=HTMLResponse, response_model=None)
def decide(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, "operator")
    firm = str(form.get("firm", ""))
    decision = str(form.get("decision", ""))
    reason = str(form.get("reason", ""))
    try:
        with transaction(engine_of(request)) as writer:
            screening.decide(writer, firm, decision, reason, principal.actor)
    except TahatorError as error:
        problems = getattr(error, "problems", None) or []
        message = "; ".join(p.message for p in problems) or str(error)
        return _page(request, principal, session, status=422, decide_errors={firm: message})
    return RedirectResponse(f"/screening?{urlencode({'decided': firm})}", status_code=303)


@router.post("/screening/lists", response_class=HTMLResponse, response_model=None)
async def import_list(request: Request, principal: User, form: Form) -> Any:
    allow(principal, "operator")
    upload = form.get("file")
    message = ""
    if not isinstance(upload, UploadFile) or not upload.filename:
        message = "choose the list's XML file"
    else:
        data = await upload.read(MAX_LIST + 1)
        if len(data) > MAX_LIST:
            message = f"the file is larger than {MAX_LIST} bytes"
        else:
            try:
                parsed = read_list("un", Path(upload.filename), data=data)
                with transaction(engine_of(request)) as writer:
                    screening.import_list(writer, parsed, principal.actor)
            except InputError as error:
                message = "; ".join(str(p) for p in error.problems)
    if message:
        with reading(engine_of(request)) as session:
            return _page(request, principal, session, status=422, list_error=message)
    return RedirectResponse("/screening?imported=1", status_code=303)
