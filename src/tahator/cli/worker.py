"""``tahator schedule show`` and ``tahator worker``: the calendar's next occurrences, and
the process that does the due jobs (DESIGN §9)."""

from __future__ import annotations

import os
import socket
import sys
import time
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tahator.cli.common import (
    EXIT_BAD_INPUT,
    JsonOption,
    _database,
    _date,
    _load_policy,
    _today,
    fail,
    print_json,
    use_case,
)
from tahator.domain.errors import TahatorError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
from tahator.domain.identifiers import identifier_problem, normalize_identifier

MAX_WORKER_NAME = 90

schedule_app = typer.Typer(
    help="The clearing calendar and the worker's jobs.", no_args_is_help=True
)


def default_name() -> str:
    """A worker's name when none is given: where it runs and its process."""
    return f"{socket.gethostname()}-{os.getpid()}"


@schedule_app.command("show")
def schedule_show(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Occurrences from this day (default today)")
    ] = None,
    count: Annotated[int, typer.Option(min=1, max=50, help="Occurrences per job")] = 3,
    as_json: JsonOption = False,
) -> None:
    """The next occurrences of each job, the latest job runs and failures."""
    from tahator.formatting import jsonable
    from tahator.services import schedule

    policy = _load_policy()
    day = _date(as_of, "--as-of") if as_of is not None else _today()
    with use_case(read_only=True) as session:
        try:
            view = schedule.show(session, policy, day, count)
        except TahatorError as error:
            fail(error)
    if as_json:
        print_json(jsonable(view))
        return
    print(f"next occurrences from {day} ({policy.zone})")
    if view.unlisted_years:
        years = ", ".join(map(str, view.unlisted_years))
        print(f"warning: no public holidays listed for {years}: only weekends count then")
    for run in view.next:
        extra = ""
        if run.cutoff_day is not None:
            extra = f"  filing closes at the end of {run.cutoff_day}"
        if run.period is not None:
            extra = f"  for {run.period}"
        print(f"  {run.job:<17} {run.day}{extra}")
    print(f"latest job runs ({len(view.runs)})")
    for row in view.runs:
        print(
            f"  {row.job:<17} {row.occurrence}  {row.outcome}  "
            f"by {row.worker} at {row.finished_at.isoformat(timespec='seconds')}"
        )
    print(f"failures ({len(view.failures)})")
    for failure in view.failures:
        state = (
            f"superseded by {failure.superseded_by}"
            if failure.superseded_by
            else "GAVE UP"
            if failure.gave_up
            else (
                f"retry at {failure.retry_at.isoformat(timespec='seconds')}"
                if failure.retry_at
                else "done later"
            )
        )
        print(
            f"  {failure.job:<17} {failure.occurrence}  "
            f"attempt {failure.attempt}/{view.max_attempts}  {state}: {failure.error}"
        )


@schedule_app.command("retry")
def schedule_retry(
    job: Annotated[str, typer.Argument(help="The job (sweep, clearing, …)")],
    occurrence: Annotated[str, typer.Argument(help="The occurrence (its date, 2026-01-29)")],
    as_json: JsonOption = False,
) -> None:
    """Clear the worker's give-up on a failed occurrence (audited): its next pass tries again."""
    from tahator.cli.common import _actor
    from tahator.formatting import jsonable
    from tahator.services import schedule

    with use_case() as session:
        retried = schedule.retry(session, _actor(), job, occurrence)
    if as_json:
        print_json(jsonable(retried))
        return
    print(f"{retried.job} {retried.occurrence}: the worker's next pass tries it again")


def worker(
    once: Annotated[bool, typer.Option("--once", help="Do what is due, then exit")] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Do what is due up to this business day (not after today)"),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The worker's name (default host-pid)")
    ] = None,
    interval: Annotated[
        float, typer.Option(min=1, max=3600, help="Seconds between passes when continuous")
    ] = 30,
    as_json: JsonOption = False,
) -> None:
    """Do the scheduled jobs when due, each exactly once; with --once, one pass and exit."""
    from tahator import logs

    day = _date(as_of, "--as-of") if as_of is not None else None
    if day is not None and not once:
        fail(TahatorError("--as-of goes with --once (a continuous worker follows the clock)"))
    policy = _load_policy()
    who = default_name() if name is None else name
    # The name becomes the audit actor ``worker:NAME``: an identifier as DESIGN §6 has them.
    if (problem := identifier_problem(who, MAX_WORKER_NAME)) is not None:
        fail(TahatorError(f"--name: {problem}"))
    who = normalize_identifier(who)
    logs.configure()
    from sqlalchemy.exc import OperationalError

    from tahator.services import worker as jobs
    from tahator.store import migrate as migrations
    from tahator.store.database import database_url, make_engine, transaction

    url = database_url(_database["url"])
    try:
        engine = make_engine(url)
    except TahatorError as error:
        fail(error)

    def factory() -> AbstractContextManager[Session]:
        return transaction(engine)

    if not once:  # webhooks go out on their own thread: a slow receiver never delays a job
        jobs.deliver_in_background(factory, interval)
    while True:
        try:
            if not migrations.is_current(engine):
                raise TahatorError(f"the database {url} is not ready; run `tahator db upgrade`")
            tick = jobs.run_due(factory, policy, who, day, deliver=once)
        except TahatorError as error:
            if once:
                fail(error)
            logs.line("worker", worker=who, error=str(error))
        except OperationalError as error:
            if once:
                print(f"error: the database {url} is unavailable: {error.orig}", file=sys.stderr)
                raise typer.Exit(1) from error
            # A continuous worker outlives a database restart: it tries again next pass.
            logs.line("worker", worker=who, error=f"database unavailable: {error.orig}")
        except Exception as error:
            if once:
                raise
            # Anything else is logged and the worker goes on: it must outlive one bad pass.
            logs.line("worker", worker=who, error=f"{type(error).__name__}: {error}")
        else:
            if once:
                _print_tick(tick, as_json)
                failed = [r for r in tick.jobs if r.outcome in ("failed", "gave_up", "busy")]
                raise typer.Exit(1 if failed else 0)
        time.sleep(interval)


def _print_tick(tick: Any, as_json: bool) -> None:
    from tahator.formatting import jsonable

    if as_json:
        print_json(jsonable(tick))
        return
    print(f"worker {tick.worker}, as of {tick.as_of}: {len(tick.jobs)} occurrences")
    for result in tick.jobs:
        detail = f" {result.error}" if result.error else ""
        print(f"  {result.job:<17} {result.occurrence}  {result.outcome}{detail}", file=sys.stdout)


__all__ = ["EXIT_BAD_INPUT", "schedule_app", "worker"]
