"""What every page needs: templates, the signed-in user, CSRF tokens, formatting,
and HTML error pages (the API keeps its problem documents)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tahator import display, formatting, i18n
from tahator.domain.money import Amount
from tahator.i18n import N_, _
from tahator.services import access
from tahator.services.schedule import SCHEDULE_READERS
from tahator.services.users import Principal
from tahator.signin import (
    SESSION_COOKIE,
    csrf_matches,
    csrf_token,
    engine_of,
    foreign_origin,
    principal_of,
)
from tahator.store.database import DatabaseBusyError, reading

HERE = Path(__file__).parent
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        # Templates are code: a process serves the ones it started with (load_templates),
        # never a newer file beside older Python (an upgrade in place would fail pages).
        auto_reload=False,
    )
)


# Newstyle gettext: ``_("… %(name)s", name=x)`` formats after translating, escaped.
templates.env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def load_templates() -> None:
    """Compile every page's template now, once per process: with ``auto_reload`` off,
    they are the ones served until the process ends."""
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)


@jinja2.pass_context
def _ngettext(
    context: jinja2.runtime.Context, __singular: str, __plural: str, __num: int, **variables: Any
) -> str:
    """Jinja's newstyle ``ngettext``, with ``%(num)s`` the count in the reader's digits
    (``۳ روز``), not Python's.  (Dunder names, as Jinja's own: ``{% trans count=n %}``
    passes ``count`` as a variable too.)"""
    variables.setdefault("num", display.number(__num))
    text = i18n.ngettext(__singular, __plural, __num)
    if context.eval_ctx.autoescape:
        return Markup(text) % variables
    return text % variables


templates.env.globals["ngettext"] = _ngettext
LOGIN_COOKIE = "tahator_login"
"""A random value set with the sign-in form: the key of that form's CSRF token."""
CSRF_FIELD = "csrf_token"

_Choice = TypeVar("_Choice", bound=StrEnum)


class SignInNeededError(Exception):
    """A page was asked for without a valid session: answered by a redirect to /login."""


class PageError(Exception):
    """An HTML error page: 403, 404 or 422, with a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- sessions and CSRF ---------------------------------------------------------------


def check_csrf(request: Request, key: str | None, given: object, purpose: str = "session") -> None:
    """Refuse (403) a form post that is not same-origin (``signin.foreign_origin``) or
    whose CSRF token is not ``key``'s: both, since cookies are shared across the
    host's ports."""
    if foreign_origin(request) is not None:
        raise PageError(403, _("the form did not come from this site: reload it"))
    if not key or not csrf_matches(key, given, purpose):
        raise PageError(403, _("the form has expired or did not come from this site: reload it"))


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def web_principal(request: Request) -> Principal:
    """The user of the session cookie; otherwise a redirect to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInNeededError
    with reading(engine_of(request)) as session:
        principal = principal_of(session, token, "session")
    if principal is None:
        raise SignInNeededError
    request.state.principal = principal
    return principal


User = Annotated[Principal, Depends(web_principal)]


async def verified_form(request: Request) -> dict[str, Any]:
    """The posted form, after its CSRF token is checked against the session."""
    form = await request.form()
    check_csrf(request, request.cookies.get(SESSION_COOKIE), form.get(CSRF_FIELD))
    return dict(form.multi_items())


Form = Annotated[dict[str, Any], Depends(verified_form)]


def choice(kind: type[_Choice], text: str | None) -> _Choice | None:
    """A list filter from a query string: one of ``kind``'s values, or ``None`` (every
    row) for an empty or unknown one, as a filter form's "any" option means."""
    try:
        return kind(text) if text else None
    except ValueError:
        return None


