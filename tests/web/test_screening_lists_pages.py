"""The screening page's lists page, sort and search on the server, and "Confirmed:
never trades" asks once more (a plain form: no script) before it is recorded."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import select

from tahator.services import screening_views
from tahator.services.paging import Window
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, Firm
from tests.api.test_screening_api import LOOK_ALIKE
from tests.integration.conftest import import_firms_file
from tests.unit.test_screening import SAMPLE
from tests.web.conftest import House, browser, token


def _held_look_alike(house: House) -> None:
    operator = browser(house, "operator")
    imported = operator.post(
        "/screening/lists",
        data={"csrf_token": token(operator, "/screening")},
        files={"file": ("un.xml", SAMPLE.read_bytes(), "application/xml")},
    )
    assert imported.status_code == 303, imported.text
    with transaction(house.engine) as session:
        data = (
            "id,name,country,tax_id\n"
            f"{LOOK_ALIKE['id']},{LOOK_ALIKE['name']},IR,{LOOK_ALIKE['tax_id']}\n"
        ).encode()
        import_firms_file(session, Path("f.csv"), "test", data=data)


def _status(house: House) -> str:
    with transaction(house.engine) as session:
        found = session.scalar(select(Firm.screening).where(Firm.id == "IR-9"))
    assert found is not None
    return found


def test_confirmed_never_trades_asks_once_more(house: House) -> None:
    _held_look_alike(house)
    operator = browser(house, "operator")
    asked = operator.post(
        "/screening/decide",
        data={
            "csrf_token": token(operator),
            "firm": "IR-9",
            "decision": "confirmed",
            "reason": "the listed entity: NTN matches",
        },
    )
    assert asked.status_code == 200
    assert 'id="confirm-never-trades"' in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert "the listed entity: NTN matches" in html.unescape(asked.text)
    assert _status(house) == "blocked"  # nothing recorded yet
    with transaction(house.engine) as session:
        assert "screening.decide" not in session.scalars(select(AuditRecord.action)).all()
    no_reason = operator.post(
        "/screening/decide",
        data={"csrf_token": token(operator), "firm": "IR-9", "decision": "confirmed", "reason": ""},
    )
    assert no_reason.status_code == 422
    assert _status(house) == "blocked"
    confirmed = operator.post(
        "/screening/decide",
        data={
            "csrf_token": token(operator),
            "firm": "IR-9",
            "decision": "confirmed",
            "reason": "the listed entity: NTN matches",
            "confirm": "yes",
        },
    )
    assert confirmed.status_code == 303
    assert _status(house) == "confirmed"
    # The auditor cannot reach the confirmation either.
    auditor = browser(house, "auditor")
    refused = auditor.post(
        "/screening/decide",
        data={"csrf_token": token(auditor), "firm": "IR-9", "decision": "confirmed", "reason": "x"},
    )
    assert refused.status_code == 403


def test_the_screening_lists_page_sort_and_search(house: House) -> None:
    _held_look_alike(house)
    operator = browser(house, "operator")
    page = operator.get("/screening")
    assert page.status_code == 200
    assert "IR-9" in page.text
    assert "Rows 1–1 of 1" in html.unescape(page.text)  # the list versions' pager
    missing = operator.get("/screening?f_q=nobody-by-this-name")
    assert "IR-9</a>" not in missing.text
    assert "nobody-by-this-name" in missing.text
    found = operator.get("/screening?f_q=shirazi&f_sort=-name")
    assert "IR-9</a>" in found.text
    for query in ("l_sort=-entries", "l_sort=imported&l_size=25", "l_page=99", "l_sort=nonsense"):
        assert operator.get(f"/screening?{query}").status_code == 200, query
    checked = operator.get("/screening?name=Shahid+Sayyade+Shirazi+Industries&h_sort=-score")
    assert "band-match" in checked.text
    assert 'aria-sort="descending"' in checked.text
    changes = operator.get("/screening/lists/1")
    rows = len(re.findall(r'<td class="mono" dir="ltr">', changes.text))
    assert rows >= 2
    reference = re.search(r'<td class="mono" dir="ltr">([^<]+)</td>', changes.text)
    assert reference is not None
    searched = operator.get(f"/screening/lists/1?a_q={reference.group(1).lower()}")
    assert len(re.findall(r'<td class="mono" dir="ltr">', searched.text)) == 1
    assert operator.get("/screening/lists/1?a_sort=-name&c_page=3").status_code == 200


def test_the_services_page_the_queue_and_the_versions(house: House) -> None:
    _held_look_alike(house)
    with transaction(house.engine) as session:
        queue = screening_views.queue_page(session, Window(sort="score", descending=True))
        assert [f.firm for f in queue.rows] == ["IR-9"]
        assert queue.total == 1
        assert screening_views.queue_page(session, Window(search="ir-9")).total == 1
        assert screening_views.queue_page(session, Window(search="zzz")).total == 0
        versions = screening_views.list_versions_page(session, Window(search="un"))
        assert versions.total == 1
        assert versions.rows[0].name == "UN"


def test_the_screening_pages_speak_persian(house: House) -> None:
    operator = browser(house, "operator")
    operator.post(
        "/language",
        data={"language": "fa", "next": "/screening", "csrf_token": token(operator)},
    )
    page = operator.get("/screening")
    assert '<html lang="fa" dir="rtl">' in page.text
