"""Consignments over HTTP: the role matrix (customs and the operator write, an auditor
reads, a trader sees its own firm's consignments' status and nothing of the rules, a
bank nothing), and bad input refused with a problem document, nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import House
from tests.api.test_matrix import ORDER

BASE = "/api/v1/consignments"
HOUR = timedelta(hours=1)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def truck(reference: str, firm: str = "PK-1", **extra: Any) -> dict[str, Any]:
    """A consignment at the crossing its reference starts with."""
    return {
        "reference": reference,
        "crossing": reference.split("-")[0],
        "direction": "import",
        "vehicle": "IR 12B345-67",
        "firm_id": firm,
        "origin": "IR",
    } | extra


def register(house: House, reference: str, firm: str = "PK-1", **extra: Any) -> dict[str, Any]:
    response = house.client.post(
        BASE, json=truck(reference, firm, **extra), headers=house.as_("customs")
    )
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def phase(house: House, consignment: int, name: str, at: datetime, **extra: Any) -> Any:
    return house.client.post(
        f"{BASE}/{consignment}/phases/{name}",
        json={"at": stamp(at)} | extra,
        headers=house.as_("customs"),
    )


def laned(house: House, reference: str, firm: str = "PK-1") -> dict[str, Any]:
    """A consignment lodged, arrived and given its lane, hours ago."""
    start = datetime.now(UTC) - 10 * HOUR
    created = register(house, reference, firm, lodged_at=stamp(start))
    assert phase(house, created["id"], "arrived", start + HOUR).status_code == 200
    response = phase(house, created["id"], "lane", start + 2 * HOUR)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def checked(house: House, document: dict[str, Any]) -> None:
    """Record what ``document``'s lane calls for before release (documents, inspection)."""
    at = datetime.now(UTC) - 5 * HOUR
    if document["lane"] in ("yellow", "red"):
        assert phase(house, document["id"], "documents", at).status_code == 200
    if document["lane"] == "red":
        inspected = phase(house, document["id"], "inspected", at + HOUR, result="clear")
        assert inspected.status_code == 200, inspected.text


def test_the_customs_role_matrix_cell_by_cell(house: House) -> None:
    own = laned(house, "TFN-1", "PK-1")
    foreign = laned(house, "TFN-2", "IR-2")
    checked(house, foreign)
    reads = {
        ("GET", BASE, None): {"bank": 403},
        ("GET", f"{BASE}/{own['id']}", None): {"bank": 403},
        ("GET", f"{BASE}/{foreign['id']}", None): {"bank": 403, "trader": 404},
        ("GET", f"{BASE}?firm=IR-2", None): {"bank": 403, "trader": 404},
        ("GET", "/api/v1/customs/criteria", None): {"bank": 403, "trader": 403},
    }
    wrong = []
    for (method, path, body), refused in reads.items():
        for role in ORDER:
            response = house.client.request(method, path, json=body, headers=house.as_(role))
            if response.status_code != refused.get(role, 200):
                wrong.append(f"{role} {method} {path}: {response.status_code}")
    # Writes: every role refused first, then customs and the operator each do one.
    others = [lane for lane in ("green", "blue", "yellow", "red") if lane != own["lane"]]
    now = datetime.now(UTC)
    writes = [
        (BASE, lambda role: truck(f"GBD-{role}")),
        (
            f"{BASE}/{own['id']}/lane",
            lambda role: {"lane": others[role == "operator"], "reason": "tip-off"},
        ),
        (f"{BASE}/{foreign['id']}/phases/released", lambda role: {"at": stamp(now)}),
    ]
    for path, body_of in writes:
        for role in ORDER:
            expected = 201 if path == BASE else 200
            if role not in ("customs", "operator"):
                expected = 403
            elif path.endswith("released") and role == "operator":
                expected = 422  # already released by customs: the service says so
            response = house.client.post(path, json=body_of(role), headers=house.as_(role))
            if response.status_code != expected:
                wrong.append(f"{role} POST {path}: {response.status_code} {response.text[:200]}")
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
    assert not wrong, "\n".join(wrong)


