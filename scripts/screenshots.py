"""Screenshots of the web UI for the README, from a running `tahator demo`.

    .venv/bin/tahator demo &          # builds the demo corridor, serves on :8000
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000] [docs/screenshots]

Drives Debian's Chromium (/usr/bin/chromium) through Playwright, signed in as each
demo role; fails on a console error or a request to any other host.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
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


BAD_UPLOAD = (
    "id,debtor,creditor,amount,currency,due_date\n"
    "INV-9001,PK-0001,IR-0002,12500.00,USD,2026-12-31\n"
    'INV-9002,PK-0001,IR-0002,"12,500.00",USD,2026-12-31\n'
    "INV-9003,PK-0001,IR-9999,800.00,USD,31/12/2026\n"
    "INV-9004,PK-0002,IR-0002,800.00,EUR,2026-12-31\n"
)


def _upload_report(page: Any, base: str, folder: Path) -> None:
    """A file with mistakes: the report shows each, and nothing is stored."""
    page.goto(base + "/obligations")
    page.set_input_files(
        "#file",
        files=[{"name": "invoices.csv", "mimeType": "text/csv", "buffer": BAD_UPLOAD.encode()}],
    )
    page.click("text=Check the file")
    page.locator("#problems").wait_for()
    page.screenshot(
        path=str(folder / "obligations-report.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 900},
    )


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
            # A 422 page (the upload report) logs "Failed to load resource" for the
            # document itself; a failed asset is caught by its response instead.
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.on(
                "response",
                lambda r: (
                    problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 and r.request.resource_type != "document"
                    else None
                ),
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
            if username == "demo-trader-pk":
                _upload_report(page, base, folder)
            context.close()
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        page.goto(base + "/login")
        page.fill("#username", "demo-trader-pk")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / "phone-dashboard.png"), full_page=True)
        phone.close()
        browser.close()
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main()
