"""The barter policy, barter authorizations and the quarterly barter report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tahator.cli.common import (
    IdArgument,
    JsonOption,
    _actor,
    _as_of,
    _choice,
    _date,
    _load_policy,
    _policy,
    _print_rows,
    fail,
    print_json,
    report_app,
    use_case,
)
from tahator.domain.errors import TahatorError
from tahator.formatting import amount, jsonable

if TYPE_CHECKING:
    from tahator.services.barter import AuthorizationDetail

policy_app = typer.Typer(help="The corridor's barter policy.", no_args_is_help=True)
barter_app = typer.Typer(help="Barter authorizations under the barter order.", no_args_is_help=True)


@policy_app.command("show")
def policy_show(as_json: JsonOption = False) -> None:
    """The barter policy in force, validated."""
    from tahator.io.policy import policy_path

    policy = _load_policy()
    if as_json:
        print_json({"file": str(policy_path(_policy["path"])), **policy.as_dict()})
        return
    view = policy.as_dict()
    print(f"{view['name']} barter policy ({view['source']}), from {policy_path(_policy['path'])}")
    print(f"  partner countries: {', '.join(view['partners'])}")
    print(f"  eligibility: {view['eligibility']}")
    print(f"  consortia: {view['consortium']}; reconciled {view['reconciliation']}")
    for rules in view["versions"]:
        print(f"  version {rules['version']}, from {rules['effective']} ({rules['source']}):")
        print(
            f"    sequencing {rules['sequencing']}; balancing within {rules['window_days']} "
            f"days of authorization, tolerance {rules['tolerance']} of the plan "
            f"({rules['tolerance_source']}); HS match on {rules['hs_digits']} digits"
        )
        print(
            f"    consortia {'allowed' if rules['consortium_allowed'] else 'not allowed'}; "
            f"undertaking for foreign partners "
            f"{'required' if rules['undertaking_required'] else 'not required'}"
        )
        for direction, codes in rules["prohibited"].items():
            print(f"    prohibited for {direction}: {', '.join(codes) or 'nothing'}")
    print(f"  price bands: {len(view['price_bands'])} HS prefixes")


@barter_app.command("apply")
def barter_apply(
    application: Path,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The submission's business date, for an application received earlier "
            "(default today); no decision is dated before it",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Submit a barter application (JSON); refused whole if any rule fails."""
    from tahator.io.application import read_application
    from tahator.services import barter, corridor

    policy = _load_policy()
    day = _date(as_of, "--as-of") if as_of else None
    with use_case() as session:
        record = read_application(application, corridor.load(session).digits)
        result = barter.submit(session, policy, record, _actor(), str(application), as_of=day)
    if as_json:
        print_json({"id": result.id})
    else:
        print(f"application {result.id} submitted")


@barter_app.command("authorize")
def barter_authorize(
    authorization_id: IdArgument,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Authorization date")] = None,
    as_json: JsonOption = False,
) -> None:
    """Customs authorizes an application: approval number and balancing deadline."""
    from tahator.services import barter

    policy = _load_policy()
    day = _as_of(as_of)
    with use_case() as session:
        view = barter.authorize(session, policy, authorization_id, day, _actor())
    _print_authorization(view, as_json)


@barter_app.command("reject")
def barter_reject(
    authorization_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why, for the applicant")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The decision's business date (default today)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Customs rejects an application."""
    from tahator.services import barter

    policy = _load_policy()
    day = _as_of(as_of)
    with use_case() as session:
        view = barter.reject(session, policy, authorization_id, reason, _actor(), as_of=day)
    _print_authorization(view, as_json)


@barter_app.command("close")
def barter_close(
    authorization_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why it closes before its plan is reached")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Closing date")] = None,
    as_json: JsonOption = False,
) -> None:
    """Close an authorization on purpose: balanced now, its residual becomes an obligation."""
    from tahator.services import barter

    policy = _load_policy()
    day = _as_of(as_of)
    with use_case() as session:
        view = barter.close(session, policy, authorization_id, reason, day, _actor())
    _print_authorization(view, as_json)