def test_a_trader_sees_its_firms_consignments_status_and_nothing_of_the_rules(
    house: House,
) -> None:
    own = laned(house, "TFN-10", "PK-1")
    laned(house, "TFN-11", "PK-2")
    override = house.client.post(
        f"{BASE}/{own['id']}/lane",
        json={"lane": "green" if own["lane"] == "red" else "red", "reason": "a tip-off"},
        headers=house.as_("customs"),
    )
    assert override.status_code == 200, override.text
    officer = house.client.get(f"{BASE}/{own['id']}", headers=house.as_("auditor")).json()
    assert len(officer["selections"]) == 2
    assert officer["selections"][-1]["reason"] == "a tip-off"
    assert officer["selections"][0]["seed"]

    trader = house.as_("trader")
    listed = house.client.get(BASE, headers=trader).json()["items"]
    assert [c["reference"] for c in listed] == ["TFN-10"]
    shown = house.client.get(f"{BASE}/{own['id']}", headers=trader)
    document = shown.json()
    assert document["lane"] == officer["lane"]
    assert document["arrived_at"]
    assert document["lane_at"]
    assert document["selections"] == []
    for secret in ("seed", "score", "draw", "hits", "tip-off", officer["selections"][0]["seed"]):
        assert secret not in shown.text, secret
    assert house.client.get("/api/v1/customs/criteria", headers=trader).status_code == 403
    rates = house.client.get("/api/v1/customs/criteria", headers=house.as_("auditor")).json()
    by_id = {rate["criterion"]: rate for rate in rates}
    assert {"price-band", "first-declaration"} <= set(by_id)
    # Both firms' first consignments: the criterion hit both, neither inspected yet.
    assert by_id["first-declaration"]["selections"] == 2
    assert by_id["first-declaration"]["hit_rate"] is None


def test_bad_input_is_refused_and_changes_nothing(house: House) -> None:
    customs = house.as_("customs")
    created = laned(house, "TFN-20")
    path = f"{BASE}/{created['id']}"
    before = house.client.get(path, headers=customs).json()
    later = datetime.now(UTC) + 2 * HOUR
    refusals = [
        (BASE, truck("MND-1", crossing="XXX")),  # no such crossing
        (BASE, truck("MND-2", firm_id="PK-404")),  # no such firm
        (BASE, truck("TFN-20", vehicle="LES-1")),  # the reference is another's
        (BASE, truck("MND-3", lodged_at="2026-11-23T08:30:00")),  # no offset
        (BASE, truck("MND-4", lodged_at=1700000000)),  # seconds since 1970
        (BASE, truck("MND-5", lodged_at=stamp(later))),  # in the future
        (BASE, truck("MND-6", direction="sideways")),
        (BASE, truck("MND-7", origin="Iran")),
        (BASE, truck("MND-8", declaration_ids=[999999])),  # no such declaration
        (BASE, truck("MND-9", vehicle="")),
        (f"{path}/phases/released", {"at": stamp(later)}),  # in the future
        (f"{path}/phases/inspected", {}),  # the lane calls for none, or not yet
        (f"{path}/phases/arrived", {}),  # recorded already
        (f"{path}/phases/teleported", {}),  # no such phase
        (f"{path}/phases/released", {"at": "yesterday"}),
        (f"{path}/lane", {"lane": "red"}),  # no reason
        (f"{path}/lane", {"lane": "red", "reason": ""}),
        (f"{path}/lane", {"lane": "purple", "reason": "why not"}),
    ]
    wrong = []
    for target, body in refusals:
        response = house.client.post(target, json=body, headers=customs)
        if not 400 <= response.status_code < 500 or response.status_code in (401, 403):
            wrong.append(f"{target} {body}: {response.status_code} {response.text[:200]}")
        elif response.headers["content-type"] != "application/problem+json":
            wrong.append(f"{target} {body}: {response.headers['content-type']}")
    assert not wrong, "\n".join(wrong)
    assert house.client.get(path, headers=customs).json() == before
    listed = house.client.get(BASE, headers=customs).json()["items"]
    assert [c["reference"] for c in listed] == ["TFN-20"]
    assert house.client.get(f"{BASE}/999999", headers=customs).status_code == 404
    assert (
        house.client.get(f"{BASE}?from=2026-11-02&to=2026-11-01", headers=customs).status_code
        == 422
    )


