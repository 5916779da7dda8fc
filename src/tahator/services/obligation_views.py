"""Obligations as listed: one, a page, or a firm's, each with what runs set off of it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from tahator.domain.money import Amount
from tahator.domain.obligations import ObligationStatus
from tahator.services import access
from tahator.services.paging import Page, Window, paged
from tahator.store.schema import Currency, Firm, Obligation, ObligationLiability, SetoffNotice
from tahator.store.sums import exact_sum


@dataclass(frozen=True)
class ObligationView:
    """An obligation as listed: ``id`` is the submitter's reference, ``number`` the
    clearing house's."""

    id: str
    number: int
    debtor: str
    creditor: str
    amount: Amount
    currency: str
    due_date: date
    status: ObligationStatus
    remaining: Amount
    set_off: Amount
    """What clearing runs have set off of it so far, in its currency: the sum of its
    set-off notices."""
    origin: str | None
    jointly_liable: tuple[str, ...]


def list_obligations(
    session: Session,
    firm: str | None = None,
    status: ObligationStatus | None = None,
    *,
    number: int | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[ObligationView]:
    """Obligations, optionally of one firm (as debtor or creditor) or one status.

    ``number`` picks one; ``after`` and ``limit`` page through them by number.
    """
    numbers = select(Obligation.id).order_by(Obligation.id)
    if firm is not None:
        numbers = numbers.where(access.obligations_of(firm))
    if status is not None:
        numbers = numbers.where(Obligation.status == status)
    if number is not None:
        numbers = numbers.where(Obligation.id == number)
    if after is not None:
        numbers = numbers.where(Obligation.id > after)
    if limit is not None:
        numbers = numbers.limit(limit)
    return listed(session, numbers)


def listed(session: Session, numbers: Select[int]) -> list[ObligationView]:
    """The obligations whose numbers ``numbers`` selects, by number."""
    # The numbers first, then one query for their rows, currencies' digits and
    # co-liable firms: one round trip to the database, however long the page.
    chosen = numbers.subquery()
    set_off = (
        select(SetoffNotice.obligation_id, exact_sum(SetoffNotice.setoff).label("total"))
        .join(chosen, chosen.c.id == SetoffNotice.obligation_id)
        .group_by(SetoffNotice.obligation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Obligation.id,
            Obligation.reference,
            Obligation.debtor,
            Obligation.creditor,
            Obligation.amount,
            Obligation.currency,
            Obligation.due_date,
            Obligation.status,
            Obligation.remaining,
            Obligation.origin,
            Currency.digits,
            ObligationLiability.firm_id.label("liable"),
            set_off.c.total.label("set_off"),
        )
        .join(chosen, chosen.c.id == Obligation.id)
        .join(Currency, Currency.code == Obligation.currency)
        .outerjoin(set_off, set_off.c.obligation_id == Obligation.id)
        .outerjoin(ObligationLiability, ObligationLiability.obligation_id == Obligation.id)
        .order_by(Obligation.id, ObligationLiability.firm_id)
    )
    found: dict[int, ObligationView] = {}
    liable: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        if row.id not in found:
            found[row.id] = ObligationView(
                row.reference,
                row.id,
                row.debtor,
                row.creditor,
                Amount(row.amount, row.currency, row.digits),
                row.currency,
                row.due_date,
                ObligationStatus(row.status),
                Amount(row.remaining, row.currency, row.digits),
                Amount(row.set_off or 0, row.currency, row.digits),
                row.origin,
                (),
            )
        if row.liable is not None:
            liable[row.id].append(row.liable)
    return [
        replace(view, jointly_liable=tuple(liable[number])) if number in liable else view
        for number, view in found.items()
    ]


OBLIGATION_SORTS = ("number", "reference", "debtor", "creditor", "amount", "due", "status")


def page_obligations(
    session: Session,
    window: Window,
    firm: str | None = None,
    status: ObligationStatus | None = None,
) -> Page[ObligationView]:
    """Obligations a page at a time (of one firm or status, as ``list_obligations``),
    sorted by one of ``OBLIGATION_SORTS`` and searched, case-insensitively, by number,
    reference, a party's id or a party's name."""
    sorts: dict[str, Any] = {
        "number": Obligation.id,
        "reference": Obligation.reference,
        "debtor": Obligation.debtor,
        "creditor": Obligation.creditor,
        "amount": (Obligation.currency, Obligation.amount),
        "due": Obligation.due_date,
        "status": Obligation.status,
    }
    window = window.within(list(sorts))
    numbers = select(Obligation.id)
    if firm is not None:
        numbers = numbers.where(access.obligations_of(firm))
    if status is not None:
        numbers = numbers.where(Obligation.status == status)
    if window.search:
        needle = window.search.lower()

        def has(column: Any) -> Any:
            return func.lower(column).contains(needle, autoescape=True)

        named = select(Firm.id).where(has(Firm.name))
        found = [
            has(Obligation.reference),
            has(Obligation.debtor),
            has(Obligation.creditor),
            Obligation.debtor.in_(named),
            Obligation.creditor.in_(named),
        ]
        if window.search.isascii() and window.search.isdigit() and len(window.search) < 12:
            found.append(Obligation.id == int(window.search))
        numbers = numbers.where(or_(*found))
    page = paged(
        session, numbers, replace(window, search=""), sorts, tiebreak=[Obligation.id.expression]
    )
    ids = [int(number) for number in page.rows]
    views = {
        v.number: v for v in listed(session, select(Obligation.id).where(Obligation.id.in_(ids)))
    }
    return Page(tuple(views[n] for n in ids if n in views), page.total, window)
