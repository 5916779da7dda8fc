"""The release-times page in Chromium, in English and Persian: customs picks a period
(Solar Hijri in Persian) and a crossing; the table shows each crossing and lane's
median and 90th percentile hours as the service computes them, the Plotly chart is
drawn (stacked phases, right to left in Persian), the outliers are listed; no
script error, no style the CSP refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tahator import i18n
from tahator.io.policy import load_policy
from tahator.io.release_times import hours_text
from tahator.services import corridor, users
from tahator.services.release_times import ReleaseReport, release_report
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.api.conftest import LOGINS, PASSWORD, fill
from tests.conftest import absent_in_ci
from tests.release_times_data import add_consignments
from tests.web.conftest import uvicorn_serving

CHROMIUM = Path("/usr/bin/chromium")
DATABASES: dict[str, str] = {}
pytestmark = absent_in_ci(CHROMIUM.exists(), "Chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from argon2 import PasswordHasher

    folder = tmp_path_factory.mktemp("release")
    url = f"sqlite:///{folder / 'tahator.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with pytest.MonkeyPatch.context() as patch:
        quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(users, "_hasher", quick)
        with transaction(engine) as session:
            corridor.seed(session)
            fill(session, folder)
            add_consignments(session, folder, firm=False)
    engine.dispose()
    with uvicorn_serving(url) as base:
        DATABASES[base] = url
        yield base


def _report(site: str, crossing: str | None) -> ReleaseReport:
    engine = make_engine(DATABASES[site])
    with transaction(engine) as session:
        report = release_report(
            session, load_policy(), date(2026, 3, 1), date(2026, 3, 31), crossing
        )
    engine.dispose()
    return report


@pytest.mark.parametrize(
    ("lang", "start", "end"),
    [("en", "2026-03-01", "2026-03-31"), ("fa", "۱۴۰۴/۱۲/۱۰", "۱۴۰۵/۰۱/۱۱")],
)
def test_customs_reads_release_times_with_a_chart(
    site: str, tmp_path: Path, lang: str, start: str, end: str
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "tahator_lang", "value": lang, "url": site}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(site + "/login")
        page.fill("#username", LOGINS["customs"][0])
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(site + "/")

        page.goto(site + "/customs/release-times")
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "fa" else "ltr")
        page.fill("#from", start)
        page.fill("#to", end)
        page.select_option("#crossing", "TFN")
        page.click("#release-form button[type=submit]")
        page.wait_for_url("**/customs/release-times?*")
        page.wait_for_selector("#release-chart.drawn .main-svg")

        report = _report(site, "TFN")
        with i18n.speaking(lang):
            for group in report.groups:
                assert group.total is not None
                selector = f"#release-table tr[data-crossing=TFN][data-lane='{group.lane or ''}']"
                row = page.locator(selector)
                assert row.locator(".median").inner_text() == hours_text(group.total.median)
                assert row.locator(".p90").inner_text() == hours_text(group.total.p90)
        if lang == "fa":
            assert "۰" in page.inner_text("#release-table") or "۱" in page.inner_text(
                "#release-table"
            )
        # Four phases stacked, per lane of the crossing; the median, p90 and target markers.
        lanes = [g for g in report.groups if g.lane is not None]
        assert page.locator("#release-chart .barlayer .trace").count() == 4
        assert page.locator("#release-chart .barlayer .point").count() >= 3 * len(lanes)
        assert page.locator("#release-chart .scatterlayer .trace").count() == 3
        # The bars are the phases' means (they add up); the markers the total's median.
        chart = json.loads(page.locator("#release-chart-data").text_content() or "{}")
        charted = [g for g in lanes if g.total is not None]
        for group, drawn in zip(charted, chart["groups"], strict=True):
            assert group.total is not None
            assert drawn["lane"] == group.lane
            median = group.total.median.total_seconds() / 3600
            assert drawn["median"] == pytest.approx(median, abs=0.01)
            for phase in group.phases:
                if phase.interval in drawn["phases"] and phase.stats is not None:
                    expected = phase.stats.mean.total_seconds() / 3600
                    assert drawn["phases"][phase.interval] == pytest.approx(expected, abs=0.01)
        assert page.locator("#outlier-table tbody tr").count() == min(50, len(report.outliers))
        # The policy's targets (4 h green, 24 h yellow …) and who met them.
        green = next(g for g in report.groups if g.lane == "green")
        assert green.target is not None
        assert green.within_target is not None
        row = page.locator("#release-table tr[data-crossing=TFN][data-lane=green]")
        with i18n.speaking(lang):
            assert hours_text(green.target) in row.inner_text()
        page.screenshot(path=str(tmp_path / f"release-times-{lang}.png"), full_page=True)

        with page.expect_download() as download:
            page.click("#download-pdf")
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

        page.fill("#from", "2026-03-31")
        page.fill("#to", "2026-03-01")
        page.click("#release-form button[type=submit]")
        assert "ends before it begins" in page.inner_text("#release-error")
        assert errors == []
        context.close()
        chromium.close()


def test_a_trader_or_a_bank_is_not_let_in(site: str) -> None:
    from fastapi.testclient import TestClient

    from tahator.asgi import create_app

    app = create_app(DATABASES[site])
    with TestClient(app, follow_redirects=False) as client:
        for who in ("trader", "bank", "auditor", "operator"):
            client.cookies.clear()
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
            assert token is not None
            signed = client.post(
                "/login",
                data={"username": LOGINS[who][0], "password": PASSWORD, "csrf_token": token[1]},
                headers={"Origin": "http://testserver"},
            )
            assert signed.status_code == 303
            answer = client.get("/customs/release-times?from=2026-03-01&to=2026-03-31")
            assert answer.status_code == (403 if who in ("trader", "bank") else 200), who
            csv = client.get("/customs/release-times.csv?from=2026-03-01&to=2026-03-31")
            assert csv.status_code == (403 if who in ("trader", "bank") else 200), who
        # Bad input is the form's error, a 422 page; a bad download is a 422 page too.
        for query, message in (
            ("from=2026-03-01&to=2026-03-31&crossing=XXX", "&#39;XXX&#39; is not a crossing"),
            ("from=2026-02-30&to=2026-03-31", "is not a date"),
        ):
            answer = client.get(f"/customs/release-times?{query}")
            assert answer.status_code == 422
            assert message in answer.text
            assert 'id="release-error"' in answer.text
            assert client.get(f"/customs/release-times.json?{query}").status_code == 422
        assert client.get("/customs/release-times.xml").status_code == 404
    app.state.engine.dispose()
