"""Customs' desk over HTTP: the deadline view, cancelling an overdue authorization,
closing one on purpose, and who may do which (issue 17)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import House
from tests.integration.test_barter import application

BASE = "/api/v1/barter/authorizations"
IMPORT = {
    "direction": "import",
    "hs": "27111900",
    "quantity": "100",
    "unit": "t",
    "value": "60000.00",
    "currency": "USD",
    "date": "2025-11-10",
    "reference": "GD-KHI-1",
}


def applied(house: House, who: str = "operator", **changes: Any) -> int:
    """An application filed by ``who`` (with the undertaking the 2025 order asks for); an
    operator records it as received on the contract's first day, so customs can decide
    on the dates the tests state (a trader's carries today's)."""
    body = application(undertaking=True, **changes)
    if who == "operator":
        body.setdefault("as_of", body["valid_from"])
    response = house.client.post(BASE, json=body, headers=house.as_(who))
    assert response.status_code == 201, response.text
    assert response.json()["undertaking"] is True
    identifier: int = response.json()["id"]
    return identifier


def authorized(house: House, authorization: int, as_of: str) -> dict[str, Any]:
    response = house.client.post(
        f"{BASE}/{authorization}/authorize", json={"as_of": as_of}, headers=house.as_("customs")
    )
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def two_authorizations(house: House) -> tuple[int, int]:
    """PK-1's with IR-1 (deadline 2026-03-01) and PK-3's with IR-2 (deadline 2026-06-29)."""
    first = applied(house)
    second = applied(
        house, "operator", applicant="PK-3", counterparty="IR-2", valid_until="2027-06-30"
    )
    assert authorized(house, first, "2025-11-01")["deadline"] == "2026-03-01"
    assert authorized(house, second, "2026-03-01")["deadline"] == "2026-06-29"
    return first, second


def test_the_deadline_view_puts_the_overdue_first_and_follows_the_role(house: House) -> None:
    first, second = two_authorizations(house)
    path = "/api/v1/barter/deadlines?as_of=2026-03-10"
    seen = house.client.get(path, headers=house.as_("customs"))
    assert seen.status_code == 200, seen.text
    assert seen.json()["as_of"] == "2026-03-10"
    rows = seen.json()["items"]
    assert [(r["id"], r["days_left"], r["overdue"]) for r in rows] == [
        (first, -9, True),
        (second, 111, False),
    ]
    assert rows[0]["approval_number"].startswith("BT-")
    assert (rows[0]["applicant"], rows[0]["counterparty"]) == ("PK-1", "IR-1")
    assert (rows[0]["planned_import"], rows[0]["imported"]) == ("300000.00", "0.00")
    assert house.client.get(path, headers=house.as_("operator")).json() == seen.json()
    # A trader sees those its firm is a party to: as applicant, or as counterparty.
    mine = house.client.get(path, headers=house.as_("trader")).json()["items"]
    assert [r["id"] for r in mine] == [first]
    theirs = house.client.get(path, headers=house.as_("trader2")).json()["items"]
    assert [r["id"] for r in theirs] == [second]
    assert house.client.get(path, headers=house.as_("bank")).status_code == 403


def test_a_bad_date_is_a_422_naming_the_field(house: House) -> None:
    for day in ("9999-12-31", "0001-01-01", "2026-02-30", "tomorrow"):
        response = house.client.get(
            f"/api/v1/barter/deadlines?as_of={day}", headers=house.as_("customs")
        )
        assert response.status_code == 422, (day, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "as_of"
    authorization = applied(house)
    for body in ({"as_of": "9999-12-31"}, {"as_of": "2026-1-1"}):
        response = house.client.post(
            f"{BASE}/{authorization}/cancel", json=body, headers=house.as_("customs")
        )
        assert response.status_code == 422, response.text
    late = house.client.post(
        f"{BASE}/{authorization}/reject",
        json={"reason": "no", "as_of": "9999-12-31"},
        headers=house.as_("customs"),
    )
    assert late.status_code == 422
    shown = house.client.get(f"{BASE}/{authorization}", headers=house.as_("customs")).json()
    assert shown["state"] == "submitted"


def test_customs_cancels_an_overdue_authorization_once(house: House) -> None:
    first, second = two_authorizations(house)
    customs = house.as_("customs")
    # A trader cannot cancel, not even its own firm's.
    refused = house.client.post(
        f"{BASE}/{first}/cancel", json={"as_of": "2026-03-10"}, headers=house.as_("trader")
    )
    assert refused.status_code == 403
    early = house.client.post(
        f"{BASE}/{second}/cancel", json={"as_of": "2026-03-10"}, headers=customs
    )
    assert early.status_code == 422
    assert "not overdue" in early.json()["detail"]
    declared = house.client.post(f"{BASE}/{first}/declarations", json=IMPORT, headers=customs)
    assert declared.status_code == 201, declared.text
    key = {"Idempotency-Key": "cancel-1", **customs}
    cancelled = house.client.post(
        f"{BASE}/{first}/cancel", json={"as_of": "2026-03-10"}, headers=key
    )
    assert cancelled.status_code == 200, cancelled.text
    view = cancelled.json()
    assert (view["state"], view["closed_on"]) == ("cancelled", "2026-03-01")
    # It imported 60,000 and exported nothing: it owes its counterparty the difference.
    owed = view["obligation"]
    assert (owed["debtor"], owed["creditor"], owed["amount"]) == ("PK-1", "IR-1", "60000.00")
    replay = house.client.post(f"{BASE}/{first}/cancel", json={"as_of": "2026-03-10"}, headers=key)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == view
    again = house.client.post(
        f"{BASE}/{first}/cancel", json={"as_of": "2026-03-10"}, headers=customs
    )
    assert again.status_code == 422
    rows = house.client.get("/api/v1/barter/deadlines?as_of=2026-03-10", headers=customs).json()[
        "items"
    ]
    assert [r["id"] for r in rows] == [second]
    # The operator runs the sweep, whose code path cancelling is: it may cancel too.
    operator = house.client.post(
        f"{BASE}/{second}/cancel", json={"as_of": "2026-07-01"}, headers=house.as_("operator")
    )
    assert operator.status_code == 200, operator.text
    assert operator.json()["closed_on"] == "2026-06-29"


def test_only_customs_or_the_applicant_s_trader_closes_on_purpose(house: House) -> None:
    first, second = two_authorizations(house)  # PK-1 → IR-1, PK-3 → IR-2
    reason = {"reason": "the buyer withdrew"}
    # trader2 (IR-2) cannot see PK-1's authorization; trader (PK-1) cannot see PK-3's.
    assert (
        house.client.post(f"{BASE}/{first}/close", json=reason, headers=house.as_("trader2"))
    ).status_code == 404
    assert (
        house.client.post(f"{BASE}/{second}/close", json=reason, headers=house.as_("trader"))
    ).status_code == 404
    # The counterparty's trader sees the authorization but is not its applicant.
    counterparty = house.client.post(
        f"{BASE}/{second}/close", json=reason, headers=house.as_("trader2")
    )
    assert counterparty.status_code == 403
    for who in ("bank", "auditor", "operator"):
        response = house.client.post(f"{BASE}/{first}/close", json=reason, headers=house.as_(who))
        assert response.status_code == 403, who
    blank = house.client.post(
        f"{BASE}/{first}/close", json={"reason": "  "}, headers=house.as_("trader")
    )
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "reason"
    dated = house.client.post(
        f"{BASE}/{first}/close", json={**reason, "as_of": "2026-01-01"}, headers=house.as_("trader")
    )
    assert dated.status_code == 422
    assert dated.json()["errors"][0]["field"] == "as_of"
    # Past its deadline an authorization is cancelled, not closed.
    overdue = house.client.post(f"{BASE}/{first}/close", json=reason, headers=house.as_("trader"))
    assert overdue.status_code == 422
    assert "cancel it instead" in overdue.json()["detail"]
    current = applied(house, valid_until="2027-06-30", reference="CURRENT")
    assert (
        house.client.post(
            f"{BASE}/{current}/authorize", json={}, headers=house.as_("customs")
        ).status_code
        == 200
    )
    closed = house.client.post(f"{BASE}/{current}/close", json=reason, headers=house.as_("trader"))
    assert closed.status_code == 200, closed.text
    view = closed.json()
    assert view["state"] == "balanced"
    assert view["close_reason"] == "the buyer withdrew"
    assert view["closed_by"]
    by_customs = house.client.post(
        f"{BASE}/{second}/close",
        json={"reason": "goods unavailable", "as_of": "2026-04-01"},
        headers=house.as_("customs"),
    )
    assert by_customs.status_code == 200, by_customs.text
    assert (by_customs.json()["state"], by_customs.json()["closed_on"]) == (
        "balanced",
        "2026-04-01",
    )
    again = house.client.post(f"{BASE}/{second}/close", json=reason, headers=house.as_("customs"))
    assert again.status_code == 422


def test_a_rejection_is_dated_by_its_decision(house: House) -> None:
    authorization = applied(house)
    rejected = house.client.post(
        f"{BASE}/{authorization}/reject",
        json={"reason": "incomplete", "as_of": "2025-12-01"},
        headers=house.as_("customs"),
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["decided_on"]) == ("rejected", "2025-12-01")


def test_an_authorization_shows_its_rules_and_a_declaration_its_gd_number(house: House) -> None:
    authorization = applied(house)
    view = authorized(house, authorization, "2025-11-01")
    assert view["policy_version"] == "2025-10"
    assert "17 October 2025" in view["policy_source"]
    assert (view["sequencing"], view["window_days"]) == ("simultaneous", 120)
    assert view["tolerance_source"]
    assert view["decided_on"] == "2025-11-01"
    declared = house.client.post(
        f"{BASE}/{authorization}/declarations", json=IMPORT, headers=house.as_("customs")
    )
    assert declared.status_code == 201, declared.text
    assert [(d["reference"], d["line"]) for d in declared.json()["declarations"]] == [
        ("GD-KHI-1", 1)
    ]


def test_a_changed_retry_of_an_application_is_a_422(house: House) -> None:
    body = application(undertaking=True, reference="APP-7")
    first = house.client.post(BASE, json=body, headers=house.as_("trader"))
    assert first.status_code == 201, first.text
    same = house.client.post(BASE, json=body, headers=house.as_("trader"))
    assert (same.status_code, same.json()["id"]) == (201, first.json()["id"])
    changed = dict(body, imports=[dict(body["imports"][0], value="900000.00")])
    refused = house.client.post(BASE, json=changed, headers=house.as_("trader"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "reference"


def test_only_an_operator_states_a_submission_s_date_and_none_after_today(house: House) -> None:
    body = application(undertaking=True, as_of="2025-10-20")
    by_trader = house.client.post(BASE, json=body, headers=house.as_("trader"))
    assert by_trader.status_code == 422
    assert by_trader.json()["errors"] == [
        {"field": "as_of", "detail": "only an operator states the date"}
    ]
    later = house.client.post(
        BASE, json=body | {"as_of": "2099-01-01"}, headers=house.as_("operator")
    )
    assert later.status_code == 422
    assert "is after today's business date" in later.json()["errors"][0]["detail"]
    authorization = applied(house)  # received on 2025-10-20
    early = house.client.post(
        f"{BASE}/{authorization}/authorize",
        json={"as_of": "2025-10-19"},
        headers=house.as_("customs"),
    )
    assert early.status_code == 422
    assert early.json()["errors"] == [
        {
            "field": "as_of",
            "detail": "2025-10-19 is before the application was submitted (2025-10-20)",
        }
    ]
    # Customs cannot end it early by stating a day past its deadline.
    authorized(house, authorization, "2025-11-01")  # deadline 2026-03-01
    cancel = house.client.post(
        f"{BASE}/{authorization}/cancel", json={"as_of": "2099-01-01"}, headers=house.as_("customs")
    )
    assert cancel.status_code == 422
    assert "is after today's business date" in cancel.json()["detail"]
