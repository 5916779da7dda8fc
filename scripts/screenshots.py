"""Screenshots of the web UI for the README, from a running `tahator demo`.

    .venv/bin/tahator demo &          # builds the demo corridor, serves on :8000
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000] [docs/screenshots]
        [--roles operator,trader] [--languages en,fa] [--pages dashboard,firms]

Signs in as each demo role (operator, trader, bank, customs, auditor), chooses each
language (English, Persian, Urdu) with the switch in the header as a user would, and
shoots every page in that role's menu plus a detail page or two into
``{folder}/{role}-{page}-{language}.png`` (``operator-clearing-run-fa.png``); a
trader's dashboard on a phone as ``trader-phone-{language}.png`` and a CSV upload's
report as ``trader-upload-report-{language}.png``.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright; fails on a console
error, a failed asset, a page that does not answer 200 or a request to any other host.
"""

from __future__ import annotations

import argparse
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
ROLES = {
    "operator": "demo-operator",
    "trader": "demo-trader-pk",
    "bank": "demo-bank",
    "customs": "demo-customs",
    "auditor": "demo-auditor",
}
LANGUAGES = ("en", "fa", "ur")
MENU_NAMES = {"/": "dashboard"}
"""A menu page's picture is named after its path (``/clearing`` → ``clearing``)."""
DETAILS = {
    "operator": [
        ("firms", "/firms?country=IR"),
        ("obligations", "/obligations?status=open"),
        ("clearing-run", "/clearing/runs/1"),
        ("reports", "/reports?quarter=2025Q4"),
        ("schedule", "/schedule"),
    ],
    "trader": [("firm", "/firms/PK-0001")],
    "bank": [
        ("clearing-run", "/clearing/runs/1"),
        ("statement-report", "/bank/statements/PK/DEMO-R1-PK"),
    ],
    "customs": [
        ("barter-authorization", "/barter/3"),
        ("consignment", "/consignments/1"),
        ("release-times", "/customs/release-times?from=2026-08-01&to=2026-11-30"),
    ],
    "auditor": [("clearing-run", "/clearing/runs/1")],
}
"""Beside the menu: a detail page or a filtered list worth showing (replacing the
menu page's picture when the name is the same)."""
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

BAD_UPLOAD = (
    "id,debtor,creditor,amount,currency,due_date\n"
    "INV-9001,PK-0001,IR-0002,12500.00,USD,2026-12-31\n"
    'INV-9002,PK-0001,IR-0002,"12,500.00",USD,2026-12-31\n'
    "INV-9003,PK-0001,IR-9999,800.00,USD,31/12/2026\n"
    "INV-9004,PK-0002,IR-0002,800.00,EUR,2026-12-31\n"
)


def _watch(page: Any, base: str, problems: list[str]) -> None:
    """Record console errors, failed assets and requests to other hosts."""
    # A 422 page (the upload report) logs "Failed to load resource" for the document
    # itself; a failed asset is caught by its response instead.
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


def _sign_in(browser: Any, base: str, username: str, language: str, size: dict[str, int]) -> Any:
    context = browser.new_context(viewport=size, device_scale_factor=1)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")
    # The switch in the header (it also keeps the choice in the user's profile).
    page.click(f".lang-switch button[value={language}]")
    page.wait_for_load_state()
    return page


def _menu(page: Any) -> list[tuple[str, str]]:
    """The role's menu: (picture name, path) of each page in it."""
    hrefs: list[str] = page.eval_on_selector_all(
        "nav.nav a", "as => as.map(a => a.getAttribute('href'))"
    )
    return [(MENU_NAMES.get(h, h.strip("/").replace("/", "-")), h) for h in hrefs]


def _shoot(page: Any, base: str, path: str, target: Path, problems: list[str]) -> None:
    response = page.goto(base + path)
    if response is None or response.status != 200:
        problems.append(f"{path}: {response.status if response else 'no answer'}")
    page.wait_for_load_state("networkidle")
    # Long tables are cut: the top of a page is what the README shows.
    width = page.viewport_size["width"]
    page.screenshot(
        path=str(target),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": 1400},
    )
    print(target)


def _upload_report(page: Any, base: str, target: Path) -> None:
    """A file with mistakes: the report shows each, and nothing is stored."""
    page.goto(base + "/obligations")
    page.set_input_files(
        "#file",
        files=[{"name": "invoices.csv", "mimeType": "text/csv", "buffer": BAD_UPLOAD.encode()}],
    )
    page.locator("#file").evaluate("input => input.form.requestSubmit()")
    page.locator("#problems").wait_for()
    page.screenshot(
        path=str(target), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 900}
    )
    print(target)


def shoot(
    base: str,
    folder: Path,
    roles: list[str],
    languages: list[str],
    only: set[str] | None = None,
) -> list[str]:
    """Take the pictures; return the problems seen (none: every page was fine)."""
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for role in roles:
            for language in languages:
                page = _sign_in(browser, base, ROLES[role], language, DESKTOP)
                _watch(page, base, problems)
                pages = dict(_menu(page))
                pages.update(DETAILS.get(role, []))
                for name, path in pages.items():
                    if only is None or name in only:
                        _shoot(page, base, path, folder / f"{role}-{name}-{language}.png", problems)
                if role == "trader" and (only is None or "upload-report" in only):
                    _upload_report(page, base, folder / f"{role}-upload-report-{language}.png")
                page.context.close()
                if role == "trader" and (only is None or "phone" in only):
                    phone = _sign_in(browser, base, ROLES[role], language, PHONE)
                    _watch(phone, base, problems)
                    _shoot(phone, base, "/", folder / f"{role}-phone-{language}.png", problems)
                    phone.context.close()
            # The demo user is left reading English, as `tahator demo` made it.
            _sign_in(browser, base, ROLES[role], "en", DESKTOP).context.close()
        browser.close()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("folder", nargs="?", default="docs/screenshots", type=Path)
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated")
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="comma-separated")
    parser.add_argument("--pages", default="", help="only these picture names (comma-separated)")
    options = parser.parse_args()
    roles = [r for r in options.roles.split(",") if r]
    languages = [lang for lang in options.languages.split(",") if lang]
    unknown = [r for r in roles if r not in ROLES] + [x for x in languages if x not in LANGUAGES]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    only = {p for p in options.pages.split(",") if p} or None
    problems = shoot(options.base.rstrip("/"), options.folder, roles, languages, only)
    if problems:
        raise SystemExit("\n".join(problems))


if __name__ == "__main__":
    main()
