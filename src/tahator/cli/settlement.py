"""The ledger and settlement: balances, verification, and banks' instructions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tahator.cli.common import (
    EXIT_BROKEN,
    MAX_ID,
    IdArgument,
    JsonOption,
    _actor,
    _choice,
    _print_rows,
    _today,
    fail,
    print_json,
    use_case,
)
from tahator.domain.errors import InputError, Problem

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
def settlement_confirm(instruction_id: IdArgument, as_json: JsonOption = False) -> None:
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


@settlement_app.command("return")
def settlement_return(
    instruction_id: int,
    reason: Annotated[
        str, typer.Option(help="ISO 20022 return reason code: AC04, AM04, … (see --help)")
    ],
    as_json: JsonOption = False,
) -> None:
    """A bank returns a pending collection or payout, or a payout it confirmed and got
    back: the money did not arrive (a confirmed payout's confirmation is reversed).

    Reasons (ISO 20022 ExternalReturnReason1Code): AC01 incorrect account number,
    AC04 closed account, AC06 blocked account, AG01 transaction forbidden, AM04
    insufficient funds, AM05 duplication, BE04 missing creditor address, MD07 end
    customer deceased, MS02/MS03 not specified (customer/agent), RC01 bank identifier
    incorrect, RR01–RR04 regulatory, FOCR following cancellation request, NARR narrative.
    """
    from tahator.formatting import jsonable
    from tahator.services import settlement

    with use_case() as session:
        result = jsonable(settlement.return_instruction(session, instruction_id, reason, _actor()))
    if as_json:
        print_json(result)
        return
    returned = result["instruction"]
    print(
        f"{returned['kind']} {returned['id']} of {returned['firm']} returned: "
        f"{result['reason']} ({result['reason_text']})"
    )
    if result["carried"]:
        print(f"the money stays in clearing account {returned['country']}; the claim is carried")
    if (again := result["collected_from"]) is not None:
        print(
            f"collection {again['id']} from {again['firm']} ({again['country']}): "
            f"{again['local_amount']} {again['local_currency']}"
        )
        if again["country"] != returned["country"]:
            print(
                f"{again['firm']} is in {again['country']}: that country's clearing account "
                f"collects instead of {returned['country']}'s, and the claim between the "
                "accounts moves with it"
            )
    if result["reopened"]:
        print("obligations open again: " + ", ".join(map(str, result["reopened"])))
    for held in result["held"]:
        print(f"payout {held['id']} to {held['firm']} held: {held['amount']}")
    for lent in result["credit_drawn"]:
        print(f"clearing account {lent['country']} lends {lent['firm']} {lent['amount']}")
    for skipped in result["skipped"]:
        print(f"{skipped['firm']} not asked: {skipped['reason']}")
    if (short := result["shortfall"]) is not None:
        print(
            f"clearing account {short['country']} is short {short['amount']}: "
            f"{len(short['held'])} of its payouts held, {short['credit_drawn']} "
            "drawn on its credit line"
        )


@settlement_app.command("list")
def settlement_list(
    status: Annotated[str | None, typer.Option(help="pending, confirmed, returned or held")] = None,
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
            "reference",
        ),
        "settlement instructions",
    )


@settlement_app.command("export")
def settlement_export(
    run: Annotated[int, typer.Option("--run", help="The clearing run", min=1, max=MAX_ID)],
    country: Annotated[str, typer.Option("--country", help="Whose clearing account pays: PK, IR")],
    output_format: Annotated[
        str, typer.Option("--format", help="The file's format: pain.001 (ISO 20022)")
    ] = "pain.001",
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write here (- or none: stdout)"),
    ] = None,
    message_id: Annotated[
        str | None,
        typer.Option(
            "--message-id", metavar="MSGID", help="Write this file sent before again, as it was"
        ),
    ] = None,
) -> None:
    """A run's pending payouts in one country not sent before, as a new payment file
    its bank executes: an ISO 20022 pain.001.001.09 Customer Credit Transfer
    Initiation from the country's clearing account, one payment per creditor.  A
    payout is sent in one file only; --message-id writes a file sent before again."""
    from pathlib import Path

    from tahator.domain.errors import TahatorError
    from tahator.formatting import money
    from tahator.io.tables import write_bytes_atomically
    from tahator.services import payment_files

    if output_format != payment_files.FORMAT:
        fail(TahatorError(f"--format: {output_format!r} must be {payment_files.FORMAT}"))
    with use_case() as session:
        if message_id is not None:
            exported = payment_files.stored(session, message_id)
            if (exported.run_id, exported.country) != (run, country.strip().upper()):
                fail(
                    TahatorError(
                        f"--message-id: {exported.message_id} is a file of run "
                        f"{exported.run_id} at {exported.country}"
                    )
                )
        else:
            exported = payment_files.export_payouts(session, run, country, _actor(), today=_today())
        if output is not None and output != "-":
            # Inside the transaction: a file that cannot be written is not stored as sent.
            write_bytes_atomically(Path(output), exported.content)
    if output is None or output == "-":
        sys.stdout.buffer.write(exported.content)
        sys.stdout.flush()
        return
    print(
        f"{exported.message_id}: {exported.payments} payment(s), control sum "
        f"{money(exported.control_sum)}, execution date {exported.execution_date}, "
        f"written to {output}",
        file=sys.stderr,
    )


@settlement_app.command("import")
def settlement_import(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A camt.054 or camt.053 file")],
    as_json: JsonOption = False,
) -> None:
    """Import a bank's statement of a clearing account (camt.054 or camt.053).

    Each booked credit quoting a pending collection's creditor reference with its exact
    amount confirms it; each booked debit with a payout's end-to-end id confirms the
    payout; a return (RtrInf with a reason code) returns the instruction.  The rest is
    listed, unapplied.  Importing the same file again changes nothing.
    """
    from tahator.formatting import jsonable
    from tahator.io import camt
    from tahator.io.camt import MAX_BYTES
    from tahator.services import bank_statements
    from tahator.services import corridor as corridors

    try:
        with path.open("rb") as file:
            content = file.read(MAX_BYTES + 1)
    except OSError as error:
        fail(InputError([Problem(f"cannot read {path}: {error.strerror or error}")]))
    with use_case() as session:
        message = camt.read(content, corridors.load(session).digits)
        report = jsonable(bank_statements.import_statement(session, message, _actor()))
    if as_json:
        print_json(report)
        return
    print(
        f"{report['kind']} {report['message_id']} of clearing account {report['country']} "
        f"({report['account']})"
        + (": already imported, nothing changed" if report["already_imported"] else "")
    )
    for title, key in (("matched", "matched"), ("returned", "returned")):
        print(f"{title}: {len(report[key])}")
        for item in report[key]:
            reason = f" ({item['return_reason']})" if item["return_reason"] else ""
            print(
                f"  entry {item['entry']}: {item['amount_text']} {item['currency']} "
                f"{item['reference']} -> {item['kind']} {item['instruction']} of "
                f"{item['firm']}{reason}"
            )
    for title, key in (("unmatched", "unmatched"), ("already applied", "already_applied")):
        print(f"{title}: {len(report[key])}")
        for item in report[key]:
            print(
                f"  entry {item['entry']}: {item['amount_text']} {item['currency']} "
                f"{item['reference'] or '-'} (bank ref {item['bank_reference'] or '-'}): "
                f"{item['why']}"
            )
