"""A proposed ring tells each of its firms, with its own legs only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tahator.domain.roles import Role
from tahator.services import webhooks
from tahator.services.users import Principal
from tahator.store.database import transaction
from tahator.store.schema import Webhook, WebhookDelivery
from tests.integration.test_market import RING, house, offers, run_match  # noqa: F401


@pytest.fixture(autouse=True)
def private_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAHATOR_WEBHOOK_PRIVATE", "1")


def test_each_firm_of_a_proposed_ring_is_told_its_own_legs(
    house: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    operator = Principal(0, "test", Role.OPERATOR, None)
    with transaction(house) as session:
        for firm in ("PK-1", "IR-1", "PK-2"):
            webhooks.register(
                session, operator, "test", "http://127.0.0.1:9/", ["ring.proposed"], firm=firm
            )
    offers(house, tmp_path, RING)
    assert run_match(house).rings == 1
    with transaction(house) as session:
        rows = session.execute(
            select(Webhook.firm_id, WebhookDelivery.body)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.event == "ring.proposed")
        ).all()
    told = {firm: json.loads(body)["data"] for firm, body in rows}
    assert set(told) == {"PK-1", "IR-1", "PK-2"}
    own = {"PK-1": "O1", "IR-1": "O2", "PK-2": "O3"}
    for firm, data in told.items():
        assert data["proposal"]["legs"] == 3
        assert [leg["offer"] for leg in data["own_legs"]] == [own[firm]]
