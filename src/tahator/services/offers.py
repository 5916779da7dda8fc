"""Offers on the barter marketplace: registering them from records, listing them.

An offer gives goods (an HS code, a quantity, a value) for goods of the HS
prefixes it wants, until a day.  Its form is checked where it is read
(``io.offers``); here, that its firm exists and may trade, and that an offer
registered before under its id said the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.identifiers import identifier_problem
from tahator.domain.matching import OfferStatus
from tahator.domain.money import Amount
from tahator.io.offers import MAX_ID, OfferRecord, OfferRow, RejectedOffer
from tahator.io.tables import Problems
from tahator.services import access, audit, screening
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.services.firms import batch_twins, case_twins
from tahator.services.paging import Page, Window, paged
from tahator.store.bulk import insert_rows
from tahator.store.schema import Firm, Offer


@dataclass(frozen=True)
class OffersImported:
    """What an import of offers did: offers read, newly registered, already there."""

    rows: int
    created: int
    unchanged: int


@dataclass(frozen=True)
class OfferView:
    """An offer on the marketplace and where it stands."""

    id: str
    firm: str
    gives_hs: str
    description: str
    quantity: str
    """As given (a decimal number of ``unit``)."""
    unit: str
    value: Amount
    currency: str
    wants_hs: tuple[str, ...]
    valid_until: date
    status: OfferStatus


def import_offers(
    session: Session, rows: Sequence[OfferRow], actor: str, *, source: str
) -> OffersImported:
    """Register the offers, all or none; importing them again changes nothing.

    ``rows`` come from a reader (``io.offers``): a row it rejected is refused here
    with the reader's problems and the marketplace's own (its firm, its id), so that
    one report names them all.  ``source`` names the file in the audit trail.
    """
    found = Problems()
    firms = set(session.scalars(select(Firm.id)))
    screening.ensure_screened(session, {r.firm for r in rows}, actor)
    stopped = {f.id: f.screening for f in screening.stopped_firms(session)}
    contents: dict[str, dict[str, Any] | tuple[object, ...]] = {}
    for row in rows:
        # A row's problems in the order of its fields: its id, its firm, the others.
        said = row.problems if isinstance(row, RejectedOffer) else ()
        for problem in said:
            if problem.field == "id":
                found.add(problem)
        if row.firm not in firms:
            found.add(_problem(row, f"unknown firm {row.firm!r}", "firm"))
        elif row.firm in stopped:
            found.add(
                _problem(
                    row,
                    f"firm {row.firm} is held by the clearing house's compliance review and "
                    "cannot offer goods until that review is settled",
                    "firm",
                )
            )
        for problem in said:
            if problem.field != "id":
                found.add(problem)
        content = row.content if isinstance(row, RejectedOffer) else _content(row)
        if contents.get(row.id, content) != content:
            found.add(_problem(row, f"offer {row.id!r} appears twice with different content", "id"))
        contents[row.id] = content
    stored: dict[str, Offer] = {}
    ids = [i for i in contents if identifier_problem(i, MAX_ID) is None]  # others: never stored
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        stored.update((o.id, o) for o in session.scalars(select(Offer).where(Offer.id.in_(chunk))))
    # An id that differs only by case from another (``of-1`` beside ``OF-1``, whoever
    # holds it) is not available either, in the same words.
    twins = case_twins(session, Offer.id, ids) | batch_twins(ids)
    for row in rows:
        offer, given = stored.get(row.id), contents[row.id]
        if row.id in twins or (offer is not None and offer.firm != row.firm):
            # Another firm's offer: said the same whoever holds it, and nothing of it.
            found.add(_problem(row, f"offer id {row.id!r} is not available: choose another", "id"))
        elif offer is not None and not (
            isinstance(given, dict) and all(getattr(offer, k) == v for k, v in given.items())
        ):
            found.add(
                _problem(
                    row, f"offer {offer.id!r} is already registered with different content", "id"
                )
            )
    found.raise_if_any()
    new = [c for c in contents.values() if isinstance(c, dict) and c["id"] not in stored]
    created = now()
    insert_rows(
        session,
        Offer,
        [r | {"status": OfferStatus.OPEN, "created_at": created, "created_by": actor} for r in new],
    )
    if new:
        audit.record(
            session,
            actor,
            "offers.register",
            f"file:{source}",
            None,
            {"offers": [r["id"] for r in new]},
        )
    return OffersImported(len(rows), len(new), len(contents) - len(new))


def _problem(row: OfferRow, message: str, field: str) -> Problem:
    return Problem(message, row.file, row.line, field)


def _content(record: OfferRecord) -> dict[str, Any]:
    """The record as the ``offers`` table stores it."""
    return {
        "id": record.id,
        "firm": record.firm,
        "gives_hs": record.gives_hs,
        "description": record.description,
        "quantity": str(record.quantity),
        "unit": record.unit,
        "value": record.value.minor,
        "currency": record.value.currency,
        "wants_hs": "|".join(record.wants_hs),
        "valid_until": record.valid_until,
    }


def list_offers(
    session: Session,
    status: OfferStatus | None = None,
    firm: str | None = None,
    *,
    offer_id: str | None = None,
) -> list[OfferView]:
    """Offers by id, of one ``status`` or ``firm`` if given (``offer_id``: that one)."""
    digits = corridors.load(session).digits
    query = select(Offer).order_by(Offer.id)
    if status is not None:
        query = query.where(Offer.status == status)
    if firm is not None:
        query = query.where(access.offers_of(firm))
    if offer_id is not None:
        query = query.where(Offer.id == offer_id)
    return [_view(o, digits) for o in session.scalars(query)]


# --- one offer at a time (the web form) -----------------------------------------------


@dataclass(frozen=True)
class ListedOffer:
    """An offer in a list, with its firm's name."""

    offer: OfferView
    firm_name: str


