"""The authorization matrix, cell by cell: each role against each capability.

Roles act in the order auditor, bank, customs, trader, operator, so that a role
allowed to change something acts after every role refused it: a refused request
must leave nothing behind for the allowed one to trip over.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import House
from tests.api.test_resources import OBLIGATION
from tests.integration.test_barter import application

ORDER = ("auditor", "bank", "customs", "trader", "operator")
ALL_200 = dict.fromkeys(ORDER, 200)


def only(allowed: dict[str, int], refused: int = 403) -> dict[str, int]:
    return {role: allowed.get(role, refused) for role in ORDER}


OFFER = {
    "id": "O1",
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
NEW_FIRM = {"id": "PK-9", "name": "Sialkot Surgical", "country": "PK", "tax_id": "4100009-9"}


def cells(ids: dict[str, Any]) -> list[tuple[str, str, Any, dict[str, int]]]:
    """(method, path, JSON body, expected status per role)."""
    return [
        ("GET", "/api/v1/firms", None, ALL_200),
        ("GET", "/api/v1/firms/PK-1", None, ALL_200),
        ("GET", "/api/v1/firms/IR-2", None, ALL_200 | {"trader": 404}),
        ("POST", "/api/v1/firms", NEW_FIRM, only({"operator": 201})),
        ("GET", "/api/v1/consortia", None, ALL_200),
        ("GET", "/api/v1/obligations", None, ALL_200),
        ("GET", "/api/v1/firms/IR-2/obligations", None, ALL_200 | {"trader": 404}),
        ("GET", f"/api/v1/obligations/{ids['inv4']}", None, ALL_200 | {"trader": 404}),
        ("POST", "/api/v1/obligations", OBLIGATION, only({"trader": 201, "operator": 200})),
        ("GET", "/api/v1/clearing/runs", None, ALL_200),
        ("GET", f"/api/v1/clearing/runs/{ids['run']}", None, ALL_200),
        ("GET", f"/api/v1/clearing/runs/{ids['run']}/notices", None, ALL_200),
        ("GET", "/api/v1/settlement/instructions", None, ALL_200 | {"customs": 403}),
        (
            "POST",
            f"/api/v1/settlement/instructions/{ids['instruction']}/confirm",
            None,
            only({"bank": 200}),
        ),
        (
            "GET",
            "/api/v1/ledger/balances",
            None,
            only({"operator": 200, "bank": 200, "auditor": 200}),
        ),
        (
            "GET",
            "/api/v1/ledger/verify",
            None,
            only({"operator": 200, "bank": 200, "auditor": 200}),
        ),
        ("POST", "/api/v1/clearing/runs", {}, only({"operator": 201})),
        (
            "POST",
            "/api/v1/barter/authorizations",
            application(),
            only({"trader": 201, "operator": 201}),
        ),
        ("GET", "/api/v1/barter/authorizations", None, ALL_200 | {"bank": 403}),
        (
            "GET",
            f"/api/v1/barter/authorizations/{ids['authorization']}",
            None,
            ALL_200 | {"bank": 403},
        ),
        (
            "GET",
            f"/api/v1/barter/authorizations/{ids['foreign_authorization']}",
            None,
            ALL_200 | {"bank": 403, "trader": 404},
        ),
        (
            "POST",
            f"/api/v1/barter/authorizations/{ids['authorization']}/authorize",
            {"as_of": "2025-11-01"},
            only({"customs": 200}),
        ),
        ("GET", "/api/v1/barter/deadlines", None, ALL_200 | {"bank": 403}),
        (
            "POST",
            "/api/v1/barter/sweep",
            {"as_of": "2025-11-02"},
            only({"customs": 200, "operator": 200}),
        ),
        (
            "GET",
            "/api/v1/reports/barter?quarter=2025Q4",
            None,
            only({"operator": 200, "customs": 200, "auditor": 200}),
        ),
        ("POST", "/api/v1/offers", OFFER, only({"trader": 201, "operator": 200})),
        ("GET", "/api/v1/offers", None, ALL_200),
        ("POST", "/api/v1/matching/runs", {"as_of": "2026-11-23"}, only({"operator": 201})),
        ("GET", "/api/v1/proposals", None, ALL_200),
        ("GET", "/api/v1/audit", None, only({"operator": 200, "auditor": 200})),
        ("GET", "/api/v1/audit/verify", None, only({"operator": 200, "auditor": 200})),
    ]


def test_the_authorization_matrix_cell_by_cell(house: House) -> None:
    client, operator = house.client, house.as_("operator")
    ids: dict[str, Any] = {}
    listed = client.get("/api/v1/obligations?firm=IR-2", headers=operator).json()["items"]
    ids["inv4"] = listed[0]["id"]
    ids["run"] = client.post("/api/v1/clearing/runs", json={}, headers=operator).json()["run_id"]
    instructions = client.get("/api/v1/settlement/instructions", headers=operator).json()["items"]
    ids["instruction"] = instructions[0]["id"]
    # Recorded as received on the contract's first day: customs decides in 2025.
    ids["authorization"] = client.post(
        "/api/v1/barter/authorizations", json=application(as_of="2025-10-20"), headers=operator
    ).json()["id"]
    ids["foreign_authorization"] = client.post(
        "/api/v1/barter/authorizations",
        json=application(applicant="PK-2", counterparty="IR-2", as_of="2025-10-20"),
        headers=operator,
    ).json()["id"]
    wrong = []
    for method, path, body, expected in cells(ids):
        for role in ORDER:
            response = client.request(method, path, json=body, headers=house.as_(role))
            if response.status_code != expected[role]:
                wrong.append(
                    f"{role} {method} {path}: {response.status_code} {response.text[:200]}"
                )
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
    assert not wrong, "\n".join(wrong)
