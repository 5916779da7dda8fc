"""The trader's day on the web: its position in its own currency with counterparties'
names, the firm directory, the statement downloads, paged obligations, the dashboard's
set-off counted once and the upload's template, and the page of an unknown address
keeping who is signed in."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, timedelta
from decimal import Decimal

from tahator import display
from tahator.services import clearing
from tahator.store.database import reading
from tests.pdf_file import pdf_objects
from tests.web.conftest import House, browser, csrf_of, token


def test_a_trader_sees_its_own_position_in_rupees_and_dollars(house: House) -> None:
    trader = browser(house, "trader")
    assert 'href="/position"' in trader.get("/").text
    page = trader.get("/position")
    assert page.status_code == 200, page.text[:500]
    # PK-1 owes IR-1 1,000 USD and is owed 600 USD by PK-2: net −400 USD = −1,12,400 PKR.
    assert "-1,12,400.00 PKR" in page.text
    assert "-400.00 USD" in page.text
    assert "IR-1 Trading" in page.text
    assert "PK-2 Trading" in page.text
    assert "IR-2 Trading" not in page.text  # no obligation between them
    assert trader.get("/position?firm=IR-2").status_code == 404
    assert trader.get("/position?firm=PK-1").status_code == 200
    searched = trader.get("/position?q=pk-2 TRADING").text
    assert "PK-2 Trading" in searched
    assert "IR-1 Trading" not in searched


def test_the_operator_and_auditor_read_any_firms_position_other_roles_none(house: House) -> None:
    operator = browser(house, "operator")
    assert operator.get("/position").status_code == 200  # the firm picker
    iran = operator.get("/position?firm=IR-2")
    assert iran.status_code == 200
    assert "-550,000,000 IRR" in iran.text  # owes 500 USD at 1,100,000 IRR
    assert operator.get("/position?firm=NOPE").status_code == 404
    assert browser(house, "auditor").get("/position?firm=PK-3").status_code == 200
    for who in ("bank", "customs"):
        assert browser(house, who).get("/position").status_code == 403


def test_a_trader_finds_any_firm_in_the_directory_but_nothing_private(house: House) -> None:
    trader = browser(house, "trader")
    found = trader.get("/firms?q=ir-2 trading")
    assert found.status_code == 200
    assert "IR-2 Trading" in found.text
    assert "PK-1 Trading" not in found.text
    everything = trader.get("/firms?sort=-name&size=25").text
    assert everything.index("PK-3 Trading") < everything.index("IR-1 Trading")
    listing = everything.split('id="firm-list"')[1].split("</table>")[0]
    for private in ("Tax id", "Screening", "screening-", "Eligible for barter"):
        assert private not in listing
    assert "Tax id" not in everything
    assert 'href="/firms/IR-2"' not in everything  # no page of another firm
    assert trader.get("/firms/IR-2").status_code == 404
    operator = browser(house, "operator").get("/firms?q=IR-2&sort=id").text
    assert "Tax id" in operator
    assert "IR-2 Trading" in operator


def test_the_statement_downloads_as_csv_and_pdf(house: House) -> None:
    trader = browser(house, "trader")
    got = trader.get("/position/statement.csv?from=2025-01-01&to=2030-12-31")
    assert got.status_code == 200, got.text[:500]
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [(r["reference"], r["owed_by_firm"], r["owed_to_firm"]) for r in rows] == [
        ("INV-1", "1000.00", "0.00"),
        ("INV-3", "0.00", "600.00"),
    ]
    assert rows[0]["counterparty_name"] == "IR-1 Trading"
    assert len(rows[0]["date"]) == 10
    assert rows[0]["date"][4] == "-"
    pdf = trader.get(
        "/position/statement.pdf?from=2025-01-01&to=2030-12-31",
        headers={"Accept-Language": "fa"},
    )
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"Vazirmatn" in pdf_objects(pdf.content)  # the shipped font, for Persian
    bad = trader.get("/position/statement.csv?from=2026-13-01&to=2026-01-01")
    assert bad.status_code == 422
    assert "2026-13-01" in bad.text
    backwards = trader.get("/position/statement.csv?from=2026-02-01&to=2026-01-01")
    assert backwards.status_code == 422
    assert "ends before it begins" in backwards.text
    assert trader.get("/position/statement.csv?firm=IR-1").status_code == 404
    operator = browser(house, "operator").get("/position/statement.csv?firm=IR-2&from=2020-01-01")
    assert "INV-4" in operator.text


def test_obligations_are_paged_sorted_and_searched_by_name(house: House) -> None:
    operator = browser(house, "operator")
    page = operator.get("/obligations?q=pk-2 trading&sort=-reference")
    assert page.status_code == 200
    assert "first 500 shown" not in page.text
    assert page.text.index("INV-3") < page.text.index("INV-2")
    assert "INV-1" not in page.text
    assert "INV-4" not in page.text
    assert "Rows 1–2 of 2" in page.text
    second = operator.get("/obligations?size=25&page=2").text
    assert "INV-1" not in second
    trader = browser(house, "trader").get("/obligations?q=IR-2").text
    assert "INV-4" not in trader


def test_the_upload_speaks_of_debts_the_firm_owes_and_offers_a_template(house: House) -> None:
    trader = browser(house, "trader")
    page = trader.get("/obligations").text
    assert "debts your firm owes" in page.lower()
    assert "invoices" not in page.lower()
    template = trader.get("/obligations/template.csv")
    assert template.status_code == 200
    assert template.text.splitlines()[0] == "id,debtor,creditor,amount,currency,due_date"


def test_the_dashboard_counts_each_set_off_once(house: House) -> None:
    operator = browser(house, "operator")
    started = operator.post("/clearing/run", data={"csrf_token": token(operator, "/clearing")})
    assert started.status_code == 303
    # The cycle PK-1 → IR-1 → PK-2 → PK-1 clears 600 USD of each: PK-1's debt cleared is
    # 600.00, not 1,200.00 (its debt and its claim are one set-off seen twice).
    dashboard = browser(house, "trader").get("/").text
    assert "600.00 USD" in dashboard
    assert "1,200.00 USD" not in dashboard
    # After the run, what PK-1 still owes is a collection into its clearing account:
    # the position shows it, and the net is unchanged.
    position = browser(house, "trader").get("/position").text
    assert "Your country's clearing account" in html.unescape(position)
    assert "-1,12,400.00 PKR" in position


def test_the_dashboards_share_is_the_latest_runs_and_never_adds_up_runs_totals(
    house: House,
) -> None:
    due = (date.today() + timedelta(days=90)).isoformat()  # not due: every run reads it
    later = {"reference": "LATER-1", "debtor": "PK-1", "creditor": "IR-1", "amount": "250.00"}
    registered = house.client.post(
        "/api/v1/obligations",
        json={**later, "currency": "USD", "due_date": due},
        headers=house.as_("operator"),
    )
    assert registered.status_code in (200, 201), registered.text
    operator = browser(house, "operator")
    for _ in range(2):
        started = operator.post("/clearing/run", data={"csrf_token": token(operator, "/clearing")})
        assert started.status_code == 303
    with reading(house.engine) as session:
        first, latest = clearing.list_runs(session)
    # What the first run left open (the debt not yet due) is read again by the second,
    # which sets nothing off: adding the runs' totals would count it twice.
    assert latest.total.minor > 0
    assert latest.cleared.minor == 0
    assert first.cleared.minor > 0
    dashboard = html.unescape(operator.get("/").text)
    share = display.percent(Decimal(latest.cleared.minor) / latest.total.minor, "en")
    assert f'<p class="big num">{share}</p>' in dashboard
    latest_total, first_cleared = (
        display.amount_text(a, "en") for a in (latest.total, first.cleared)
    )
    assert f"{latest_total} USD in the latest clearing run" in dashboard
    assert f"{first_cleared} USD set off over 2 clearing runs" in dashboard
    assert display.amount_text(first.total + latest.total, "en") not in dashboard


def test_an_unknown_address_keeps_the_user_signed_in_and_the_language_switch_working(
    house: House,
) -> None:
    bank = browser(house, "bank")
    page = bank.get("/clearing/1")  # no route: the run's page is /clearing/runs/1
    assert page.status_code == 404
    assert 'href="/profile"' in page.text  # the user's menu, as on every signed-in page
    switched = bank.post(
        "/language", data={"language": "fa", "next": "/", "csrf_token": csrf_of(page.text)}
    )
    assert switched.status_code == 303
    assert 'lang="fa"' in bank.get("/").text
    # Without a session the page is the signed-out one, as before.
    assert 'href="/profile"' not in browser(house).get("/clearing/1").text
