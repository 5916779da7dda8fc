"""A clearing house served over HTTP (FastAPI's test client), with a user per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tahator.asgi import create_app
from tahator.services import users
from tahator.store.database import transaction
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)

FIRMS = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR"}
PASSWORD = "correct horse battery"
ROLES = ("operator", "customs", "bank", "trader", "auditor")
LOGINS = {
    "operator": ("op", None),
    "customs": ("customs", None),
    "bank": ("bank", None),
    "trader": ("trader1", "PK-1"),
    "trader2": ("trader2", "IR-2"),
    "auditor": ("auditor", None),
}


@dataclass
class House:
    client: TestClient
    engine: Engine
    url: str
    tokens: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        """Authorization headers of ``who`` (a role, or ``trader2``)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def declare_gas_import(house: House, path: str) -> dict[str, Any]:
    """Customs declares 500 t of LNG worth 300,000.00 USD (``GD-1``, 2025-11-10) against
    the authorization at ``path``; the declaration as answered."""
    declaration = {
        "direction": "import",
        "hs": "27111900",
        "quantity": "500",
        "unit": "t",
        "value": "300000.00",
        "currency": "USD",
        "date": "2025-11-10",
        "reference": "GD-1",
    }
    declared = house.client.post(
        f"{path}/declarations", json=declaration, headers=house.as_("customs")
    )
    assert declared.status_code == 201, declared.text
    answer: dict[str, Any] = declared.json()
    return answer


def fill(session: Session, folder: Path) -> None:
    """Five firms, four obligations (three of them a cycle) and one user per role."""
    import_firms_file(session, firms_file(folder / "firms.csv", FIRMS), "test")
    import_obligations_file(
        session,
        obligations_file(
            folder / "obligations.csv",
            [
                ("INV-1", "PK-1", "IR-1", "1000.00", "USD"),
                ("INV-2", "IR-1", "PK-2", "800.00", "USD"),
                ("INV-3", "PK-2", "PK-1", "600.00", "USD"),
                ("INV-4", "IR-2", "PK-3", "500.00", "USD"),
            ],
        ),
        "test",
    )
    for role, (username, firm) in LOGINS.items():
        users.create_user(
            session, username, "trader" if role == "trader2" else role, PASSWORD, "test", firm
        )


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Argon2id, at the lowest cost: each production hash takes 0.2 s on purpose."""
    from argon2 import PasswordHasher

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", quick)
    dummy = quick.hash("nobody's")
    monkeypatch.setattr(users, "_dummy_hash", lambda: dummy)


@pytest.fixture
def house(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[House]:  # noqa: F811
    """Five firms, a few obligations forming a cycle, and one user per role."""
    with transaction(engine) as session:
        fill(session, tmp_path)
    app = create_app(database_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        tokens = {role: sign_in(client, username) for role, (username, _) in LOGINS.items()}
        yield House(client, engine, database_url, tokens)
    app.state.engine.dispose()
