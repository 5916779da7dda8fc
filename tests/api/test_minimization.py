"""Data minimization over HTTP: each resource's role-dependent parts, role by role
(``services.access.READERS``), and refusals that reveal nothing of another firm."""

from __future__ import annotations

from typing import Any

import pytest

from tahator.demo import tax_id
from tahator.services import users
from tahator.store.database import transaction
from tests.api.conftest import PASSWORD, ROLES, House, declare_gas_import, sign_in
from tests.integration.test_barter import application
from tests.unit.test_screening import SAMPLE

LOOK_ALIKE = {
    "id": "IR-9",
    "name": "Shahid Sayad Shirazi Industries Co.",
    "country": "IR",
    "tax_id": tax_id("IR", 9),
}
ACCOUNT_ROLES = {"operator", "bank", "auditor"}
"""Roles that read a run's clearing accounts' figures (``settlement``)."""


def run_clearing(house: House) -> int:
    run = house.client.post(
        "/api/v1/clearing/runs", json={"as_of": "2026-11-24"}, headers=house.as_("operator")
    )
    assert run.status_code == 201, run.text
    run_id: int = run.json()["run_id"]
    return run_id


@pytest.mark.parametrize("role", ROLES)
def test_a_run_shows_each_role_only_its_parts(house: House, role: str) -> None:
    run_id = run_clearing(house)
    shown = house.client.get(f"/api/v1/clearing/runs/{run_id}", headers=house.as_(role))
    assert shown.status_code == 200, shown.text
    run = shown.json()
    assert run["cleared"] == "1800.00"  # the totals are everyone's
    if role in ACCOUNT_ROLES:
        assert {"accounts", "imbalances", "cumulative_imbalances"} <= set(run["settlement"])
        assert run["settlement"]["accounts"]
    else:  # customs and a trader: no clearing accounts' figures, no imbalance
        assert run["settlement"] is None
        assert "imbalance" not in shown.text
    firms = {i["firm"] for i in run["instructions"]}
    if role == "customs":  # no part in payments: no instruction, not even a count of them
        assert run["instructions"] == []
        assert "local_amount" not in shown.text
    elif role == "trader":
        assert firms == {"PK-1"}
    else:
        assert {"PK-1", "IR-1", "IR-2", "PK-3"} <= firms


def held_firm_with_its_trader(house: House) -> dict[str, str]:
    """IR-9, a look-alike of a listed entry, blocked; and the headers of its trader."""
    imported = house.client.post(
        "/api/v1/lists/un",
        files={"file": ("list.xml", SAMPLE.read_bytes(), "application/xml")},
        headers=house.as_("operator"),
    )
    assert imported.status_code == 201, imported.text
    registered = house.client.post("/api/v1/firms", json=LOOK_ALIKE, headers=house.as_("operator"))
    assert registered.status_code == 201, registered.text
    with transaction(house.engine) as session:
        users.create_user(session, "trader9", "trader", PASSWORD, "test", "IR-9")
    return {"Authorization": f"Bearer {sign_in(house.client, 'trader9')}"}


def test_a_trader_of_a_held_firm_reads_only_that_it_is_under_review(house: House) -> None:
    trader9 = held_firm_with_its_trader(house)
    path = "/api/v1/firms/IR-9/screening"
    full = house.client.get(path, headers=house.as_("operator")).json()
    hit = full["hits"][0]
    assert full["screening"] == "blocked"
    own = house.client.get(path, headers=trader9)
    assert own.status_code == 200, own.text
    assert own.json() == {
        "firm": "IR-9",
        "name": LOOK_ALIKE["name"],
        "country": "IR",
        "screening": "under review",
    }
    for told in (hit["reference"], hit["name"], str(hit["score"]), hit["explanation"]):
        assert told not in own.text
    for role in ("customs", "bank", "auditor"):
        read = house.client.get(path, headers=house.as_(role)).json()
        assert read["hits"][0]["reference"] == hit["reference"]
    # Confirmed reads the same to the trader as pending, and the reason is not told.
    reason = "the same firm: its NTN is on the list"
    decided = house.client.post(
        f"{path}/decision",
        json={"decision": "confirmed", "reason": reason},
        headers=house.as_("operator"),
    )
    assert decided.status_code == 200, decided.text
    after = house.client.get(path, headers=trader9)
    assert after.json()["screening"] == "under review"
    assert reason not in after.text
    assert house.client.get(path, headers=house.as_("auditor")).json()["hits"][0]["reason"] == (
        reason
    )
    # Another firm's screening does not exist for a trader.
    assert house.client.get(path, headers=house.as_("trader")).status_code == 404


def test_a_trader_reads_its_own_clear_firm_in_words(house: House) -> None:
    own = house.client.get("/api/v1/firms/PK-1/screening", headers=house.as_("trader"))
    assert own.status_code == 200, own.text
    assert "hits" not in own.json()
    assert own.json()["screening"] in {"clear", "unscreened"}