def allow(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise PageError(403, formatting.not_allowed(principal.role))


def read(request: Request) -> Iterator[Session]:
    with reading(engine_of(request)) as session:
        yield session


Reader = Annotated[Session, Depends(read)]


# --- rendering -----------------------------------------------------------------------


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    token = request.cookies.get(SESSION_COOKIE)
    context.setdefault("csrf", csrf_token(token) if token else "")
    reader = i18n.reader()
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = templates.TemplateResponse(
        request,
        template,
        {
            "user": principal,
            "path": request.url.path,
            "here": here,
            "lang": reader.language,
            "dir": i18n.direction(reader.language),
            "languages": [(code, i18n.NAMES[code]) for code in i18n.LANGUAGES],
            "reader": reader,
            # What the page shows by role, decided by ``access`` (templates name no role):
            "sees_bank_desk": principal is not None and principal.role in access.SETTLERS,
            "sees_bank_accounts": principal is not None
            and principal.role in access.BANK_ACCOUNT_READERS,
            "registers_bank_accounts": principal is not None
            and principal.role in access.ACCOUNT_REGISTRARS,
            "sees_schedule": principal is not None and principal.role in SCHEDULE_READERS,
            "sees_webhooks": principal is not None and principal.role in access.WEBHOOK_READERS,
            "sees_consignments": principal is not None
            and principal.role in access.CONSIGNMENT_READERS,
            "sees_release_times": principal is not None and principal.role in access.REPORT_READERS,
            **context,
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def money(value: Amount | None, currency: str = "") -> str:
    """An amount for the reader (``display.amount_text``: grouping, digits and the
    currency's customary precision), the currency code after it if given:
    ``7,40,43,868.11 PKR``; ``—`` for none.  Rials as tomans where the reader chose."""
    if value is None:
        return "—"
    if currency:
        return display.money(value)
    return display.amount_text(value, toman=value.currency == "IRR" and i18n.reader().toman)


def compact(value: Amount | None, currency: str = "") -> str:
    """Large amounts in words: ``2.63 billion USD``; ``—`` for none."""
    if value is None:
        return "—"
    if i18n.language() == "en":
        return formatting.compact(value, currency)
    from babel.numbers import format_compact_decimal

    whole = value.minor // 10**value.digits
    text = format_compact_decimal(
        whole, format_type="long", fraction_digits=2, locale=display.BABEL_LOCALE[i18n.language()]
    )
    return f"{display.digits(text)} {currency}".strip()


def day(value: date | datetime | str | None) -> Markup:
    """A date or timestamp in a ``<time>`` element, for the reader: a date in the
    reader's calendar (Solar Hijri in Persian, its Latin-digit and Gregorian forms on
    hover), a timestamp in the reader's zone (UTC on hover)."""
    if isinstance(value, str) and len(value) > 10 and value[10] == "T":
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return Markup("{}").format(value)
    elif isinstance(value, str) and len(value) == 10:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return Markup("{}").format(value)
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, datetime):
        hover = formatting.day(value)
        if i18n.language() == "fa":
            hover = f"{display.solar_hijri(display.local_time(value).date())} · {hover}"
        return Markup('<time datetime="{}" title="{}">{}</time>').format(
            value.isoformat(), hover, display.moment(value)
        )
    if isinstance(value, date):
        if i18n.language() != "fa":
            return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), value)
        return Markup('<time datetime="{}" title="{} · {}">{}</time>').format(
            value.isoformat(), display.solar_hijri(value), value, display.calendar_day(value)
        )
    return Markup("{}").format(value)


