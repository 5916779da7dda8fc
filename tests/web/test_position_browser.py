"""The trader's day in Chromium, in Persian: find a counterparty by name in the
directory, read the firm's net position in rupees, download the statement."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from tahator.services import corridor, users
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.api.conftest import LOGINS, PASSWORD, fill
from tests.conftest import absent_in_ci
from tests.web.conftest import uvicorn_serving

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = absent_in_ci(CHROMIUM.exists(), "Chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from argon2 import PasswordHasher

    folder = tmp_path_factory.mktemp("position")
    url = f"sqlite:///{folder / 'tahator.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with pytest.MonkeyPatch.context() as patch:
        quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(users, "_hasher", quick)
        with transaction(engine) as session:
            corridor.seed(session)
            fill(session, folder)
    engine.dispose()
    with uvicorn_serving(url) as base:
        yield base


def test_a_persian_trader_finds_a_counterparty_reads_its_position_and_downloads_a_statement(
    site: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context(
            viewport={"width": 1280, "height": 860}, locale="fa-IR", accept_downloads=True
        )
        context.add_cookies([{"name": "tahator_lang", "value": "fa", "url": site}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(site + "/login")
        page.fill("#username", LOGINS["trader"][0])
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(site + "/")
        assert page.get_attribute("html", "dir") == "rtl"

        page.click("#position-link")
        page.wait_for_url(site + "/position")
        net = page.inner_text("#net-local")
        assert net.endswith("PKR")
        assert "۱٬۱۲٬۴۰۰" in net  # −112,400.00 PKR in lakh groups, Persian digits
        page.screenshot(path=str(tmp_path / "position-fa.png"), full_page=True)

        page.goto(site + "/firms")
        page.fill("#q", "ir-2 TRADING")
        page.press("#q", "Enter")
        page.wait_for_load_state("networkidle")
        rows = page.inner_text("#firm-list tbody")
        assert "IR-2 Trading" in rows
        assert "PK-1 Trading" not in rows

        page.goto(site + "/position")
        page.fill("#from", "2025-01-01")
        page.fill("#to", "2030-12-31")
        with page.expect_download() as download:
            page.click("#statement-csv")
        text = Path(download.value.path()).read_text()
        lines = list(csv.DictReader(io.StringIO(text)))
        assert [line["reference"] for line in lines] == ["INV-1", "INV-3"]
        with page.expect_download() as download:
            page.click("#statement-pdf")
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        assert errors == []
        context.close()
        chromium.close()
