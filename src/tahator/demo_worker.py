"""The demo's worker: the build does what was due up to the demo's business date, and
the serving demo runs the worker beside the web server, so that authorizations past
their deadlines are swept (and clearing runs happen) as the calendar says (DESIGN §9)."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy.engine import Engine

from tahator import logs
from tahator.demo import DemoRun
from tahator.domain.policy import Policy
from tahator.io.policy import load_policy
from tahator.services import worker
from tahator.services.common import business_today
from tahator.store.database import transaction

DEMO_WORKER = "demo"
INTERVAL = 60.0
"""Seconds between the serving demo's passes."""


def catch_up(engine: Engine, as_of: date, policy: Policy | None = None) -> worker.Tick:
    """One pass of the worker as of ``as_of`` (the demo's business date)."""
    policy = policy or load_policy(None)
    today = max(as_of, business_today(policy.zone))
    return worker.run_due(lambda: transaction(engine), policy, DEMO_WORKER, as_of, today=today)


def run_for_demo(engine: Engine, result: DemoRun) -> worker.Tick:
    """The build's pass of the worker, as of the demo's business date; the summary's
    authorization states are then read again (the sweep may have cancelled some)."""
    from tahator.demo import DEMO_DAY
    from tahator.formatting import jsonable
    from tahator.services import barter

    tick = catch_up(engine, DEMO_DAY)
    with transaction(engine) as session:
        states: dict[str, int] = {}
        for row in jsonable(barter.list_authorizations(session)):
            states[row["state"]] = states.get(row["state"], 0) + 1
    result.barter["states"] = states
    return tick


def start_loop(engine: Engine, interval: float = INTERVAL) -> threading.Event:
    """Run the worker every ``interval`` seconds in a daemon thread, as of the demo's
    business date; set the returned event to stop it.

    Not the real date: the demo's world (its obligations' filing times, its deadlines) is
    as of ``DEMO_DAY``; scheduled runs after it would read none of its obligations (all
    filed after their cut-offs) and be empty."""
    from tahator.demo import DEMO_DAY

    policy = load_policy(None)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                catch_up(engine, DEMO_DAY, policy)
            except Exception as error:  # the demo's server must outlive a bad pass
                logs.line("worker", worker=DEMO_WORKER, error=str(error))
            stop.wait(interval)

    threading.Thread(target=loop, name="tahator-demo-worker", daemon=True).start()
    return stop
