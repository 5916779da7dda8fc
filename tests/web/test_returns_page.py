"""The bank's settlement page: a pending instruction may be marked returned, with a reason."""

from __future__ import annotations

from tests.web.conftest import House, browser, csrf_of, token


def test_a_bank_marks_a_collection_returned_with_a_reason(house: House) -> None:
    operator = browser(house, "operator")
    started = operator.post("/clearing/run", data={"csrf_token": token(operator, "/clearing")})
    assert started.status_code == 303
    bank = browser(house, "bank")
    page = bank.get("/clearing")
    assert "Instruction 1 returned" in page.text  # the button's accessible name
    assert '<option value="AM04">AM04 insufficient funds</option>' in page.text
    refused = bank.post(
        "/settlement/1/return", data={"csrf_token": csrf_of(page.text), "reason": "XX01"}
    )
    assert refused.status_code == 422
    assert "unknown return reason" in refused.text
    returned = bank.post(
        "/settlement/1/return",
        data={"csrf_token": csrf_of(page.text), "reason": "AM04", "back": "/clearing/runs/1"},
    )
    assert returned.status_code == 303
    assert returned.headers["location"] == "/clearing/runs/1?returned=1&reason=AM04#instruction-1"
    shown = bank.get(returned.headers["location"]).text
    assert "Instruction 1 returned (AM04)" in shown
    assert 'state-returned">returned' in shown
    again = bank.post(
        "/settlement/1/return", data={"csrf_token": csrf_of(page.text), "reason": "AM04"}
    )
    assert again.status_code == 422
    assert "only a pending instruction" in again.text


def test_only_a_bank_may_mark_an_instruction_returned(house: House) -> None:
    for who in ("trader", "operator", "auditor"):
        client = browser(house, who)
        response = client.post(
            "/settlement/1/return", data={"csrf_token": token(client), "reason": "AM04"}
        )
        assert response.status_code == 403, who
    bank = browser(house, "bank")
    missing = bank.post("/settlement/99/return", data={"csrf_token": token(bank), "reason": "AM04"})
    assert missing.status_code in (404, 422)
