"""Schemathesis against the OpenAPI document: no 5xx, every response as documented.

Bounded: a few examples per operation (``MAX_EXAMPLES``), as an operator (who may
do the most) on SQLite, against a small clearing house.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tahator.asgi import create_app
from tahator.services import corridor, users
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.api.conftest import FIRMS, PASSWORD
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)

MAX_EXAMPLES = 8
_FOLDER = Path(tempfile.mkdtemp(prefix="tahator-fuzz-"))
_URL = f"sqlite:///{_FOLDER / 'tahator.db'}"
# The schema is read when the module is collected (schemathesis's lazy fixtures do
# not work with pytest 9); the engine connects only when the fixture below fills it.
APP = create_app(_URL)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
_token: dict[str, str] = {}
_statuses: list[int] = []


def operator_token() -> str:
    """Build the clearing house once, the first time a token is needed, and sign in.

    Schemathesis asks for the token as soon as it collects the tests, before any
    fixture runs, and keeps it; so the house is built then.
    """
    if "value" in _token:
        return _token["value"]
    engine = make_engine(_URL)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
        import_firms_file(session, firms_file(_FOLDER / "firms.csv", FIRMS), "test")
        import_obligations_file(
            session,
            obligations_file(
                _FOLDER / "o.csv",
                [("I-1", "PK-1", "IR-1", "10.00", "USD"), ("I-2", "IR-1", "PK-1", "4.00", "USD")],
            ),
            "test",
        )
        users.create_user(session, "op", "operator", PASSWORD, "test")
    engine.dispose()
    with TestClient(APP) as client:
        response = client.post("/api/v1/auth/token", data={"username": "op", "password": PASSWORD})
        _token["value"] = response.json()["access_token"]
    return _token["value"]


@pytest.fixture(scope="module", autouse=True)
def clean_up() -> Iterator[None]:
    yield
    # The fuzzer really acted as the operator: only its deliberately bad credentials
    # were turned away, not everything.
    if len(_statuses) > 100:
        assert _statuses.count(401) < len(_statuses) / 4, sorted(set(_statuses))
        assert sum(200 <= s < 300 for s in _statuses) > 100
    APP.state.engine.dispose()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.auth(refresh_interval=None)
class OperatorToken:
    """Every generated request goes as the operator, whose token the fixture got."""

    def get(self, case: Any, context: Any) -> str:
        return operator_token()

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_never_fails_and_keeps_to_its_schema(case: Any) -> None:
    if case.path == "/api/v1/auth/revoke":
        return  # would sign the fuzzer itself out
    response = case.call_and_validate(
        additional_checks=[
            response_schema_conformance,
            content_type_conformance,
            status_code_conformance,
        ],
        # A valid shape may still break a business rule (an unknown firm, say): 422.
        excluded_checks=[positive_data_acceptance],
    )
    _statuses.append(response.status_code)
