"""Returning an instruction over the API: only a bank, idempotent, problems for bad input."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import House


def _run_and_pending(house: House) -> list[dict[str, Any]]:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text
    pending = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=house.as_("bank")
    ).json()["items"]
    assert pending
    return list(pending)


def _verify(house: House) -> Any:
    return house.client.get("/api/v1/ledger/verify", headers=house.as_("auditor")).json()


def test_a_bank_returns_a_collection_once(house: House) -> None:
    pending = _run_and_pending(house)
    collection = next(i for i in pending if i["kind"] == "collection")
    path = f"/api/v1/settlement/instructions/{collection['id']}/return"
    bank = house.as_("bank") | {"Idempotency-Key": "return-1"}
    returned = house.client.post(path, json={"reason": "AM04"}, headers=bank)
    assert returned.status_code == 200, returned.text
    body = returned.json()
    assert body["instruction"]["status"] == "returned"
    assert (body["reason"], body["reason_text"]) == ("AM04", "insufficient funds")
    assert body["reopened"]
    # A retry with the same key gets the same answer; nothing is returned twice.
    again = house.client.post(path, json={"reason": "AM04"}, headers=bank)
    assert again.status_code == 200
    assert again.json() == body
    twice = house.client.post(path, json={"reason": "AM04"}, headers=house.as_("bank"))
    assert twice.status_code == 422
    assert "only a pending instruction" in twice.text
    confirm = house.client.post(
        f"/api/v1/settlement/instructions/{collection['id']}/confirm", headers=house.as_("bank")
    )
    assert confirm.status_code == 422
    assert _verify(house) == {"ok": True, "breaks": []}
    paths = house.client.get("/openapi.json").json()["paths"]
    assert "/api/v1/settlement/instructions/{instruction_id}/return" in paths


def test_bad_returns_over_the_api_change_nothing(house: House) -> None:
    pending = _run_and_pending(house)
    first = pending[0]["id"]
    path = f"/api/v1/settlement/instructions/{first}/return"
    for who, body, status in [
        ("trader", {"reason": "AM04"}, 403),
        ("operator", {"reason": "AM04"}, 403),
        ("auditor", {"reason": "AM04"}, 403),
        ("bank", {"reason": "ZZ01"}, 422),
        ("bank", {}, 422),
        ("bank", {"reason": ""}, 422),
    ]:
        response = house.client.post(path, json=body, headers=house.as_(who))
        assert response.status_code == status, (who, body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    for number in ("99999", str(2**63), "0"):
        unknown = house.client.post(
            f"/api/v1/settlement/instructions/{number}/return",
            json={"reason": "AM04"},
            headers=house.as_("bank"),
        )
        assert unknown.status_code == 404, unknown.text
        assert f"no settlement instruction {number}" in unknown.text
    unconfirmed = house.client.post(
        f"/api/v1/settlement/instructions/{10**23}/confirm", headers=house.as_("bank")
    )
    assert unconfirmed.status_code == 404, unconfirmed.text
    bad = house.client.post(path, json={"reason": "ZZ01"}, headers=house.as_("bank"))
    assert "unknown return reason" in bad.text
    assert "AM04" in bad.text
    after = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=house.as_("bank")
    ).json()["items"]
    assert after == pending
    assert _verify(house) == {"ok": True, "breaks": []}
