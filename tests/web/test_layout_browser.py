"""The layout in a real browser, over the demo corridor (``tahator demo``'s data and
logins): at 390×844 no page is wider than the screen, in English, Persian and Urdu,
for every role, every page in its menu and a detail page of each kind; at 1366×768 no
button in a table is cut off; Persian and Urdu pages are right-to-left and their text
is drawn with the fonts the package ships.

The pages are found from the menu itself, and detail pages from the links on each
menu page, so a page added to the menu is measured without changing this test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tahator.demo import run_demo
from tahator.store.database import make_engine
from tahator.web.demo import DEMO_PASSWORD, ensure_logins
from tests.web.conftest import uvicorn_serving
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    CHROMIUM_ARGS,
    chromium,
    pytestmark,
)

ROLES = ("operator", "trader-pk", "bank", "customs", "auditor")
LANGUAGES = ("en", "fa", "ur")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
DOWNLOAD = re.compile(r"\.[a-z]+$")
"""A link to a file (``.csv``, ``.pdf``, ``.xlsx``): not a page to measure."""

WIDER = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.width > 0 && (r.right > width + 1 || r.left < -1)
                          && !e.closest(".scroll"); })
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + "." + e.className + " "
              + (e.textContent || "").trim().slice(0, 40));
}"""
CUT_OFF = """() => [...document.querySelectorAll("main table button, main table a.button")]
  .filter(b => b.getClientRects().length)
  .filter(b => { const box = (b.closest(".scroll") || document.documentElement)
                   .getBoundingClientRect();
                 const r = b.getBoundingClientRect();
                 const right = Math.min(box.right, document.documentElement.clientWidth);
                 return r.right > right + 1 || r.left < Math.max(box.left, 0) - 1; })
  .slice(0, 5)
  .map(b => (b.getAttribute("aria-label") || b.textContent).trim())"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo corridor served by uvicorn: its base URL."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url)
    run_demo(engine, 2025, folder / "var")
    ensure_logins(engine)
    engine.dispose()
    with uvicorn_serving(url) as base:
        yield base


def signed_in(chromium: Any, base: str, role: str, language: str, size: dict[str, int]) -> Any:  # noqa: F811
    """A page signed in as the demo ``role``, answering in ``language`` (chosen with the
    switch in the header, as a user would)."""
    context = chromium.new_context(viewport=size, device_scale_factor=1)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", f"demo-{role}")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")
    page.click(f".lang-switch button[value={language}]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == language
    return page


def every_page(page: Any, base: str, measure: Any) -> int:
    """Visit every page in the menu, then the first detail page of each kind linked
    from them (``/firms/PK-0001``, ``/clearing/runs/1`` …), then the profile; call
    ``measure(path)`` on each once it has loaded.  Returns how many were measured."""
    menu = page.eval_on_selector_all("nav.nav a", "as => as.map(a => a.getAttribute('href'))")
    assert len(menu) >= 5, menu
    details: list[str] = []
    kinds: set[str] = set()
    for href in menu:
        response = page.goto(base + href)
        assert response is not None
        assert response.status == 200, href
        measure(href)
        if href == "/":
            continue
        links = page.eval_on_selector_all(
            "main a[href^='/']", "as => as.map(a => a.getAttribute('href'))"
        )
        for link in links:
            path = link.split("?")[0].split("#")[0]
            if not path.startswith(href.rstrip("/") + "/") or DOWNLOAD.search(path):
                continue
            kind = re.sub(r"/[^/]*\d[^/]*", "/N", path)
            if kind not in kinds:
                kinds.add(kind)
                details.append(link)
    assert details, "no detail page linked from the menu's pages"
    for path in [*details, "/profile"]:
        response = page.goto(base + path)
        assert response is not None
        assert response.status == 200, path
        measure(path)
    return len(menu) + len(details) + 1


@pytest.mark.parametrize("role", ROLES)
def test_no_page_is_wider_than_a_phone(chromium: Any, demo: str, role: str) -> None:  # noqa: F811
    wider: list[str] = []
    measured = 0
    for language in LANGUAGES:
        page = signed_in(chromium, demo, role, language, PHONE)

        def measure(path: str, page: Any = page, language: str = language) -> None:
            scroll, client = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if scroll > client:
                wider.append(f"{language} {path}: {scroll} > {client} {page.evaluate(WIDER)}")

        try:
            measured += every_page(page, demo, measure)
        finally:
            page.context.close()
    assert measured >= 3 * 8
    assert not wider, "\n".join(wider)


def test_the_phone_menu_opens_without_a_script(chromium: Any, demo: str) -> None:  # noqa: F811
    page = signed_in(chromium, demo, "operator", "fa", PHONE)
    try:
        first = page.locator("nav.nav li a").first
        assert not first.is_visible()  # folded away: the page starts with its content
        summary = page.locator("nav.nav summary")
        assert summary.is_visible()
        box = summary.bounding_box()
        assert box is not None
        assert box["width"] <= PHONE["width"]
        summary.click()
        assert first.is_visible()
        for link in page.locator("nav.nav li a").all():
            box = link.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= PHONE["width"] + 1
    finally:
        page.context.close()
    # Without JavaScript the disclosure is the browser's own: it still opens.
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(demo + "/login")
        page.fill("#username", "demo-operator")
        page.fill("#password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(demo + "/")
        page.locator("nav.nav summary").click()
        assert page.locator("nav.nav li a").first.is_visible()
    finally:
        context.close()


def test_a_wide_screen_shows_the_menu_links(chromium: Any, demo: str) -> None:  # noqa: F811
    page = signed_in(chromium, demo, "operator", "en", LAPTOP)
    try:
        assert not page.locator("nav.nav summary").is_visible()
        links = page.locator("nav.nav li a").all()
        assert len(links) >= 6
        assert all(link.is_visible() for link in links)
        boxes = [link.bounding_box() for link in links]
        assert len({round(b["y"]) for b in boxes if b}) == 1  # one row
    finally:
        page.context.close()


@pytest.mark.parametrize("role", ROLES)
def test_no_button_in_a_table_is_cut_off_on_a_laptop(
    chromium: Any,  # noqa: F811
    demo: str,
    role: str,
) -> None:
    cut: list[str] = []
    page = signed_in(chromium, demo, role, "en", LAPTOP)

    def measure(path: str) -> None:
        hidden = page.evaluate(CUT_OFF)
        if hidden:
            cut.append(f"{path}: {hidden}")

    try:
        every_page(page, demo, measure)
    finally:
        page.context.close()
    assert not cut, "\n".join(cut)


FONT_LOADED = """async ([family, text]) => {
  await document.fonts.load('16px "' + family + '"', text);
  await document.fonts.ready;
  const faces = [...document.fonts].filter(f => f.family.replace(/"/g, "") === family);
  return {
    check: document.fonts.check('16px "' + family + '"', text),
    loaded: faces.filter(f => f.status === "loaded").length,
    faces: faces.length,
  };
}"""


def test_a_persian_user_reads_right_to_left_in_the_shipped_font(
    chromium: Any,  # noqa: F811
    demo: str,
) -> None:
    page = signed_in(chromium, demo, "trader-pk", "fa", PHONE)
    fonts: list[str] = []
    page.on("response", lambda r: fonts.append(r.url) if "/static/fonts/" in r.url else None)
    try:
        page.goto(demo + "/")
        assert page.get_attribute("html", "lang") == "fa"
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        family = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
        assert family.startswith("Vazirmatn"), family
        result = page.evaluate(FONT_LOADED, ["Vazirmatn", "پرداخت"])
        assert result["check"], result
        assert result["loaded"] >= 1, result
        assert any(url.startswith(demo + "/static/fonts/Vazirmatn") for url in fonts), fonts
        # Signed in again later, the profile keeps the choice.
        page.goto(demo + "/profile")
        assert page.locator("select[name=language] option[selected]").get_attribute("value") == "fa"
    finally:
        page.context.close()


def test_urdu_text_renders_in_the_shipped_naskh(chromium: Any, demo: str) -> None:  # noqa: F811
    page = signed_in(chromium, demo, "customs", "ur", PHONE)
    try:
        page.goto(demo + "/")
        assert page.get_attribute("html", "dir") == "rtl"
        family = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
        assert family.startswith('"Noto Naskh Arabic"'), family
        result = page.evaluate(FONT_LOADED, ["Noto Naskh Arabic", "ہ"])
        assert result["check"], result
        assert result["loaded"] >= 1, result
        # The page's own Urdu text is drawn with it.
        assert page.evaluate("document.fonts.check('16px \"Noto Naskh Arabic\"', 'ہ')")
    finally:
        page.context.close()


def test_fonts_are_shipped_with_the_package() -> None:
    from tahator.web.core import HERE

    shipped = {p.name for p in Path(HERE / "static" / "fonts").glob("*.woff2")}
    assert {"Vazirmatn-Regular.woff2", "NotoNaskhArabic-Regular.woff2"} <= shipped
    css = (HERE / "static" / "app.css").read_text()
    assert "https://" not in css
    assert "http://" not in css
