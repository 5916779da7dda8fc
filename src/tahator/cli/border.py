"""Border markets, their residents, trade statistics and the target report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tahator.cli.common import (
    EXIT_BROKEN,
    JsonOption,
    _actor,
    _date,
    _print_rows,
    fail,
    print_json,
    report_app,
    use_case,
)
from tahator.domain.border import TradePolicy
from tahator.domain.errors import TahatorError
from tahator.formatting import amount, jsonable

border_app = typer.Typer(help="Border markets: residents and their sales.", no_args_is_help=True)
residents_app = typer.Typer(help="Residents registered at border markets.", no_args_is_help=True)
stats_app = typer.Typer(help="Official trade statistics.", no_args_is_help=True)
border_app.add_typer(residents_app, name="residents")


def _trade_policy() -> TradePolicy:
    from tahator.io.markets import load_trade_policy

    try:
        return load_trade_policy()
    except TahatorError as error:
        fail(error)


@border_app.command("markets")
def border_markets(as_json: JsonOption = False) -> None:
    """The border markets: status, goods, opening days, quotas per resident."""
    from tahator.services import border

    rows = jsonable(border.list_markets(_trade_policy()))
    _print_rows(
        rows,
        as_json,
        ("code", "name", "status", "transaction_quota", "daily_quota", "monthly_quota"),
        "border markets (quotas per resident, unit of account; --json for goods and days)",
    )


@residents_app.command("add")
def residents_add(
    market: Annotated[str, typer.Option(help="The market's code, e.g. MAND-PISHIN")],
    national_id: Annotated[
        str, typer.Option(help="Pakistani CNIC (13 digits) or Iranian national code (10)")
    ],
    name: Annotated[str, typer.Option(help="The resident's name")],
    district: Annotated[str, typer.Option(help="The border district they live in")],
    as_json: JsonOption = False,
) -> None:
    """Register a border-district resident at a market."""
    from tahator.services import border

    policy = _trade_policy()
    with use_case() as session:
        view = border.add_resident(
            session,
            policy,
            market=market,
            national_id=national_id,
            name=name,
            district=district,
            actor=_actor(),
        )
    if as_json:
        print_json(jsonable(view))
    else:
        state = "registered" if view.created else "already registered"
        print(f"resident {view.national_id} ({view.name}) {state} at {view.market}")


@residents_app.command("list")
def residents_list(
    market: Annotated[str | None, typer.Option(help="Only this market's residents")] = None,
    as_json: JsonOption = False,
) -> None:
    """List registered residents."""
    from tahator.services import border

    with use_case() as session:
        rows = jsonable(border.list_residents(session, market))
    _print_rows(
        rows, as_json, ("market", "national_id", "country", "name", "district"), "residents"
    )


@border_app.command("sell")
def border_sell(
    market: Annotated[str, typer.Option(help="The market's code")],
    resident: Annotated[str, typer.Option(help="The buyer's national id")],
    hs: Annotated[str, typer.Option(help="HS code of the goods")],
    value: Annotated[str, typer.Option(help="The sale's value, a decimal")],
    currency: Annotated[str, typer.Option(help="Currency of the value")],
    on: Annotated[str, typer.Option("--date", help="Date of the sale (YYYY-MM-DD)")],
    reference: Annotated[
        str | None, typer.Option(help="The receipt number: a retried sale is recorded once")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a sale to a resident within their quotas, or refuse it (exit 2)."""
    from tahator.io.sales import sale_record
    from tahator.services import border
    from tahator.services import corridor as corridors

    policy = _trade_policy()
    day = _date(on, "--date")
    with use_case() as session:
        record, problems = sale_record(
            market=market,
            resident=resident,
            hs=hs,
            value=value,
            currency=currency,
            on=day,
            reference=reference,
            digits=corridors.load(session).digits,
        )
        view = border.sell(session, policy, record, actor=_actor(), problems=problems)
    if as_json:
        print_json(jsonable(view))
        return
    unit = view.unit_of_account
    state = "recorded" if view.created else "already recorded"
    print(
        f"sale {view.id} {state}: HS {view.hs} for {amount(view.value)} {view.currency} "
        f"= {amount(view.value_unit)} {unit}"
    )
    if view.remaining is not None:
        print(
            f"  remaining today {amount(view.remaining.daily)} {unit}, "
            f"this month {amount(view.remaining.monthly)} {unit}"
        )


@border_app.command("totals")
def border_totals(
    market: Annotated[str | None, typer.Option(help="Only this market")] = None,
    as_json: JsonOption = False,
) -> None:
    """Each market's sales per day (they flow into the trade statistics)."""
    from tahator.services import border

    with use_case() as session:
        rows = jsonable(border.daily_totals(session, market))
    _print_rows(rows, as_json, ("market", "date", "sales", "value"), "border market days")


@stats_app.command("import")
def stats_import(path: Path, as_json: JsonOption = False) -> None:
    """Import official trade statistics in UN Comtrade's bulk CSV layout."""
    from tahator.io.comtrade import read_comtrade
    from tahator.services import stats

    with use_case() as session:
        result = stats.import_statistics(session, read_comtrade(path), _actor())
    if as_json:
        print_json(jsonable(result))
    else:
        print(
            f"{result.rows} rows: {result.created} figures stored, {result.updated} "
            f"revised, {result.unchanged} unchanged, {result.skipped} skipped "
            "(other partners or flows)"
        )


@stats_app.command("target")
def stats_target(as_json: JsonOption = False) -> None:
    """The run rate against the target and the monthly growth needed to reach it."""
    from tahator.services import stats

    policy = _trade_policy()
    with use_case() as session:
        status = stats.target_status(session, policy)
    if as_json:
        print_json(jsonable(status))
        return
    unit = status.unit_of_account
    print(f"target {amount(status.target)} {unit} a year by {status.target_date}")
    print(
        f"baseline {status.baseline_year}: {amount(status.baseline)} {unit} "
        f"(×{status.multiple} = {amount(status.tripled_baseline)} {unit})"
    )
    if status.run_rate is None:
        print("run rate: fewer than twelve months of official statistics")
        return
    print(
        f"run rate at {status.as_of}: {amount(status.run_rate)} {unit} "
        f"({status.share_of_target} of the target)"
    )
    growth = status.needed_monthly_growth
    if growth is not None:
        print(f"needed growth: {growth} a month for {status.months_left} months")


@report_app.command("target")
def report_target(
    output: Annotated[Path, typer.Option("-o", "--output", help="Write here")],
    output_format: Annotated[str, typer.Option("--format", help="csv, xlsx, png or html")] = "csv",
    language: Annotated[
        str, typer.Option("--language", help="The chart's language (png, html): en, fa or ur")
    ] = "en",
) -> None:
    """The corridor's trade per month against its target, as a table or a chart."""
    from tahator import i18n
    from tahator.io import target_report as rendering
    from tahator.services import stats

    if output_format not in rendering.FORMATS:
        fail(TahatorError(f"--format: {output_format!r} must be csv, xlsx, png or html"))
    if language not in i18n.LANGUAGES:
        fail(TahatorError(f"--language: {language!r} must be en, fa or ur"))
    policy = _trade_policy()
    with use_case() as session:
        report = stats.target_report(session, policy)
    try:
        with i18n.speaking(language):
            rendering.write_target_report(report, output_format, output)
    except rendering.ChartError as error:
        print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_BROKEN) from error
    except TahatorError as error:
        fail(error)
    print(f"target report ({output_format}) written to {output}")
