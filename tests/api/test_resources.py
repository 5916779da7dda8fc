"""Every capability over HTTP: obligations, clearing, settlement, barter, the market, audit."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from sqlalchemy import func, select, text

from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, Obligation
from tests.api.conftest import House, declare_gas_import
from tests.integration.test_barter import application
from tests.integration.test_market import HEADER, RING

OBLIGATION = {
    "reference": "API-1",
    "debtor": "PK-1",
    "creditor": "IR-1",
    "amount": "1250.50",
    "currency": "USD",
    "due_date": "2026-12-31",
}


def count_obligations(house: House) -> int:
    with transaction(house.engine) as session:
        return session.scalar(select(func.count()).select_from(Obligation)) or 0


def test_posting_an_obligation_answers_with_the_stored_one(house: House) -> None:
    response = house.client.post(
        "/api/v1/obligations", json=OBLIGATION, headers=house.as_("trader")
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert isinstance(stored["id"], int)
    # The answer adds the clearing run it goes into (tests/api/test_obligations_filing.py).
    assert set(stored.pop("files_into")) == {"day", "cutoff", "cutoff_day"}
    assert stored.pop("waits") in (True, False)
    assert stored | {"id": 0} == {
        "id": 0,
        "reference": "API-1",
        "debtor": "PK-1",
        "creditor": "IR-1",
        "amount": "1250.50",
        "currency": "USD",
        "due_date": "2026-12-31",
        "status": "open",
        "remaining": "1250.50",
        "set_off": "0.00",
        "origin": None,
        "jointly_liable": [],
    }
    one = house.client.get(f"/api/v1/obligations/{stored['id']}", headers=house.as_("trader"))
    assert one.json() == stored
    # The same reference and content again changes nothing; other content is refused.
    again = house.client.post("/api/v1/obligations", json=OBLIGATION, headers=house.as_("trader"))
    assert again.status_code == 200
    assert again.json()["id"] == stored["id"]
    changed = house.client.post(
        "/api/v1/obligations", json=OBLIGATION | {"amount": "9.00"}, headers=house.as_("trader")
    )
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["field"] == "id"


def test_a_retry_with_the_same_idempotency_key_creates_nothing_new(house: House) -> None:
    headers = house.as_("operator") | {"Idempotency-Key": "batch-7"}
    batch = {
        "obligations": [
            OBLIGATION | {"reference": f"B-{n}", "amount": f"{n}.00"} for n in range(1, 6)
        ]
    }
    before = count_obligations(house)
    first = house.client.post("/api/v1/obligations/batch", json=batch, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["created"] == 5
    assert len(set(first.json()["ids"])) == 5
    retry = house.client.post("/api/v1/obligations/batch", json=batch, headers=headers)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert count_obligations(house) == before + 5
    other = {"obligations": batch["obligations"][:1]}
    reused = house.client.post("/api/v1/obligations/batch", json=other, headers=headers)
    assert reused.status_code == 422
    assert "different request" in reused.json()["detail"]
    # Keys are per user: another user's same key is a new request.
    own = house.client.post(
        "/api/v1/clearing/runs", json={}, headers=house.as_("operator") | {"Idempotency-Key": "r1"}
    )
    assert own.status_code == 201
    assert (
        house.client.get("/api/v1/clearing/runs", headers=house.as_("operator")).json()["items"][
            -1
        ]["run_id"]
        == own.json()["run_id"]
    )


def test_a_bad_batch_stores_nothing_and_names_each_item(house: House) -> None:
    before = count_obligations(house)
    batch = {
        "obligations": [
            OBLIGATION | {"reference": "OK-1"},
            OBLIGATION | {"reference": "BAD-1", "creditor": "NOPE"},
            OBLIGATION | {"reference": "BAD-2", "currency": "XXX"},
        ]
    }
    response = house.client.post(
        "/api/v1/obligations/batch", json=batch, headers=house.as_("operator")
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(3, "creditor"), (4, "currency")]
    assert count_obligations(house) == before


def test_one_bad_obligation_names_no_line(house: House) -> None:
    bad = OBLIGATION | {"reference": "BAD-1", "currency": "XXX"}
    response = house.client.post("/api/v1/obligations", json=bad, headers=house.as_("operator"))
    assert response.status_code == 422
    assert [(e.get("line"), e["field"]) for e in response.json()["errors"]] == [(None, "currency")]
    refused = house.client.post(
        "/api/v1/settlement/instructions/1/confirm", headers=house.as_("operator")
    )
    assert refused.status_code == 403
    assert "an operator may not do this" in refused.text


def test_a_trader_sees_and_acts_on_its_own_firm_only(house: House) -> None:
    trader = house.as_("trader")  # PK-1
    listed = house.client.get("/api/v1/obligations", headers=trader).json()["items"]
    assert listed
    assert all("PK-1" in (o["debtor"], o["creditor"]) for o in listed)
    assert {o["reference"] for o in listed} == {"INV-1", "INV-3"}
    assert house.client.get("/api/v1/firms", headers=trader).json()["items"][0]["id"] == "PK-1"
    assert len(house.client.get("/api/v1/firms", headers=trader).json()["items"]) == 1
    for path in (
        "/api/v1/firms/IR-2",
        "/api/v1/firms/IR-2/obligations",
        "/api/v1/obligations?firm=IR-2",
    ):
        response = house.client.get(path, headers=trader)
        assert response.status_code == 404, path  # never a 403 that confirms it exists
    others = house.client.get("/api/v1/obligations?firm=IR-2", headers=house.as_("operator"))
    inv4 = others.json()["items"][0]["id"]
    assert house.client.get(f"/api/v1/obligations/{inv4}", headers=trader).status_code == 404
    assert house.client.get("/api/v1/obligations/999999", headers=trader).status_code == 404
    foreign = house.client.post(
        "/api/v1/obligations",
        json=OBLIGATION | {"debtor": "IR-2", "creditor": "PK-3"},
        headers=trader,
    )
    assert foreign.status_code == 422
    # Nor may it put a debt on another firm's books by naming itself the creditor.
    claim = house.client.post(
        "/api/v1/obligations",
        json=OBLIGATION | {"reference": "CLAIM", "debtor": "IR-2", "creditor": "PK-1"},
        headers=trader,
    )
    assert claim.status_code == 422
    assert claim.json()["errors"][0]["field"] == "debtor"
    assert "INV-4" not in claim.text


def test_pages_follow_cursors_to_the_end(house: House) -> None:
    operator = house.as_("operator")
    batch = {"obligations": [OBLIGATION | {"reference": f"P-{n}"} for n in range(7)]}
    house.client.post("/api/v1/obligations/batch", json=batch, headers=operator)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = house.client.get("/api/v1/obligations", params=params, headers=operator).json()
        seen += [o["id"] for o in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 11
    assert seen == sorted(set(seen))
    bad = house.client.get("/api/v1/obligations?cursor=!!", headers=operator)
    assert bad.status_code == 422
    assert house.client.get("/api/v1/obligations?limit=0", headers=operator).status_code == 422


def test_clearing_settlement_and_ledger_over_http(house: House) -> None:
    operator, bank, trader = house.as_("operator"), house.as_("bank"), house.as_("trader")
    future = house.client.post(
        "/api/v1/clearing/runs", json={"as_of": "2100-12-31"}, headers=operator
    )
    assert future.status_code == 422, future.text
    assert "after today's business date" in future.text
    run = house.client.post("/api/v1/clearing/runs", json={"as_of": "2026-11-24"}, headers=operator)
    assert run.status_code == 201, run.text
    early = house.client.post(
        "/api/v1/clearing/runs", json={"as_of": "2026-11-01"}, headers=operator
    )
    assert early.status_code == 422, early.text
    run_id = run.json()["run_id"]
    assert run.json()["cleared"] == "1800.00"  # the 600-cycle, three arcs
    notices = house.client.get(f"/api/v1/clearing/runs/{run_id}/notices", headers=operator)
    assert {n["reference"]: n["setoff"] for n in notices.json()["items"]} == {
        "INV-1": "600.00",
        "INV-2": "600.00",
        "INV-3": "600.00",
    }
    mine = house.client.get(f"/api/v1/clearing/runs/{run_id}/notices", headers=trader).json()
    assert {n["reference"] for n in mine["items"]} == {"INV-1", "INV-3"}
    shown = house.client.get(f"/api/v1/clearing/runs/{run_id}", headers=trader).json()
    assert {p["firm"] for p in shown["positions"]} == {"PK-1"}
    figures = house.client.get(f"/api/v1/clearing/runs/{run_id}", headers=operator).json()
    money_rules = ("cumulative_imbalances", "excluded", "settlement_rounding", "setoff_rounding")
    assert set(money_rules) <= set(figures["settlement"])
    pending = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=bank
    ).json()["items"]
    assert pending
    first = pending[0]["id"]
    assert (
        house.client.post(
            f"/api/v1/settlement/instructions/{first}/confirm", headers=operator
        ).status_code
        == 403
    )
    confirmed = house.client.post(f"/api/v1/settlement/instructions/{first}/confirm", headers=bank)
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_by"] == "bank:bank"
    twice = house.client.post(f"/api/v1/settlement/instructions/{first}/confirm", headers=bank)
    assert twice.status_code == 422
    assert house.client.get("/api/v1/ledger/verify", headers=house.as_("auditor")).json() == {
        "ok": True,
        "breaks": [],
    }
    balances = house.client.get("/api/v1/ledger/balances?prefix=clearing:", headers=bank).json()
    assert balances["items"]
    assert all(b["account"].startswith("clearing:") for b in balances["items"])
    assert house.client.get("/api/v1/clearing/runs/999", headers=operator).status_code == 404


def test_barter_authorizations_over_http(house: House) -> None:
    trader, customs = house.as_("trader"), house.as_("customs")
    # Recorded by an operator as received on 20 October 2025, so customs may decide then.
    applied = house.client.post(
        "/api/v1/barter/authorizations",
        json=application(as_of="2025-10-20"),
        headers=house.as_("operator"),
    )
    assert applied.status_code == 201, applied.text
    authorization = applied.json()["id"]
    assert applied.json()["state"] == "submitted"
    # Another trader's firm is not a party: the authorization does not exist for it.
    path = f"/api/v1/barter/authorizations/{authorization}"
    assert house.client.get(path, headers=house.as_("trader2")).status_code == 404
    assert house.client.post(f"{path}/authorize", json={}, headers=trader).status_code == 403
    authorized = house.client.post(
        f"{path}/authorize", json={"as_of": "2025-11-01"}, headers=customs
    )
    assert authorized.status_code == 200, authorized.text
    assert authorized.json()["approval_number"]
    assert authorized.json()["deadline"] == "2026-03-01"
    declared = declare_gas_import(house, path)
    assert declared["imported"] == "300000.00"
    refused = house.client.post(
        "/api/v1/barter/authorizations",
        json=application(partner_country="CN", origin_declared=False),
        headers=trader,
    )
    assert refused.status_code == 422
    assert {"partner_country", "origin_declared"} <= {e["field"] for e in refused.json()["errors"]}
    for_other = house.client.post(
        "/api/v1/barter/authorizations", json=application(applicant="PK-2"), headers=trader
    )
    assert for_other.status_code == 403
    swept = house.client.post("/api/v1/barter/sweep", json={"as_of": "2026-03-02"}, headers=customs)
    assert [a["id"] for a in swept.json()["cancelled"]] == [authorization]
    report = house.client.get("/api/v1/reports/barter?quarter=2025Q4", headers=customs)
    assert report.status_code == 200
    assert (
        house.client.get("/api/v1/reports/barter?quarter=2025Q5", headers=customs).status_code
        == 422
    )


def test_the_marketplace_over_http(house: House) -> None:
    operator = house.as_("operator")
    for line in RING.strip().splitlines():
        values = dict(zip(HEADER.strip().split(","), line.split(","), strict=True))
        offer = values | {"wants_hs": values["wants_hs"].split("|")}
        response = house.client.post("/api/v1/offers", json=offer, headers=operator)
        assert response.status_code == 201, response.text
    mine = house.client.get("/api/v1/offers", headers=house.as_("trader")).json()["items"]
    assert [o["id"] for o in mine] == ["O1"]
    assert house.client.get("/api/v1/offers/O2", headers=house.as_("trader")).status_code == 404
    run = house.client.post(
        "/api/v1/matching/runs", json={"cap": 3, "as_of": "2026-11-23"}, headers=operator
    )
    assert run.status_code == 201, run.text
    assert run.json()["rings"] == 1
    proposal = run.json()["proposals"][0]
    seen_by_trader2 = house.client.get(
        f"/api/v1/matching/runs/{run.json()['run_id']}", headers=house.as_("trader2")
    )
    assert seen_by_trader2.json()["proposals"] == []
    path = f"/api/v1/proposals/{proposal}"
    assert house.client.get(path, headers=house.as_("trader2")).status_code == 404
    accepted = house.client.post(f"{path}/accept", json={}, headers=house.as_("trader"))
    assert accepted.status_code == 200, accepted.text
    legs = {leg["firm"]: leg["answer"] for leg in accepted.json()["legs"]}
    assert legs["PK-1"] == "accepted"
    on_behalf = house.client.post(
        f"{path}/accept", json={"firm": "PK-2"}, headers=house.as_("trader")
    )
    assert on_behalf.status_code == 404
    assert house.client.post(f"{path}/decline", json={}, headers=operator).status_code == 403


def test_every_change_is_in_the_audit_chain_and_tampering_is_caught(house: House) -> None:
    house.client.post("/api/v1/obligations", json=OBLIGATION, headers=house.as_("trader"))
    house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    records = house.client.get("/api/v1/audit?limit=1000", headers=house.as_("auditor")).json()
    actions = [(r["actor"], r["action"]) for r in records["items"]]
    assert ("trader:trader1", "obligations.register") in actions
    assert ("operator:op", "clearing.run") in actions
    check = house.client.get("/api/v1/audit/verify", headers=house.as_("auditor")).json()
    assert check["ok"] is True
    assert check["records"] == len(records["items"])
    cli = [sys.executable, "-m", "tahator.cli", "--db", house.url, "audit", "verify"]
    assert subprocess.run(cli, capture_output=True, text=True, check=False).returncode == 0
    victim = records["items"][2]["id"]
    with transaction(house.engine) as session:
        session.execute(
            text("UPDATE audit_log SET actor = 'someone:else' WHERE id = :id"), {"id": victim}
        )
    check = house.client.get("/api/v1/audit/verify", headers=house.as_("auditor")).json()
    assert check["ok"] is False
    assert check["first_break"] == victim
    done = subprocess.run(cli, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert f"audit record {victim} is broken" in done.stderr
    with transaction(house.engine) as session:
        session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": victim})
        assert session.scalar(select(func.count()).select_from(AuditRecord))
    check = house.client.get("/api/v1/audit/verify", headers=house.as_("auditor")).json()
    assert check["first_break"] == victim + 1