OFFER_SORTS = ("id", "firm", "gives", "valid_until", "status")


def _view(o: Offer, digits: Mapping[str, int]) -> OfferView:
    return OfferView(
        id=o.id,
        firm=o.firm,
        gives_hs=o.gives_hs,
        description=o.description,
        quantity=o.quantity,
        unit=o.unit,
        value=Amount(o.value, o.currency, digits[o.currency]),
        currency=o.currency,
        wants_hs=tuple(o.wants_hs.split("|")),
        valid_until=o.valid_until,
        status=OfferStatus(o.status),
    )


def offer_page(
    session: Session, window: Window, firm: str | None = None, status: OfferStatus | None = None
) -> Page[ListedOffer]:
    """A page of offers (``firm``'s only, if given), sorted by ``OFFER_SORTS``, searched
    case-insensitively by the offer's id, its goods, its firm's id or name."""
    digits = dict(corridors.load(session).digits)
    query: Any = select(Offer, Firm.name).join(Firm, Firm.id == Offer.firm).order_by(Offer.id)
    if firm is not None:
        query = query.where(access.offers_of(firm))
    if status is not None:
        query = query.where(Offer.status == status)
    page = paged(
        session,
        query,
        window,
        sorts={
            "id": Offer.id.expression,
            "firm": Firm.name.expression,
            "gives": Offer.gives_hs.expression,
            "valid_until": Offer.valid_until.expression,
            "status": Offer.status.expression,
        },
        searched=[
            Offer.id.expression,
            Offer.firm.expression,
            Firm.name.expression,
            Offer.description.expression,
            Offer.gives_hs.expression,
        ],
        tiebreak=[Offer.id.expression],
    )
    rows = tuple(ListedOffer(_view(o, digits), name) for o, name in page.rows)
    return Page(rows, page.total, page.window)


def post_offer(session: Session, row: OfferRow, actor: str, *, source: str) -> OfferView:
    """Register one offer (a form's): ``import_offers`` of one row, the same checks."""
    import_offers(session, [row], actor, source=source)
    return list_offers(session, offer_id=row.id)[0]


def _open_offer(session: Session, offer_id: str) -> Offer:
    offer = session.execute(
        select(Offer).where(Offer.id == offer_id).with_for_update()
    ).scalar_one_or_none()
    if offer is None:
        raise NotFoundError(f"no offer {offer_id}")
    if offer.status != OfferStatus.OPEN:
        raise InputError(
            [Problem(f"offer {offer_id} is {offer.status}: only an open offer changes")]
        )
    return offer


def edit_offer(session: Session, offer_id: str, row: OfferRow, actor: str) -> OfferView:
    """Change an open offer's goods, wants, value and validity (its id and firm stay);
    ``row`` is what the form says, read by ``io.offers.parse_offer``."""
    offer = _open_offer(session, offer_id)
    if isinstance(row, RejectedOffer):
        raise InputError([p for p in row.problems if p.field != "id"] or list(row.problems))
    stopped = {f.id for f in screening.stopped_firms(session)}
    if offer.firm in stopped:
        raise InputError(
            [
                Problem(
                    f"firm {offer.firm} is held by the clearing house's compliance review and "
                    "cannot offer goods until that review is settled",
                    field="firm",
                )
            ]
        )
    content = _content(row)
    content.pop("id")
    content.pop("firm")
    before = {k: getattr(offer, k) for k in content}
    if before == content:
        return list_offers(session, offer_id=offer_id)[0]
    for key, value in content.items():
        setattr(offer, key, value)
    audit.record(
        session,
        actor,
        "offer.edit",
        f"offer:{offer_id}",
        {k: str(v) for k, v in before.items()},
        {k: str(v) for k, v in content.items()},
    )
    session.flush()
    return list_offers(session, offer_id=offer_id)[0]


def withdraw_offer(session: Session, offer_id: str, actor: str) -> OfferView:
    """Withdraw an open offer: no matching run takes it any more."""
    offer = _open_offer(session, offer_id)
    offer.status = OfferStatus.WITHDRAWN
    audit.record(
        session,
        actor,
        "offer.withdraw",
        f"offer:{offer_id}",
        {"status": OfferStatus.OPEN.value},
        {"status": OfferStatus.WITHDRAWN.value},
    )
    session.flush()
    return list_offers(session, offer_id=offer_id)[0]
