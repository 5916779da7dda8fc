"""Operator safety on the web pages (issue 19): a failed import shows its error and no
check result; a shrinking list asks for confirmation with the counts; the check names
the lists it ran against and never says "clear" without whole lists; the firm pages
agree on the screening state; a held firm's trader reads a neutral notice."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tahator.services import screening_views
from tahator.store.database import transaction
from tahator.store.schema import Firm, SanctionsList
from tests.api.test_minimization import held_firm_with_its_trader
from tests.list_files import only, references
from tests.unit.test_screening import BILLION_LAUGHS, SAMPLE
from tests.web.conftest import House, browser, token
from tests.web.test_minimized_pages import signed_in

CLEAR = "No listed name resembles it: clear."


def post_list(client: TestClient, filename: str, data: bytes, **form: str) -> object:
    return client.post(
        "/screening/lists",
        data={"csrf_token": token(client, "/screening"), **form},
        files={"file": (filename, data, "application/xml")},
    )


def list_count(house: House) -> int:
    with transaction(house.engine) as session:
        return session.scalar(select(func.count()).select_from(SanctionsList)) or 0


def test_a_failed_import_shows_its_error_and_never_clear(house: House) -> None:
    operator = browser(house, "operator")
    for name, data in (("laughs.xml", BILLION_LAUGHS), ("empty.xml", b""), ("t.xml", b"<x/>")):
        page = post_list(operator, name, data)
        assert page.status_code == 422, page.text  # type: ignore[attr-defined]
        text = page.text  # type: ignore[attr-defined]
        assert 'id="list-error"' in text
        assert CLEAR not in text
        assert "clear." not in text
    unknown = post_list(operator, "a.xml", SAMPLE.read_bytes(), format="csv")
    assert 'id="list-error"' in unknown.text  # type: ignore[attr-defined]
    assert list_count(house) == 0
    # Without a list in force a check says so, and nothing is "clear".
    check = operator.get("/screening?name=Karachi+Rice+Mills")
    assert check.status_code == 200
    assert CLEAR not in check.text
    assert "no sanctions list is imported" in check.text


def test_the_check_names_its_lists_and_doubts_a_list_that_looks_wrong(house: House) -> None:
    operator = browser(house, "operator")
    assert post_list(operator, "un.xml", SAMPLE.read_bytes()).status_code == 303  # type: ignore[attr-defined]
    check = operator.get("/screening?name=Karachi+Rice+Mills")
    assert CLEAR in check.text
    against = check.text.split('id="checked-against"')[1]
    assert "UN version 1 (21 entries, generated 2018-10-29" in html.unescape(against)
    with transaction(house.engine) as session:  # a version whose entries went missing
        session.execute(update(SanctionsList).values(entries=1093))
    doubted = operator.get("/screening?name=Karachi+Rice+Mills")
    assert CLEAR not in doubted.text
    assert "this is not a clear result" in doubted.text
    assert "stores 21 of its 1,093 entries" in doubted.text


def test_a_shrinking_import_asks_to_confirm_the_same_file(house: House, tmp_path: Path) -> None:
    operator = browser(house, "operator")
    assert post_list(operator, "un.xml", SAMPLE.read_bytes()).status_code == 303  # type: ignore[attr-defined]
    small = only([*references()[:3], "IRe.070"], tmp_path / "small.xml").read_bytes()
    asked = post_list(operator, "small.xml", small)
    assert asked.status_code == 409, asked.text  # type: ignore[attr-defined]
    text = html.unescape(asked.text)  # type: ignore[attr-defined]
    assert 'id="shrink-confirm"' in text
    assert "would remove 17 of 21 entries (81 %)" in text
    assert CLEAR not in text
    assert list_count(house) == 1
    sha = text.split('name="sha256" value="')[1].split('"')[0]
    other = post_list(operator, "other.xml", SAMPLE.read_bytes(), confirm_shrink="yes", sha256=sha)
    assert "not the file whose shrink you were asked to confirm" in other.text  # type: ignore[attr-defined]
    assert list_count(house) == 1
    done = post_list(operator, "small.xml", small, confirm_shrink="yes", sha256=sha)
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    report = operator.get(done.headers["location"])  # type: ignore[attr-defined]
    assert "17 removed" in report.text
    assert "UN list version 2 imported (4 entries)" in report.text
    again = post_list(operator, "small.xml", small)
    assert again.headers["location"] == "/screening?unchanged=2"  # type: ignore[attr-defined]
    assert "nothing new was imported" in operator.get("/screening?unchanged=2").text
    full = operator.get("/screening/lists/2")
    assert full.status_code == 200
    assert "Removed (17)" in full.text
    assert operator.get("/screening/lists/99").status_code == 404
    assert operator.get("/screening/lists/" + "9" * 30).status_code == 404
    assert operator.get("/screening?imported=" + "9" * 30).status_code == 200
    assert browser(house, "trader").get("/screening/lists/2").status_code == 403


def test_firm_pages_agree_on_the_state_and_a_held_trader_reads_a_neutral_notice(
    house: House,
) -> None:
    held_firm_with_its_trader(house)
    operator = browser(house, "operator")
    page = operator.get("/firms/IR-9")
    assert 'id="screening-state">held for review<' in page.text
    assert 'href="#screening-hits"' in page.text
    assert "IRe.070" in page.text  # the hits, for the operator
    assert "matches all" in html.unescape(page.text)  # why it hit, in words
    listing = operator.get("/firms?q=IR-9")
    assert ">held for review<" in listing.text
    trader = signed_in(house, "trader9")
    dashboard = trader.get("/")
    assert screening_views.HELD_NOTICE in html.unescape(dashboard.text)
    for told in ("IRe.070", "SHIRAZI", "blocked", "confirmed", "sanction"):
        assert told not in dashboard.text.split('id="held-notice"')[1].split("</p>")[0]
    assert "IRe.070" not in dashboard.text
    with transaction(house.engine) as session:
        session.execute(update(Firm).where(Firm.id == "IR-9").values(screening="confirmed"))
    confirmed = trader.get("/")
    assert screening_views.HELD_NOTICE in html.unescape(confirmed.text)
    assert 'id="screening-state">confirmed match<' in operator.get("/firms/IR-9").text
    assert ">confirmed match<" in operator.get("/firms?q=IR-9").text
    assert 'id="held-notice"' not in browser(house, "trader").get("/").text  # PK-1 is clear


def test_a_new_list_name_asks_to_confirm_the_same_file(house: House, tmp_path: Path) -> None:
    operator = browser(house, "operator")
    assert post_list(operator, "un.xml", SAMPLE.read_bytes()).status_code == 303  # type: ignore[attr-defined]
    sdn = only(["IRe.070"], tmp_path / "sdn.xml").read_bytes()
    asked = post_list(operator, "sdn.xml", sdn, name="OFAC SDN")
    assert asked.status_code == 409, asked.text  # type: ignore[attr-defined]
    text = html.unescape(asked.text)  # type: ignore[attr-defined]
    assert 'id="new-list-confirm"' in text
    assert "'OFAC SDN' is a new list (the lists are: UN)" in text
    assert list_count(house) == 1
    sha = text.split('name="sha256" value="')[1].split('"')[0]
    other = post_list(
        operator, "x.xml", SAMPLE.read_bytes(), name="OFAC SDN", new_list="yes", sha256=sha
    )
    assert "not the file you were asked to confirm" in other.text  # type: ignore[attr-defined]
    assert list_count(house) == 1
    done = post_list(operator, "sdn.xml", sdn, name="OFAC SDN", new_list="yes", sha256=sha)
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    report = operator.get(done.headers["location"])  # type: ignore[attr-defined]
    assert "OFAC SDN list version 2 imported (1 entries)" in report.text
    # Another case of a name is that list, no confirmation asked.
    again = post_list(operator, "sdn2.xml", sdn + b"\n", name="ofac sdn")
    assert again.status_code == 303, again.text  # type: ignore[attr-defined]
    assert list_count(house) == 3


def test_the_import_report_is_only_of_a_version_the_user_just_imported(house: House) -> None:
    from tahator.io.un_list import read_list
    from tahator.services import list_imports

    with transaction(house.engine) as session:  # imported by someone else
        list_imports.import_list(session, read_list("un", SAMPLE), "another operator")
    operator = browser(house, "operator")
    page = operator.get("/screening?imported=1")
    assert page.status_code == 200
    assert 'id="imported"' not in page.text
    assert "every firm was screened again" not in page.text


def test_a_name_with_nothing_to_screen_is_an_error_not_clear(house: House) -> None:
    operator = browser(house, "operator")
    assert post_list(operator, "un.xml", SAMPLE.read_bytes()).status_code == 303  # type: ignore[attr-defined]
    check = operator.get("/screening?name=!!!,,,---")
    assert CLEAR not in check.text
    assert "nothing to screen" in html.unescape(check.text)
