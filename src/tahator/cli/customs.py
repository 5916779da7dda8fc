"""Customs at the border: consignments and their phase times, the risk criteria's hit
rates, and the release-time report (``report release-times``)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from tahator.cli.common import (
    EXIT_BROKEN,
    JsonOption,
    _date,
    _load_policy,
    _print_rows,
    _today,
    fail,
    print_json,
    report_app,
    use_case,
)
from tahator.domain.customs import PHASES
from tahator.domain.errors import TahatorError

customs_app = typer.Typer(
    help="Customs: consignments at the border crossings, lanes and release times.",
    no_args_is_help=True,
)
CrossingOption = Annotated[
    str | None,
    typer.Option("--crossing", help="A crossing's code (e.g. TFN); every one by default"),
]
CONSIGNMENT_FIELDS = (
    "id",
    "reference",
    "crossing",
    "direction",
    "vehicle",
    "firm_id",
    "firm_name",
    "origin",
    "lane",
    "inspection",
    *(phase.column for phase in PHASES),
)
"""What the list shows of a consignment: never its lane selections (scores, seeds)."""


def _iso(value: Any) -> Any:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else value


def consignment_row(view: Any) -> dict[str, Any]:
    """A consignment as a row: ``CONSIGNMENT_FIELDS``, timestamps ISO 8601 in UTC."""
    return {field: _iso(getattr(view, field)) for field in CONSIGNMENT_FIELDS}


def _check_crossing(crossing: str | None) -> None:
    """Exit 2 for a crossing the policy does not list."""
    known = [c.code for c in _load_policy().customs.crossings]
    if crossing is not None and crossing not in known:
        fail(TahatorError(f"--crossing: {crossing!r} is not one of {', '.join(known)}"))


@customs_app.command("consignments")
def consignments_command(crossing: CrossingOption = None, as_json: JsonOption = False) -> None:
    """Every consignment with its crossing, lane and the time of each phase (UTC)."""
    from tahator.services import consignments

    _check_crossing(crossing)
    with use_case(read_only=True) as session:
        views = consignments.consignments(session, crossing=crossing)
    rows = [consignment_row(view) for view in views]
    columns = ("reference", "crossing", "lane", "arrived_at", "released_at", "inspection")
    _print_rows(rows, as_json, columns, "consignments")


@customs_app.command("verify")
def verify_command(
    consignment_id: Annotated[int, typer.Argument(help="The consignment's number")],
    as_json: JsonOption = False,
) -> None:
    """Recompute a consignment's lane selection from the facts, rules and seed recorded
    with it; exit 1 if it does not come out the same."""
    from tahator.formatting import jsonable
    from tahator.services import consignments

    with use_case(read_only=True) as session:
        check = consignments.recheck(session, consignment_id)
    if as_json:
        print_json(jsonable(check) | {"holds": check.holds})
    else:
        verdict = "holds" if check.holds else "DOES NOT HOLD"
        print(
            f"consignment {check.consignment_id}, selection {check.selection_id}: recorded "
            f"{check.recorded}, recomputed {check.recomputed}, rules digest "
            f"{'matches' if check.rules_match else 'differs'}: {verdict}"
        )
    if not check.holds:
        raise typer.Exit(EXIT_BROKEN)


@customs_app.command("criteria")
def criteria_command(
    from_: Annotated[
        str | None, typer.Option("--from", help="First day (default: a year before --to)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (default: today)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Each risk criterion's hit rate: selections it hit, inspected, discrepancies found."""
    from tahator.formatting import jsonable
    from tahator.services import consignments

    end = _date(to, "--to") if to is not None else _today()
    start = _date(from_, "--from") if from_ is not None else end - timedelta(days=365)
    policy = _load_policy()
    with use_case(read_only=True) as session:
        rates = consignments.criterion_rates(session, policy, start, end)
    rows = [jsonable(rate) for rate in rates]
    if not as_json:  # the share inspected that found a discrepancy, as a percentage
        from tahator.display import percent

        rows = [{**row, "hit_rate": percent(row["hit_rate"], "en")} for row in rows]
    columns = ("criterion", "weight", "selections", "inspected", "discrepancies", "hit_rate")
    _print_rows(rows, as_json, columns, f"risk criteria {start} to {end}")


@report_app.command("release-times")
def report_release_times(
    from_: Annotated[str, typer.Option("--from", help="First day of the period (released)")],
    to: Annotated[str, typer.Option("--to", help="Last day of the period, included")],
    crossing: CrossingOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="json, csv or pdf (a PDF needs --output)")
    ] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here")] = None,
    language: Annotated[
        str, typer.Option("--language", help="The PDF's language: en, fa or ur")
    ] = "en",
) -> None:
    """Release times per crossing and lane, as the WCO Time Release Study measures them.

    Count, median, 90th percentile and maximum hours from arrival to release and of
    each phase, against the policy's targets, of the consignments released from
    --from to --to (business dates, both included); the outliers (JSON)."""
    import json

    from tahator import i18n
    from tahator.io import release_times as rendering
    from tahator.io.tables import write_bytes_atomically
    from tahator.services import release_times

    if output_format not in rendering.FORMATS:
        fail(TahatorError(f"--format: {output_format!r} must be json, csv or pdf"))
    if output_format == "pdf" and output is None:
        fail(TahatorError("--output: a PDF report is written to a file; give -o FILE"))
    if language not in i18n.LANGUAGES:
        fail(TahatorError(f"--language: {language!r} must be en, fa or ur"))
    start, end = _date(from_, "--from"), _date(to, "--to")
    policy = _load_policy()
    with use_case(read_only=True) as session:
        report = release_times.release_report(session, policy, start, end, crossing)
    if output_format == "json":
        document = rendering.report_document(report)
        data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    elif output_format == "csv":
        data = rendering.report_csv(report).encode()
    else:
        with i18n.speaking(language):
            data = rendering.report_pdf(report)
    if output is None:
        sys.stdout.write(data.decode())
        return
    try:
        write_bytes_atomically(output, data)
    except TahatorError as error:
        fail(error)
    print(f"release times {start} to {end} ({output_format}) written to {output}")