STATES = {
    "active": N_("active"),
    "running": N_("running"),
    "completed": N_("completed"),
    "pending": N_("pending"),
    "confirmed": N_("confirmed"),
    "returned": N_("returned"),
    "held": N_("held"),
    "submitted": N_("submitted"),
    "authorized": N_("authorized"),
    "balanced": N_("balanced"),
    "cancelled": N_("cancelled"),
    "rejected": N_("rejected"),
    "open": N_("open"),
    "proposed": N_("proposed"),
    "bound": N_("bound"),
    "binding": N_("binding"),
    "declined": N_("declined"),
    "accepted": N_("accepted"),
    "set_off": N_("set off"),
    "in_settlement": N_("in settlement"),
    "planned": N_("planned"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
    "collection": N_("collection"),
    "payout": N_("payout"),
    "match": N_("match"),
    "review": N_("review"),
    "clear": N_("clear"),
    "unscreened": N_("unscreened"),
    "blocked": N_("blocked"),
    "cleared": N_("cleared"),
    "false_positive": N_("false positive"),
    "joint_and_several": N_("joint and several"),
}
"""Each state and kind a badge shows, in the catalogue (a value not listed is shown
as stored)."""


def state_name(value: object) -> str:
    """A state for the reader: ``set_off`` → "set off", in the reader's language."""
    text = str(getattr(value, "value", value))
    return _(STATES[text]) if text in STATES else text.replace("_", " ")


def number(value: int | None) -> str:
    """A count for the reader: ``1,580``, ``۱٬۵۸۰``."""
    return "—" if value is None else display.number(value)


def segment(value: object) -> str:
    """``value`` as one URL path segment: ``/``, ``?``, ``#``, ``%`` and all but
    unreserved characters percent-encoded (Jinja's ``urlencode`` leaves ``/``), so that
    a link reaches any stored id: ``href="/firms/{{ f.id | segment }}"``."""
    from urllib.parse import quote

    return quote(str(value), safe="")


templates.env.filters.update(
    money=money,
    compact=compact,
    day=day,
    number=number,
    percent=display.percent,
    digits=lambda value: display.digits(str(value)),  # a year or month, in the reader's
    segment=segment,
    currency_name=display.currency_name,
    country_name=display.country_name,
    state_name=state_name,
)
templates.env.filters["amount"] = formatting.amount  # an Amount as a plain decimal string


# --- errors as pages -----------------------------------------------------------------

Handler = Callable[[Request, Any], Any]


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/openapi.json")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    titles = {403: _("Not allowed"), 404: _("Not found"), 405: _("Not allowed")}
    titles[422] = _("Not accepted")
    return render(
        request,
        "error.html",
        principal,
        status=status,
        title=titles.get(status, _("Something went wrong")),
        message=message,
    )


async def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """``error_page``, with the session's user found (off the event loop) when no route
    did, as for an unknown address: the page keeps the user's navigation, and its
    language switch its CSRF token.  Not for a server error: the database may be what
    failed."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and status < 500 and getattr(request.state, "principal", None) is None:
        request.state.principal = await run_in_threadpool(_signed_in, request, token)
    return error_page(request, status, message)


def _signed_in(request: Request, token: str) -> Principal | None:
    try:
        with reading(engine_of(request)) as session:
            return principal_of(session, token, "session")
    except (SQLAlchemyError, DatabaseBusyError):  # the page still answers, as signed out
        return None


def install_errors(app: FastAPI) -> None:
    """Pages get HTML errors; the API keeps its problem documents."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from tahator.domain.errors import InputError, NotFoundError, TahatorError

    async def sign_in(request: Request, error: Exception) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        response = RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        return await _error_page(request, error.status, error.message)

    app.add_exception_handler(SignInNeededError, sign_in)
    app.add_exception_handler(PageError, page_error)

    def wrap(kind: type[Exception] | int, status_of: Callable[[Any], int]) -> None:
        api_handler: Handler = app.exception_handlers[kind]

        async def handler(request: Request, error: Any) -> Response:
            if not _is_page(request):
                return await _call(api_handler, request, error)
            status = status_of(error)
            if status == 500:
                await _call(api_handler, request, error)  # logs it
                return error_page(request, status, _("an internal error; it has been logged"))
            return await _error_page(request, status, _message(error, status))

        app.exception_handlers[kind] = handler

    wrap(StarletteHTTPException, lambda e: e.status_code)
    wrap(RequestValidationError, lambda e: 422)
    wrap(NotFoundError, lambda e: 404)
    wrap(InputError, lambda e: 422)
    wrap(DatabaseBusyError, lambda e: 503)
    wrap(TahatorError, lambda e: 422)
    wrap(Exception, lambda e: 500)


async def _call(handler: Handler, request: Request, error: Any) -> Response:
    result = handler(request, error)
    if isinstance(result, Awaitable):
        result = await result
    assert isinstance(result, Response)
    return result


def _message(error: Any, status: int) -> str:
    if status == 404:
        return _("There is no such page, or it is not visible to you.")
    problems = getattr(error, "problems", None)
    if isinstance(problems, list):
        return "; ".join(describe(p) for p in problems)
    if hasattr(error, "errors") and callable(error.errors):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in error.errors()
        )
    return str(getattr(error, "detail", None) or error)


def describe(problem: Any) -> str:
    """A service's problem as ``line 3: amount: not a number``."""
    parts = []
    if getattr(problem, "line", None):
        parts.append(_("line %(line)s") % {"line": problem.line})
    if getattr(problem, "field", None):
        parts.append(str(problem.field))
    parts.append(str(problem.message))
    return ": ".join(parts)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def new_login_key() -> str:
    return secrets.token_urlsafe(32)
