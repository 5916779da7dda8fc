"""The ledger and settlement: balances, verification, and banks' instructions."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tahator.cli.common import (
    EXIT_BROKEN,
    JsonOption,
    _actor,
    _choice,
    _print_rows,
    print_json,
    use_case,
)

ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
settlement_app = typer.Typer(help="Settlement instructions for banks.", no_args_is_help=True)


@ledger_app.command("balances")
def ledger_balances(as_json: JsonOption = False) -> None:
    """Every account's balance, summed from the journal."""
    from tahator.formatting import jsonable
    from tahator.services import ledger

    with use_case() as session:
        rows = jsonable(ledger.balance_rows(session))
    _print_rows(rows, as_json, ("account", "currency", "balance"), "ledger balances")


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Check every ledger invariant; exit 1 naming each break."""
    from tahator.services import ledger

    with use_case() as session:
        breaks = ledger.verify(session).breaks
    for line in breaks:
        print(line, file=sys.stderr)
    if breaks:
        raise typer.Exit(EXIT_BROKEN)
    print("ledger verified: every entry balances and every balance matches its source")


@settlement_app.command("confirm")
def settlement_confirm(instruction_id: int, as_json: JsonOption = False) -> None:
    """A bank confirms a collection or payout."""
    from tahator.formatting import jsonable
    from tahator.services import settlement

    with use_case() as session:
        view = jsonable(settlement.confirm(session, instruction_id, _actor()))
    if as_json:
        print_json(view)
    else:
        print(
            f"{view['kind']} {view['id']} of {view['firm']} confirmed: "
            f"{view['local_amount']} {view['local_currency']} ({view['amount']} unit of account)"
        )


@settlement_app.command("list")
def settlement_list(
    status: Annotated[str | None, typer.Option(help="pending or confirmed")] = None,
    firm: Annotated[str | None, typer.Option(help="Only this firm")] = None,
    as_json: JsonOption = False,
) -> None:
    """List settlement instructions."""
    from tahator.domain.settlement import InstructionStatus
    from tahator.formatting import jsonable
    from tahator.services import settlement

    wanted = _choice(InstructionStatus, status, "--status")
    with use_case() as session:
        rows = jsonable(settlement.list_instructions(session, wanted, firm))
    _print_rows(
        rows,
        as_json,
        (
            "id",
            "run_id",
            "firm",
            "kind",
            "owed",
            "amount",
            "local_currency",
            "local_amount",
            "status",
        ),
        "settlement instructions",
    )
