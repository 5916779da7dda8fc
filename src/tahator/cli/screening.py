"""Sanctions lists, ``tahator screen`` and the screening of firms."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tahator.cli.common import (
    JsonOption,
    _actor,
    _print_rows,
    fail,
    print_json,
    use_case,
)
from tahator.domain.errors import TahatorError
from tahator.formatting import jsonable

if TYPE_CHECKING:
    from tahator.services.screening import ScreenedHit, ScreeningChanges

lists_app = typer.Typer(help="Sanctions lists: import versions, show them.", no_args_is_help=True)
screening_app = typer.Typer(
    help="Sanctions screening of firms: the queue of hits, operators' decisions.",
    no_args_is_help=True,
)


@lists_app.command("import")
def lists_import(
    list_format: Annotated[str, typer.Argument(metavar="FORMAT", help="List format: un")],
    path: Annotated[Path, typer.Argument(metavar="FILE")],
    as_json: JsonOption = False,
) -> None:
    """Import a sanctions list file as a new version, then re-screen every firm."""
    from tahator.io.un_list import read_list
    from tahator.services import screening

    with use_case() as session:
        result = screening.import_list(session, read_list(list_format, path), _actor())
    if as_json:
        print_json(jsonable(result))
        return
    version, changes = result.list, result.changes
    if result.unchanged:
        print(f"{path} equals {version.format} list version {version.version}: nothing new")
        return
    print(
        f"{version.format} list version {version.version}: {version.entries} entries "
        f"(generated {version.generated}); {changes.screened} firms re-screened"
    )
    _print_changes(changes)


def _print_changes(changes: ScreeningChanges) -> None:
    for firm in changes.newly_blocked:
        top = firm.hits[0] if firm.hits else None
        band, score, reference, name = (
            (top.band, top.score, top.reference, top.name) if top else (None, None, None, None)
        )
        print(f"  newly blocked: {firm.firm} ({firm.name}): {band} {score} on {reference} {name!r}")
    for gone in changes.no_longer_hit:
        print(f"  no longer hit: {gone.firm} ({gone.name})")
    print(f"  {changes.blocked} firms blocked awaiting a decision (tahator screening queue)")


@lists_app.command("show")
def lists_show(as_json: JsonOption = False) -> None:
    """The imported list versions, newest first; the newest of each format is in force."""
    from tahator.services import sanctions_lists

    with use_case() as session:
        versions = sanctions_lists.list_versions(session)
    rows = [jsonable(v) for v in versions]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        row["in_force"] = "yes" if row["active"] else ""
    _print_rows(
        rows,
        False,
        ("version", "format", "source", "generated", "entries", "in_force", "imported_at"),
        "sanctions lists",
    )


def screen_command(
    name: Annotated[str | None, typer.Argument(help="A name to screen")] = None,
    country: Annotated[str | None, typer.Option(help="The party's country (ISO 3166)")] = None,
    batch: Annotated[
        Path | None, typer.Option(help="CSV of names to screen: id,name[,country]")
    ] = None,
    min_score: Annotated[
        float | None, typer.Option(help="Show hits from this score (default: review threshold)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Screen a name (or a CSV of names) against the sanctions lists in force."""
    from tahator.domain.screening import Query
    from tahator.io.screening_batch import read_batch
    from tahator.services import screening

    if (name is None) == (batch is None):
        fail(TahatorError("give either a NAME or --batch FILE"))
    if country is not None and not (len(country) == 2 and country.isalpha()):
        fail(TahatorError(f"--country: {country!r} is not an ISO 3166 alpha-2 code"))
    with use_case() as session:
        queries = (
            read_batch(batch)
            if batch is not None
            else [Query(name or "", country.upper() if country else None, "1")]
        )
        results = screening.screen_names(session, queries, min_score=min_score)
    if as_json:
        print_json(jsonable(results if batch is not None else results[0]))
        return
    for result in results:
        hits = result.hits
        print(f"{result.id}: {result.name}: {_band_of(hits)}")
        for hit in hits:
            print(
                f"  {hit.band:<6} {hit.score:>5}  {hit.reference} {hit.name} "
                f"({hit.list}) via {hit.matched_name!r}"
            )
            print(f"         {hit.explanation}")


def _band_of(hits: Sequence[ScreenedHit]) -> str:
    bands = {h.band for h in hits}
    return next((b for b in ("match", "review") if b in bands), "clear")


@screening_app.command("queue")
def screening_queue(as_json: JsonOption = False) -> None:
    """Firms blocked by a hit, awaiting an operator's decision."""
    from tahator.services import screening

    with use_case() as session:
        rows = screening.queue(session)
    if as_json:
        print_json(jsonable(rows))
        return
    print(f"{len(rows)} firms await a screening decision")
    for row in rows:
        print(f"{row.firm} ({row.name}, {row.country})")
        for hit in row.hits:
            print(
                f"  {hit.band:<6} {hit.score:>5}  {hit.reference} {hit.name} "
                f"({hit.list}) via {hit.screened_name!r} ~ {hit.matched_name!r}"
            )


@screening_app.command("show")
def screening_show(firm: str, as_json: JsonOption = False) -> None:
    """A firm's screening status and hits."""
    from tahator.services import screening

    with use_case() as session:
        view = screening.firm_screening(session, firm)
    if as_json:
        print_json(jsonable(view))
        return
    print(f"{view.firm} ({view.name}): {view.screening}")
    for hit in view.hits:
        decided = f" — {hit.decision}: {hit.reason}" if hit.decision else ""
        print(f"  {hit.band} {hit.score} {hit.reference} {hit.name}{decided}")


@screening_app.command("decide")
def screening_decide(
    firm: str,
    false_positive: Annotated[
        bool, typer.Option("--false-positive", help="The hits are not this firm: it may trade")
    ] = False,
    confirmed: Annotated[
        bool, typer.Option("--confirmed", help="The firm is the listed party: it never trades")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log)")] = "",
    as_json: JsonOption = False,
) -> None:
    """An operator decides a blocked firm's hits; the decision is audited."""
    from tahator.domain.screening import Decision
    from tahator.services import screening

    if false_positive == confirmed:
        fail(TahatorError("give exactly one of --false-positive and --confirmed"))
    decision = Decision.FALSE_POSITIVE if false_positive else Decision.CONFIRMED
    with use_case() as session:
        view = screening.decide(session, firm, decision, reason, _actor())
    if as_json:
        print_json(jsonable(view))
    else:
        print(f"{view.firm} ({view.name}): {view.screening} (audit {view.audit_id})")


@screening_app.command("rescreen")
def screening_rescreen(as_json: JsonOption = False) -> None:
    """Screen every firm again against the lists in force."""
    from tahator.services import screening

    with use_case() as session:
        changes = screening.rescreen_all(session, _actor())
    if as_json:
        print_json(jsonable(changes))
    else:
        print(f"{changes.screened} firms screened")
        _print_changes(changes)
