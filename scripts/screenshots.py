"""Screenshots of the web UI for the README, from a running `tahator demo`.

    .venv/bin/tahator demo &          # builds the demo corridor, serves on :8000
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000] [docs/screenshots]

Drives Debian's Chromium (/usr/bin/chromium) through Playwright, signed in as each
demo role; fails on a console error or a request to any other host.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from tahator.web.demo import DEMO_PASSWORD

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = {
    "demo-operator": [
        ("dashboard", "/"),
        ("firms", "/firms?country=IR"),
        ("obligations", "/obligations?status=open"),
        ("clearing", "/clearing"),
        ("clearing-run", "/clearing/runs/1"),
        ("market", "/market"),
        ("reports", "/reports?quarter=2025Q4"),
    ],
    "demo-customs": [("barter", "/barter"), ("barter-authorization", "/barter/3")],
    "demo-bank": [("clearing-bank", "/clearing")],
    "demo-trader-pk": [("dashboard-trader", "/"), ("obligations-trader", "/obligations")],
}


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    folder = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for username, pages in SHOTS.items():
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            page = context.new_page()
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type == "error" else None,
            )
            page.on(
                "request",
                lambda r: (
                    None
                    if urlsplit(r.url).netloc == urlsplit(base).netloc or r.url.startswith("data:")
                    else problems.append(r.url)
                ),
            )
            page.goto(base + "/login")
            page.fill("#username", username)
            page.fill("#password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            for name, path in pages:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                # Long tables are cut: the top of a page is what the README shows.
                page.screenshot(
                    path=str(folder / f"{name}.png"),
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": 1400},
                )
                print(folder / f"{name}.png")
            context.close()
        browser.close()
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main()
