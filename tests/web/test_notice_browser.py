"""A trader in Chromium, in Persian, opens a clearing run and downloads its firm's
set-off notice: a PDF in Persian."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tahator.services import clearing, corridor, users
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.api.conftest import LOGINS, PASSWORD, fill
from tests.conftest import absent_in_ci
from tests.pdf_file import pdf_info, pdf_objects
from tests.web.conftest import uvicorn_serving

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = absent_in_ci(CHROMIUM.exists(), "Chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from argon2 import PasswordHasher

    folder = tmp_path_factory.mktemp("notice")
    url = f"sqlite:///{folder / 'tahator.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with pytest.MonkeyPatch.context() as patch:
        quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(users, "_hasher", quick)
        with transaction(engine) as session:
            corridor.seed(session)
            fill(session, folder)
            clearing.run_clearing(session, "op", date(2026, 7, 1), today=date(2026, 7, 1))
    engine.dispose()
    with uvicorn_serving(url) as base:
        yield base


def test_a_trader_downloads_its_set_off_notice(site: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context(locale="fa-IR", accept_downloads=True)
        context.add_cookies([{"name": "tahator_lang", "value": "fa", "url": site}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(site + "/login")
        page.fill("#username", LOGINS["trader"][0])
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(site + "/")
        page.goto(site + "/clearing/runs/1")
        with page.expect_download() as download:
            page.click("#notice-pdf")
        assert download.value.suggested_filename == "setoff-notice-run-1-PK-1.pdf"
        data = Path(download.value.path()).read_bytes()
        assert data.startswith(b"%PDF-")
        assert pdf_info(data)["Title"].endswith("PK-1")
        assert b"/Lang (fa)" in pdf_objects(data)
        assert errors == []
        context.close()
        chromium.close()
