"""The audit chain's checkpoint over the API: taken, then checked after a truncation."""

from __future__ import annotations

from sqlalchemy import delete

from tahator.store.database import transaction
from tahator.store.schema import AuditRecord
from tests.api.conftest import House


def test_a_checkpoint_taken_over_the_api_catches_a_truncated_chain(house: House) -> None:
    auditor, trader = house.as_("auditor"), house.as_("trader")
    assert house.client.get("/api/v1/audit/checkpoint", headers=trader).status_code == 403
    saved = house.client.get("/api/v1/audit/checkpoint", headers=auditor).json()
    assert saved["last_id"] == saved["records"] > 0
    assert saved["counts"]["obligations"] > 0
    check = house.client.post("/api/v1/audit/checkpoint/verify", json=saved, headers=auditor)
    assert check.json() == {"ok": True, "records": saved["records"], "breaks": []}

    with transaction(house.engine) as session:
        session.execute(delete(AuditRecord).where(AuditRecord.id == saved["last_id"]))
    check = house.client.post("/api/v1/audit/checkpoint/verify", json=saved, headers=auditor)
    assert check.json()["ok"] is False
    assert check.json()["breaks"][0].startswith(f"audit record {saved['last_id']}, the checkpoint")

    too_big = {**saved, "last_id": 2**64}
    response = house.client.post("/api/v1/audit/checkpoint/verify", json=too_big, headers=auditor)
    assert response.status_code == 422