def test_a_retry_with_the_same_idempotency_key_registers_once(house: House) -> None:
    headers = house.as_("customs") | {"Idempotency-Key": "truck-1"}
    first = house.client.post(BASE, json=truck("TFN-30"), headers=headers)
    again = house.client.post(BASE, json=truck("TFN-30"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]


NOTE = "200 kg more than declared; informant Ali Reza"


def inspected_with_note(house: House, reference: str, firm: str = "PK-1") -> dict[str, Any]:
    """A consignment put in the red lane, its documents checked and its goods found
    different from the declaration, with an officer's note."""
    document = laned(house, reference, firm)
    if document["lane"] != "red":
        response = house.client.post(
            f"{BASE}/{document['id']}/lane",
            json={"lane": "red", "reason": "a tip-off"},
            headers=house.as_("customs"),
        )
        assert response.status_code == 200, response.text
    at = datetime.now(UTC) - 5 * HOUR
    assert phase(house, document["id"], "documents", at).status_code == 200
    response = phase(house, document["id"], "inspected", at + HOUR, result="discrepancy", note=NOTE)
    assert response.status_code == 200, response.text
    inspected: dict[str, Any] = response.json()
    return inspected


def test_a_trader_never_reads_the_officers_inspection_note(house: House) -> None:
    own = inspected_with_note(house, "TFN-40", "PK-1")
    officer = house.client.get(f"{BASE}/{own['id']}", headers=house.as_("auditor")).json()
    assert officer["note"] == NOTE
    trader = house.as_("trader")
    shown = house.client.get(f"{BASE}/{own['id']}", headers=trader)
    assert shown.status_code == 200
    assert shown.json()["inspection"] == "discrepancy"
    assert shown.json()["note"] is None
    listed = house.client.get(BASE, headers=trader)
    for text in (shown.text, listed.text):
        assert "Ali Reza" not in text


def test_an_override_after_the_inspection_is_refused(house: House) -> None:
    inspected = inspected_with_note(house, "TFN-41")
    path = f"{BASE}/{inspected['id']}"
    before = house.client.get(path, headers=house.as_("customs")).json()
    refused = house.client.post(
        f"{path}/lane", json={"lane": "green", "reason": "done"}, headers=house.as_("customs")
    )
    assert refused.status_code == 422, refused.text
    assert "inspected" in refused.text
    assert house.client.get(path, headers=house.as_("customs")).json() == before


def test_the_reason_may_be_as_long_as_the_service_allows(house: House) -> None:
    created = laned(house, "TFN-42")
    other = "green" if created["lane"] == "red" else "red"
    long = "x" * 1500
    response = house.client.post(
        f"{BASE}/{created['id']}/lane",
        json={"lane": other, "reason": long},
        headers=house.as_("customs"),
    )
    assert response.status_code == 200, response.text
    too_long = house.client.post(
        f"{BASE}/{created['id']}/lane",
        json={"lane": created["lane"], "reason": "x" * 2001},
        headers=house.as_("customs"),
    )
    assert too_long.status_code == 422


def test_the_list_pages_by_number_with_a_cursor(house: House) -> None:
    made = [register(house, f"TFN-5{n}")["id"] for n in range(5)]
    register(house, "GBD-59", firm="PK-2")
    customs = house.as_("customs")
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        query = {"limit": 2, "crossing": "TFN"} | ({"cursor": cursor} if cursor else {})
        document = house.client.get(BASE, params=query, headers=customs).json()
        seen += [item["id"] for item in document["items"]]
        cursor = document["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made)
    # A trader's pages hold its firm's only.
    mine = house.client.get(BASE, params={"limit": 100}, headers=house.as_("trader")).json()
    assert [item["id"] for item in mine["items"]] == sorted(made)
    bad = house.client.get(BASE, params={"cursor": "garbage"}, headers=customs)
    assert bad.status_code == 422


def test_declarations_are_linked_by_customs_only(house: House) -> None:
    created = register(house, "TFN-60")
    path = f"{BASE}/{created['id']}/declarations"
    for role in ("trader", "bank", "auditor"):
        refused = house.client.post(path, json={"declaration_ids": [1]}, headers=house.as_(role))
        assert refused.status_code == 403, role
    customs = house.as_("customs")
    for body in ({"declaration_ids": []}, {"declaration_ids": [999999]}, {}):
        response = house.client.post(path, json=body, headers=customs)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    assert house.client.get(f"{BASE}/{created['id']}", headers=customs).json() == created
