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

from tahator.domain.barter import AuthorizationStatus, plan_reached
from tahator.domain.errors import NotFoundError, TahatorError
from tahator.domain.money import Amount
from tahator.domain.policy import Direction, Policy, Rules
from tahator.formatting import OMIT_EMPTY
from tahator.services import access
from tahator.services import corridor as corridors
from tahator.services.common import check_day
from tahator.services.corridor import CorridorView
from tahator.services.paging import Page, Window, page_of
from tahator.store.schema import (
    Authorization,
    AuthorizationLine,
    Consortium,
    Declaration,
    Firm,
    Obligation,
)
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
    reference: str | None
    """The goods declaration's (GD) number."""
    line: int | None
    """The position of the authorized line of its direction it is counted against."""


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
    policy_version: str
    """The version of the order that governs it (in force on its authorization date)."""
    policy_source: str
    sequencing: str
    window_days: int
    tolerance_source: str
    undertaking: bool
    ring: int | None
    """The proposal (barter ring) it was filed for, if any."""
    decided_on: dt.date | None
    """The business date customs authorized or rejected it."""
    closed_by: str | None
    close_reason: str | None
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
class DeadlineRow:
    """An open authorization and the days left to balance it."""

    id: int
    approval_number: str | None
    applicant: str
    counterparty: str
    deadline: dt.date
    days_left: int
    """Negative when overdue."""
    overdue: bool
    planned_import: Amount
    planned_export: Amount
    imported: Amount
    exported: Amount
    reached: bool
    """Both sides reached the plan within the tolerance: balanced at its deadline."""


@dataclass(frozen=True)
class Sweep:
    """What a sweep ended as of a day: cancelled, or balanced at their deadlines."""

    as_of: dt.date
    cancelled: tuple[AuthorizationDetail, ...]
    balanced: tuple[AuthorizationDetail, ...] = field(default=(), metadata=OMIT_EMPTY)


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
    """The version of the order that governs ``authorization``: the one recorded when it
    was authorized, never derived again from the policy file (a version added later
    changes nothing); before a decision, the one in force on its submission date.

    ``TahatorError`` when an authorized one has no recorded version, or one the policy
    file no longer has: the file, or the database, must be put right."""
    version = authorization.policy_version
    if version is None:
        if authorization.authorized_on is not None:
            raise TahatorError(
                f"authorization {authorization.id} was authorized but its version of the "
                "order was not recorded: the database needs repair"
            )
        return policy.rules_on(authorization.submitted_on)
    found = next((rules for rules in policy.versions if rules.version == version), None)
    if found is None:
        raise TahatorError(
            f"authorization {authorization.id} is governed by version {version!r} of the "
            "order, which the policy file no longer has: restore that version to the file"
        )
    return found


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
        reference=d.reference,
        line=d.line,
    )


def show(session: Session, policy: Policy, authorization_id: int) -> AuthorizationDetail:
    """An authorization's state, values in the unit of account, lines and declarations."""
    corridor = corridors.load(session)
    unit, digits = corridor.unit_of_account, corridor.unit_digits
    a = load_authorization(session, authorization_id)
    rules = rules_of(policy, a)
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
        tolerance=str(rules.tolerance),
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
        policy_version=rules.version,
        policy_source=rules.source,
        sequencing=str(rules.sequencing),
        window_days=rules.window_days,
        tolerance_source=rules.tolerance_source,
        undertaking=a.undertaking,
        ring=a.proposal_id,
        decided_on=a.decided_on,
        closed_by=a.closed_by,
        close_reason=a.close_reason,
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


def deadlines(
    session: Session, policy: Policy, as_of: dt.date, firm: str | None = None
) -> tuple[DeadlineRow, ...]:
    """Authorized (open) authorizations and the days left to balance each, overdue first
    (fewest days left first, then by id); only those ``firm`` is a party to, if given."""
    check_day(as_of)
    corridor = corridors.load(session)
    query = select(Authorization).where(Authorization.state == AuthorizationStatus.AUTHORIZED)
    if firm is not None:
        query = query.where(access.authorizations_of(firm))
    totals: dict[tuple[int, str], int] = {}
    for authorization_id, direction, total in session.execute(
        select(
            Declaration.authorization_id,
            Declaration.direction,
            exact_sum(Declaration.value_unit),
        )
        .join(Authorization, Authorization.id == Declaration.authorization_id)
        .where(Authorization.state == AuthorizationStatus.AUTHORIZED)
        .group_by(Declaration.authorization_id, Declaration.direction)
    ):
        totals[(authorization_id, direction)] = int(total)

    def money(minor: int) -> Amount:
        return Amount(minor, corridor.unit_of_account, corridor.unit_digits)

    rows = []
    for a in session.execute(query).scalars():
        assert a.deadline is not None  # set when authorized
        imported = totals.get((a.id, Direction.IMPORT), 0)
        exported = totals.get((a.id, Direction.EXPORT), 0)
        tolerance = rules_of(policy, a).tolerance
        days_left = (a.deadline - as_of).days
        rows.append(
            DeadlineRow(
                id=a.id,
                approval_number=a.approval_number,
                applicant=a.applicant,
                counterparty=a.counterparty,
                deadline=a.deadline,
                days_left=days_left,
                overdue=days_left < 0,
                planned_import=money(a.planned_import),
                planned_export=money(a.planned_export),
                imported=money(imported),
                exported=money(exported),
                reached=plan_reached(a.planned_import, imported, tolerance)
                and plan_reached(a.planned_export, exported, tolerance),
            )
        )
    rows.sort(key=lambda row: (row.days_left, row.id))
    return tuple(rows)


