"""Consignments as a reader's role reads them: the one place the API and the web pages
take them from, so both show a trader the same thing.

A trader sees its own firm's consignments (``access.firm_filter``; another firm's do
not exist to it) and only their status (``consignments.status_only``): the lane in
force, each phase's time, the inspection's result.  How the lane was chosen
(``access.Part.LANE_DETAIL``: the score, the criteria that hit, the seed and the draw,
an override's reason) is left out here, before any entry point formats it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tahator.services import access, consignments
from tahator.services.consignments import ConsignmentView
from tahator.services.users import Principal


def for_reader(view: ConsignmentView, reader: Principal) -> ConsignmentView:
    """``view`` without what ``reader``'s role may not read of it."""
    if access.may_read(reader, access.Part.LANE_DETAIL):
        return view
    return consignments.status_only(view)


def listed(
    session: Session,
    reader: Principal,
    *,
    firm_id: str | None = None,
    crossing: str | None = None,
    start: date | None = None,
    end: date | None = None,
    zone: str = "UTC",
    after: int | None = None,
    limit: int | None = None,
) -> list[ConsignmentView]:
    """The consignments ``reader`` may see, newest first (oldest first after the id
    ``after``, at most ``limit``), filtered as asked (arrived from ``start`` to ``end``,
    business dates in ``zone``); a trader's are its firm's (``HiddenError`` when it asks
    for another firm's)."""
    firm = access.firm_filter(reader, firm_id)
    found = consignments.consignments(
        session,
        firm_id=firm,
        crossing=crossing,
        start=start,
        end=end,
        zone=zone,
        after=after,
        limit=limit,
    )
    return [for_reader(view, reader) for view in found]


def shown(session: Session, reader: Principal, consignment_id: int) -> ConsignmentView:
    """One consignment as ``reader`` reads it; ``NotFoundError`` for none, or for
    another firm's to a trader."""
    view = consignments.consignment(session, consignment_id, firm_id=access.acting_firm(reader))
    return for_reader(view, reader)


__all__ = ["for_reader", "listed", "shown"]
