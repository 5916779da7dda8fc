"""``tahator demo`` creates a login per role for the web UI, once."""

from __future__ import annotations

from sqlalchemy import Engine

from tahator.services import users
from tahator.store.database import reading
from tahator.web.demo import DEMO_PASSWORD, ensure_logins
from tests.web.conftest import House


def test_demo_logins_are_created_once_and_sign_in(house: House) -> None:
    engine: Engine = house.engine
    first = ensure_logins(engine)
    assert [role for role, *_ in first] == [
        "operator",
        "customs",
        "bank",
        "trader",
        "trader",
        "auditor",
    ]
    assert {firm for role, _, _, firm in first if role == "trader"} == {"PK-1", "IR-1"}
    assert ensure_logins(engine) == first
    with reading(engine) as session:
        assert len([u for u in users.list_users(session) if u.username.startswith("demo-")]) == 6
    response = house.client.post(
        "/api/v1/auth/token", data={"username": "demo-bank", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
