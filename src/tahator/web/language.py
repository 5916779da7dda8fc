"""Which language, zone and rial unit each request is answered in, and where a user
chooses them.

The choice is kept in cookies, set from the user's profile when the user signs in and
whenever it is changed (the switch on every page, the profile page); without them the
browser's ``Accept-Language`` decides, then English.  The middleware puts the choice
in ``tahator.i18n``'s context for the request, so pages, messages and the API's
problem documents agree.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tahator import i18n
from tahator.domain.errors import InputError
from tahator.i18n import DEFAULT_ZONE, LANGUAGES, ZONES, Reader, _
from tahator.services import users
from tahator.signin import SESSION_COOKIE, engine_of, principal_of
from tahator.store.database import reading, transaction
from tahator.web.core import Form, PageError, User, check_csrf, render, safe_next, secure

router = APIRouter(include_in_schema=False)

LANGUAGE_COOKIE = "tahator_lang"
ZONE_COOKIE = "tahator_zone"
TOMAN_COOKIE = "tahator_toman"
YEAR = 365 * 24 * 3600


def reader_of(cookies: dict[str, str], accept_language: str | None) -> Reader:
    """The reader a request's cookies and ``Accept-Language`` header describe."""
    lang = i18n.known(cookies.get(LANGUAGE_COOKIE)) or i18n.negotiate(accept_language)
    zone = cookies.get(ZONE_COOKIE, "")
    return Reader(
        lang or LANGUAGES[0],
        zone if zone in ZONES else DEFAULT_ZONE,
        cookies.get(TOMAN_COOKIE) == "1",
    )


class ReaderMiddleware:
    """Sets ``tahator.i18n``'s reader for each HTTP request (pure ASGI: the context
    variable reaches the endpoint, its thread pool and the exception handlers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers.get("cookie", ""))
            except Exception:
                jar = SimpleCookie()
            cookies = {key: morsel.value for key, morsel in jar.items()}
            i18n.use(reader_of(cookies, headers.get("accept-language")))
        await self.app(scope, receive, send)


def remember(response: Response, request: Request, reader: Reader) -> None:
    """Set the reader's cookies on ``response`` (readable by the page's script: they
    hold no secret)."""
    for name, value in (
        (LANGUAGE_COOKIE, reader.language),
        (ZONE_COOKIE, reader.zone),
        (TOMAN_COOKIE, "1" if reader.toman else "0"),
    ):
        response.set_cookie(
            name, value, max_age=YEAR, samesite="lax", secure=secure(request), path="/"
        )


@router.post("/language", response_model=None)
async def switch(request: Request) -> Response:
    """The switch on every page: answer in another language from now on.  A signed-in
    user's profile keeps the choice (the form then carries the session's CSRF token);
    before signing in, only this browser does."""
    form = await request.form()
    chosen = i18n.known(str(form.get("language", "")))
    if chosen is None:
        raise PageError(422, _("Choose English, Persian or Urdu."))
    target = safe_next(str(form.get("next", "/")))
    current = i18n.reader()
    reader = Reader(chosen, current.zone, current.toman)
    token = request.cookies.get(SESSION_COOKIE)
    principal = None
    if token:
        with reading(engine_of(request)) as session:
            principal = principal_of(session, token, "session")
    if principal is not None:
        check_csrf(request, token, form.get("csrf_token"))
        with transaction(engine_of(request)) as session:
            users.save_reader(session, principal, reader)
    response = RedirectResponse(target, status_code=303)
    remember(response, request, reader)
    return response


@router.get("/profile", response_class=HTMLResponse)
def profile(request: Request, user: User) -> HTMLResponse:
    return render(request, "profile.html", user, title=_("Profile"), saved=False)


@router.post("/profile", response_class=HTMLResponse, response_model=None)
def save_profile(request: Request, user: User, form: Form) -> Response:
    reader = Reader(
        str(form.get("language", "")), str(form.get("zone", "")), form.get("toman") == "1"
    )
    try:
        with transaction(engine_of(request)) as session:
            saved = users.save_reader(session, user, reader)
    except InputError as error:
        problems = "; ".join(str(p) for p in error.problems)
        message = _("Not saved: %(problems)s") % {"problems": problems}
        return render(
            request,
            "profile.html",
            user,
            status=422,
            title=_("Profile"),
            saved=False,
            error=message,
        )
    i18n.use(saved)
    response = render(request, "profile.html", user, title=_("Profile"), saved=True)
    remember(response, request, saved)
    return response
