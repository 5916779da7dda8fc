"""A trader's actions take the server's business date (issue 18, item 9): a trader that
states ``as_of`` is refused with a 422 naming the field and nothing changes; operators
and customs state one within the accepted dates (``access.acting_date``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tahator.domain.errors import InputError
from tahator.domain.roles import Role
from tahator.io.policy import load_policy
from tahator.services import access, barter, market
from tahator.services.common import business_today
from tahator.services.users import Principal
from tahator.store.database import reading, transaction
from tests.api.conftest import House
from tests.api.test_barter_desk import BASE, applied
from tests.web.conftest import browser, token
from tests.web.test_proposal_page import proposed

TODAY_REFUSED = "a trader's actions take today's date"


def principal(role: Role, firm: str | None = None) -> Principal:
    return Principal(user_id=1, username=str(role), role=role, firm=firm)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.CUSTOMS])
def test_operators_and_customs_state_a_date_within_the_accepted_range(role: Role) -> None:
    policy = load_policy()
    assert access.acting_date(principal(role), date(2024, 2, 29), policy) == date(2024, 2, 29)
    assert access.acting_date(principal(role), None, policy) == business_today(policy.zone)
    with pytest.raises(InputError) as refused:
        access.acting_date(principal(role), date(1, 1, 1), policy, field="on")
    assert refused.value.problems[0].field == "on"
    assert "outside the accepted dates" in refused.value.problems[0].message


@pytest.mark.parametrize("role", [Role.TRADER, Role.BANK, Role.AUDITOR])
def test_every_other_role_acts_on_today_and_may_not_state_a_date(role: Role) -> None:
    policy = load_policy()
    someone = principal(role, "PK-1" if role == Role.TRADER else None)
    assert access.acting_date(someone, None, policy) == business_today(policy.zone)
    for stated in (date(2020, 1, 1), business_today(policy.zone), date(1, 1, 1)):
        with pytest.raises(InputError) as refused:
            access.acting_date(someone, stated, policy)
        assert refused.value.problems[0].field == "as_of"
        assert f"a {role}'s actions take today's date" in refused.value.problems[0].message


def ring_answered_by_the_others(house: House, tmp_path: Path) -> int:
    """A proposed ring PK-1 → IR-1 → PK-2 that IR-1 and PK-2 have accepted: the trader's
    (PK-1's) acceptance binds it."""
    proposal = proposed(house, tmp_path)
    with transaction(house.engine) as session:
        for firm in ("IR-1", "PK-2"):
            market.accept(session, load_policy(), proposal, firm, date(2026, 11, 23), "test")
    return proposal


def answers(house: House, proposal: int) -> tuple[str, date | None, list[str]]:
    with reading(house.engine) as session:
        view = market.show_proposal(session, proposal)
        return str(view.state), view.decided_on, [str(leg.answer) for leg in view.legs]


@pytest.mark.parametrize("answer", ["accept", "decline"])
@pytest.mark.parametrize("stated", ["0001-01-01", "2020-01-01", "2030-06-01"])
def test_a_trader_may_not_date_its_answer_to_a_ring(
    house: House, tmp_path: Path, answer: str, stated: str
) -> None:
    proposal = ring_answered_by_the_others(house, tmp_path)
    before = answers(house, proposal)
    response = house.client.post(
        f"/api/v1/proposals/{proposal}/{answer}",
        json={"as_of": stated},
        headers=house.as_("trader"),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"].endswith("as_of")
    if stated != "0001-01-01":  # that one the schema refuses first: outside the range
        assert TODAY_REFUSED in response.json()["errors"][0]["detail"]
    assert answers(house, proposal) == before
    with reading(house.engine) as session:
        assert barter.list_authorizations(session) == []


def test_a_trader_s_acceptance_binds_the_ring_on_the_server_s_date(
    house: House, tmp_path: Path
) -> None:
    proposal = ring_answered_by_the_others(house, tmp_path)
    response = house.client.post(
        f"/api/v1/proposals/{proposal}/accept", json={}, headers=house.as_("trader")
    )
    assert response.status_code == 200, response.text
    today = business_today(load_policy().zone)
    assert response.json()["state"] == "binding"
    assert response.json()["decided_on"] == today.isoformat()
    with reading(house.engine) as session:
        made = barter.list_authorizations(session)
        assert made
        for summary in made:
            # The partner's application is valid from the binding date, not from year 1.
            assert barter.show(session, load_policy(), summary.id).valid_from >= today


def test_a_trader_s_decline_is_dated_today(house: House, tmp_path: Path) -> None:
    proposal = proposed(house, tmp_path)
    response = house.client.post(
        f"/api/v1/proposals/{proposal}/decline", json={}, headers=house.as_("trader")
    )
    assert response.status_code == 200, response.text
    assert response.json()["decided_on"] == business_today(load_policy().zone).isoformat()


def test_a_trader_closing_its_authorization_states_no_date(house: House) -> None:
    authorization = applied(house, valid_until="2027-06-30")
    refused = house.client.post(
        f"{BASE}/{authorization}/close",
        json={"reason": "the buyer withdrew", "as_of": "2026-01-01"},
        headers=house.as_("trader"),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        **refused.json()["errors"][0],
        "field": "as_of",
        "detail": TODAY_REFUSED,
    }


def test_the_web_answer_form_refuses_a_trader_s_date_and_changes_nothing(
    house: House, tmp_path: Path
) -> None:
    proposal = ring_answered_by_the_others(house, tmp_path)
    before = answers(house, proposal)
    trader = browser(house, "trader")
    page = f"/market/proposals/{proposal}"
    refused = trader.post(
        f"{page}/accept",
        data={"csrf_token": token(trader, page), "as_of": "2020-01-01", "confirm": "yes"},
    )
    assert refused.status_code == 422
    assert "as_of" in refused.text
    assert TODAY_REFUSED.replace("'", "&#39;") in refused.text
    assert answers(house, proposal) == before
    accepted = trader.post(
        f"{page}/accept", data={"csrf_token": token(trader, page), "confirm": "yes"}
    )
    assert accepted.status_code == 303, accepted.text
    state, decided_on, _ = answers(house, proposal)
    assert (state, decided_on) == ("binding", business_today(load_policy().zone))


def test_a_trader_s_obligation_keeps_its_due_date_within_the_range(house: House) -> None:
    body = {
        "reference": "INV-DUE",
        "debtor": "PK-1",
        "creditor": "IR-1",
        "amount": "10.00",
        "currency": "USD",
    }
    for due in ("0001-01-01", "2101-01-01"):
        refused = house.client.post(
            "/api/v1/obligations", json={**body, "due_date": due}, headers=house.as_("trader")
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"].endswith("due_date")
    stored = house.client.post(
        "/api/v1/obligations", json={**body, "due_date": "2020-03-31"}, headers=house.as_("trader")
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["due_date"] == "2020-03-31"  # data, not an as-of: kept


@pytest.mark.parametrize("role", ["trader", "bank", "auditor"])
def test_border_sales_are_recorded_by_officers_only(house: House, role: str) -> None:
    sale = {
        "market": "x",
        "resident": "1",
        "hs": "100630",
        "value": "1.00",
        "currency": "USD",
        "date": "2026-01-01",
    }
    response = house.client.post("/api/v1/border/sales", json=sale, headers=house.as_(role))
    assert response.status_code == 403
