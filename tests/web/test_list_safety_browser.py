"""Operator safety in Chromium (issue 19): a failed list import shows its error and no
"clear"; a shrinking list is imported only after a confirmation step showing the
counts; a held firm's page shows its true state with its hits; a held firm's trader
reads a neutral notice on the dashboard, with no entry, reference or score."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tahator.io.un_list import read_list
from tahator.services import corridor, list_imports, screening, screening_views, users
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.api.conftest import LOGINS, PASSWORD, fill
from tests.api.test_screening_api import LOOK_ALIKE
from tests.integration.conftest import import_firms_file
from tests.list_files import only, references
from tests.unit.test_screening import BILLION_LAUGHS, SAMPLE
from tests.web.conftest import uvicorn_serving
from tests.web.test_browser import chromium, pytestmark  # noqa: F401  (fixture, skip rule)


@dataclass
class Site:
    url: str
    engine: Engine
    folder: Path


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A clearing house with one user per role, IR-9 (a look-alike of a listed entity)
    and its trader, and no list, served by uvicorn."""
    from argon2 import PasswordHasher

    url = f"sqlite:///{tmp_path / 'tahator.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        with transaction(engine) as session:
            corridor.seed(session)
            fill(session, tmp_path)
            data = (
                "id,name,country,tax_id\n"
                f"{LOOK_ALIKE['id']},{LOOK_ALIKE['name']},IR,{LOOK_ALIKE['tax_id']}\n"
            ).encode()
            import_firms_file(session, Path("f.csv"), "test", data=data)
            users.create_user(session, "trader9", "trader", PASSWORD, "test", "IR-9")
    with uvicorn_serving(url) as base:
        yield Site(base, engine, tmp_path)
    engine.dispose()


def hold_look_alike(site: Site) -> None:
    """The UN sample in force: IR-9 is held."""
    with transaction(site.engine) as session:
        list_imports.import_list(session, read_list("un", SAMPLE), "test")
        assert [f.firm for f in screening.queue(session)] == ["IR-9"]


