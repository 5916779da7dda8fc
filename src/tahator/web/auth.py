"""Signing in and out of the web UI: a session cookie (HTTP-only, SameSite=Lax,
Secure over https) holding a token of kind ``session``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import plotly
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from tahator import signin
from tahator.i18n import _
from tahator.signin import SESSION_COOKIE, csrf_token, engine_of
from tahator.web import language
from tahator.web.core import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    check_csrf,
    new_login_key,
    render,
    safe_next,
    secure,
)

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _login_page(
    request: Request, next_: str, username: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    key = request.cookies.get(LOGIN_COOKIE) or new_login_key()
    response = render(
        request,
        "login.html",
        None,
        status=status,
        csrf=csrf_token(key, "login"),
        next=safe_next(next_),
        username=username,
        error=error,
    )
    response.set_cookie(
        LOGIN_COOKIE, key, httponly=True, samesite="lax", secure=secure(request), path="/"
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next_: Annotated[str, Query(alias="next")] = "/") -> HTMLResponse:
    return _login_page(request, next_)


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_ = str(form.get("next", "/"))
    check_csrf(request, request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD), "login")
    if not username.strip() or not password:
        return _login_page(
            request, next_, username, _("Enter your username and password."), status=422
        )
    if len(username) > 100 or len(password) > 1024:
        return _login_page(request, next_, "", _("Wrong username or password."), status=401)
    try:
        signed_in = signin.sign_in(
            engine_of(request),
            username.strip(),
            password,
            "session",
            signin.client_address(request),
        )
    except signin.LockedError as error:
        message = _("Too many failed attempts: try again in %(seconds)s s.") % {
            "seconds": error.retry_after
        }
        return _login_page(request, next_, username, message, status=429)
    except signin.AuthenticationError:
        message = _("Wrong username or password.")
        return _login_page(request, next_, username, message, status=401)
    response = RedirectResponse(safe_next(next_), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        max_age=signed_in.lifetime,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    if signed_in.reader is not None:
        language.remember(response, request, signed_in.reader)
    else:  # the browser's language goes on deciding; times in the firm's zone
        response.set_cookie(
            language.ZONE_COOKIE,
            signed_in.zone,
            max_age=language.YEAR,
            samesite="lax",
            secure=secure(request),
            path="/",
        )
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    form = await request.form()
    token = request.cookies.get(SESSION_COOKIE)
    check_csrf(request, token, form.get(CSRF_FIELD))
    if token:
        signin.sign_out(engine_of(request), token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/static/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """Plotly from the installed package: the UI needs no network."""
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
