"""The webhooks pages: a form that refuses a bad URL saying why (nothing registered),
the secret shown once, a trader's view cut to its firm; and in Chromium, the delivery
log after a failed and a retried delivery, in English and Persian."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from tahator.domain.roles import Role
from tahator.domain.webhook import EventType
from tahator.services import webhooks
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.store.database import transaction
from tahator.store.schema import Webhook
from tests.receiver import receiving
from tests.web.conftest import House, browser, token, uvicorn_serving
from tests.web.test_desks_browser import chromium, sign_in  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def private_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAHATOR_WEBHOOK_PRIVATE", "1")


def _count(house: House) -> int:
    with transaction(house.engine) as session:
        return int(session.scalar(select(func.count()).select_from(Webhook)) or 0)


def test_a_bad_url_is_a_form_error_and_a_good_one_shows_its_secret_once(house: House) -> None:
    trader = browser(house, "trader")
    page = trader.get("/webhooks")
    assert page.status_code == 200
    assert 'href="/webhooks"' in page.text  # the nav entry
    refused = trader.post(
        "/webhooks",
        data={"url": "ftp://example.org/", "event:run.completed": "1", "csrf_token": token(trader)},
    )
    assert refused.status_code == 422
    assert 'id="err-url"' in refused.text
    assert _count(house) == 0
    nothing = trader.post(
        "/webhooks", data={"url": "http://127.0.0.1:9/hook", "csrf_token": token(trader)}
    )
    assert nothing.status_code == 422
    assert 'id="err-events"' in nothing.text
    assert 'name="event:run.completed" value="1">' in nothing.text  # as the trader left it
    assert _count(house) == 0
    made = trader.post(
        "/webhooks",
        data={
            "url": "http://127.0.0.1:9/hook",
            "event:run.completed": "1",
            "csrf_token": token(trader),
        },
    )
    assert made.status_code == 201, made.text
    secret = re.search(r'id="webhook-secret">([0-9a-f]{64})<', made.text)
    assert secret
    assert secret.group(1) not in trader.get("/webhooks").text
    assert secret.group(1) not in trader.get("/webhooks/1").text
    # Another firm's trader: no such webhook; customs: no webhooks page.
    assert browser(house, "trader2").get("/webhooks/1").status_code == 404
    assert "127.0.0.1:9" not in browser(house, "trader2").get("/webhooks").text
    assert browser(house, "customs").get("/webhooks").status_code == 403
    # A form posted without the CSRF token changes nothing.
    trader.post("/webhooks/1/disable", data={})
    with transaction(house.engine) as session:
        hook = session.get(Webhook, 1)
        assert hook is not None
        assert hook.active


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_delivery_log_in_a_browser(house: House, chromium: Any, language: str) -> None:  # noqa: F811
    with receiving(500, 200) as receiver:
        trader = browser(house, "trader")
        trader.post(
            "/webhooks",
            data={"url": receiver.url, "event:run.completed": "1", "csrf_token": token(trader)},
        )
        house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
        deliver = partial(webhooks.deliver_due, partial(transaction, house.engine))
        assert deliver(now()) == webhooks.DeliveryTally(0, 1, 0)
        with uvicorn_serving(house.url) as base:
            context = chromium.new_context(locale="fa-IR" if language == "fa" else "en-US")
            context.add_cookies([{"name": "tahator_lang", "value": language, "url": base}])
            page = sign_in(context, base, "trader")
            page.click("nav.nav a[href='/webhooks']")
            page.wait_for_url(base + "/webhooks")
            page.click("#list a[href='/webhooks/1']")
            page.wait_for_url(base + "/webhooks/1")
            row = page.locator("#deliveries tbody tr").first
            assert page.locator("html").get_attribute("lang") == language
            assert page.locator("html").get_attribute("dir") == (
                "rtl" if language == "fa" else "ltr"
            )
            assert row.locator(".attempts").inner_text() == ("۱" if language == "fa" else "1")
            assert "500" in row.inner_text()
            assert deliver(now() + timedelta(minutes=2)) == webhooks.DeliveryTally(1, 0, 0)
            page.reload()
            row = page.locator("#deliveries tbody tr").first
            assert row.locator(".attempts").inner_text() == ("۲" if language == "fa" else "2")
            if language == "en":
                assert row.locator(".status").inner_text() == "delivered"
                assert page.locator("h2#h-deliveries").inner_text() == "Delivery log"
            # Redeliver: pending again, the same event sent a third time.
            page.click("#deliveries button[id^='redeliver-']")
            page.wait_for_url(base + "/webhooks/1")
            assert deliver(now()) == webhooks.DeliveryTally(1, 0, 0)
            context.close()
    assert len(receiver.got) == 3
    assert len({r.headers["Tahator-Delivery"] for r in receiver.got}) == 1


def test_ids_out_of_range_are_404_and_a_refused_action_is_422(house: House) -> None:
    trader = browser(house, "trader")
    for webhook_id in (0, 2**63, 2**64):
        assert trader.get(f"/webhooks/{webhook_id}").status_code == 404
        posted = trader.post(f"/webhooks/{webhook_id}/disable", data={"csrf_token": token(trader)})
        assert posted.status_code == 404
    with transaction(house.engine) as session:
        made = webhooks.register(
            session, webhooks_operator(), "test", "http://127.0.0.1:9/hook", firm="PK-1"
        )
        webhooks.enqueue(session, EventType.RUN_COMPLETED, {"run": {}}, firm="PK-1")
        webhooks.disable(session, webhooks_operator(), "test", made.webhook.id)
    hook = made.webhook.id
    too_big = trader.post(
        f"/webhooks/{hook}/redeliver", data={"delivery": str(2**64), "csrf_token": token(trader)}
    )
    assert too_big.status_code == 422
    refused = trader.post(
        f"/webhooks/{hook}/redeliver", data={"delivery": "1", "csrf_token": token(trader)}
    )
    assert refused.status_code == 422
    assert "is disabled" in refused.text


def webhooks_operator() -> Principal:
    return Principal(0, "test", Role.OPERATOR, None)
