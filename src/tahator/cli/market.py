"""The barter marketplace: offers, ``tahator match`` and the proposals it makes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tahator.cli.common import (
    CalendarOption,
    IdArgument,
    JsonOption,
    _actor,
    _as_of,
    _choice,
    _load_policy,
    _print_import,
    _print_rows,
    fail,
    print_json,
    use_case,
)
from tahator.domain.errors import TahatorError
from tahator.domain.local_text import Calendar
from tahator.formatting import amount, jsonable

offers_app = typer.Typer(help="Offers on the barter marketplace.", no_args_is_help=True)
proposals_app = typer.Typer(help="Barter rings proposed by matching runs.", no_args_is_help=True)


@offers_app.command("import")
def offers_import(
    path: Path, as_json: JsonOption = False, calendar: CalendarOption = Calendar.GREGORIAN
) -> None:
    """Register offers from a CSV: id,firm,gives_hs,description,quantity,unit,value,currency,
    wants_hs,valid_until (wants_hs: HS prefixes separated by |)."""
    from tahator.io.offers import read_offers
    from tahator.services import corridor, offers

    with use_case() as session:
        read = read_offers(path, corridor.load(session).digits, calendar=calendar)
        result = offers.import_offers(session, read, _actor(), source=path.name)
    _print_import(jsonable(result), as_json, "offers")


@offers_app.command("list")
def offers_list(
    status: Annotated[str | None, typer.Option(help="open, proposed or bound")] = None,
    firm: Annotated[str | None, typer.Option(help="Only this firm's offers")] = None,
    as_json: JsonOption = False,
) -> None:
    """List offers."""
    from tahator.domain.matching import OfferStatus
    from tahator.services import offers

    wanted = _choice(OfferStatus, status, "--status")
    with use_case() as session:
        rows = offers.list_offers(session, wanted, firm)
    _print_rows(
        jsonable(rows),
        as_json,
        ("id", "firm", "gives_hs", "description", "value", "currency", "wants_hs", "status"),
        "offers",
    )


def match_command(
    cap: Annotated[int, typer.Option(help="Most offers in a ring")] = 3,
    tolerance: Annotated[
        str | None, typer.Option(help="Share a firm may receive more or less than it gives")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Seconds; then the best rings found, with the bound")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Offers valid on this day")] = None,
    kep: Annotated[
        Path | None, typer.Option(help="Solve a kidney-exchange .input file instead")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Find the barter rings that exchange the most value; one proposal per ring."""
    from decimal import Decimal, InvalidOperation

    from tahator.services import market

    if kep is not None:
        from tahator.domain.matching import check_run
        from tahator.io.kidney import read_kep

        try:
            check_run(cap)  # before reading: a wrong cap is reported whatever the file
            result = market.match_kep(read_kep(kep), cap, time_limit)
        except TahatorError as error:
            fail(error)
        if as_json:
            print_json(jsonable(result))
        else:
            state = "optimal" if result.optimal else f"bound {result.bound}"
            print(
                f"objective {result.objective} ({state}) with {len(result.cycles)} "
                f"cycles in {result.seconds} s"
            )
        return
    share = None
    if tolerance is not None:
        try:
            share = Decimal(tolerance)
        except InvalidOperation:
            fail(TahatorError(f"--tolerance: {tolerance!r} is not a number"))
    policy = _load_policy()
    day = _as_of(as_of)
    with use_case() as session:
        view = market.match(
            session, policy, _actor(), as_of=day, cap=cap, tolerance=share, time_limit=time_limit
        )
    if as_json:
        print_json(jsonable(view))
    else:
        state = "proven optimal" if view.optimal else f"bound {amount(view.bound)}, gap {view.gap}"
        print(
            f"matching run {view.run_id}: {view.rings} rings exchanging {amount(view.value)} "
            f"({state}) among {view.offers} offers, {view.arcs} compatible pairs, "
            f"{view.seconds} s"
        )


@proposals_app.command("list")
def proposals_list(
    state: Annotated[str | None, typer.Option(help="proposed, binding or declined")] = None,
    firm: Annotated[str | None, typer.Option(help="Only rings with this firm")] = None,
    as_json: JsonOption = False,
) -> None:
    """List proposals."""
    from tahator.domain.matching import ProposalStatus
    from tahator.services import market

    wanted = _choice(ProposalStatus, state, "--state")
    with use_case() as session:
        rows = market.list_proposals(session, wanted, firm)
    if as_json:
        print_json(jsonable(rows))
        return
    for row in rows:
        ring = " → ".join(f"{leg.firm} ({leg.description})" for leg in row.legs)
        print(f"{row.id} [{row.state}] {amount(row.value)} {row.unit_of_account}: {ring}")


@proposals_app.command("show")
def proposals_show(proposal_id: IdArgument, as_json: JsonOption = False) -> None:
    """A proposal and its legs."""
    from tahator.services import market

    with use_case() as session:
        view = market.show_proposal(session, proposal_id)
    if as_json:
        print_json(jsonable(view))
        return
    print(f"proposal {view.id} [{view.state}] worth {amount(view.value)} {view.unit_of_account}")
    for leg in view.legs:
        print(
            f"  {leg.firm} gives {leg.description} ({amount(leg.value)}) to {leg.gives_to}: "
            f"{leg.answer}"
        )


FirmOption = Annotated[str, typer.Option("--firm", help="The firm answering")]


@proposals_app.command("accept")
def proposals_accept(
    proposal_id: IdArgument,
    firm: FirmOption,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the answer")] = None,
    as_json: JsonOption = False,
) -> None:
    """A firm accepts its place in a ring; the ring binds when all have.

    Accepting gives the barter order's undertaking for the firm's foreign partners
    in the ring (not entities on the UN sanctions lists notified by the Ministry of
    Foreign Affairs): each Pakistani firm's barter applications, filed when the ring
    binds, carry it and list only the goods that cross the border.
    """
    from tahator.services import market

    policy = _load_policy()
    day = _as_of(as_of)
    with use_case() as session:
        view = market.accept(session, policy, proposal_id, firm, day, _actor())
    if as_json:
        print_json(jsonable(view))
        return
    print(f"proposal {view.id}: {firm} accepted; the proposal is {view.state}")
    if isinstance(view, market.BoundProposal):  # lists, as the line has always shown them
        applications, obligations = list(view.applications), list(view.obligations)
        print(f"  barter applications {applications}, obligations {obligations}")


@proposals_app.command("decline")
def proposals_decline(
    proposal_id: IdArgument,
    firm: FirmOption,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the answer")] = None,
    as_json: JsonOption = False,
) -> None:
    """A firm declines: the ring falls through and its offers are free again."""
    from tahator.services import market

    day = _as_of(as_of)
    with use_case() as session:
        view = market.decline(session, proposal_id, firm, day, _actor())
    if as_json:
        print_json(jsonable(view))
    else:
        print(f"proposal {view.id}: {firm} declined; its offers are open again")
