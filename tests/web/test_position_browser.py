"""The trader's day in Chromium, in Persian: find a counterparty by name in the
directory, read the firm's net position in rupees, post a barter offer, download the
statement for a period typed in the Solar Hijri calendar with Persian digits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tahator.services import corridor, offers, users
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.api.conftest import LOGINS, PASSWORD, fill
from tests.conftest import absent_in_ci
from tests.web.conftest import uvicorn_serving

CHROMIUM = Path("/usr/bin/chromium")
DATABASES: dict[str, str] = {}
"""Each served site's database, for checking what the browser stored."""
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
        DATABASES[base] = url
        yield base


def test_a_persian_traders_day_counterparty_position_offer_statement(
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

        page.goto(site + "/market")
        page.click("#new-offer summary")
        page.fill("#f-offer_id", "E2E-FA-1")
        page.fill("#f-valid_until", "۱۴۲۰/۰۱/۰۱")  # Solar Hijri, Persian digits: 2041-03-20
        page.fill("#f-gives_hs", "۱۰۰۶۳۰۱۰")
        page.fill("#f-description", "برنج باسماتی")
        page.fill("#f-quantity", "۱۰۰")
        page.fill("#f-unit", "t")
        page.fill("#f-value", "۵۰,۰۰۰")
        page.select_option("#f-currency", "USD")
        page.fill("#f-wants_hs", "2711")
        page.click("#post-offer")
        page.wait_for_url("**/market/offers/E2E-FA-1?done=posted")
        assert "برنج باسماتی" in page.inner_text("main")
        engine = make_engine(DATABASES[site])
        with transaction(engine) as session:
            (offer,) = offers.list_offers(session, offer_id="E2E-FA-1")
        engine.dispose()
        assert (offer.value.minor, offer.valid_until) == (5_000_000, date(2041, 3, 20))

        page.goto(site + "/position")
        page.fill("#from", "۱۴۰۳/۱۰/۱۲")  # 2025-01-01
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