@pytest.fixture
def signed_in(chromium: Any, site: Site) -> Iterator[Any]:  # noqa: F811
    contexts: list[Any] = []
    errors: list[str] = []

    def open_as(username: str) -> Any:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(site.url + "/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(site.url + "/")
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert errors == [], errors


def import_in_page(page: Any, name: str, data: bytes) -> None:
    page.set_input_files("#file", {"name": name, "mimeType": "application/xml", "buffer": data})
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state()


def test_a_failed_import_shows_the_error_and_never_clear(site: Site, signed_in: Any) -> None:
    page = signed_in(LOGINS["operator"][0])
    page.goto(site.url + "/screening")
    import_in_page(page, "laughs.xml", BILLION_LAUGHS)
    error = page.locator("#list-error")
    assert error.is_visible()
    assert "unsafe XML" in error.inner_text()
    body = page.locator("main").inner_text()
    assert "clear." not in body
    assert page.locator("#check-result").count() == 0
    # A check without any list in force says so: no green "clear".
    page.fill("#name", "Karachi Rice Mills")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()
    assert "clear." not in page.locator("main").inner_text()
    assert "no sanctions list is imported" in page.locator("#check").inner_text()
    assert page.locator(".alert.ok").count() == 0


def test_a_shrinking_import_needs_the_confirmation_step(site: Site, signed_in: Any) -> None:
    page = signed_in(LOGINS["operator"][0])
    page.goto(site.url + "/screening")
    import_in_page(page, "un.xml", SAMPLE.read_bytes())
    assert "UN list version 1 imported (21 entries)" in page.locator("#imported").inner_text()
    small = only([*references()[:3], "IRe.070"], site.folder / "small.xml").read_bytes()
    import_in_page(page, "small.xml", small)
    step = page.locator("#shrink-confirm")
    assert step.is_visible()
    text = step.inner_text()
    assert "would remove 17 of 21 entries (81 %)" in text
    assert "17 removed" in text
    assert "clear." not in page.locator("main").inner_text()
    page.screenshot(path=str(site.folder / "shrink-confirm.png"), full_page=True)
    # Still version 1 in force: nothing was stored.
    assert "UN version 1 (21 entries" in page.locator("#checked-against").inner_text()
    page.set_input_files(
        "#confirm-file", {"name": "small.xml", "mimeType": "application/xml", "buffer": small}
    )
    page.check("#shrink-confirm input[name=confirm_shrink]")
    page.click("#shrink-confirm button[type=submit]")
    page.wait_for_url(site.url + "/screening?imported=2")
    report = page.locator("#imported").inner_text()
    assert "UN list version 2 imported (4 entries)" in report
    assert "17 removed" in report
    assert "UN version 2 (4 entries" in page.locator("#checked-against").inner_text()


def test_a_held_firm_s_page_shows_its_true_state_and_hits(site: Site, signed_in: Any) -> None:
    hold_look_alike(site)
    page = signed_in(LOGINS["operator"][0])
    page.goto(site.url + "/firms")
    row = page.locator("tr", has_text="IR-9")
    assert "held for review" in row.inner_text()
    page.goto(site.url + "/firms/IR-9")
    assert page.locator("#screening-state").inner_text() == "held for review"
    page.click("a[href='#screening-hits']")
    hits = page.locator("#screening-hits")
    assert hits.is_visible()
    assert "IRe.070" in hits.inner_text()
    assert "UN Iran" in hits.inner_text()
    assert "awaiting a decision" in hits.inner_text()
    page.screenshot(path=str(site.folder / "held-firm.png"), full_page=True)


def test_a_held_trader_sees_a_neutral_notice_and_nothing_of_the_hit(
    site: Site, signed_in: Any
) -> None:
    hold_look_alike(site)
    with transaction(site.engine) as session:
        hit = screening.firm_screening(session, "IR-9").hits[0]
    page = signed_in("trader9")
    notice = page.locator("#held-notice")
    assert notice.is_visible()
    assert notice.inner_text() == screening_views.HELD_NOTICE
    body = page.locator("main").inner_text()
    for told in (hit.reference, hit.name, str(hit.score), "blocked", "confirmed", "sanction"):
        assert told not in body, told
    page.screenshot(path=str(site.folder / "held-trader.png"), full_page=True)
    # A confirmed match reads the same: the trader cannot tell the two apart.
    with transaction(site.engine) as session:
        screening.decide(session, "IR-9", "confirmed", "the listed entity", "operator:op")
    page.reload()
    assert page.locator("#held-notice").inner_text() == screening_views.HELD_NOTICE
    assert "confirmed" not in page.locator("main").inner_text()
    # A trader of a clear firm reads no notice.
    other = signed_in(LOGINS["trader"][0])
    assert other.locator("#held-notice").count() == 0


def test_a_new_list_name_needs_the_confirmation_step(site: Site, signed_in: Any) -> None:
    page = signed_in(LOGINS["operator"][0])
    page.goto(site.url + "/screening")
    import_in_page(page, "un.xml", SAMPLE.read_bytes())
    sdn = only(["IRe.070"], site.folder / "sdn.xml").read_bytes()
    page.fill("#list-name", "OFAC SDN")
    import_in_page(page, "sdn.xml", sdn)
    step = page.locator("#new-list-confirm")
    assert step.is_visible()
    assert "'OFAC SDN' is a new list (the lists are: UN)" in step.inner_text()
    assert "OFAC SDN" not in page.locator("#checked-against").inner_text()  # nothing stored
    page.set_input_files(
        "#new-list-file", {"name": "sdn.xml", "mimeType": "application/xml", "buffer": sdn}
    )
    page.check("#new-list-confirm input[name=new_list]")
    page.click("#new-list-confirm button[type=submit]")
    page.wait_for_url(site.url + "/screening?imported=2")
    assert "OFAC SDN list version 2 imported (1 entries)" in page.locator("#imported").inner_text()
    assert "OFAC SDN version 2 (1 entries" in page.locator("#checked-against").inner_text()
