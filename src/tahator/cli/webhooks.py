"""Webhooks from the command line, as the operator: register, list, disable, rotate,
read a delivery log, and send what is due once (the worker does that every tick)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tahator.cli.common import IdArgument, JsonOption, _actor, _print_rows, print_json, use_case

webhooks_app = typer.Typer(
    help="Webhooks: signed event POSTs to firms and banks.", no_args_is_help=True
)

COLUMNS = ("id", "firm", "clearing_country", "url", "events", "active", "created_by")


def _operator() -> Any:
    """The command line acts as the operator (its audit actor is ``cli:USER``)."""
    from tahator.domain.roles import Role
    from tahator.services.users import Principal

    return Principal(0, _actor(), Role.OPERATOR, None)


def _registered(result: Any, as_json: bool) -> None:
    from tahator.formatting import jsonable

    if as_json:
        print_json(jsonable(result))
        return
    print(f"webhook {result.webhook.id}: {result.webhook.url}")
    print(f"secret (shown once; keep it to verify signatures): {result.secret}")


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="https URL the events are POSTed to")],
    firm: Annotated[str | None, typer.Option(help="The firm it is for")] = None,
    country: Annotated[
        str | None, typer.Option(help="Or the bank of this clearing account's country")
    ] = None,
    event: Annotated[
        list[str] | None, typer.Option("--event", help="An event type (repeat; default all)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a webhook; prints its secret, once."""
    from tahator.services import webhooks

    with use_case() as session:
        result = webhooks.register(
            session, _operator(), _actor(), url, event or None, firm=firm, country=country
        )
    _registered(result, as_json)


@webhooks_app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Every webhook (never a secret)."""
    from tahator.formatting import jsonable
    from tahator.services import webhooks

    with use_case(read_only=True) as session:
        rows = jsonable(webhooks.list_webhooks(session, _operator()))
    _print_rows(rows, as_json, COLUMNS, "webhooks")


@webhooks_app.command("disable")
def disable(webhook_id: IdArgument, as_json: JsonOption = False) -> None:
    """Disable a webhook: no new deliveries, its pending ones not sent."""
    from tahator.formatting import jsonable
    from tahator.services import webhooks

    with use_case() as session:
        view = webhooks.disable(session, _operator(), _actor(), webhook_id)
    if as_json:
        print_json(jsonable(view))
    else:
        print(f"webhook {view.id} disabled")


@webhooks_app.command("rotate")
def rotate(webhook_id: IdArgument, as_json: JsonOption = False) -> None:
    """A new secret for a webhook; prints it, once."""
    from tahator.services import webhooks

    with use_case() as session:
        result = webhooks.rotate(session, _operator(), _actor(), webhook_id)
    _registered(result, as_json)


@webhooks_app.command("deliveries")
def deliveries(webhook_id: IdArgument, as_json: JsonOption = False) -> None:
    """A webhook's delivery log, newest first."""
    from tahator.formatting import jsonable
    from tahator.services import webhooks

    with use_case(read_only=True) as session:
        rows = jsonable(webhooks.deliveries(session, _operator(), webhook_id))
    columns = ("id", "event", "event_id", "status", "attempts", "last_status", "next_attempt_at")
    _print_rows(rows, as_json, columns, f"deliveries of webhook {webhook_id}")


@webhooks_app.command("redeliver")
def redeliver(webhook_id: IdArgument, delivery_id: IdArgument) -> None:
    """Send a delivery again (same event id)."""
    from tahator.services import webhooks

    with use_case() as session:
        view = webhooks.redeliver(session, _operator(), _actor(), webhook_id, delivery_id)
    print(f"delivery {view.id} pending")


@webhooks_app.command("deliver")
def deliver(as_json: JsonOption = False) -> None:
    """Send every delivery due now, once (the worker does this every tick)."""
    from functools import partial

    from tahator.cli.common import _database
    from tahator.formatting import jsonable
    from tahator.services import webhooks
    from tahator.services.common import now
    from tahator.store.database import database_url, make_engine, transaction

    with use_case(read_only=True):  # the database is there and migrated (else exit 2)
        pass
    engine = make_engine(database_url(_database["url"]))
    tally = webhooks.deliver_due(partial(transaction, engine), now())
    if as_json:
        print_json(jsonable(tally))
    else:
        print(f"{tally.delivered} delivered, {tally.retried} to retry, {tally.failed} given up")
