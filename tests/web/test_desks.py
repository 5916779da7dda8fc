"""The bank's, operator's and auditor's desks (issue 20): the audit log and its Verify
button, bulk confirm with a confirmation step, the back-dated run warning, the run's
clearing-account summary, paged notices and instructions in plain language."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select, update

from tahator import display
from tahator.domain.settlement import InstructionKind
from tahator.services import audit, clearing_desk
from tahator.services.clearing_views import reference_of
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, ClearingRun, Rollover, SettlementInstruction
from tests.web.conftest import House, browser, csrf_of, token


def run_once(house: House) -> None:
    operator = browser(house, "operator")
    started = operator.post("/clearing/run", data={"csrf_token": token(operator, "/clearing")})
    assert started.status_code == 303, started.text


def statuses(house: House) -> dict[int, tuple[str, str]]:
    with transaction(house.engine) as session:
        rows = session.execute(
            select(
                SettlementInstruction.id,
                SettlementInstruction.status,
                SettlementInstruction.country,
            )
        ).all()
    return {i: (s, c) for i, s, c in rows}


# --- auditor -------------------------------------------------------------------------


def test_the_audit_page_filters_and_verifies_the_chain(house: House) -> None:
    run_once(house)
    auditor = browser(house, "auditor")
    page = auditor.get("/audit")
    assert page.status_code == 200
    assert "clearing.run" in page.text
    assert 'href="/audit"' in page.text
    only_runs = auditor.get("/audit?action=CLEARING.RUN").text  # any case
    assert "clearing_run:1" in only_runs
    assert "firm.register" not in only_runs
    actions = re.findall(r'<td class="mono">([a-z_.]+)</td>', only_runs)
    assert set(actions) == {"clearing.run"}
    by_actor = auditor.get("/audit?actor=OPERATOR:op").text
    assert "clearing_run:1" in by_actor
    assert "No record matches." in auditor.get("/audit?since=2001-01-01&until=2001-01-31").text
    today = date.today()
    around = f"/audit?since={today - timedelta(days=2)}&until={today + timedelta(days=2)}"
    assert "clearing_run:1" in auditor.get(around).text
    bad = auditor.get("/audit?since=2026-13-40")
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text
    with transaction(house.engine) as session:
        count = audit.check_chain(session).records
    verified = auditor.get("/audit/verify")
    assert verified.status_code == 200
    assert f"Verified: the chain of {display.number(count)} records is whole." in verified.text
    for who in ("bank", "customs", "trader"):
        assert browser(house, who).get("/audit").status_code == 403, who
        assert browser(house, who).get("/audit/verify").status_code == 403, who
    assert 'href="/audit"' not in browser(house, "bank").get("/").text
    assert browser(house, "operator").get("/audit/verify").status_code == 200


def test_a_tampered_record_shows_where_the_chain_breaks(house: House) -> None:
    run_once(house)
    with transaction(house.engine) as session:
        session.execute(update(AuditRecord).where(AuditRecord.id == 2).values(actor="someone"))
    shown = browser(house, "auditor").get("/audit/verify")
    assert shown.status_code == 200
    assert re.search(r"Broken at record 2 of \d+", shown.text), shown.text
    assert 'id="chain-result"' in shown.text


def test_the_audit_log_pages_and_sorts_on_the_server(house: House) -> None:
    with transaction(house.engine) as session:
        for n in range(60):
            audit.record(session, "test:paging", "test.page", f"thing:{n}", None, {"n": n})
        total = audit.check_chain(session).records
    auditor = browser(house, "auditor")
    second = auditor.get("/audit?size=25&page=2&actor=test:paging").text
    assert "Rows 26–50 of 60" in second
    oldest = auditor.get("/audit?sort=id&size=25&actor=test:paging").text
    newest = auditor.get("/audit?sort=-id&size=25&actor=test:paging").text
    assert oldest.index("thing:0<") < oldest.index("thing:1<")
    assert "thing:59<" in newest
    assert "thing:0<" not in newest
    assert f"of {display.number(total)}" in auditor.get("/audit?size=25").text


# --- bank ----------------------------------------------------------------------------


def test_a_bank_confirms_selected_instructions_after_a_confirmation_step(house: House) -> None:
    run_once(house)
    before = statuses(house)
    pakistan = sorted(i for i, (s, c) in before.items() if c == "PK" and s == "pending")
    iran = sorted(i for i, (s, c) in before.items() if c == "IR" and s == "pending")
    assert pakistan
    assert iran
    bank = browser(house, "bank")
    listed = bank.get("/clearing?country=PK&run=1")
    assert listed.status_code == 200
    assert f'name="pick-{pakistan[0]}"' in listed.text
    assert f'name="pick-{iran[0]}"' not in listed.text  # the filter by country
    csrf = csrf_of(listed.text)
    back = "/clearing?country=PK&run=1"
    chosen = {"csrf_token": csrf, "back": back, "country": "PK", f"pick-{pakistan[0]}": "1"}
    review = bank.post("/settlement/review", data=chosen)
    assert review.status_code == 200
    assert "Totals per currency" in review.text
    assert "PKR" in review.text
    assert "Confirm 1 instruction" in review.text
    assert statuses(house) == before  # the review changed nothing
    # Another country's instruction, slipped into the form: refused, nothing confirmed.
    mixed = {**chosen, f"pick-{iran[0]}": "1"}
    refused = bank.post("/settlement/review", data=mixed)
    assert refused.status_code == 422
    assert f"Instruction {iran[0]} is of the clearing account of" in refused.text
    assert 'id="confirm-all"' not in refused.text
    forced = bank.post("/settlement/confirm", data=mixed)
    assert forced.status_code == 422
    assert "not PK&#39;s" in forced.text
    assert statuses(house) == before
    # No CSRF token, or not a bank: refused.
    no_token = {k: v for k, v in chosen.items() if k != "csrf_token"}
    assert bank.post("/settlement/confirm", data=no_token).status_code == 403
    for who in ("operator", "auditor", "trader"):
        other = browser(house, who)
        mine = {**chosen, "csrf_token": token(other)}
        assert other.post("/settlement/review", data=mine).status_code == 403, who
        assert other.post("/settlement/confirm", data=mine).status_code == 403, who
    assert statuses(house) == before
    done = bank.post("/settlement/confirm", data=chosen)
    assert done.status_code == 303
    assert done.headers["location"] == f"{back}&confirmed_count=1#instructions"
    after = statuses(house)
    assert after[pakistan[0]][0] == "confirmed"
    assert {i: s for i, s in after.items() if i != pakistan[0]} == {
        i: s for i, s in before.items() if i != pakistan[0]
    }
    assert "1 instruction confirmed." in bank.get(done.headers["location"]).text
    nothing = bank.post("/settlement/review", data={"csrf_token": csrf, "back": back})
    assert nothing.status_code == 422
    assert "No instruction was selected" in nothing.text


def test_one_confirm_returns_to_its_row_with_the_same_filters(house: House) -> None:
    run_once(house)
    bank = browser(house, "bank")
    back = "/clearing?country=PK&status=pending&confirmed=7"
    page = bank.get(back)
    first = min(i for i, (s, c) in statuses(house).items() if c == "PK")
    done = bank.post(
        f"/settlement/{first}/confirm", data={"csrf_token": csrf_of(page.text), "back": back}
    )
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/clearing?country=PK&status=pending&confirmed={first}#instruction-{first}"
    )
    outside = bank.post(
        f"/settlement/{first}/confirm",
        data={"csrf_token": csrf_of(page.text), "back": "https://elsewhere.example/"},
    )
    assert outside.status_code == 422  # already confirmed; never redirected elsewhere


# --- operator ------------------------------------------------------------------------


def test_a_back_dated_run_needs_an_explicit_confirmation(house: House) -> None:
    operator = browser(house, "operator")
    page = operator.get("/clearing").text
    today = date.fromisoformat(re.search(r"default (\d{4}-\d{2}-\d{2})", page).group(1))  # type: ignore[union-attr]
    earlier = str(today - timedelta(days=3))
    warned = operator.post("/clearing/run", data={"csrf_token": csrf_of(page), "as_of": earlier})
    assert warned.status_code == 409
    assert "before today&#39;s business date" in warned.text
    assert 'name="backdated"' in warned.text
    assert f'value="{earlier}"' in warned.text
    with transaction(house.engine) as session:
        assert session.scalar(select(ClearingRun.id)) is None  # nothing run
    confirmed = {"csrf_token": csrf_of(page), "as_of": earlier, "backdated": "yes"}
    assert operator.post("/clearing/run", data=confirmed).status_code == 303
    # On run 1's own date: the warning names run 1.
    again = operator.post("/clearing/run", data={"csrf_token": csrf_of(page), "as_of": earlier})
    assert again.status_code == 409
    assert "Run 1 is already as of" in again.text
    assert "I know this date is not after run 1&#39;s" in again.text
    # Before run 1's date: refused outright (runs follow the calendar).
    before = str(today - timedelta(days=5))
    refused = operator.post(
        "/clearing/run", data={"csrf_token": csrf_of(page), "as_of": before, "backdated": "yes"}
    )
    assert refused.status_code == 422
    assert "before the latest clearing run" in refused.text
    # Today's date (or none) needs no confirmation.
    now = operator.post("/clearing/run", data={"csrf_token": csrf_of(page), "as_of": str(today)})
    assert now.status_code == 303


def test_the_run_page_shows_each_clearing_accounts_summary(house: House) -> None:
    run_once(house)
    with transaction(house.engine) as session:
        accounts = clearing_desk.account_summary(session, 1)
        rolled = session.execute(select(Rollover.amount)).scalars().all()
    assert {a.country for a in accounts} == {"PK", "IR"}
    assert sum(a.rolled_over.minor for a in accounts) == sum(rolled)
    page = browser(house, "operator").get("/clearing/runs/1").text
    for a in accounts:
        row = page.split(f'id="account-{a.country}"')[1].split("</tr>")[0]
        for figure in (a.collected, a.paid_out, a.credit_drawn, a.rolled_over):
            assert display.money(figure) in row
    assert any(a.collected.minor for a in accounts)
    assert 'id="accounts"' not in browser(house, "trader").get("/clearing/runs/1").text


def test_the_run_pages_notices_and_instructions_page_sort_and_search(house: House) -> None:
    run_once(house)
    operator = browser(house, "operator")
    page = operator.get("/clearing/runs/1?n_size=25").text
    assert "Rows 1–" in page
    found = operator.get("/clearing/runs/1?n_q=inv-2").text
    notices = found.split('id="notices"')[1].split("</table>")[0]
    assert "INV-2" in notices
    assert "INV-1<" not in notices
    by_name = operator.get("/clearing/runs/1?i_q=pk-1 trading").text
    instructions = by_name.split('id="instructions"')[1].split("</table>")[0]
    assert "PK-1" in instructions
    assert "IR-2 Trading" not in instructions
    descending = operator.get("/clearing/runs/1?n_sort=-obligation").text
    table = descending.split('id="notices"')[1]
    numbers = [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', table)]
    assert numbers == sorted(numbers, reverse=True)
    assert len(numbers) > 1


def test_a_trader_reads_its_instruction_in_plain_language(house: House) -> None:
    run_once(house)
    with transaction(house.engine) as session:
        mine = session.execute(
            select(SettlementInstruction).where(SettlementInstruction.firm_id == "PK-1")
        ).scalar_one()
        as_of = session.get(ClearingRun, 1).as_of  # type: ignore[union-attr]
    page = browser(house, "trader").get("/clearing").text
    verb = "Pay" if mine.kind == "collection" else "You will receive"
    assert f"{verb} " in page
    assert "the clearing account of Pakistan by" in page
    assert f'datetime="{as_of.isoformat()}"' in page
    assert f"reference {reference_of(InstructionKind(mine.kind), 1, mine.id)}." in page
    assert "IR-2" not in page.split('id="instructions"')[1]


def test_the_desks_render_in_persian(house: House) -> None:
    run_once(house)
    for who, paths in (
        ("bank", ["/clearing?country=PK", "/clearing/runs/1"]),
        ("operator", ["/clearing/runs/1?n_sort=-setoff", "/audit/verify"]),
        ("trader", ["/clearing"]),
    ):
        client = browser(house, who)
        client.cookies.set("tahator_lang", "fa")
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, (who, path)
            assert '<html lang="fa" dir="rtl">' in page.text
    bank = browser(house, "bank")
    bank.cookies.set("tahator_lang", "fa")
    review = bank.post(
        "/settlement/review",
        data={"csrf_token": token(bank, "/clearing"), "back": "/clearing", "pick-1": "1"},
    )
    assert review.status_code == 200
