"""No password, token, cookie or query string in any log line: Tahator's JSON lines and
uvicorn's own (its access log on, as it is by default), over a real server."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from tahator import logs
from tahator.asgi import create_app
from tests.api.conftest import PASSWORD, House
from tests.e2e.conftest import free_port
from tests.web.conftest import csrf_of

LOGGERS = ("tahator", "uvicorn", "uvicorn.access", "uvicorn.error")


class Kept(logging.Handler):
    """Every record, formatted as its own handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.json = logs.JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("tahator"):
            self.lines.append(self.json.format(record))
        else:
            self.lines.append(record.getMessage())


@pytest.fixture
def served(house: House) -> Iterator[tuple[str, Kept]]:
    """The application behind uvicorn with its access log on, every log line kept."""
    app = create_app(house.url)
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="info")
    server = uvicorn.Server(config)  # its logging is configured by now: keep from here on
    kept = Kept()
    for name in LOGGERS:
        logging.getLogger(name).addHandler(kept)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{config.port}", kept
    finally:
        server.should_exit = True
        thread.join(10)
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(kept)
        app.state.engine.dispose()


def test_no_secret_reaches_a_log_line(
    served: tuple[str, Kept], capfd: pytest.CaptureFixture[str]
) -> None:
    base, kept = served
    secrets: list[str] = [PASSWORD, "wrong-password-0123", "needle-in-the-query"]
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        # A failed sign-in, then a good one over the API: a token.
        refused = client.post(
            "/api/v1/auth/token", data={"username": "op", "password": "wrong-password-0123"}
        )
        assert refused.status_code == 401
        signed_in = client.post("/api/v1/auth/token", data={"username": "op", "password": PASSWORD})
        assert signed_in.status_code == 200
        token = signed_in.json()["access_token"]
        secrets.append(token)
        bearer = {"Authorization": f"Bearer {token}"}
        # The token used, with a query string that must not be logged either.
        listed = client.get(
            "/api/v1/firms?q=needle-in-the-query&limit=5",
            headers=bearer | {"X-Request-ID": "secrets-1"},
        )
        assert listed.status_code == 200
        assert client.get("/metrics", headers=bearer).status_code == 200
        # The web sign-in: a password in a form, a session cookie and a CSRF token back.
        form = client.get("/login")
        csrf = csrf_of(form.text)
        secrets.append(csrf)
        page = client.post(
            "/login",
            data={"username": "op", "password": PASSWORD, "csrf_token": csrf},
            headers={"Origin": base},
        )
        assert page.status_code == 303, page.text
        session = page.cookies.get("tahator_session") or next(iter(page.cookies.values()))
        secrets.append(session)
        assert client.get("/", headers={"Cookie": f"tahator_session={session}"}).is_success
        assert client.post("/api/v1/auth/revoke", headers=bearer).is_success
    time.sleep(0.2)  # uvicorn logs a response's line after sending it
    written = capfd.readouterr()
    every_line = "\n".join([*kept.lines, written.out, written.err])
    # The lines were written, and say what happened.
    assert '"client_request_id":"secrets-1"' in every_line  # no trusted proxy: beside ours
    assert '"route":"/api/v1/firms"' in every_line
    assert '"path":"/api/v1/firms"' in every_line
    assert '"user":"operator:op"' in every_line
    assert "GET /api/v1/firms HTTP/1.1" in every_line  # uvicorn's, without its query
    for secret in secrets:
        assert secret not in every_line, secret


def test_redaction_guards_what_callers_might_pass(capfd: pytest.CaptureFixture[str]) -> None:
    logs.configure()
    capfd.readouterr()
    logs.line(
        "request",
        path="/login?password=hunter2222",
        password="hunter2222",
        webhook_secret="whsec-1",
        access_token="tok-1",
        note="sent Authorization: Bearer tok-2 and password=hunter3333",
    )
    logging.getLogger("tahator.api").warning(
        "retrying with Bearer tok-3, cookie=tahator_session-1", exc_info=False
    )
    err = capfd.readouterr().err
    for secret in ("hunter2222", "hunter3333", "whsec-1", "tok-1", "tok-2", "tok-3", "session-1"):
        assert secret not in err, (secret, err)
    assert '"path":"/login"' in err
    assert err.count(logs.REDACTED) >= 6
