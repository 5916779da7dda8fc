"""A customs officer in Chromium records a consignment's phases with one click each, the
time left at its default (now), in English and in Urdu (right to left); the lane the
rules chose shows; a trader's page of the same consignment shows its status only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tahator.io.policy import load_policy
from tahator.services import consignments, corridor, users
from tahator.services.consignments import ConsignmentRecord
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

    folder = tmp_path_factory.mktemp("consignments")
    url = f"sqlite:///{folder / 'tahator.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    lodged = datetime.now(UTC) - timedelta(hours=3)
    with pytest.MonkeyPatch.context() as patch:
        quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(users, "_hasher", quick)
        with transaction(engine) as session:
            corridor.seed(session)
            fill(session, folder)
            for reference in ("TFN-1", "MND-2"):
                record = ConsignmentRecord(
                    reference=reference,
                    crossing=reference[:3],
                    direction="import",
                    vehicle="IR 12B345-67",
                    firm_id="PK-1",
                    origin="IR",
                    lodged_at=lodged,
                )
                consignments.register(session, load_policy(), record, "customs")
    engine.dispose()
    with uvicorn_serving(url) as base:
        yield base


@pytest.mark.parametrize(("language", "consignment"), [("en", 1), ("ur", 2)])
def test_an_officer_records_phases_with_one_click_each(
    site: str, language: str, consignment: int
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context(locale=language)
        context.add_cookies([{"name": "tahator_lang", "value": language, "url": site}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(site + "/login")
        page.fill("#username", LOGINS["customs"][0])
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(site + "/")
        page.click("nav a[href='/consignments']")
        page.click(f"#consignment-{consignment} a")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ur" else "ltr")
        assert page.input_value("#f-at")  # now, in the officer's zone, editable
        assert page.locator("#phase-arrived time").count() == 0
        page.click("#record-arrived")
        page.wait_for_url(f"**/consignments/{consignment}?done=arrived")
        assert page.locator("#phase-arrived time").count() == 1
        page.click("#record-lane")
        page.wait_for_url(f"**/consignments/{consignment}?done=lane")
        assert page.locator("#phase-lane time").count() == 1
        lane = page.get_attribute("#lane", "class") or ""
        assert lane.split()[-1] in {"lane-green", "lane-blue", "lane-yellow", "lane-red"}
        assert page.locator("#selections").count() == 1  # how it was chosen, to customs
        # The phases the lane calls for, one click each, until release.
        for _ in range(3):
            if page.locator("#record-released").count():
                break
            if page.locator("#record-documents").count():
                page.click("#record-documents")
                page.wait_for_url(f"**/consignments/{consignment}?done=documents")
            elif page.locator("#inspection-form").count():
                page.check("#result-clear")
                page.click("#record-inspected")
                page.wait_for_url(f"**/consignments/{consignment}?done=inspected")
        page.click("#record-released")
        page.wait_for_url(f"**/consignments/{consignment}?done=released")
        assert page.locator("#phase-released time").count() == 1
        assert page.locator("#override-form").count() == 0  # released: the lane is final
        assert errors == []
        context.close()

        trader = chromium.new_context(locale=language)
        trader.add_cookies([{"name": "tahator_lang", "value": language, "url": site}])
        page = trader.new_page()
        page.goto(site + "/login")
        page.fill("#username", LOGINS["trader"][0])
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(site + "/")
        page.goto(f"{site}/consignments/{consignment}")
        assert page.locator("#phase-released time").count() == 1
        assert page.locator("#lane").count() == 1
        for hidden in ("#selections", "#phase-form", "#override-form"):
            assert page.locator(hidden).count() == 0, hidden
        trader.close()
        chromium.close()
