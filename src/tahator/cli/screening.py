"""Sanctions lists, ``tahator screen`` and the screening of firms."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

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
    from tahator.domain.list_changes import ChangeSummary
    from tahator.services.screening import ScreenedHit, ScreeningChanges

lists_app = typer.Typer(help="Sanctions lists: import versions, show them.", no_args_is_help=True)
screening_app = typer.Typer(
    help="Sanctions screening of firms: the queue of hits, operators' decisions.",
    no_args_is_help=True,
)


@lists_app.command("import")
def lists_import(
    list_format: Annotated[str, typer.Argument(metavar="FORMAT", help="List format: un, ftm")],
    path: Annotated[Path, typer.Argument(metavar="FILE")],
    name: Annotated[
        str | None,
        typer.Option(
            help='The list this is a version of ("OFAC SDN"; case does not matter); default: '
            "the file's own (UN; an FtM file's one dataset)"
        ),
    ] = None,
    new_list: Annotated[
        bool,
        typer.Option(
            "--new-list",
            help="The name is of a list the house has not got yet: start it (a mistyped "
            "name would otherwise make a second list in force)",
        ),
    ] = False,
    confirm_shrink: Annotated[
        bool,
        typer.Option(
            "--confirm-shrink",
            help="Import even though it removes more than the shrink limit of the entries "
            "in force ($TAHATOR_LIST_SHRINK_LIMIT, default 10 %)",
        ),
    ] = False,
    first: Annotated[int, typer.Option(min=0, help="Name this many entries of each change")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Import a sanctions list file as a new version of its list, show what it changes
    against the version in force, then re-screen every firm."""
    from tahator.io.un_list import read_list
    from tahator.services import list_imports, sanctions_lists

    with use_case() as session:
        parsed = read_list(list_format, path, name=name)
        try:
            result = list_imports.import_list(
                session, parsed, _actor(), confirm_shrink=confirm_shrink, new_list=new_list
            )
        except sanctions_lists.ShrinkRefusedError as refused:
            _print_entry_changes(refused.summary, first, sys.stderr)
            raise TahatorError(
                f"{refused.problems[0].message} (--confirm-shrink); nothing imported"
            ) from None
        except sanctions_lists.NewListRefusedError as refused:
            raise TahatorError(
                f"{refused.problems[0].message} (--new-list); nothing imported"
            ) from None
    if as_json:
        print_json(jsonable(result))
        return
    version, changes = result.list, result.changes
    if result.unchanged:
        print(f"{path} equals {version.name} list version {version.version}: nothing new")
        return
    confirmed = " (shrink confirmed)" if result.shrink_confirmed else ""
    print(
        f"{version.name} list version {version.version} ({version.format}): "
        f"{version.entries:,} entries (generated {version.generated or 'date unknown'})"
        f"{confirmed}; "
        f"{changes.screened} firms re-screened"
    )
    if result.entries is not None:
        _print_entry_changes(result.entries, first, sys.stdout)
    _print_changes(changes)


def _print_entry_changes(found: ChangeSummary, first: int, out: TextIO) -> None:
    print(
        f"  entries: {found.before:,} before, {found.after:,} now: {found.added:,} added, "
        f"{found.removed:,} removed, {found.changed:,} changed",
        file=out,
    )
    for what, refs in (("added", found.first_added), ("removed", found.first_removed)):
        for ref in refs[:first]:
            print(f"    {what}: {ref.reference} {ref.name}", file=out)
    for changed in found.first_changed[:first]:
        print(
            f"    changed: {changed.reference} {changed.name}: {', '.join(changed.fields)}",
            file=out,
        )
    if max(found.added, found.removed, found.changed) > first:
        print("    (every one: tahator lists diff VERSION)", file=out)


@lists_app.command("withdraw")
def lists_withdraw(
    name: Annotated[str, typer.Argument(help="The list (tahator lists show)")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log)")],
    as_json: JsonOption = False,
) -> None:
    """Withdraw a list: it is no longer in force until a new version is imported; every
    firm is screened again against the lists still in force."""
    from tahator.services import list_imports

    with use_case() as session:
        result = list_imports.withdraw_list(session, name, reason, _actor())
    if as_json:
        print_json(jsonable(result))
        return
    print(f"{result.list.name} (version {result.list.version}) withdrawn: no longer in force")
    _print_changes(result.changes)


@lists_app.command("diff")
def lists_diff(
    version: Annotated[int, typer.Argument(help="A list version (tahator lists show)")],
    as_json: JsonOption = False,
) -> None:
    """Every entry a list version added, removed and changed against the version of the
    same list before it."""
    from tahator.services import sanctions_lists

    with use_case(read_only=True) as session:
        found = sanctions_lists.version_changes(session, version)
    if as_json:
        print_json(jsonable(found))
        return
    changes, listed = found.changes, found.version
    against = f"version {found.previous}" if found.previous else "nothing (the first version)"
    print(
        f"{listed.name} list version {listed.version} against {against}: "
        f"{len(changes.added):,} added, {len(changes.removed):,} removed, "
        f"{len(changes.changed):,} changed ({changes.before:,} -> {changes.after:,} entries)"
    )
    for ref in changes.added:
        print(f"  added:   {ref.reference} {ref.name}")
    for ref in changes.removed:
        print(f"  removed: {ref.reference} {ref.name}")
    for changed in changes.changed:
        print(f"  changed: {changed.reference} {changed.name}: {', '.join(changed.fields)}")


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
    """The imported list versions, newest first; the newest of each list is in force."""
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
        ("version", "name", "format", "entries", "in_force", "generated", "source"),
        "sanctions lists",
    )
    for version in versions:
        if version.withdrawn:
            print(f"{version.name} version {version.version}: {version.withdrawn}")
        if version.problem:
            print(f"warning: {version.problem}", file=sys.stderr)


def screen_command(
    name: Annotated[str | None, typer.Argument(help="A name to screen")] = None,
    country: Annotated[str | None, typer.Option(help="The party's country (ISO 3166)")] = None,
    batch: Annotated[
        Path | None,
        typer.Option(
            help="CSV of names to screen: id,name and optionally country, kind, born, "
            "nationality, passport, national_id, registration, tax"
        ),
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
        print(f"  {hit.band} {hit.score} {hit.reference} {hit.name} ({hit.list}){decided}")
        if hit.explanation:
            print(f"      {hit.explanation}")


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