# --- what the pages show ------------------------------------------------------------


@dataclass(frozen=True)
class Imbalance:
    """What an authorization's two sides differ by, planned and declared so far: each an
    amount (never negative) and the side that is larger (``None`` when even)."""

    planned: Amount
    planned_larger: Direction | None
    declared: Amount
    declared_larger: Direction | None


def _larger(imported: int, exported: int) -> Direction | None:
    if imported == exported:
        return None
    return Direction.IMPORT if imported > exported else Direction.EXPORT


def imbalance(view: AuthorizationDetail) -> Imbalance:
    """The plan's difference (planned import against planned export) beside the declared
    goods' (``view.difference``, which is zero until goods are declared)."""
    plan_in, plan_out = view.planned_import, view.planned_export
    done_in, done_out = view.imported, view.exported
    return Imbalance(
        planned=Amount(abs(plan_in.minor - plan_out.minor), plan_in.currency, plan_in.digits),
        planned_larger=_larger(plan_in.minor, plan_out.minor),
        declared=Amount(abs(done_in.minor - done_out.minor), done_in.currency, done_in.digits),
        declared_larger=_larger(done_in.minor, done_out.minor),
    )


AUTHORIZATION_SORTS = ("id", "state", "applicant", "deadline", "planned_import")
DEADLINE_SORTS = ("days", "id", "applicant", "deadline")


def _names(session: Session) -> dict[str, str]:
    rows = session.execute(select(Firm.id, Firm.name)).all()
    found: dict[str, str] = {str(i): str(n) for i, n in rows}
    found.update(
        (str(i), str(n)) for i, n in session.execute(select(Consortium.id, Consortium.name)).all()
    )
    return found


@dataclass(frozen=True)
class Named:
    """A list's parties' names by id (firms and consortia)."""

    names: dict[str, str]

    def of(self, party: str) -> str:
        return self.names.get(party, party)


def party_names(session: Session) -> Named:
    return Named(_names(session))


def authorization_page(
    session: Session,
    window: Window,
    state: AuthorizationStatus | None = None,
    firm: str | None = None,
) -> Page[AuthorizationSummary]:
    """A page of authorizations, sorted by ``AUTHORIZATION_SORTS``; searched by number,
    approval number, or a party's id or name (case-insensitive)."""
    named = party_names(session)
    rows = list_authorizations(session, state, firm)

    def text(a: AuthorizationSummary) -> str:
        parties = (a.applicant, a.counterparty, named.of(a.applicant), named.of(a.counterparty))
        return " ".join((str(a.id), a.approval_number or "", *parties))

    return page_of(
        rows,
        window,
        sorts={
            "id": lambda a: a.id,
            "state": lambda a: (str(a.state), a.id),
            "applicant": lambda a: (named.of(a.applicant).casefold(), a.id),
            "deadline": lambda a: (a.deadline or dt.date.max, a.id),
            "planned_import": lambda a: (a.planned_import.minor, a.id),
        },
        text=text,
    )


def deadline_page(
    session: Session,
    policy: Policy,
    as_of: dt.date,
    window: Window,
    firm: str | None = None,
) -> Page[DeadlineRow]:
    """``deadlines`` a page at a time (overdue first unless sorted otherwise), searched
    by number, approval number, or a party's id or name."""
    named = party_names(session)

    def text(r: DeadlineRow) -> str:
        parties = (r.applicant, r.counterparty, named.of(r.applicant), named.of(r.counterparty))
        return " ".join((str(r.id), r.approval_number or "", *parties))

    return page_of(
        deadlines(session, policy, as_of, firm),
        window,
        sorts={
            "days": lambda r: (r.days_left, r.id),
            "id": lambda r: r.id,
            "applicant": lambda r: (named.of(r.applicant).casefold(), r.id),
            "deadline": lambda r: (r.deadline, r.id),
        },
        text=text,
    )
