"""A bank returns a payout it confirmed over the API; a confirmed collection stays refused."""

from __future__ import annotations

from tests.api.conftest import House


def test_a_bank_returns_a_confirmed_payout_but_not_a_confirmed_collection(house: House) -> None:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text
    bank = house.as_("bank")
    pending = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=bank
    ).json()["items"]
    payout = next(i for i in pending if i["kind"] == "payout")
    collection = next(i for i in pending if i["kind"] == "collection")
    for confirmed in (payout, collection):
        done = house.client.post(
            f"/api/v1/settlement/instructions/{confirmed['id']}/confirm", headers=bank
        )
        assert done.status_code == 200, done.text

    path = f"/api/v1/settlement/instructions/{payout['id']}/return"
    returned = house.client.post(path, json={"reason": "AC04"}, headers=bank)
    assert returned.status_code == 200, returned.text
    body = returned.json()
    assert (body["instruction"]["status"], body["carried"]) == ("returned", True)
    refused = house.client.post(
        f"/api/v1/settlement/instructions/{collection['id']}/return",
        json={"reason": "AM04"},
        headers=bank,
    )
    assert refused.status_code == 422
    assert "is for the operator" in refused.text
    verify = house.client.get("/api/v1/ledger/verify", headers=house.as_("auditor")).json()
    assert verify == {"ok": True, "breaks": []}