# --- aggregates that could single out a firm ------------------------------------------


def declare_one_barter_month(house: House) -> None:
    """One applicant's declaration in November 2025: a month one firm makes up."""
    applied = house.client.post(
        "/api/v1/barter/authorizations",
        json=application(valid_from="2025-10-20", as_of="2025-10-20"),
        headers=house.as_("operator"),  # who records an application received then
    )
    assert applied.status_code == 201, applied.text
    path = f"/api/v1/barter/authorizations/{applied.json()['id']}"
    customs = house.as_("customs")
    authorized = house.client.post(
        f"{path}/authorize", json={"as_of": "2025-11-01"}, headers=customs
    )
    assert authorized.status_code == 200, authorized.text
    declare_gas_import(house, path)


def november(house: House, role: str) -> dict[str, Any]:
    report = house.client.get("/api/v1/stats/target", headers=house.as_(role))
    assert report.status_code == 200, report.text
    month: dict[str, Any] = next(r for r in report.json()["series"] if r["month"] == "2025-11")
    return month


@pytest.mark.parametrize("role", ROLES)
def test_a_month_one_firm_makes_up_is_withheld_from_banks_and_traders(
    house: House, role: str
) -> None:
    declare_one_barter_month(house)
    month = november(house, role)
    if role in ("operator", "customs", "auditor"):  # they may see a single firm's trade
        assert month["barter"] == "300000.00"
        assert month["total"] == "300000.00"
    else:
        assert month["barter"] is None
        assert month["total"] == "0.00"  # left out of the total: no subtraction gives it


def test_the_minimum_number_of_firms_is_a_setting(
    house: House, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tahator.io.markets import markets_path

    declare_one_barter_month(house)
    text = markets_path().read_text(encoding="utf-8").replace("min_firms = 3", "min_firms = 1")
    assert "min_firms = 1" in text
    (tmp_path / "markets.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("TAHATOR_MARKETS", str(tmp_path / "markets.toml"))
    assert november(house, "bank")["barter"] == "300000.00"


# --- no oracles -------------------------------------------------------------------------


OFFER = {
    "id": "OF-SECRET",
    "firm": "IR-2",
    "gives_hs": "27111900",
    "description": "LPG",
    "quantity": "500",
    "unit": "t",
    "value": "300000.00",
    "currency": "USD",
    "wants_hs": ["1006"],
    "valid_until": "2026-12-31",
}


def test_another_firms_offer_id_is_refused_without_saying_whose(house: House) -> None:
    theirs = house.client.post("/api/v1/offers", json=OFFER, headers=house.as_("trader2"))
    assert theirs.status_code == 201, theirs.text
    mine = house.client.post(
        "/api/v1/offers",
        json=OFFER | {"firm": "PK-1", "gives_hs": "10063010", "wants_hs": ["2711"]},
        headers=house.as_("trader"),
    )
    assert mine.status_code == 422
    assert "already registered" not in mine.text
    assert "IR-2" not in mine.text
    assert "LPG" not in mine.text
    assert mine.json()["errors"][0]["field"] == "id"
    assert "not available" in mine.json()["errors"][0]["detail"]
    # The offer itself stays another firm's: the trader cannot read it.
    hidden = house.client.get("/api/v1/offers/OF-SECRET", headers=house.as_("trader"))
    assert hidden.status_code == 404


def test_a_batch_names_an_unknown_and_a_held_creditor_alike(house: House) -> None:
    held_firm_with_its_trader(house)

    def batch(creditor: str) -> Any:
        item = {
            "reference": f"B-{creditor}",
            "debtor": "PK-1",
            "creditor": creditor,
            "amount": "10.00",
            "currency": "USD",
            "due_date": "2026-12-31",
        }
        answer = house.client.post(
            "/api/v1/obligations/batch",
            json={"obligations": [item]},
            headers=house.as_("trader"),
        )
        assert answer.status_code == 422, answer.text
        return answer.json()["errors"]

    unknown, held = batch("IR-404"), batch("IR-9")
    assert [e["detail"].replace("IR-404", "X") for e in unknown] == [
        e["detail"].replace("IR-9", "X") for e in held
    ]
    assert unknown[0]["field"] == "creditor"
    assert "unknown or unavailable counterparty" in unknown[0]["detail"]
    assert "screening" not in str(held)
    # An operator, who sees every firm, is told which it is.
    operator = house.client.post(
        "/api/v1/obligations",
        json={
            "reference": "OP-1",
            "debtor": "PK-1",
            "creditor": "IR-9",
            "amount": "10.00",
            "currency": "USD",
            "due_date": "2026-12-31",
        },
        headers=house.as_("operator"),
    )
    assert operator.status_code == 422
    assert "compliance review" in operator.text
