"""Webhook events of barter authorizations on a real database: deadline reminders 14,
7 and 1 days before, each once however often the worker asks; a cancellation tells
both parties.  And the CLI refuses a bad URL with exit 2, nothing changed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tahator.domain.roles import Role
from tahator.services import barter, webhooks
from tahator.services.users import Principal
from tahator.store.database import transaction
from tahator.store.schema import Webhook, WebhookDelivery
from tests.conftest import Cli
from tests.integration.test_barter import (  # noqa: F401  (fixture)
    LPG,
    POLICY,
    application,
    apply,
    authorize,
    declare,
    house,
)

OPERATOR = Principal(0, "test", Role.OPERATOR, None)


@pytest.fixture(autouse=True)
def private_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAHATOR_WEBHOOK_PRIVATE", "1")


def _subscribe(engine: Engine, firm: str) -> None:
    with transaction(engine) as session:
        webhooks.register(session, OPERATOR, "test", "http://127.0.0.1:9/hook", firm=firm)


def _events(engine: Engine, event: str) -> list[tuple[int, dict[str, object]]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.body)
            .where(WebhookDelivery.event == event)
            .order_by(WebhookDelivery.id)
        ).all()
    return [(hook, json.loads(body)) for hook, body in rows]


def test_deadline_reminders_are_sent_once_each(house: Engine, tmp_path: Path) -> None:  # noqa: F811
    _subscribe(house, "PK-1")
    _subscribe(house, "IR-1")
    _subscribe(house, "IR-2")  # no party: told nothing
    authorization_id = apply(house, tmp_path, application())
    assert authorize(house, authorization_id).deadline == date(2026, 2, 22)
    counts = []
    for day in (date(2026, 2, 7), date(2026, 2, 8), date(2026, 2, 8), date(2026, 2, 15)):
        with transaction(house) as session:
            counts.append(webhooks.remind_deadlines(session, POLICY, day))
    with transaction(house) as session:
        counts.append(webhooks.remind_deadlines(session, POLICY, date(2026, 2, 21)))
        counts.append(webhooks.remind_deadlines(session, POLICY, date(2026, 2, 21)))
    assert counts == [0, 2, 0, 2, 2, 0]
    sent = _events(house, "authorization.deadline")
    assert [body["data"]["days_left"] for _, body in sent] == [14, 14, 7, 7, 1, 1]  # type: ignore[index]
    assert {body["data"]["authorization"]["id"] for _, body in sent} == {authorization_id}  # type: ignore[index]
    assert len({body["id"] for _, body in sent}) == 6


def test_a_cancellation_tells_both_parties(house: Engine, tmp_path: Path) -> None:  # noqa: F811
    _subscribe(house, "PK-1")
    _subscribe(house, "IR-1")
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)
    declare(house, authorization_id, **LPG, value="300000", currency="USD", on=date(2025, 11, 10))
    with transaction(house) as session:
        barter.sweep(session, POLICY, date(2026, 2, 23), "customs")
    sent = _events(house, "authorization.cancelled")
    assert len(sent) == 2
    for _, body in sent:
        data = body["data"]
        assert isinstance(data, dict)
        assert data["authorization"]["state"] == "cancelled"
        assert data["authorization"]["closed_on"] == "2026-02-22"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/", "https://u:p@example.org/", "https://" + "a" * 2100]
)
def test_the_cli_refuses_a_bad_url(
    house: Engine,  # noqa: F811
    cli: Cli,
    url: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAHATOR_DATABASE_URL", database_url)
    code, _, err = cli("webhooks", "add", url, "--firm", "PK-1")
    assert code == 2, err
    assert "url:" in err
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_the_cli_registers_lists_and_delivers(
    house: Engine,  # noqa: F811
    cli: Cli,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAHATOR_DATABASE_URL", database_url)
    code, out, err = cli("webhooks", "add", "http://127.0.0.1:9/hook", "--firm", "PK-1", "--json")
    assert code == 0, err
    secret = json.loads(out)["secret"]
    code, out, _ = cli("webhooks", "list", "--json")
    assert code == 0
    assert secret not in out
    assert json.loads(out)[0]["firm"] == "PK-1"
    code, out, _ = cli("webhooks", "deliver", "--json")
    assert code == 0
    assert json.loads(out) == {"delivered": 0, "retried": 0, "failed": 0}
    code, out, _ = cli("webhooks", "rotate", "1")
    assert code == 0
    assert "secret" in out
    code, _, err = cli("webhooks", "disable", "99")
    assert code == 2
    assert "no webhook 99" in err


def test_reminders_missed_while_the_worker_was_down_are_caught_up(
    house: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    _subscribe(house, "PK-1")
    authorization_id = apply(house, tmp_path, application())
    assert authorize(house, authorization_id).deadline == date(2026, 2, 22)
    counts = []
    # Down on the 14- and 7-day days: the 17th (5 days left) sends the 7-day reminder
    # only, the 20th nothing new, the 21st the 1-day one; a day after the deadline nothing.
    for day in (date(2026, 2, 17), date(2026, 2, 20), date(2026, 2, 21), date(2026, 2, 22)):
        with transaction(house) as session:
            counts.append(webhooks.remind_deadlines(session, POLICY, day))
    assert counts == [1, 0, 1, 0]
    sent = _events(house, "authorization.deadline")
    assert [body["data"]["days_left"] for _, body in sent] == [5, 1]  # type: ignore[index]
