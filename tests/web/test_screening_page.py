"""The screening page: the queue of hits, the operator's decision, a name check."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tahator.services import screening
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, Firm
from tests.api.test_screening_api import LOOK_ALIKE
from tests.integration.conftest import import_firms_file
from tests.unit.test_screening import BILLION_LAUGHS, SAMPLE
from tests.web.conftest import House, browser, token


def status_of(house: House, firm: str) -> str:
    with transaction(house.engine) as session:
        found = session.scalar(select(Firm.screening).where(Firm.id == firm))
        assert found is not None
        return found


def test_an_operator_imports_a_list_and_decides_a_hit_in_the_browser(house: House) -> None:
    operator = browser(house, "operator")
    assert browser(house, "trader").get("/screening").status_code == 403
    hostile = operator.post(
        "/screening/lists",
        data={"csrf_token": token(operator, "/screening")},
        files={"file": ("laughs.xml", BILLION_LAUGHS, "application/xml")},
    )
    assert hostile.status_code == 422
    assert 'class="field-error"' in hostile.text
    imported = operator.post(
        "/screening/lists",
        data={"csrf_token": token(operator, "/screening")},
        files={"file": ("un.xml", SAMPLE.read_bytes(), "application/xml")},
    )
    assert imported.status_code == 303, imported.text
    page = operator.get("/screening?name=Shahid+Sayyade+Shirazi+Industries")
    assert "band-match" in page.text
    with transaction(house.engine) as session:
        data = (
            "id,name,country,tax_id\n"
            f"{LOOK_ALIKE['id']},{LOOK_ALIKE['name']},IR,{LOOK_ALIKE['tax_id']}\n"
        ).encode()
        import_firms_file(session, Path("f.csv"), "test", data=data)
        assert [f.firm for f in screening.queue(session)] == ["IR-9"]
    queue = operator.get("/screening")
    assert "IR-9" in queue.text
    assert "False positive" in queue.text
    auditor = browser(house, "auditor")
    assert "False positive" not in auditor.get("/screening").text
    refused = auditor.post(
        "/screening/decide",
        data={"csrf_token": token(auditor), "firm": "IR-9", "decision": "confirmed", "reason": "x"},
    )
    assert refused.status_code == 403
    no_reason = operator.post(
        "/screening/decide",
        data={
            "csrf_token": token(operator),
            "firm": "IR-9",
            "decision": "false_positive",
            "reason": " ",
        },
    )
    assert no_reason.status_code == 422
    assert status_of(house, "IR-9") == "blocked"
    decided = operator.post(
        "/screening/decide",
        data={
            "csrf_token": token(operator),
            "firm": "IR-9",
            "decision": "false_positive",
            "reason": "a different firm: NTN checked",
        },
    )
    assert decided.status_code == 303
    assert status_of(house, "IR-9") != "blocked"
    with transaction(house.engine) as session:
        actions = session.scalars(select(AuditRecord.action)).all()
    assert "screening.decide" in actions
