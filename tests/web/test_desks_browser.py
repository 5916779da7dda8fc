"""The bank's desk in Chromium at 1366 px: every pending row's Confirm button in view
(none cut off), and bulk confirm with its confirmation step working without
JavaScript, coming back to the instructions, not to the top of the page."""

from __future__ import annotations

from typing import Any

import pytest

from tahator.store.database import transaction
from tahator.store.schema import SettlementInstruction
from tests.api.conftest import LOGINS, PASSWORD
from tests.web.conftest import House, browser, token, uvicorn_serving
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def chromium() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def sign_in(context: Any, base: str, who: str) -> Any:
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", LOGINS[who][0])
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def test_a_bank_confirms_selected_rows_at_1366_px_without_javascript(
    house: House, chromium: Any
) -> None:
    operator = browser(house, "operator")
    assert (
        operator.post(
            "/clearing/run", data={"csrf_token": token(operator, "/clearing")}
        ).status_code
        == 303
    )
    with uvicorn_serving(house.url) as base:
        context = chromium.new_context(
            viewport={"width": 1366, "height": 768}, java_script_enabled=False
        )
        page = sign_in(context, base, "bank")
        page.goto(base + "/clearing?country=PK")
        width = page.evaluate("document.documentElement.clientWidth")
        buttons = page.locator("button[aria-label^='Confirm instruction']")
        assert buttons.count() >= 1
        for n in range(buttons.count()):
            box = buttons.nth(n).bounding_box()
            assert box is not None
            assert box["x"] >= 0, box
            assert box["x"] + box["width"] <= width, box
            scroller = buttons.nth(n).evaluate_handle("b => b.closest('.scroll')")
            frame = scroller.bounding_box()
            assert box["x"] >= frame["x"]
            assert box["x"] + box["width"] <= frame["x"] + frame["width"], (box, frame)
        first = page.locator("input[type=checkbox][name^='pick-']").first
        picked = int(first.get_attribute("name").removeprefix("pick-"))
        first.check()
        page.click("#confirm-selected")
        page.wait_for_url("**/settlement/review")
        assert "Totals per currency" in page.inner_text("main")
        page.click("#confirm-all")
        page.wait_for_url("**/clearing?country=PK&confirmed_count=1#instructions")
        assert "1 instruction confirmed." in page.inner_text("main")
        context.close()
    with transaction(house.engine) as session:
        statuses = {i.id: i.status for i in session.query(SettlementInstruction)}
    assert statuses[picked] == "confirmed"
    assert sum(s == "confirmed" for s in statuses.values()) == 1
