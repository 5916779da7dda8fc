"""The screening page: the queue of hits to decide, the lists in force, a name check.

A check says "clear" only when it ran against lists in force that look whole; the
lists it ran against are shown beside the result.  An import that fails shows its
error and no check result; one that would remove too many entries asks the operator
to confirm it, showing the counts, before anything is stored."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tahator.domain.errors import InputError, NotFoundError, TahatorError
from tahator.domain.screening import Query
from tahator.i18n import _
from tahator.io.un_list import PARSERS, read_list
from tahator.services import access, list_imports, sanctions_lists, screening, screening_views
from tahator.services.common import now
from tahator.services.paging import row_id
from tahator.services.users import Principal
from tahator.signin import engine_of
from tahator.store.database import reading, transaction
from tahator.web.core import Form, PageError, Reader, User, allow, render
from tahator.web.paging import window

router = APIRouter(include_in_schema=False)
SCREENERS = access.SCREENING_READERS
"""Who reads the queue of hits and checks names: the roles that read screening detail."""
MAX_LIST = 64 * 1024 * 1024


def _page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> HTMLResponse:
    """The screening page; its lists a page at a time (``f_`` the queue of firms,
    ``h_`` a check's hits, ``l_`` the list versions: ``?f_page=2&l_sort=-entries``)."""
    lists = sanctions_lists.list_versions(session)
    context: dict[str, Any] = {
        "results": None,  # no check result unless a check ran (never after a failed import)
        "name": "",
        "country": "",
        "errors": {},
        "formats": sorted(PARSERS),
    }
    found = extra.get("results")
    hits = None if found is None else screening_views.hits_page(found, window(request, "h_"))
    return render(
        request,
        "screening.html",
        principal,
        status=status,
        title=_("Screening"),
        queue=screening_views.queue_page(session, window(request, "f_")),
        lists=screening_views.list_versions_page(session, window(request, "l_")),
        in_force=sorted((v for v in lists if v.active), key=lambda v: v.name),
        hits=hits,
        **(context | extra),
    )


@router.get("/screening", response_class=HTMLResponse)
def screening_page(
    request: Request,
    principal: User,
    session: Reader,
    name: str = "",
    country: str = "",
    imported: str = "",
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
    report = None
    if (version := row_id(imported)) is not None:
        try:
            found_changes = sanctions_lists.version_changes(session, version)
        except NotFoundError:
            found_changes = None
        if found_changes is not None and _just_imported(session, found_changes, principal):
            report = (found_changes, sanctions_lists.report(found_changes.changes))
    return _page(
        request,
        principal,
        session,
        results=results,
        name=name,
        country=country,
        errors=errors,
        imported=report,
    )


JUST_IMPORTED = timedelta(minutes=10)
"""How long after an import its report is shown on the screening page."""


def _just_imported(
    session: Session, found: sanctions_lists.VersionChanges, principal: Principal
) -> bool:
    """Whether ``found`` is the version this user just imported and still the newest of
    its list: ``?imported=N`` is only the redirect after an import, and must not say
    "imported; every firm was screened again" of any other version (the web UI shows
    the result of a form by its redirect's query, with no session store for a flash)."""
    version = found.version
    newest = max(
        (v.version for v in sanctions_lists.list_versions(session) if v.name == version.name),
        default=None,
    )
    return (
        newest == version.version
        and version.imported_by == principal.actor
        and now() - version.imported_at <= JUST_IMPORTED
    )


@router.get("/screening/lists/{version}", response_class=HTMLResponse)
def list_changes_page(
    request: Request, version: int, principal: User, session: Reader
) -> HTMLResponse:
    """Every entry a list version added, removed and changed."""
    allow(principal, *SCREENERS)
    try:
        found = sanctions_lists.version_changes(session, version)
    except NotFoundError as error:
        raise PageError(404, str(error)) from None
    changes = found.changes
    return render(
        request,
        "list_changes.html",
        principal,
        title=_("List changes"),
        found=found,
        added=screening_views.entries_page(changes.added, window(request, "a_")),
        removed=screening_views.entries_page(changes.removed, window(request, "r_")),
        changed=screening_views.changed_page(changes.changed, window(request, "c_")),
    )


@router.post("/screening/decide", response_class=HTMLResponse, response_model=None)
def decide(
    request: Request, principal: User, form: Form, session: Reader
) -> HTMLResponse | RedirectResponse:
    allow(principal, "operator")
    firm = str(form.get("firm", ""))
    decision = str(form.get("decision", ""))
    reason = str(form.get("reason", ""))
    if decision == "confirmed" and str(form.get("confirm", "")) != "yes":
        # "Confirmed: never trades" stops a firm for good: asked once more, with the
        # firm, its hits and the reason shown, before anything is recorded.
        return _confirm_page(request, principal, session, firm, reason)
    try:
        with transaction(engine_of(request)) as writer:
            screening.decide(writer, firm, decision, reason, principal.actor)
    except TahatorError as error:
        problems = getattr(error, "problems", None) or []
        message = "; ".join(p.message for p in problems) or str(error)
        return _page(request, principal, session, status=422, decide_errors={firm: message})
    return RedirectResponse(f"/screening?{urlencode({'decided': firm})}", status_code=303)


def _confirm_page(
    request: Request, principal: Principal, session: Session, firm: str, reason: str
) -> HTMLResponse:
    if not reason.strip():
        return _page(
            request,
            principal,
            session,
            status=422,
            decide_errors={firm: _("Give the reason for the decision.")},
        )
    try:
        found = screening.firm_screening(session, firm)
    except NotFoundError:
        raise PageError(404, _("Unknown firm %(firm)s.") % {"firm": firm}) from None
    return render(
        request,
        "screening_confirm.html",
        principal,
        title=_("Confirm a match"),
        found=found,
        reason=reason.strip(),
    )


@router.post("/screening/lists", response_class=HTMLResponse, response_model=None)
async def import_list(request: Request, principal: User, form: Form) -> Any:
    allow(principal, "operator")
    upload = form.get("file")
    list_format = str(form.get("format", "un") or "un")
    name = str(form.get("name", "")).strip() or None
    confirm = str(form.get("confirm_shrink", "")) == "yes"
    new_list = str(form.get("new_list", "")) == "yes"
    expected = str(form.get("sha256", ""))
    message = ""
    refused: sanctions_lists.ShrinkRefusedError | None = None
    new_name: sanctions_lists.NewListRefusedError | None = None
    version, unchanged = None, False
    if not isinstance(upload, UploadFile) or not upload.filename:
        message = _("Choose the list's file.")
    else:
        data = await upload.read(MAX_LIST + 1)
        digest = hashlib.sha256(data).hexdigest()
        if len(data) > MAX_LIST:
            message = _("The file is larger than %(size)s bytes.") % {"size": f"{MAX_LIST:,}"}
        elif (confirm or new_list) and expected != digest:
            # The confirmation is of the counts shown for one file: not for another.
            message = (
                _("This is not the file whose shrink you were asked to confirm; import it anew.")
                if confirm
                else _("This is not the file you were asked to confirm; import it anew.")
            )
        else:
            try:
                parsed = read_list(list_format, Path(upload.filename), data=data, name=name)
                with transaction(engine_of(request)) as writer:
                    result = list_imports.import_list(
                        writer, parsed, principal.actor, confirm_shrink=confirm, new_list=new_list
                    )
                version, unchanged = result.list.version, result.unchanged
            except sanctions_lists.ShrinkRefusedError as error:
                refused = error
                expected = digest
            except sanctions_lists.NewListRefusedError as error:
                new_name = error
                expected = digest
            except TahatorError as error:
                problems = getattr(error, "problems", None) or []
                message = "; ".join(str(p) for p in problems) or str(error)
    if message or refused is not None or new_name is not None:
        with reading(engine_of(request)) as session:
            return _page(
                request,
                principal,
                session,
                status=422 if message else 409,
                list_error=message,
                shrink=refused,
                new_list=new_name,
                shrink_form={
                    "format": list_format,
                    "name": name or "",
                    "sha256": expected,
                    "new_list": "yes" if new_list else "",
                },
            )
    if unchanged:
        return RedirectResponse(f"/screening?unchanged={version}", status_code=303)
    return RedirectResponse(f"/screening?imported={version}", status_code=303)
