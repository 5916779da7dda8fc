"""How a worker admits requests: a few at a time, writes fewer, reads past waiting writes."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import anyio.to_thread
import httpx
import pytest

from tahator.asgi import WORKER_THREADS, WRITERS, create_app
from tahator.services import users
from tests.api.conftest import House


def test_writes_beyond_the_gate_wait_without_a_thread_and_reads_go_past_them(
    house: House, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More blocked writes than the worker has threads: reads still get answered."""
    writer_token = house.tokens["operator"]
    inside, most = 0, 0
    count = threading.Lock()
    release = threading.Event()
    real = users.principal_for

    def held(session: Any, token: str, kind: str = "api") -> Any:
        # Each write stops here, inside the worker, until released.
        nonlocal inside, most
        if token == writer_token and not release.is_set():
            with count:
                inside += 1
                most = max(most, inside)
            release.wait(30)
            with count:
                inside -= 1
        return real(session, token, kind)

    monkeypatch.setattr(users, "principal_for", held)
    statuses: list[int] = []

    def post(n: int) -> None:
        response = house.client.post(
            "/api/v1/obligations",
            json={
                "reference": f"GATE-{n}",
                "debtor": "PK-3",
                "creditor": "IR-2",
                "amount": "10.00",
                "currency": "USD",
                "due_date": "2026-12-31",
            },
            headers=house.as_("operator") | {"Idempotency-Key": f"gate-{n}"},
        )
        statuses.append(response.status_code)

    writes = [threading.Thread(target=post, args=(n,)) for n in range(WORKER_THREADS + 2)]
    for thread in writes:
        thread.start()
    deadline = time.monotonic() + 30
    while inside < WRITERS and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # were the gate open, the rest would now be inside too
    assert inside == WRITERS

    answered: list[int] = []
    read = threading.Thread(
        target=lambda: answered.append(
            house.client.get("/api/v1/obligations", headers=house.as_("auditor")).status_code
        )
    )
    read.start()
    read.join(20)
    assert answered == [200], "a read waited behind blocked writes"

    release.set()
    for thread in writes:
        thread.join(60)
    assert sorted(statuses) == [201] * len(writes)
    assert most == WRITERS


def test_a_burst_beyond_threads_and_pool_is_answered_in_full(house: House) -> None:
    """Ten times as many requests at once as a worker has threads: every one answered.

    Before requests were admitted a few at a time, those holding a connection from their
    token look-up waited for a thread while every thread waited for a connection: at 24
    at once, two in three failed after the pool's timeout.
    """
    app = create_app(house.url)
    app.state.engine.pool._timeout = 5  # a deadlock shows as 500s in 5 s, not 30
    headers = house.as_("auditor")

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://house") as client:
            answers = await asyncio.gather(
                *(client.get("/api/v1/obligations", headers=headers) for _ in range(80))
            )
        return [answer.status_code for answer in answers]

    try:
        assert asyncio.run(burst()) == [200] * 80
    finally:
        app.state.engine.dispose()
