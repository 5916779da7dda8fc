"""The corridor, firms, consortia, obligations and clearing runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tahator.cli.common import (
    MAX_ID,
    CalendarOption,
    IdArgument,
    JsonOption,
    _actor,
    _as_of,
    _choice,
    _date,
    _print_import,
    _print_rows,
    _today,
    fail,
    print_json,
    use_case,
)
from tahator.domain.errors import TahatorError
from tahator.domain.local_text import Calendar
from tahator.formatting import jsonable, share_percent

corridor_app = typer.Typer(
    help="The corridor: countries, rates, credit lines.", no_args_is_help=True
)
firms_app = typer.Typer(help="Register and list firms.", no_args_is_help=True)
consortia_app = typer.Typer(
    help="Consortia of firms, jointly and severally liable.", no_args_is_help=True
)
obligations_app = typer.Typer(help="Register and list obligations.", no_args_is_help=True)
clearing_app = typer.Typer(help="Clearing runs: set-off and settlement.", no_args_is_help=True)


@corridor_app.command("show")
def corridor_show(as_json: JsonOption = False) -> None:
    """Countries, clearing accounts, credit lines, limits and reference rates."""
    from tahator.services import corridor

    with use_case() as session:
        described = corridor.describe(session)
    view = jsonable(described)
    if as_json:
        print_json(view)
    else:
        for country in view["countries"]:
            if country.get("credit_line_share") is not None:
                country["credit_line"] = (
                    f"{share_percent(country['credit_line_share'])} of payments"
                )
        _print_rows(
            view["countries"],
            False,
            ("code", "currency", "credit_line"),
            f"{described.name} corridor, unit of account {described.unit_of_account}",
        )
        settings = view["settings"]
        print(
            f"largest obligation: {settings['max_obligation']} {described.unit_of_account}; "
            f"set-off before due: {'yes' if settings['setoff_before_due'] else 'no'}; "
            f"a returned collection's payouts: {SHORTFALL_WORDS[settings['shortfall']]}"
        )
        _print_rows(
            view["rates"],
            False,
            ("currency", "valid_from", "rate"),
            "reference rates per unit of account",
        )


@corridor_app.command("rate")
def corridor_rate(
    currency: str,
    rate: Annotated[str, typer.Argument(help="Units of CURRENCY per unit of account")],
    valid_from: Annotated[str, typer.Option("--from", help="First day it applies (YYYY-MM-DD)")],
) -> None:
    """Set a reference rate."""
    from tahator.domain.corridor import parse_rate
    from tahator.services import corridor

    day = _date(valid_from, "--from")
    try:
        value = parse_rate(rate)
    except ValueError as error:
        fail(TahatorError(str(error)))
    with use_case() as session:
        corridor.set_rate(session, currency, value, day, _actor())
    print(f"{currency.upper()} {rate} per unit of account from {day.isoformat()}")


SHORTFALL_WORDS = {"hold": "held", "credit_line": "paid from the credit line"}


@corridor_app.command("credit-line")
def corridor_credit_line(
    country: str,
    amount: Annotated[
        str,
        typer.Argument(
            help="An amount in the unit of account, or a share of the account's gross "
            "payments in each run (20%)"
        ),
    ],
) -> None:
    """Set a clearing account's credit line: a fixed amount, or a share of its gross
    payments in each run (the Asian Clearing Union's rule); either replaces the other."""
    from tahator.domain.errors import InputError, Problem
    from tahator.domain.money import parse_amount, parse_percent
    from tahator.services import corridor

    with use_case() as session:
        if amount.strip().endswith("%"):
            try:  # written like an amount: ASCII digits, no exponent
                share = parse_percent(amount.strip()[:-1].strip())
            except ValueError as error:
                raise InputError([Problem(str(error), field="credit line")]) from None
            corridor.set_credit_line_share(session, country, share, _actor())
        else:
            try:
                minor = parse_amount(amount.strip(), corridor.load(session).unit_digits)
            except ValueError as error:
                raise InputError([Problem(str(error), field="credit line")]) from None
            corridor.set_credit_line(session, country, minor, _actor())
    print(f"credit line of {country.upper()}'s clearing account: {amount.strip()}")


@corridor_app.command("limits")
def corridor_limits(
    max_obligation: Annotated[
        str | None,
        typer.Option(
            "--max-obligation",
            help="The largest obligation registered, in the unit of account",
        ),
    ] = None,
    setoff_before_due: Annotated[
        bool | None,
        typer.Option(
            "--setoff-before-due/--no-setoff-before-due",
            help="Whether runs set off obligations not yet due (settled only once due)",
        ),
    ] = None,
    shortfall: Annotated[
        str | None,
        typer.Option(
            help="What a returned collection does to the payouts it was to fund: "
            "hold, or credit_line (lend what was not collected)"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set the corridor's limits and settlement rules; with no option, show them."""
    from tahator.domain.errors import InputError, Problem
    from tahator.domain.money import parse_amount
    from tahator.services import corridor

    with use_case() as session:
        minor = None
        if max_obligation is not None:
            try:
                minor = parse_amount(max_obligation.strip(), corridor.load(session).unit_digits)
            except ValueError as error:
                raise InputError([Problem(str(error), field="--max-obligation")]) from None
        if minor is None and setoff_before_due is None and shortfall is None:
            settings = corridor.settings(session)
        else:
            settings = corridor.set_limits(
                session,
                _actor(),
                max_obligation=minor,
                setoff_before_due=setoff_before_due,
                shortfall=shortfall,
            )
    view = jsonable(settings)
    if as_json:
        print_json(view)
        return
    unit = settings.max_obligation.currency
    print(f"largest obligation: {view['max_obligation']} {unit}")
    print(f"set-off before due: {'yes' if settings.setoff_before_due else 'no'}")
    print(f"a returned collection's payouts: {SHORTFALL_WORDS[settings.shortfall]}")


@firms_app.command("import")
def firms_import(path: Path, as_json: JsonOption = False) -> None:
    """Register firms from a CSV: id,name,country,tax_id (and aliases, active_taxpayer,
    psw_subscribed, and the firm's bank account: iban, bic)."""
    from tahator.io.firms import read_firms
    from tahator.services import bank_accounts, firms

    with use_case() as session:
        read = read_firms(path)
        result = firms.import_firms(
            session, read.records, _actor(), source=read.source, problems=read.problems
        )
        # In the same transaction: a refused account leaves its firms unregistered too.
        bank_accounts.import_accounts(session, read.accounts, _actor(), source=read.source)
    _print_import(jsonable(result), as_json, "firms")


@firms_app.command("list")
def firms_list(
    firm: Annotated[str | None, typer.Option(help="Only this firm")] = None,
    as_json: JsonOption = False,
) -> None:
    """List registered firms."""
    from tahator.services import firms

    with use_case() as session:
        rows = firms.list_firms(session, firm)
    _print_rows(jsonable(rows), as_json, ("id", "name", "country", "tax_id", "status"), "firms")


IbanOption = Annotated[
    str | None,
    typer.Option(
        "--iban", help="The account's IBAN (spaces allowed); without it, show the account"
    ),
]
BicOption = Annotated[str | None, typer.Option("--bic", help="The bank's BIC, where known")]
HolderOption = Annotated[
    str | None, typer.Option("--holder", help="The holder's name as the bank knows it")
]


def _account(
    owner: str,
    iban: str | None,
    bic: str | None,
    holder: str | None,
    as_json: bool,
    clearing: bool,
) -> None:
    """Register (with ``--iban``) or show a firm's or a clearing account's bank account."""
    from tahator.domain.errors import InputError, NotFoundError, Problem
    from tahator.services import bank_accounts, firms

    what = f"the clearing account of {owner.upper()}" if clearing else f"firm {owner}"
    with use_case(read_only=iban is None) as session:
        if iban is None:
            if bic is not None or holder is not None:
                raise InputError([Problem("--bic and --holder go with --iban", field="--iban")])
            if clearing:
                if owner.strip().upper() not in bank_accounts.clearing_countries(session):
                    raise NotFoundError(f"{owner!r} has no clearing account in this corridor")
                account = bank_accounts.clearing_account(session, owner)
            else:
                if not firms.list_firms(session, owner):
                    raise NotFoundError(f"no firm {owner}")
                account = bank_accounts.firm_account(session, owner)
        elif clearing:
            account = bank_accounts.register_clearing_account(
                session, owner, iban, bic, holder or "", _actor()
            )
        else:
            account = bank_accounts.register_firm_account(
                session, owner, iban, bic, holder or "", _actor()
            )
    if as_json:
        print_json(None if account is None else jsonable(account))
    elif account is None:
        print(f"{what} has no bank account registered")
    else:
        print(f"{what}: IBAN {account.iban}, BIC {account.bic or '-'}, holder {account.holder}")
        print(f"registered {account.registered_at.isoformat()} by {account.registered_by}")


@corridor_app.command("account")
def corridor_account(
    country: str,
    iban: IbanOption = None,
    bic: BicOption = None,
    holder: HolderOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register the bank account of COUNTRY's clearing account (an IBAN of COUNTRY),
    where its debtors pay and from which its creditors are paid; with no --iban, show it."""
    _account(country, iban, bic, holder, as_json, clearing=True)


@firms_app.command("account")
def firms_account(
    firm: str,
    iban: IbanOption = None,
    bic: BicOption = None,
    holder: HolderOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register FIRM's bank account (an IBAN of the firm's country; the holder is the
    firm's name unless --holder says otherwise), where its payouts go; with no --iban,
    show it."""
    _account(firm, iban, bic, holder, as_json, clearing=False)


@consortia_app.command("create")
def consortia_create(
    consortium_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option(help="The consortium's name")],
    lead: Annotated[str, typer.Option(help="The lead firm")],
    member: Annotated[list[str], typer.Option(help="A member firm (repeat)")],
) -> None:
    """Form a consortium of firms of one country; all members are jointly and severally liable."""
    from tahator.services import firms

    with use_case() as session:
        view = firms.create_consortium(session, consortium_id, name, lead, member, _actor())
    print(f"consortium {view.id} created")


@consortia_app.command("list")
def consortia_list(as_json: JsonOption = False) -> None:
    """List consortia and their members."""
    from tahator.services import firms

    with use_case() as session:
        rows = firms.list_consortia(session)
    _print_rows(
        jsonable(rows), as_json, ("id", "name", "lead", "members", "liability"), "consortia"
    )


@obligations_app.command("import")
def obligations_import(
    path: Path, as_json: JsonOption = False, calendar: CalendarOption = Calendar.GREGORIAN
) -> None:
    """Register obligations from a CSV (id,debtor,creditor,amount,currency,due_date);
    Solar Hijri due dates in a due_date_sh column or with --calendar solar-hijri."""
    from tahator.io.obligations import read_obligations
    from tahator.services import corridor, obligations

    with use_case() as session:
        rows = read_obligations(path, corridor.load(session).digits, calendar=calendar)
        result = obligations.import_obligations(
            session,
            rows.records,
            _actor(),
            source=rows.source,
            problems=rows.problems,
            registered_on=_as_of(None),
        )
    _print_import(jsonable(result), as_json, "obligations")


@obligations_app.command("list")
def obligations_list(
    firm: Annotated[str | None, typer.Option(help="Only those this firm owes or is owed")] = None,
    status: Annotated[str | None, typer.Option(help="open, set_off or in_settlement")] = None,
    as_json: JsonOption = False,
) -> None:
    """List obligations with what remains of each."""
    from tahator.domain.obligations import ObligationStatus
    from tahator.services import obligations

    wanted = _choice(ObligationStatus, status, "--status")
    with use_case() as session:
        rows = obligations.list_obligations(session, firm, wanted)
    _print_rows(
        jsonable(rows),
        as_json,
        (
            "id",
            "debtor",
            "creditor",
            "amount",
            "currency",
            "due_date",
            "status",
            "set_off",
            "remaining",
        ),
        "obligations",
    )


@clearing_app.command("run")
def clearing_run(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date of the run's rates (default today)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set off every open obligation and settle the rest, in one transaction."""
    from tahator.formatting import jsonable
    from tahator.services import clearing

    day = _as_of(as_of)
    with use_case() as session:
        summary = jsonable(clearing.run_clearing(session, _actor(), day, today=_today()))
    if as_json:
        print_json(summary)
    else:
        from tahator.report import print_run

        print_run(summary)
        _print_money_rules(summary)


@clearing_app.command("list")
def clearing_list(as_json: JsonOption = False) -> None:
    """List clearing runs."""
    from tahator.formatting import jsonable
    from tahator.services import clearing

    with use_case() as session:
        rows = jsonable(clearing.list_runs(session))
    _print_rows(
        rows,
        as_json,
        ("run_id", "status", "as_of", "obligations", "total", "cleared"),
        "clearing runs",
    )


@clearing_app.command("show")
def clearing_show(
    run_id: IdArgument,
    firm: Annotated[
        str | None, typer.Option(help="Only this firm's positions and instructions")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A run's totals, per-firm positions and settlement instructions."""
    from tahator.formatting import jsonable
    from tahator.services import clearing

    with use_case() as session:
        view = jsonable(clearing.show_run(session, run_id, firm))
    if as_json:
        print_json(view)
    else:
        from tahator.report import print_run

        print_run(view)
        _print_money_rules(view)
        _print_rows(
            view["positions"],
            False,
            ("firm", "setoff_as_debtor", "setoff_as_creditor"),
            "set-off per firm",
        )
        _print_rows(
            view["instructions"],
            False,
            ("id", "firm", "kind", "owed", "amount", "local_currency", "local_amount", "status"),
            "settlement instructions",
        )


def _print_money_rules(summary: dict[str, object]) -> None:
    """What a run carried forward, left out and rounded (issue 16), below its figures."""
    from fractions import Fraction

    from tahator.report import grouped

    figures = summary.get("settlement")
    if not isinstance(figures, dict):
        return
    unit = summary["unit_of_account"]
    cumulative = figures.get("cumulative_imbalances") or []
    owes = [
        f"{i['debtor_country']}'s account owes {i['creditor_country']}'s {grouped(i['amount'])}"
        for i in cumulative
    ]
    print(f"cumulative imbalance: {'; '.join(owes) if owes else 'none'}")
    for left in figures.get("excluded") or []:
        print(
            f"left out: {left['obligations']:,} obligations in {left['currency']}: {left['reason']}"
        )
    if figures.get("not_due"):
        print(f"not yet due, left open: {figures['not_due']:,} cross-border obligations")
    setoff = float(Fraction(str(figures.get("setoff_rounding", "0"))))
    largest = float(Fraction(str(figures.get("setoff_rounding_largest", "0"))))
    settled = grouped(str(figures.get("settlement_rounding", "0")))
    print(
        f"rounding: set-offs {setoff:+.6f} minor units of {unit} in all, at most "
        f"{largest:.6f} for any firm; settlement {settled} "
        f"{unit} to the rounding account"
    )


@clearing_app.command("notice")
def clearing_notice(
    run_id: Annotated[int, typer.Option("--run", help="The clearing run", min=1, max=MAX_ID)],
    firm: Annotated[str, typer.Option("--firm", help="The firm whose notice it is")],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FILE", help="Write here")],
    language: Annotated[
        str, typer.Option("--language", help="The PDF's language: en, fa or ur")
    ] = "en",
) -> None:
    """A firm's set-off notice for a run, as a PDF: what the run set off against what,
    the run's rates and its place in the audit log's hash chain."""
    from tahator import i18n
    from tahator.io.notice import notice_pdf
    from tahator.io.tables import write_bytes_atomically
    from tahator.services import notice

    if language not in i18n.LANGUAGES:
        fail(TahatorError(f"--language: {language!r} must be en, fa or ur"))
    with use_case(read_only=True) as session:
        document = notice.setoff_notice(session, run_id, firm)
    with i18n.speaking(language):
        data = notice_pdf(document)
    try:
        write_bytes_atomically(output, data)
    except TahatorError as error:
        fail(error)
    print(
        f"set-off notice of {document.firm.id} for clearing run {run_id} written to {output} "
        f"({len(document.lines)} obligations set off)"
    )
