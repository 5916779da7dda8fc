"""The CSP's ``style-src 'self'`` (issue 18, item 10): no style attribute or ``<style>``
element anywhere, and the pages that draw (the dashboard's Plotly chart, the barter
balance bars) render in Chromium with no CSP violation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import plotly

from tahator.web.core import HERE
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    Server,
    chromium,
    pytestmark,
    server,
    visit,
)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_CSS = HERE / "static" / "plotly.css"
DASHBOARD = HERE / "templates" / "dashboard.html"
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sample);
});
"""


def test_the_policy_allows_no_inline_style(server: Server) -> None:  # noqa: F811
    import httpx

    policy = httpx.get(server.url + "/login").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in policy


def test_no_template_carries_a_style_attribute_or_element() -> None:
    for template in (HERE / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle\s*=", text), template.name
        assert not re.search(r"<style[\s>]", text), template.name


def test_the_shipped_plotly_css_is_what_plotly_js_would_inject(chromium: Any) -> None:  # noqa: F811
    """On a page with no CSP, plotly.js adds its rules to a ``<style>`` element: they are
    the rules of static/plotly.css, and the ids the dashboard uses to keep plotly.js's
    ``<style>`` elements out are the ones this bundle looks for."""
    page = chromium.new_page()
    try:
        page.set_content("<!doctype html><html><head></head><body></body></html>")
        page.add_script_tag(path=str(PLOTLY_JS))
        injected = page.evaluate(
            "Array.from(document.querySelectorAll('style')).map(s => [s.id,"
            " Array.from(s.sheet.cssRules).map(r => r.cssText)])"
        )
    finally:
        page.close()
    by_id = dict(injected)
    shipped = PLOTLY_CSS.read_text().split("*/", 1)[1].strip().splitlines()
    assert by_id.pop("plotly.js-style-global") == shipped
    template = DASHBOARD.read_text()
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in template
    for other in by_id:  # a <style> plotly.js adds unless an element of its id exists
        assert f'id="{other}"' in template, other
    assert by_id, "plotly.js adds its map library's <style> element too"


def _violations(visitor: Any) -> list[str]:
    found: list[str] = visitor.page.evaluate("window.__violations")
    return found


def test_the_dashboard_draws_its_chart_with_no_csp_violation(visit: Any, server: Server) -> None:  # noqa: F811
    visitor = visit("operator")
    visitor.page.add_init_script(VIOLATIONS)
    visitor.go("/")
    chart = visitor.page.locator("#chart .main-svg").first
    chart.wait_for()
    assert visitor.page.locator("#chart .bars path").count() > 0  # bars drawn
    # Plotly's own rules apply, from the file: its mode bar sits in the chart's corner.
    modebar = visitor.page.locator("#chart .modebar").first
    assert modebar.evaluate("e => getComputedStyle(e).position") == "absolute"
    visitor.page.locator("#chart").hover()
    visitor.page.locator("#chart .modebar-btn").first.hover()
    progress = visitor.page.locator("svg.progress rect")
    if progress.count():
        width = progress.first.evaluate("e => e.getBoundingClientRect().width")
        assert width > 0
    assert _violations(visitor) == []  # and the fixture checks the console has no error


def test_the_balance_bars_are_sized_under_the_strict_policy(visit: Any, server: Server) -> None:  # noqa: F811
    visitor = visit("customs")
    visitor.page.add_init_script(VIOLATIONS)
    visitor.go("/barter")
    fills = visitor.page.locator("svg.bar rect.fill")
    assert fills.count() > 0
    for i in range(fills.count()):
        fill = fills.nth(i)
        share = float((fill.get_attribute("width") or "").removesuffix("%")) / 100
        width = fill.evaluate("e => e.getBoundingClientRect().width")
        track = fill.evaluate("e => e.ownerSVGElement.getBoundingClientRect().width")
        assert track > 0
        assert abs(width - share * track) < 1, (i, share, width, track)
    assert any(fills.nth(i).get_attribute("width") != "0%" for i in range(fills.count()))
    colour = fills.first.evaluate("e => getComputedStyle(e).fill")
    assert colour in ("rgb(31, 111, 139)", "rgb(46, 139, 87)")
    assert _violations(visitor) == []
