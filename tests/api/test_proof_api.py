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


def test_a_checkpoint_naming_an_unknown_table_is_422_not_a_truncation(house: House) -> None:
    auditor = house.as_("auditor")
    saved = house.client.get("/api/v1/audit/checkpoint", headers=auditor).json()
    for change in ({"counts": {"audit_log": 99999, "evil": 1}}, {"hash": "X" * 64}):
        response = house.client.post(
            "/api/v1/audit/checkpoint/verify", json={**saved, **change}, headers=auditor
        )
        assert response.status_code == 422
        assert response.json()["detail"].startswith("not a checkpoint: ")
