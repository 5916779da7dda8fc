"""Sanctions screening over HTTP: lists, names, the queue and the operator's decision."""

from __future__ import annotations

from tahator.demo import tax_id
from tests.api.conftest import House
from tests.unit.test_screening import BILLION_LAUGHS, SAMPLE

LOOK_ALIKE = {
    "id": "IR-9",
    "name": "Shahid Sayad Shirazi Industries Co.",
    "country": "IR",
    "tax_id": tax_id("IR", 9),
}


def upload(house: House, data: bytes, role: str = "operator") -> object:
    return house.client.post(
        "/api/v1/lists/un",
        files={"file": ("list.xml", data, "application/xml")},
        headers=house.as_(role),
    )


def test_a_listed_look_alike_is_blocked_until_an_operator_decides(house: House) -> None:
    operator = house.as_("operator")
    assert upload(house, SAMPLE.read_bytes(), "customs").status_code == 403
    imported = upload(house, SAMPLE.read_bytes())
    assert imported.status_code == 201, imported.text
    hits = house.client.post(
        "/api/v1/screen",
        json={"names": [{"id": "q", "name": "Shahid Sayyade Shirazi Industries"}]},
        headers=house.as_("customs"),
    ).json()
    assert hits[0]["hits"][0]["band"] == "match"
    registered = house.client.post("/api/v1/firms", json=LOOK_ALIKE, headers=operator)
    assert registered.status_code == 201, registered.text
    queue = house.client.get("/api/v1/screening/queue", headers=operator).json()
    assert [f["firm"] for f in queue] == ["IR-9"]
    blocked = house.client.post(
        "/api/v1/obligations",
        json={
            "reference": "S-1",
            "debtor": "IR-9",
            "creditor": "PK-1",
            "amount": "10.00",
            "currency": "USD",
            "due_date": "2026-12-31",
        },
        headers=operator,
    )
    assert blocked.status_code == 422
    assert "IR-9" in blocked.text
    decision = {"decision": "false_positive", "reason": "a different firm: checked its NTN"}
    path = "/api/v1/firms/IR-9/screening/decision"
    assert house.client.post(path, json=decision, headers=house.as_("auditor")).status_code == 403
    decided = house.client.post(path, json=decision, headers=operator)
    assert decided.status_code == 200, decided.text
    assert house.client.get("/api/v1/screening/queue", headers=operator).json() == []
    records = house.client.get(
        "/api/v1/audit?action=screening.decide", headers=house.as_("auditor")
    ).json()["items"]
    assert records
    assert records[-1]["actor"] == "operator:op"
    assert (
        house.client.get("/api/v1/firms/IR-9/screening", headers=house.as_("trader")).status_code
        == 404
    )
    assert (
        house.client.post(
            "/api/v1/firms/NOPE/screening/decision", json=decision, headers=operator
        ).status_code
        == 404
    )


def test_hostile_xml_is_refused_and_changes_nothing(house: House) -> None:
    refused = upload(house, BILLION_LAUGHS)
    assert refused.status_code == 422
    assert house.client.get("/api/v1/lists", headers=house.as_("operator")).json() == []
