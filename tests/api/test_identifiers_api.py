"""Hostile identifiers over HTTP (issue 18 item 7): 422 naming the field and the rule,
nothing stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tahator.domain.identifiers import IDENTIFIER_RULE
from tahator.store.barter_tables import Offer
from tahator.store.database import transaction
from tahator.store.schema import Consortium, Firm, Obligation, User
from tests.api.conftest import House
from tests.unit.test_identifiers import HOSTILE_IDS

FIRM = {"name": "Hostile Trading", "country": "PK", "tax_id": "4100009-9"}
OFFER = {
    "firm": "PK-1",
    "gives_hs": "10063010",
    "description": "Basmati rice",
    "quantity": "200000",
    "unit": "kg",
    "value": "100000.00",
    "currency": "USD",
    "wants_hs": ["2711"],
    "valid_until": "2026-12-31",
}
OBLIGATION = {
    "debtor": "PK-1",
    "creditor": "IR-1",
    "amount": "10.00",
    "currency": "USD",
    "due_date": "2026-06-30",
}


def counts(house: House) -> tuple[int, ...]:
    with transaction(house.engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Firm, Consortium, Offer, Obligation, User)
        )


def refused(response: Any, field: str) -> str:
    """The one problem's message, after checking it is a 422 naming ``field``."""
    assert response.status_code == 422, response.text
    assert "errors" in response.json(), response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    message: str = errors[0]["detail"]
    return message


def test_the_reviews_ids_are_refused_everywhere_and_nothing_is_stored(house: House) -> None:
    operator = house.as_("operator")
    before = counts(house)
    post = house.client.post
    for name, hostile in HOSTILE_IDS.items():
        message = refused(
            post("/api/v1/firms", json=FIRM | {"id": hostile}, headers=operator), "id"
        )
        assert message.startswith(IDENTIFIER_RULE) or "start with" in message, name
        consortium = {"id": hostile, "name": "C", "lead": "PK-1", "members": ["PK-2"]}
        refused(post("/api/v1/consortia", json=consortium, headers=operator), "id")
        refused(post("/api/v1/offers", json=OFFER | {"id": hostile}, headers=operator), "id")
        one = OBLIGATION | {"reference": hostile}
        refused(post("/api/v1/obligations", json=one, headers=operator), "reference")
        batch = {"obligations": [OBLIGATION | {"reference": "GOOD-1"}, one]}
        response = post("/api/v1/obligations/batch", json=batch, headers=operator)
        refused(response, "reference")
        assert response.json()["errors"][0]["line"] == 3  # the second item
    assert counts(house) == before


def test_names_refuse_bidi_overrides_but_keep_persian(house: House) -> None:
    operator = house.as_("operator")
    before = counts(house)
    spoofed = FIRM | {"id": "PK-8", "name": "Acme\u202edetimiL"}
    message = refused(house.client.post("/api/v1/firms", json=spoofed, headers=operator), "name")
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in message
    consortium = {"id": "PK-C", "name": "C\u200b", "lead": "PK-1", "members": ["PK-2"]}
    refused(house.client.post("/api/v1/consortia", json=consortium, headers=operator), "name")
    offer = OFFER | {"id": "O-8", "description": "Rice\u2067"}
    refused(house.client.post("/api/v1/offers", json=offer, headers=operator), "description")
    assert counts(house) == before
    persian = FIRM | {"id": "PK-8", "name": "فرش\u200cهای کاشان"}
    created = house.client.post("/api/v1/firms", json=persian, headers=operator)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == persian["name"]


def test_a_full_width_id_is_stored_in_its_nfkc_form(house: House) -> None:
    operator = house.as_("operator")
    wide = FIRM | {"id": "\uff30\uff2b-\uff18"}  # ＰＫ-８
    created = house.client.post("/api/v1/firms", json=wide, headers=operator)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "PK-8"
    assert house.client.get("/api/v1/firms/PK-8", headers=operator).status_code == 200
    offer = house.client.post(
        "/api/v1/offers", json=OFFER | {"id": "\uff2f-\uff11"}, headers=operator
    )
    assert offer.status_code == 201, offer.text
    assert offer.json()["id"] == "O-1"


def test_ids_equal_but_for_case_are_refused_like_any_taken_id(house: House) -> None:
    operator = house.as_("operator")
    post = house.client.post
    assert post("/api/v1/firms", json=FIRM | {"id": "PK-0001"}, headers=operator).status_code == 201
    consortium = {"id": "PK-CONS", "name": "C", "lead": "PK-1", "members": ["PK-2"]}
    assert post("/api/v1/consortia", json=consortium, headers=operator).status_code == 201
    mine = OFFER | {"id": "OF-00001"}
    assert post("/api/v1/offers", json=mine, headers=house.as_("trader")).status_code == 201
    before = counts(house)
    twin = FIRM | {"id": "pk-0001", "tax_id": "4100010-2"}
    assert "already taken" in refused(post("/api/v1/firms", json=twin, headers=operator), "id")
    twin_of_consortium = FIRM | {"id": "pk-cons", "tax_id": "4100010-2"}
    refused(post("/api/v1/firms", json=twin_of_consortium, headers=operator), "id")
    for twin_id in ("pk-0001", "Pk-Cons"):
        again = consortium | {"id": twin_id}
        assert "already taken" in refused(
            post("/api/v1/consortia", json=again, headers=operator), "id"
        )
    # Another firm's offer id, in other case: the same words as any unavailable id.
    theirs = OFFER | {"id": "of-00001", "firm": "IR-2"}
    message = refused(post("/api/v1/offers", json=theirs, headers=house.as_("trader2")), "id")
    assert message == "offer id 'of-00001' is not available: choose another"
    assert counts(house) == before
