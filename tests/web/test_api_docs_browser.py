"""``/api/docs`` in Chromium: Swagger UI from the installed package renders every
operation under the application's own CSP, and no request leaves 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tahator.store import migrate
from tahator.store.database import make_engine
from tests.web.conftest import uvicorn_serving
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'tahator.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    with uvicorn_serving(url) as base:
        yield base


def test_api_docs_render_with_no_request_leaving_the_server(
    docs_server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            response = page.goto(docs_server + "/api/docs")
            assert response is not None
            assert response.status == 200
            csp = response.headers["content-security-policy"]
            assert "unsafe-eval" not in csp
            assert "script-src 'self';" in csp
            page.locator(".opblock").first.wait_for(timeout=30_000)
            page.wait_for_load_state("networkidle")
            operations = page.locator(".opblock-summary-path").all_inner_texts()
            page.screenshot(path=str(tmp_path / "api-docs.png"), full_page=False)
        finally:
            browser.close()
    rendered = {text.replace("\u200b", "").strip() for text in operations}
    assert "/api/v1/auth/token" in rendered
    assert "/api/v1/settlement/instructions/{instruction_id}/confirm" in rendered
    assert len(operations) >= 40, operations
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, requests
    assert errors == [], errors  # a CSP violation is logged as a console error


def test_only_the_named_assets_are_served(docs_server: str) -> None:
    import httpx

    assert httpx.get(docs_server + "/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    for name in ("LICENSE", "..%2F__init__.py", "swagger-editor.js", "index.html"):
        assert httpx.get(docs_server + f"/api/docs/assets/{name}").status_code == 404, name
