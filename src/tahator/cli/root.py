"""The root ``tahator`` Typer app, built from the command groups' modules.

Importing this loads Typer and every command group (not their heavy dependencies,
which the commands import when they run).  ``tahator.cli.main`` runs a plain
``tahator clear`` without it; everything else goes through this app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# Importing barter before border puts ``report barter`` before ``report target``.
from tahator.cli import (
    admin,
    barter,
    border,
    clear,
    clearing,
    common,
    customs,
    market,
    screening,
    serve,
    settlement,
    webhooks,
    worker,
)
from tahator.cli.common import DbOption, _database, _policy

__all__ = ["app"]

app = typer.Typer(
    name="tahator",
    help="Tahator: a clearing house for cross-border trade without cross-border payments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# The top-level commands, then the groups, in the order ``tahator --help`` lists them.
app.command()(clear.clear)
app.command()(admin.demo)
app.command("match")(market.match_command)
app.command("screen")(screening.screen_command)
app.command()(serve.serve)
app.command("worker")(worker.worker)
for sub_app, name in (
    (admin.db_app, "db"),
    (clearing.corridor_app, "corridor"),
    (clearing.firms_app, "firms"),
    (clearing.consortia_app, "consortia"),
    (clearing.obligations_app, "obligations"),
    (clearing.clearing_app, "clearing"),
    (settlement.ledger_app, "ledger"),
    (settlement.settlement_app, "settlement"),
    (barter.policy_app, "policy"),
    (barter.barter_app, "barter"),
    (common.report_app, "report"),
    (market.offers_app, "offers"),
    (market.proposals_app, "proposals"),
    (admin.users_app, "users"),
    (admin.audit_app, "audit"),
    (border.border_app, "border"),
    (border.stats_app, "stats"),
    (customs.customs_app, "customs"),
    (screening.lists_app, "lists"),
    (screening.screening_app, "screening"),
    (worker.schedule_app, "schedule"),
    (webhooks.webhooks_app, "webhooks"),
):
    app.add_typer(sub_app, name=name)


@app.callback()
def _options(
    db: DbOption = None,
    policy: Annotated[
        Path | None,
        typer.Option(help="Barter policy TOML (default $TAHATOR_POLICY or the shipped PK–IR one)"),
    ] = None,
) -> None:
    """Tahator: a clearing house for cross-border trade without cross-border payments."""
    _database["url"] = db
    _policy["path"] = policy
