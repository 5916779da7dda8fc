"""The web UI in a real browser: Chromium (Debian's, driven by Playwright) against a
real uvicorn server on 127.0.0.1, over a SQLite database built here.

Every page is checked for console errors and for requests to any other host.
``TAHATOR_SCREENSHOTS=docs/screenshots`` also saves a screenshot of each page there
(the README's pictures); otherwise they go to a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tahator.domain.policy import Policy
from tahator.domain.settlement import InstructionStatus
from tahator.io.application import parse_application
from tahator.io.comtrade import read_comtrade
from tahator.io.declarations import declaration_record
from tahator.io.offers import read_offers
from tahator.io.policy import load_policy
from tahator.services import (
    barter,
    clearing,
    corridor,
    ledger,
    market,
    obligations,
    offers,
    settlement,
    stats,
    users,
)
from tahator.services.common import business_today
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tahator.store.schema import Authorization, Obligation
from tests.api.conftest import LOGINS, PASSWORD, fill
from tests.conftest import ROOT, absent_in_ci
from tests.integration.test_barter import application
from tests.integration.test_market import DAY, HEADER, RING
from tests.web.conftest import uvicorn_serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = absent_in_ci(CHROMIUM.exists(), "Chromium at /usr/bin/chromium")

GOOD = "id,debtor,creditor,amount,currency,due_date\nB-1,PK-1,IR-1,1250.00,USD,2026-12-15\n"
BAD = (
    "id,debtor,creditor,amount,currency,due_date\n"
    "B-2,PK-1,IR-1,12x,USD,2026-12-15\n"
    "B-3,PK-1,IR-1,10.00,USD,15/12/2026\n"
)


@dataclass
class Server:
    url: str
    engine: Engine
    ids: dict[str, int]
    shots: Path
    seen: list[str] = field(default_factory=list)


def _build(url: str, folder: Path) -> tuple[Engine, dict[str, int]]:
    from argon2 import PasswordHasher

    engine = make_engine(url)
    migrate.upgrade(engine)
    policy = load_policy(None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        with transaction(engine) as session:
            corridor.seed(session)
            fill(session, folder)
            stats.import_statistics(
                session,
                read_comtrade(ROOT / "src/tahator/data/comtrade-pk-ir-illustrative.csv"),
                "test",
            )
            digits = corridor.load(session).digits
            submitted = barter.submit(
                session,
                policy,
                parse_application(
                    application(valid_until="2027-06-30", undertaking=True), digits, "a"
                ),
                "test",
                "a",
                as_of=date(2026, 11, 1),  # customs authorizes it on that day
            )
            other = barter.submit(
                session,
                policy,
                parse_application(
                    application(
                        applicant="PK-3",
                        counterparty="IR-2",
                        valid_until="2027-06-30",
                        undertaking=True,
                    ),
                    digits,
                    "a",
                ),
                "test",
                "a",
                as_of=business_today(policy.zone) - timedelta(days=100),
            )
            # Authorized 100 days ago: its deadline falls within the next 30 days.
            today = business_today(policy.zone)
            barter.authorize(session, policy, other.id, today - timedelta(days=100), "test")
            overdue = _overdue(session, policy, digits, today)
            read = read_offers(Path("offers.csv"), digits, data=(HEADER + RING).encode())
            offers.import_offers(session, read, "test", source="offers.csv")
            run = market.match(session, policy, "test", as_of=DAY, cap=3)
    return engine, {
        "application": submitted.id,
        "other": other.id,
        "overdue": overdue,
        "proposal": run.proposals[0],
    }


def _overdue(session: Session, policy: Policy, digits: dict[str, int], today: date) -> int:
    """PK-1's authorization with IR-1, 80 days past its deadline, with one import
    declared (GD-B-1) and no export: cancelling it leaves an imbalance obligation."""
    filed = barter.submit(
        session,
        policy,
        parse_application(
            application(valid_until="2027-06-30", reference="OVERDUE", undertaking=True),
            digits,
            "a",
        ),
        "test",
        "a",
        as_of=today - timedelta(days=200),
    )
    barter.authorize(session, policy, filed.id, today - timedelta(days=200), "test")
    record, problems = declaration_record(
        direction="import",
        hs="27111900",
        quantity="100",
        unit="t",
        value="60000",
        currency="USD",
        on=today - timedelta(days=190),
        reference="GD-B-1",
        digits=digits,
    )
    barter.declare(session, policy, filed.id, record, actor="test", problems=problems)
    return filed.id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'tahator.db'}"
    engine, ids = _build(url, folder)
    shots = Path(os.environ.get("TAHATOR_SCREENSHOTS") or folder / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with uvicorn_serving(url) as base:
        yield Server(base, engine, ids, shots)
    engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visitor:
    """One signed-in browser context that records console errors and foreign requests."""

    def __init__(self, chromium: Any, server: Server, who: str, phone: bool = False) -> None:
        self.server = server
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 860}
        self.context = chromium.new_context(viewport=size, device_scale_factor=1)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        origin = urlsplit(server.url).netloc
        # A page answered 404 or 422 on purpose logs "Failed to load resource" for
        # the document itself: those are checked by status; any failed asset is an error.
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "request",
            lambda r: (
                None
                if urlsplit(r.url).netloc == origin or r.url.startswith("data:")
                else self.foreign.append(r.url)
            ),
        )
        self.page.goto(server.url + "/login")
        self.page.fill("#username", LOGINS[who][0])
        self.page.fill("#password", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(server.url + "/")

    def _console(self, message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")

    def go(self, path: str) -> Any:
        response = self.page.goto(self.server.url + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.server.shots / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], self.errors
        assert self.foreign == [], self.foreign


@pytest.fixture
def visit(chromium: Any, server: Server) -> Iterator[Any]:
    visitors: list[Visitor] = []

    def open_as(who: str, phone: bool = False) -> Visitor:
        visitor = Visitor(chromium, server, who, phone)
        visitors.append(visitor)
        return visitor

    yield open_as
    for visitor in visitors:
        visitor.close()


def _obligations(server: Server) -> int:
    with transaction(server.engine) as session:
        return session.scalar(select(func.count()).select_from(Obligation)) or 0


def test_a_trader_uploads_obligations_and_sees_the_report_first(
    visit: Any, server: Server, tmp_path: Path
) -> None:
    trader = visit("trader")
    trader.go("/obligations")
    before = _obligations(server)
    (tmp_path / "bad.csv").write_text(BAD)
    trader.page.set_input_files("#file", str(tmp_path / "bad.csv"))
    trader.page.click("text=Check the file")
    problems = trader.page.locator("#problems li")
    problems.first.wait_for()
    text = problems.all_inner_texts()
    assert any(t.startswith("bad.csv:2: amount:") for t in text), text
    assert any(t.startswith("bad.csv:3: due_date:") for t in text), text
    assert "nothing stored" in trader.page.inner_text(".report")
    trader.shot("obligations-report")
    assert _obligations(server) == before
    (tmp_path / "good.csv").write_text(GOOD)
    trader.page.set_input_files("#file", str(tmp_path / "good.csv"))
    trader.page.click("text=Check the file")
    trader.page.locator("text=is valid").wait_for()
    assert _obligations(server) == before
    trader.page.click("text=Store 1 obligation")
    trader.page.locator("text=Stored 1 new obligation").wait_for()
    assert _obligations(server) == before + 1
    assert "B-1" in trader.page.inner_text("main")


def test_an_operator_runs_a_clearing_run_and_sees_the_result(visit: Any, server: Server) -> None:
    operator = visit("operator")
    operator.go("/clearing")
    operator.page.click("#start-run")
    operator.page.wait_for_url("**/clearing/runs/*")
    assert "Clearing run" in operator.page.inner_text("h1")
    assert operator.page.inner_text("#cleared").endswith("USD")
    notices = operator.page.locator("table").nth(1).locator("tbody tr")
    assert notices.count() >= 3
    operator.shot("clearing-run")


def test_a_bank_returns_a_collection_and_what_it_was_to_pay_reopens(
    visit: Any, server: Server
) -> None:
    today = business_today(load_policy(None).zone)
    with transaction(server.engine) as session:
        obligations.create_obligation(
            session,
            reference="RETURNED-1",
            debtor="PK-1",
            creditor="IR-1",
            amount=500_00,
            currency="USD",
            due_date=today - timedelta(days=30),
            origin="browser test",
            actor="test",
        )
        run = clearing.run_clearing(session, "test", today, today=today)
        pending = settlement.list_instructions(session, InstructionStatus.PENDING)
    collection = next(i for i in pending if i.kind == "collection" and i.run_id == run.run_id)
    bank = visit("bank")
    bank.go("/clearing")
    bank.page.select_option(f"#reason-{collection.id}", "AM04")
    bank.page.click(f"[aria-label='Instruction {collection.id} returned']")
    bank.page.locator(f"text=Instruction {collection.id} returned").wait_for()
    bank.shot("clearing-returned")
    with transaction(server.engine) as session:
        returned = next(i for i in settlement.list_instructions(session) if i.id == collection.id)
        assert (returned.status, returned.return_reason) == ("returned", "AM04")
        reopened = session.scalars(
            select(Obligation).where(Obligation.debtor == collection.firm)
        ).all()
        assert any(o.status == "open" and o.remaining for o in reopened)
        assert ledger.verify(session).breaks == ()
    bank.go(f"/clearing/runs/{run.run_id}")
    reason = bank.page.locator("tbody tr td small", has_text="AM04")
    assert reason.count() == 1
    assert reason.get_attribute("title") == "insufficient funds"


def test_customs_authorizes_an_application(visit: Any, server: Server) -> None:
    customs = visit("customs")
    customs.go(f"/barter/{server.ids['application']}")
    customs.page.fill("#f-as_of", "2026-11-01")
    customs.page.click("#authorize")
    customs.page.locator("text=Authorized.").wait_for()
    assert customs.page.inner_text("#approval").strip() not in ("", "—")
    customs.go("/barter")
    assert customs.page.locator(".countdown").count() >= 1


def test_customs_cancels_an_overdue_authorization_from_the_deadline_view(
    visit: Any, server: Server
) -> None:
    overdue = server.ids["overdue"]
    customs = visit("customs")
    customs.go("/")
    top = customs.page.locator("#barter-deadlines tbody tr").first
    assert top.get_attribute("id") == f"deadline-{overdue}"
    assert "80 days overdue" in top.inner_text()
    customs.shot("dashboard-deadlines")
    customs.go("/barter")
    top = customs.page.locator("#deadlines tbody tr").first
    assert top.get_attribute("id") == f"deadline-{overdue}"
    top.get_by_role("button", name=f"Cancel authorization {overdue}").click()
    customs.page.wait_for_url(f"**/barter/{overdue}?done=cancel")
    customs.page.locator("text=Cancelled: past its deadline.").wait_for()
    assert "cancelled" in customs.page.inner_text("h1")
    assert "PK-1 owes IR-1 60,000.00 USD" in customs.page.inner_text("#obligation")
    assert customs.page.inner_text("td.gd") == "GD-B-1"
    customs.shot("barter-cancelled")
    with transaction(server.engine) as session:
        stored = session.get(Authorization, overdue)
        assert stored is not None
        assert (stored.state, stored.closed_on) == ("cancelled", stored.deadline)
        assert stored.settlement_obligation is not None
        assert ledger.verify(session).breaks == ()
    customs.go("/")
    assert customs.page.locator(f"#deadline-{overdue}").count() == 0


def test_the_form_says_who_may_apply_and_an_iranian_trader_gets_none(
    visit: Any, server: Server
) -> None:
    trader = visit("trader")
    trader.go("/barter")
    trader.page.click("text=Apply for a barter authorization")
    assert trader.page.locator("#f-undertaking").is_visible()
    rules = trader.page.inner_text("#who-may-apply")
    assert "FBR's active-taxpayer list" in rules
    assert "consortium" in rules
    trader.shot("barter-application")
    iranian = visit("trader2")
    iranian.go("/barter")
    assert iranian.page.locator("form[action='/barter/apply']").count() == 0
    assert "binds Pakistani applicants" in iranian.page.inner_text("#not-an-applicant")
    other = server.ids["other"]
    assert iranian.page.locator(f"main a[href='/barter/{other}']").count() >= 1
    iranian.shot("barter-counterparty")


def test_a_trader_accepts_a_proposal(visit: Any, server: Server) -> None:
    trader = visit("trader")
    trader.go(f"/market/proposals/{server.ids['proposal']}")
    trader.page.click("#accept")
    trader.page.locator("text=Your firm accepted the ring.").wait_for()
    row = trader.page.locator("tbody tr", has_text="Basmati rice")
    assert "accepted" in row.inner_text()


def test_a_trader_cannot_open_another_firms_page(visit: Any) -> None:
    trader = visit("trader")
    assert trader.go("/firms/IR-1").status == 404
    assert "Not found" in trader.page.inner_text("h1")
    assert trader.go(f"/firms/{LOGINS['trader'][1]}").status == 200
    assert trader.go("/clearing/runs/1?firm=IR-1").status == 404


def test_a_consortium_s_lead_sees_its_authorization_and_others_do_not(
    visit: Any, server: Server
) -> None:
    import httpx

    with httpx.Client(base_url=server.url + "/api/v1") as api:
        token = api.post(
            "/auth/token", data={"username": LOGINS["operator"][0], "password": PASSWORD}
        )
        operator = {"Authorization": f"Bearer {token.json()['access_token']}"}
        lead = LOGINS["trader"][1]  # the trader's firm leads the consortium
        consortium = {"id": "C-1", "name": "Consortium", "lead": lead, "members": ["PK-2"]}
        assert api.post("/consortia", json=consortium, headers=operator).status_code == 201
        applied = api.post(
            "/barter/authorizations",
            json=application(applicant="C-1", valid_until="2027-06-30"),
            headers=operator,
        )
        assert applied.status_code == 201, applied.text
    path = f"/barter/{applied.json()['id']}"
    trader = visit("trader")
    trader.go("/barter")
    trader.page.click(f'a[href="{path}"]')
    trader.page.wait_for_url(server.url + path)
    assert "C-1" in trader.page.inner_text("main")
    assert visit("trader2").go(path).status == 404


PAGES = {
    "operator": [
        ("dashboard", "/"),
        ("firms", "/firms"),
        ("obligations", "/obligations"),
        ("clearing", "/clearing"),
        ("barter", "/barter"),
        ("market", "/market"),
        ("reports", "/reports?quarter=2026Q4"),
        ("not-found", "/no/such/page"),
    ],
    "customs": [("barter-authorization", "/barter/2"), ("dashboard-customs", "/")],
    "bank": [("clearing-bank", "/clearing")],
    "trader": [("dashboard-trader", "/"), ("proposal", "/market/proposals/1")],
    "auditor": [("reports-auditor", "/reports?quarter=2026Q4")],
}


def test_every_page_loads_cleanly_for_every_role(visit: Any, server: Server) -> None:
    """No console error, no request leaving the server; a screenshot of each."""
    for who, pages in PAGES.items():
        visitor = visit(who)
        for name, path in pages:
            response = visitor.go(path)
            assert response.status == (404 if name == "not-found" else 200), (who, path)
            visitor.shot(name)
        if who == "operator":
            visitor.go("/")
            visitor.page.locator("#chart .main-svg").first.wait_for()
            visitor.shot("dashboard")
    phone = visit("trader", phone=True)
    phone.go("/")
    phone.shot("phone-dashboard")
    login = visit("auditor")
    login.page.context.clear_cookies()
    login.go("/login")
    login.shot("login")
