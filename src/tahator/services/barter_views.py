"""Barter authorizations as the services return them, and the use cases that read them.

The lifecycle (submit, authorize, reject, declare, sweep) is ``services.barter``;
its results are the frozen dataclasses here, whose field names are the keys of
the JSON documents the API and the CLI print (``formatting.jsonable``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.barter import AuthorizationStatus
from tahator.domain.errors import NotFoundError
from tahator.domain.money import Amount
from tahator.domain.policy import Direction, Policy, Rules
from tahator.formatting import OMIT_EMPTY
from tahator.services import access
from tahator.services import corridor as corridors
from tahator.services.corridor import CorridorView
from tahator.store.schema import Authorization, AuthorizationLine, Declaration, Obligation
from tahator.store.sums import exact_sum

# --- results --------------------------------------------------------------------
# Field names are the keys of the JSON documents the API and the CLI print.


@dataclass(frozen=True)
class Submission:
    """An application filed (or, ``repeated``, found filed under its reference)."""

    id: int
    state: AuthorizationStatus
    repeated: bool = field(default=False, metadata=OMIT_EMPTY)


@dataclass(frozen=True)
class AuthorizedGoods:
    """A line of goods of the application, valued in its currency and the unit of account."""

    direction: Direction
    hs: str
    description: str
    quantity: str
    unit: str
    value: Amount
    currency: str
    value_unit: Amount


@dataclass(frozen=True)
class DeclarationRecord:
    """A goods declaration counted against an authorization."""

    id: int
    direction: Direction
    hs: str
    quantity: str
    unit: str
    value: Amount
    currency: str
    rate: str
    value_unit: Amount
    date: dt.date
    flag: str | None


@dataclass(frozen=True)
class DifferenceObligation:
    """The obligation what the goods differ by became."""

    id: str
    debtor: str
    creditor: str
    amount: Amount
    currency: str


@dataclass(frozen=True)
class AuthorizationDetail:
    """An authorization's state, values in the unit of account, lines and declarations;
    after a declaration, ``declaration`` is the one just recorded."""

    id: int
    state: AuthorizationStatus
    applicant: str
    consortium: bool
    counterparty: str
    partner_country: str
    valid_from: dt.date
    valid_until: dt.date
    approval_number: str | None
    authorized_on: dt.date | None
    deadline: dt.date | None
    closed_on: dt.date | None
    rejection_reason: str | None
    unit_of_account: str
    planned_import: Amount
    planned_export: Amount
    imported: Amount
    exported: Amount
    difference: Amount
    tolerance: str
    """The policy's share, as written in it (``"0.05"``)."""
    lines: tuple[AuthorizedGoods, ...]
    declarations: tuple[DeclarationRecord, ...]
    obligation: DifferenceObligation | None
    declaration: DeclarationRecord | None = field(default=None, metadata=OMIT_EMPTY)


@dataclass(frozen=True)
class AuthorizationSummary:
    """An authorization in a list."""

    id: int
    state: AuthorizationStatus
    applicant: str
    counterparty: str
    partner_country: str
    approval_number: str | None
    deadline: dt.date | None
    planned_import: Amount
    planned_export: Amount


@dataclass(frozen=True)
class Sweep:
    """What a sweep cancelled as of a day."""

    as_of: dt.date
    cancelled: tuple[AuthorizationDetail, ...]


# --- reading ---------------------------------------------------------------------------


def load_authorization(
    session: Session, authorization_id: int, *, lock: bool = False
) -> Authorization:
    query = select(Authorization).where(Authorization.id == authorization_id)
    if lock:
        # Afresh: an object this session loaded before the lock may be stale by now.
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no barter authorization {authorization_id}")
    return found


def rules_of(policy: Policy, authorization: Authorization) -> Rules:
    """The version of the order that governs ``authorization``: the one in force on its
    authorization date (recorded then); before that, the one in force on submission."""
    if authorization.policy_version is not None:
        return policy.rules(authorization.policy_version)
    day = authorization.authorized_on or authorization.submitted_at.date()
    return policy.rules_on(day)


