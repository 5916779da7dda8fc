"""The one access rule over HTTP: a consortium's lead and members see its barter
authorization; a trader of an unrelated firm gets a 404 (never a 403)."""

from __future__ import annotations

from tahator.services import users
from tahator.store.database import transaction
from tests.api.conftest import PASSWORD, House, sign_in
from tests.integration.test_barter import application

CONSORTIUM = {"id": "C-1", "name": "Lahore Consortium", "lead": "PK-2", "members": ["PK-3"]}
TRADERS = {"lead": "PK-2", "member": "PK-3"}
"""Usernames of the traders of the consortium's lead and of its other member."""


def consortium_application(house: House) -> int:
    """A consortium (lead PK-2, member PK-3), a trader for each, and an authorization the
    member applied for in the consortium's name (counterparty IR-1); its id."""
    with transaction(house.engine) as session:
        for username, firm in TRADERS.items():
            users.create_user(session, username, "trader", PASSWORD, "test", firm)
    created = house.client.post("/api/v1/consortia", json=CONSORTIUM, headers=house.as_("operator"))
    assert created.status_code == 201, created.text
    member = {"Authorization": f"Bearer {sign_in(house.client, 'member')}"}
    applied = house.client.post(
        "/api/v1/barter/authorizations", json=application(applicant="C-1"), headers=member
    )
    assert applied.status_code == 201, applied.text
    authorization: int = applied.json()["id"]
    return authorization


def test_the_lead_and_a_member_see_their_consortium_s_authorization(house: House) -> None:
    authorization = consortium_application(house)
    path = f"/api/v1/barter/authorizations/{authorization}"
    for username in TRADERS:
        headers = {"Authorization": f"Bearer {sign_in(house.client, username)}"}
        shown = house.client.get(path, headers=headers)
        assert shown.status_code == 200, (username, shown.text)
        assert shown.json()["applicant"] == "C-1"
        listed = house.client.get("/api/v1/barter/authorizations", headers=headers).json()
        assert [a["id"] for a in listed["items"]] == [authorization], username
        consortia = house.client.get("/api/v1/consortia", headers=headers).json()["items"]
        assert [c["id"] for c in consortia] == ["C-1"], username


def test_a_trader_of_an_unrelated_firm_gets_a_404(house: House) -> None:
    authorization = consortium_application(house)
    path = f"/api/v1/barter/authorizations/{authorization}"
    for who in ("trader", "trader2"):  # PK-1 and IR-2: neither party nor member
        headers = house.as_(who)
        hidden = house.client.get(path, headers=headers)
        assert hidden.status_code == 404, who
        assert hidden.json()["detail"] == f"no barter authorization {authorization}"
        listed = house.client.get("/api/v1/barter/authorizations", headers=headers).json()
        assert authorization not in [a["id"] for a in listed["items"]], who
        assert house.client.get("/api/v1/consortia", headers=headers).json()["items"] == []
    # Nor may it apply in the consortium's name.
    refused = house.client.post(
        "/api/v1/barter/authorizations",
        json=application(applicant="C-1", reference="R-2"),
        headers=house.as_("trader"),
    )
    assert refused.status_code == 403
    # Roles that see every firm's records see it.
    for role in ("operator", "customs", "auditor"):
        assert house.client.get(path, headers=house.as_(role)).status_code == 200, role


def test_a_firm_cannot_take_a_consortiums_id(house: House) -> None:
    """The rule tells a consortium applicant's members by the consortium's id, so a firm
    registered under that id would see the consortium's authorizations: refused, 422."""
    consortium_application(house)
    firm = {"id": "C-1", "name": "Namesake", "country": "PK", "tax_id": "1234567-8"}
    refused = house.client.post("/api/v1/firms", json=firm, headers=house.as_("operator"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["detail"] == "'C-1' is already taken"
    firms = house.client.get("/api/v1/firms", headers=house.as_("operator")).json()["items"]
    assert "C-1" not in [f["id"] for f in firms]
