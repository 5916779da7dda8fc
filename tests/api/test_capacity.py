"""How a worker shares its threads: writes queue at a gate, reads go past them."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tahator.api.app import WORKER_THREADS, WRITERS
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