def declared_totals(session: Session, authorization_id: int) -> dict[Direction, int]:
    """Declared values so far, per direction, in minor units of the unit of account."""
    totals = {Direction.IMPORT: 0, Direction.EXPORT: 0}
    for direction, total in session.execute(
        select(Declaration.direction, exact_sum(Declaration.value_unit))
        .where(Declaration.authorization_id == authorization_id)
        .group_by(Declaration.direction)
    ):
        totals[Direction(direction)] = int(total)
    return totals


def declaration_record(d: Declaration, corridor: CorridorView) -> DeclarationRecord:
    """``d`` as the services return it, valued in its currency and the unit of account."""
    return DeclarationRecord(
        id=d.id,
        direction=Direction(d.direction),
        hs=d.hs,
        quantity=d.quantity,
        unit=d.unit,
        value=Amount(d.value, d.currency, corridor.digits[d.currency]),
        currency=d.currency,
        rate=d.rate,
        value_unit=Amount(d.value_unit, corridor.unit_of_account, corridor.unit_digits),
        date=d.declared_on,
        flag=d.flag,
    )


def show(session: Session, policy: Policy, authorization_id: int) -> AuthorizationDetail:
    """An authorization's state, values in the unit of account, lines and declarations."""
    corridor = corridors.load(session)
    unit, digits = corridor.unit_of_account, corridor.unit_digits
    a = load_authorization(session, authorization_id)
    totals = declared_totals(session, authorization_id)
    imported, exported = totals[Direction.IMPORT], totals[Direction.EXPORT]
    declarations = session.execute(
        select(Declaration)
        .where(Declaration.authorization_id == authorization_id)
        .order_by(Declaration.id)
    ).scalars()
    lines = session.execute(
        select(AuthorizationLine)
        .where(AuthorizationLine.authorization_id == authorization_id)
        .order_by(AuthorizationLine.direction.desc(), AuthorizationLine.position)
    ).scalars()
    obligation = (
        session.get(Obligation, a.settlement_obligation) if a.settlement_obligation else None
    )

    def money(minor: int) -> Amount:
        return Amount(minor, unit, digits)

    return AuthorizationDetail(
        id=a.id,
        state=AuthorizationStatus(a.state),
        applicant=a.applicant,
        consortium=a.consortium,
        counterparty=a.counterparty,
        partner_country=a.partner_country,
        valid_from=a.valid_from,
        valid_until=a.valid_until,
        approval_number=a.approval_number,
        authorized_on=a.authorized_on,
        deadline=a.deadline,
        closed_on=a.closed_on,
        rejection_reason=a.rejection_reason,
        unit_of_account=unit,
        planned_import=money(a.planned_import),
        planned_export=money(a.planned_export),
        imported=money(imported),
        exported=money(exported),
        difference=money(imported - exported),
        tolerance=str(rules_of(policy, a).tolerance),
        lines=tuple(
            AuthorizedGoods(
                direction=Direction(line.direction),
                hs=line.hs,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                value=Amount(line.value, line.currency, corridor.digits[line.currency]),
                currency=line.currency,
                value_unit=money(line.value_unit),
            )
            for line in lines
        ),
        declarations=tuple(declaration_record(d, corridor) for d in declarations),
        obligation=None
        if obligation is None
        else DifferenceObligation(
            id=obligation.reference,
            debtor=obligation.debtor,
            creditor=obligation.creditor,
            amount=Amount(obligation.amount, obligation.currency, digits),
            currency=obligation.currency,
        ),
    )


def list_authorizations(
    session: Session, state: AuthorizationStatus | None = None, firm: str | None = None
) -> list[AuthorizationSummary]:
    """Authorizations, oldest first; only ``state``'s, only those ``firm`` is a party to."""
    corridor = corridors.load(session)
    query = select(Authorization).order_by(Authorization.id)
    if state is not None:
        query = query.where(Authorization.state == state)
    if firm is not None:
        query = query.where(access.authorizations_of(firm))

    def money(minor: int) -> Amount:
        return Amount(minor, corridor.unit_of_account, corridor.unit_digits)

    return [
        AuthorizationSummary(
            id=a.id,
            state=AuthorizationStatus(a.state),
            applicant=a.applicant,
            counterparty=a.counterparty,
            partner_country=a.partner_country,
            approval_number=a.approval_number,
            deadline=a.deadline,
            planned_import=money(a.planned_import),
            planned_export=money(a.planned_export),
        )
        for a in session.execute(query).scalars()
    ]
