"""Webhooks over the API, delivered to a real receiver on 127.0.0.1: a completed run's
signed event verifies; a 500 is retried with the same event id; bad URLs are refused
with nothing changed; a trader sees only its firm's; a secret is answered once."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tahator.domain import webhook
from tahator.services import webhooks
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, IdempotentRequest, Webhook, WebhookDelivery
from tests.api.conftest import House
from tests.receiver import receiving


@pytest.fixture(autouse=True)
def private_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver is on 127.0.0.1: allowed, as the demo and tests allow it."""
    monkeypatch.setenv("TAHATOR_WEBHOOK_PRIVATE", "1")


def _register(house: House, who: str, url: str, **extra: object) -> dict[str, object]:
    answer = house.client.post(
        "/api/v1/webhooks", json={"url": url, **extra}, headers=house.as_(who)
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def _run(house: House) -> None:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text


def _deliver(house: House, at_minutes: int = 0) -> webhooks.DeliveryTally:
    at = now() + timedelta(minutes=at_minutes)
    return webhooks.deliver_due(partial(transaction, house.engine), at)


def test_a_completed_run_reaches_the_firm_signed(house: House) -> None:
    with receiving() as receiver:
        made = _register(house, "trader", receiver.url, events=["run.completed"])
        secret = str(made["secret"])
        _run(house)
        tally = _deliver(house)
        assert tally == webhooks.DeliveryTally(delivered=1, retried=0, failed=0)
    assert len(receiver.got) == 1
    got = receiver.got[0]
    header = got.headers[webhook.SIGNATURE_HEADER]
    assert webhook.verify(secret, header, got.body, int(time.time()))
    assert not webhook.verify("another secret", header, got.body, int(time.time()))
    assert not webhook.verify(secret, header, got.body + " ", int(time.time()))
    assert not webhook.verify(secret, header, got.body, int(time.time()) + 301)  # a replay
    event = json.loads(got.body)
    assert got.headers[webhook.EVENT_HEADER] == event["type"] == "run.completed"
    assert got.headers[webhook.DELIVERY_HEADER] == event["id"]
    data = event["data"]
    assert data["run"]["id"] == 1
    # PK-1's notices only: INV-1 (it owes) and INV-3 (it is owed), never IR-2's INV-4.
    assert {n["reference"] for n in data["notices"]} <= {"INV-1", "INV-3"}
    assert data["notices"]
    assert all(i["firm"] == "PK-1" for i in data["instructions"])
    assert "INV-4" not in got.body
    assert "IR-2" not in got.body


def test_a_bank_webhook_gets_its_countrys_instructions(house: House) -> None:
    with receiving() as receiver:
        _register(house, "bank", receiver.url, country="PK")
        _run(house)
        _deliver(house)
    data = json.loads(receiver.got[0].body)["data"]
    assert data["country"] == "PK"
    assert data["instructions"]
    assert all(i["country"] == "PK" for i in data["instructions"])


def test_a_failed_delivery_is_retried_with_the_same_event(house: House) -> None:
    with receiving(500, 200) as receiver:
        made = _register(house, "trader", receiver.url, events=["run.completed"])
        hook = made["webhook"]
        assert isinstance(hook, dict)
        _run(house)
        assert _deliver(house) == webhooks.DeliveryTally(0, 1, 0)
        assert _deliver(house) == webhooks.DeliveryTally(0, 0, 0)  # not due yet
        assert _deliver(house, at_minutes=2) == webhooks.DeliveryTally(1, 0, 0)
    assert len(receiver.got) == 2
    first, second = (json.loads(r.body)["id"] for r in receiver.got)
    assert first == second
    log = house.client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries", headers=house.as_("trader")
    ).json()
    assert len(log) == 1
    assert log[0]["attempts"] == 2
    assert log[0]["status"] == "delivered"
    assert log[0]["last_status"] == 200
    # Redelivered on request: the same event again, its attempts so far kept.
    again = house.client.post(
        f"/api/v1/webhooks/{hook['id']}/deliveries/{log[0]['id']}/redeliver",
        headers=house.as_("trader"),
    )
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "pending"
    assert again.json()["attempts"] == 2
    with receiving() as receiver:
        with transaction(house.engine) as session:
            row = session.get(Webhook, hook["id"])
            assert row is not None
            row.url = receiver.url
        assert _deliver(house) == webhooks.DeliveryTally(1, 0, 0)
    assert json.loads(receiver.got[0].body)["id"] == first
    log = house.client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries", headers=house.as_("trader")
    ).json()
    assert log[0]["attempts"] == 3
    with transaction(house.engine) as session:
        audited = session.scalar(
            select(AuditRecord).where(AuditRecord.action == "webhook.redeliver")
        )
        assert audited is not None
        assert json.loads(audited.before) == {"status": "delivered", "attempts": 2}


