"""Web UI tests: signed-in browsers of each role over the API tests' clearing house."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from tests.api.conftest import (  # noqa: F401  (fixtures)
    LOGINS,
    PASSWORD,
    House,
    database_url,
    engine,
    house,
    quick_argon2,
)
from tests.e2e.conftest import free_port

ORIGIN = "http://testserver"
"""The test client's own origin, which a browser names on every form post."""
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def browser(clearing_house: House, who: str | None = None) -> TestClient:
    """A new client (its own cookies, posting as a browser does: with this site's
    ``Origin``), signed in as ``who`` (a role or ``trader2``)."""
    client = TestClient(
        clearing_house.client.app,
        raise_server_exceptions=False,
        follow_redirects=False,
        headers={"Origin": ORIGIN},
    )
    if who is not None:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": LOGINS[who][0],
                "password": PASSWORD,
                "csrf_token": csrf_of(page.text),
            },
        )
        assert response.status_code == 303, response.text
    return client


def token(client: TestClient, path: str = "/") -> str:
    """The CSRF token a signed-in page carries."""
    return csrf_of(client.get(path).text)


@contextmanager
def uvicorn_serving(url: str) -> Iterator[str]:
    """The application over the database at ``url``, served by uvicorn in a thread on a
    free port (for a real browser): its base URL once it listens; stopped afterwards."""
    import uvicorn

    from tahator.asgi import create_app

    app = create_app(url)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not instance.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(10)
        app.state.engine.dispose()
