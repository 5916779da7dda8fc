"""`POST /api/v1/settlement/bank-statements`: a bank's camt file over the API."""

from __future__ import annotations

from typing import Any

from tahator.demo_bank import Line, camt_file
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import BankAccount
from tests.api.conftest import House

PATH = "/api/v1/settlement/bank-statements"
PK_IBAN = "PK36SCBL0000001123456702"
XML = {"Content-Type": "application/xml"}


def _collection(house: House) -> dict[str, Any]:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text
    with transaction(house.engine) as session:
        session.add(
            BankAccount(
                clearing_country="PK",
                iban=PK_IBAN,
                holder="Clearing PK",
                registered_at=now(),
                registered_by="test",
            )
        )
    pending = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=house.as_("bank")
    ).json()["items"]
    found: dict[str, Any] = next(
        i for i in pending if i["kind"] == "collection" and i["country"] == "PK"
    )
    return found


def _status(house: House, instruction: int) -> str:
    items = house.client.get("/api/v1/settlement/instructions", headers=house.as_("bank")).json()[
        "items"
    ]
    return str(next(i["status"] for i in items if i["id"] == instruction))


def test_a_bank_imports_a_statement_once(house: House) -> None:
    collection = _collection(house)
    content = camt_file(
        "API-1",
        PK_IBAN,
        [Line(collection["local_amount"], "PKR", reference=collection["reference"])],
    )
    for who in ("trader", "customs", "auditor"):
        refused = house.client.post(PATH, content=content, headers=house.as_(who) | XML)
        assert refused.status_code == 403, (who, refused.text)
    assert _status(house, collection["id"]) == "pending"

    answer = house.client.post(PATH, content=content, headers=house.as_("bank") | XML)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["kind"] == "camt.054.001.08"
    assert report["already_imported"] is False
    assert [m["instruction"] for m in report["matched"]] == [collection["id"]]
    assert _status(house, collection["id"]) == "confirmed"

    # As a form's file, by the operator: the same file, already imported.
    again = house.client.post(
        PATH,
        files={"file": ("camt.xml", content, "application/xml")},
        headers=house.as_("operator"),
    )
    assert again.status_code == 200, again.text
    assert again.json()["already_imported"] is True
    assert again.json()["matched"] == report["matched"]

    paths = house.client.get("/openapi.json").json()["paths"]
    assert "application/xml" in paths[PATH]["post"]["requestBody"]["content"]


def test_bad_statements_are_problems(house: House) -> None:
    collection = _collection(house)
    bank = house.as_("bank")
    for content, headers, status, words in [
        (b"<x/>", XML, 422, "not a camt.053 or camt.054 file"),
        (
            b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Document>&b;</Document>',
            XML,
            422,
            "unsafe XML",
        ),
        (camt_file("API-2", "PK24SCBL0000001123456702", []), XML, 422, "not a registered"),
        (b"{}", {"Content-Type": "application/json"}, 415, "application/xml"),
    ]:
        response = house.client.post(PATH, content=content, headers=bank | headers)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.text
    other = camt_file("API-3", PK_IBAN, [Line("1.00", "PKR", reference=collection["reference"])])
    first = house.client.post(PATH, content=other, headers=bank | XML)
    assert first.status_code == 200
    assert "partial or over payment" in first.json()["unmatched"][0]["why"]
    changed = camt_file("API-3", PK_IBAN, [Line("2.00", "PKR")])
    refused = house.client.post(PATH, content=changed, headers=bank | XML)
    assert refused.status_code == 422
    assert "a different file with MsgId API-3" in refused.text
    assert _status(house, collection["id"]) == "pending"
