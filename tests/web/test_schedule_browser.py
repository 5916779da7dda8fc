"""The schedule in Chromium, in English and in Persian (right to left): the operator
reaches /schedule from the clearing page, a trader reads the next run and its cut-off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tahator.io.policy import load_policy
from tahator.services import corridor, users, worker
from tahator.services.common import business_today
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

    folder = tmp_path_factory.mktemp("schedule")
    url = f"sqlite:///{folder / 'tahator.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with pytest.MonkeyPatch.context() as patch:
        quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(users, "_hasher", quick)
        with transaction(engine) as session:
            corridor.seed(session)
            fill(session, folder)
    policy = load_policy()
    worker.run_due(
        lambda: transaction(engine), policy, "browser", business_today(policy.zone), deliver=False
    )
    engine.dispose()
    with uvicorn_serving(url) as base:
        yield base


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_schedule_and_the_traders_next_run(site: str, language: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        errors: list[str] = []
        for who in ("operator", "trader"):
            context = chromium.new_context(viewport={"width": 1280, "height": 860})
            context.add_cookies([{"name": "tahator_lang", "value": language, "url": site}])
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(site + "/login")
            page.fill("#username", LOGINS[who][0])
            page.fill("#password", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_url(site + "/")
            assert page.get_attribute("html", "dir") == ("rtl" if language == "fa" else "ltr")
            if who == "operator":
                page.click("nav a[href='/clearing']")
                page.click("#schedule-link")
                page.wait_for_url(site + "/schedule")
                assert page.locator("#next tr.job-clearing").count() == 3
                assert page.locator("#runs tbody tr").count() >= 4  # sweep, clearing…
                table = page.locator("#next table").bounding_box()
                assert table is not None
                assert table["width"] <= 1280
            else:
                page.goto(site + "/position")
                line = page.locator("#next-run")
                assert line.is_visible()
                assert line.locator("time").count() >= 2  # the run's day and the cut-off's
                box = line.bounding_box()
                assert box is not None
                assert box["x"] >= 0
                assert box["x"] + box["width"] <= 1280
            page.screenshot(path=str(tmp_path / f"{who}-{language}.png"), full_page=True)
            assert errors == []
            context.close()
        chromium.close()