def test_giving_up_after_the_last_attempt(house: House) -> None:
    with receiving(*[503] * webhook.MAX_ATTEMPTS) as receiver:
        _register(house, "trader", receiver.url, events=["run.completed"])
        _run(house)
        minutes = 0
        tallies = []
        for _ in range(webhook.MAX_ATTEMPTS):
            tallies.append(_deliver(house, at_minutes=minutes))
            minutes += 6 * 60 + 1
    assert tallies[-1] == webhooks.DeliveryTally(0, 0, 1)
    assert len(receiver.got) == webhook.MAX_ATTEMPTS
    with transaction(house.engine) as session:
        statuses = set(session.scalars(select(WebhookDelivery.status)))
    assert statuses == {"failed"}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "https://user:pw@example.org/hook",
        "not a url",
        "https:///nohost",
        "https://example.org/" + "a" * 2000,
    ],
)
def test_bad_urls_are_refused_and_nothing_changes(house: House, url: str) -> None:
    answer = house.client.post("/api/v1/webhooks", json={"url": url}, headers=house.as_("trader"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    with transaction(house.engine) as session:
        assert session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_private_hosts_are_refused_by_default(
    house: House, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAHATOR_WEBHOOK_PRIVATE")
    for url in (
        "http://example.org/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        "https://localhost/hook",
    ):
        answer = house.client.post(
            "/api/v1/webhooks", json={"url": url}, headers=house.as_("trader")
        )
        assert answer.status_code == 422, (url, answer.text)


def test_a_trader_sees_and_acts_on_its_own_firms_only(house: House) -> None:
    theirs = _register(house, "trader2", "http://127.0.0.1:9/hook")["webhook"]
    assert isinstance(theirs, dict)
    path = f"/api/v1/webhooks/{theirs['id']}"
    trader = house.as_("trader")
    assert house.client.get(path, headers=trader).status_code == 404
    assert house.client.get(path + "/deliveries", headers=trader).status_code == 404
    assert house.client.post(path + "/disable", headers=trader).status_code == 404
    assert house.client.post(path + "/rotate", headers=trader).status_code == 404
    assert house.client.get("/api/v1/webhooks", headers=trader).json() == []
    refused = house.client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "firm": "IR-2"}, headers=trader
    )
    assert refused.status_code == 422
    assert house.client.get(path, headers=house.as_("auditor")).status_code == 200
    assert house.client.post(path + "/disable", headers=house.as_("auditor")).status_code == 403
    assert house.client.get("/api/v1/webhooks", headers=house.as_("customs")).status_code == 403
    # A bank user sees the banks' webhooks, not a firm's.
    assert house.client.get(path, headers=house.as_("bank")).status_code == 404
    disabled = house.client.post(path + "/disable", headers=house.as_("operator"))
    assert disabled.status_code == 200
    assert disabled.json()["active"] is False


def test_the_secret_is_answered_once_and_never_read_or_audited(house: House) -> None:
    made = _register(house, "operator", "http://127.0.0.1:9/hook", firm="PK-1")
    secret = str(made["secret"])
    hook = made["webhook"]
    assert isinstance(hook, dict)
    assert len(secret) == 64
    for who in ("operator", "trader", "auditor"):
        listed = house.client.get("/api/v1/webhooks", headers=house.as_(who))
        one = house.client.get(f"/api/v1/webhooks/{hook['id']}", headers=house.as_(who))
        assert secret not in listed.text
        assert secret not in one.text
        assert "secret" not in listed.text
    rotated = house.client.post(
        f"/api/v1/webhooks/{hook['id']}/rotate", headers=house.as_("trader")
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != secret
    with transaction(house.engine) as session:
        records = [
            json.dumps([r.before, r.after])
            for r in session.scalars(
                select(AuditRecord).where(AuditRecord.action.like("webhook.%"))
            )
        ]
    assert len(records) == 2
    assert all(secret not in r and new not in r for r in records)


def test_a_disabled_webhook_gets_nothing_new(house: House) -> None:
    with receiving() as receiver:
        made = _register(house, "trader", receiver.url)
        hook = made["webhook"]
        assert isinstance(hook, dict)
        house.client.post(f"/api/v1/webhooks/{hook['id']}/disable", headers=house.as_("trader"))
        _run(house)
        assert _deliver(house) == webhooks.DeliveryTally(0, 0, 0)
    assert receiver.got == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_delivery_another_worker_holds_is_skipped(house: House) -> None:
    """On PostgreSQL a claimed row is locked: a second worker skips it, sending nothing
    twice; and a claim's lease keeps it from being taken again while it is sent."""
    with receiving() as receiver:
        _register(house, "trader", receiver.url, events=["run.completed"])
        _run(house)
        with transaction(house.engine) as holder:
            holder.execute(select(WebhookDelivery).with_for_update()).all()
            assert _deliver(house) == webhooks.DeliveryTally(0, 0, 0)
        assert receiver.got == []
        assert _deliver(house) == webhooks.DeliveryTally(1, 0, 0)
    assert len(receiver.got) == 1


def test_a_host_resolving_to_loopback_is_refused_at_delivery(
    house: House, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered while private hosts were allowed (as a host that resolved to a public
    address then would be), the name now resolves to loopback: the worker resolves
    it once, vets the address and POSTs nothing."""
    with receiving() as receiver:
        port = receiver.url.rsplit(":", 1)[1].split("/")[0]
        _register(house, "trader", f"https://localhost:{port}/hook", events=["run.completed"])
        monkeypatch.delenv("TAHATOR_WEBHOOK_PRIVATE")
        _run(house)
        assert _deliver(house) == webhooks.DeliveryTally(0, 1, 0)
    assert receiver.got == []
    with transaction(house.engine) as session:
        error = session.scalar(select(WebhookDelivery.last_error))
    assert error is not None
    assert "not on the public internet" in error


def test_one_delivery_is_claimed_at_a_time(house: House) -> None:
    """While one delivery is being POSTed the others are not leased: a lease covers one
    POST, never a batch that could outlive it."""
    leased: list[int] = []

    def count_leased() -> None:
        with transaction(house.engine) as session:
            leased.append(
                session.scalar(
                    select(func.count())
                    .select_from(WebhookDelivery)
                    .where(WebhookDelivery.status == "pending")
                    .where(WebhookDelivery.next_attempt_at > now() + timedelta(minutes=1))
                )
                or 0
            )

    with receiving() as receiver:
        for _ in range(3):
            _register(house, "trader", receiver.url, events=["run.completed"])
        receiver.on_post = count_leased
        _run(house)
        assert _deliver(house) == webhooks.DeliveryTally(3, 0, 0)
    assert leased == [1, 1, 1]


def test_an_idempotent_replay_never_keeps_or_answers_the_secret(house: House) -> None:
    headers = {**house.as_("trader"), "Idempotency-Key": "hook-1"}
    body = {"url": "http://127.0.0.1:9/hook"}
    first = house.client.post("/api/v1/webhooks", json=body, headers=headers)
    assert first.status_code == 201
    secret = first.json()["secret"]
    hook = first.json()["webhook"]["id"]
    replay = house.client.post("/api/v1/webhooks", json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["secret"] is None
    assert "shown once" in replay.json()["detail"]
    assert replay.json()["webhook"] == first.json()["webhook"]
    rotate = {**house.as_("trader"), "Idempotency-Key": "rotate-1"}
    rotated = house.client.post(f"/api/v1/webhooks/{hook}/rotate", headers=rotate)
    new = rotated.json()["secret"]
    assert new not in (None, secret)
    again = house.client.post(f"/api/v1/webhooks/{hook}/rotate", headers=rotate)
    assert again.json()["secret"] is None
    with transaction(house.engine) as session:
        stored = " ".join(session.scalars(select(IdempotentRequest.response)))
    assert "shown once" in stored
    assert secret not in stored
    assert new not in stored


def _statements_of_run_events(house: House) -> tuple[int, int]:
    """Run 1's events built again (rolled back): the statements run and the deliveries."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with house.engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", count)
        with Session(connection) as session:
            made = webhooks.run_completed(session, 1)
            session.rollback()
        event.remove(connection, "before_cursor_execute", count)
    return len(statements), made


def test_a_runs_events_cost_the_same_reads_however_many_subscribers(house: House) -> None:
    _register(house, "operator", "http://127.0.0.1:9/a", firm="PK-1")
    _run(house)
    few, made = _statements_of_run_events(house)
    assert made == 2  # run.completed and instruction.issued to PK-1
    for firm in ("PK-2", "PK-3", "IR-1", "IR-2", "IR-1"):
        _register(house, "operator", "http://127.0.0.1:9/b", firm=firm)
    many, made = _statements_of_run_events(house)
    assert made > 6
    assert many == few


def test_a_urls_query_is_masked_in_views_and_audit_but_delivered_whole(house: House) -> None:
    with receiving() as receiver:
        made = _register(house, "trader", receiver.url + "?token=s3cret", events=["run.completed"])
        hook = made["webhook"]
        assert isinstance(hook, dict)
        assert hook["url"] == receiver.url + "?token=***"
        for path in ("/api/v1/webhooks", f"/api/v1/webhooks/{hook['id']}"):
            for who in ("trader", "auditor"):
                read = house.client.get(path, headers=house.as_(who))
                assert "s3cret" not in read.text
                assert "token=***" in read.text
        house.client.post(f"/api/v1/webhooks/{hook['id']}/disable", headers=house.as_("trader"))
        with transaction(house.engine) as session:
            audited = [
                json.dumps([r.before, r.after])
                for r in session.scalars(
                    select(AuditRecord).where(AuditRecord.action.like("webhook.%"))
                )
            ]
            row = session.get(Webhook, hook["id"])
            assert row is not None
            row.active = True
        assert len(audited) == 2
        assert all("s3cret" not in a for a in audited)
        _run(house)
        assert _deliver(house) == webhooks.DeliveryTally(1, 0, 0)
    assert len(receiver.got) == 1


def test_a_rotation_signs_with_both_secrets_for_a_day(house: House) -> None:
    with receiving() as receiver:
        made = _register(house, "trader", receiver.url, events=["run.completed"])
        hook = made["webhook"]
        assert isinstance(hook, dict)
        old = str(made["secret"])
        rotated = house.client.post(
            f"/api/v1/webhooks/{hook['id']}/rotate", headers=house.as_("trader")
        )
        new = rotated.json()["secret"]
        _run(house)
        assert _deliver(house) == webhooks.DeliveryTally(1, 0, 0)
        delivery = house.client.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries", headers=house.as_("trader")
        ).json()[0]["id"]
        house.client.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery}/redeliver",
            headers=house.as_("trader"),
        )
        assert _deliver(house, at_minutes=25 * 60) == webhooks.DeliveryTally(1, 0, 0)
    first, later = receiver.got
    at = int(time.time())
    header = first.headers[webhook.SIGNATURE_HEADER]
    assert header.count("v1=") == 2
    assert webhook.verify(new, header, first.body, at)
    assert webhook.verify(old, header, first.body, at)  # a receiver not yet updated
    header = later.headers[webhook.SIGNATURE_HEADER]
    assert header.count("v1=") == 1  # a day on, the old secret signs nothing
    assert webhook.verify(new, header, later.body, at)
    assert not webhook.verify(old, header, later.body, at)