@barter_app.command("cancel")
def barter_cancel(
    authorization_id: IdArgument,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="A day past its deadline (default today)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel one authorization past its deadline, as the sweep does."""
    from tahator.services import barter

    policy = _load_policy()
    day = _as_of(as_of)
    with use_case() as session:
        view = barter.cancel(session, policy, authorization_id, day, _actor())
    _print_authorization(view, as_json)


@barter_app.command("deadlines")
def barter_deadlines(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Count days from here")] = None,
    firm: Annotated[str | None, typer.Option(help="Only this applicant or counterparty")] = None,
    as_json: JsonOption = False,
) -> None:
    """Authorized authorizations by days left to their deadline, overdue first."""
    from tahator.services import barter_views

    policy = _load_policy()
    day = _as_of(as_of)
    with use_case(read_only=True) as session:
        rows = barter_views.deadlines(session, policy, day, firm)
    if as_json:
        print_json(jsonable(rows))
        return
    print(f"{len(rows)} authorization{'' if len(rows) == 1 else 's'} to balance, as of {day}")
    for row in rows:
        when = f"{-row.days_left} days overdue" if row.overdue else f"{row.days_left} days left"
        print(
            f"  {row.id} ({row.approval_number}) {row.applicant} with {row.counterparty}: "
            f"deadline {row.deadline}, {when}; imported {amount(row.imported)} of "
            f"{amount(row.planned_import)}, exported {amount(row.exported)} of "
            f"{amount(row.planned_export)}{'; plan reached' if row.reached else ''}"
        )


@barter_app.command("declare")
def barter_declare(
    authorization_id: IdArgument,
    direction: Annotated[str, typer.Option(help="import or export")],
    hs: Annotated[str, typer.Option(help="HS code of the goods")],
    quantity: Annotated[str, typer.Option(help="Quantity")],
    unit: Annotated[str, typer.Option(help="Unit of the quantity, e.g. kg or t")],
    value: Annotated[str, typer.Option(help="Assessed value, a decimal")],
    currency: Annotated[str, typer.Option(help="Currency of the value")],
    on: Annotated[str, typer.Option("--date", help="Date of the declaration")],
    reference: Annotated[
        str | None,
        typer.Option(help="The goods declaration's number: declaring it again counts once"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a goods declaration quoting an authorization."""
    from tahator.io.declarations import declaration_record
    from tahator.services import barter
    from tahator.services import corridor as corridors

    policy = _load_policy()
    day = _date(on, "--date")
    with use_case() as session:
        record, problems = declaration_record(
            direction=direction,
            hs=hs,
            quantity=quantity,
            unit=unit,
            value=value,
            currency=currency,
            on=day,
            reference=reference,
            digits=corridors.load(session).digits,
        )
        view = barter.declare(
            session, policy, authorization_id, record, actor=_actor(), problems=problems
        )
    if as_json:
        print_json(jsonable(view))
        return
    declaration = view.declaration
    assert declaration is not None  # declare always answers with the declaration
    print(
        f"declaration {declaration.id}: {declaration.direction} of HS {declaration.hs} "
        f"worth {amount(declaration.value_unit)} {view.unit_of_account}"
    )
    if declaration.flag:
        print(f"  flagged for review: {declaration.flag}")
    _print_authorization(view, False)


@barter_app.command("show")
def barter_show(authorization_id: IdArgument, as_json: JsonOption = False) -> None:
    """An authorization: state, values, deadline, declarations."""
    from tahator.services import barter

    policy = _load_policy()
    with use_case() as session:
        view = barter.show(session, policy, authorization_id)
    _print_authorization(view, as_json)


@barter_app.command("list")
def barter_list(
    state: Annotated[str | None, typer.Option(help="Only this state")] = None,
    firm: Annotated[str | None, typer.Option(help="Only this applicant or counterparty")] = None,
    as_json: JsonOption = False,
) -> None:
    """List barter authorizations."""
    from tahator.domain.barter import AuthorizationStatus
    from tahator.services import barter

    wanted = _choice(AuthorizationStatus, state, "--state")
    with use_case() as session:
        rows = barter.list_authorizations(session, wanted, firm)
    _print_rows(
        [jsonable(row) for row in rows],
        as_json,
        ("id", "state", "applicant", "counterparty", "approval_number", "deadline"),
        "barter authorizations",
    )


@barter_app.command("sweep")
def barter_sweep(
    as_of: Annotated[
        str, typer.Option("--as-of", help="Cancel what is past its deadline on this day")
    ],
    as_json: JsonOption = False,
) -> None:
    """Cancel authorizations past their deadline; their imbalance becomes an obligation."""
    from tahator.services import barter

    policy = _load_policy()
    day = _date(as_of, "--as-of")
    with use_case() as session:
        result = barter.sweep(session, policy, day, _actor())
    if as_json:
        print_json(jsonable(result))
        return
    print(f"{len(result.cancelled)} authorizations cancelled as of {result.as_of}")
    for view in result.cancelled:
        obligation = view.obligation
        owed = (
            f"; {obligation.debtor} owes {obligation.creditor} {amount(obligation.amount)} "
            f"{obligation.currency}"
            if obligation
            else "; goods were even"
        )
        print(f"  {view.id} ({view.approval_number}){owed}")
    if result.balanced:
        print(f"{len(result.balanced)} balanced at their deadlines (their plans were reached)")
        for view in result.balanced:
            print(f"  {view.id} ({view.approval_number}), closed on {view.closed_on}")


@report_app.command("barter")
def report_barter(
    quarter: Annotated[str, typer.Option(help="The quarter, e.g. 2025Q4")],
    output_format: Annotated[
        str, typer.Option("--format", help="json, csv or pdf (a one-page PDF needs --output)")
    ] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here")] = None,
    language: Annotated[
        str, typer.Option("--language", help="The PDF's language: en, fa or ur")
    ] = "en",
) -> None:
    """The quarterly barter report for the Ministry of Commerce."""
    from tahator import i18n
    from tahator.cli.common import EXIT_BROKEN
    from tahator.io.barter_report import (
        ReportLayoutError,
        report_csv,
        report_document,
        report_pdf,
    )
    from tahator.io.tables import write_bytes_atomically
    from tahator.services import barter_report

    if output_format not in ("json", "csv", "pdf"):
        fail(TahatorError(f"--format: {output_format!r} must be json, csv or pdf"))
    if output_format == "pdf" and output is None:
        fail(TahatorError("--output: a PDF report is written to a file; give -o FILE"))
    if language not in i18n.LANGUAGES:
        fail(TahatorError(f"--language: {language!r} must be en, fa or ur"))
    policy = _load_policy()
    with use_case() as session:
        report = barter_report.quarterly_report(session, policy, quarter)
    if output_format == "json":
        data = (json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n").encode()
    elif output_format == "csv":
        data = report_csv(report).encode()
    else:
        try:
            with i18n.speaking(language):
                data = report_pdf(report)
        except ReportLayoutError as error:
            print(f"error: {error}", file=sys.stderr)
            raise typer.Exit(EXIT_BROKEN) from error
    if output is None:
        sys.stdout.write(data.decode())
        return
    try:
        write_bytes_atomically(output, data)
    except TahatorError as error:
        fail(error)
    print(f"barter report for {report.quarter} written to {output}")


def _print_authorization(view: AuthorizationDetail, as_json: bool) -> None:
    if as_json:
        print_json(jsonable(view))
        return
    unit = view.unit_of_account
    print(
        f"authorization {view.id} ({view.state}): {view.applicant} with "
        f"{view.counterparty} ({view.partner_country})"
    )
    if view.approval_number:
        print(f"  approval {view.approval_number}, deadline {view.deadline}")
    if view.policy_version:
        print(f"  under the barter order's version {view.policy_version} ({view.policy_source})")
    if view.rejection_reason:
        print(f"  rejected on {view.decided_on}: {view.rejection_reason}")
    if view.close_reason:
        print(f"  closed on purpose by {view.closed_by} on {view.closed_on}: {view.close_reason}")
    print(
        f"  imported {amount(view.imported)} {unit}, exported {amount(view.exported)} {unit} "
        f"(planned {amount(view.planned_import)} / {amount(view.planned_export)})"
    )
    if view.obligation:
        o = view.obligation
        print(f"  obligation {o.id}: {o.debtor} owes {o.creditor} {amount(o.amount)} {o.currency}")
