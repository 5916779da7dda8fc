"""Barter authorizations: submit, authorize or reject, declare goods, balance, sweep.

The rules are the domain's (``domain.barter`` under a ``domain.policy``); this
module reads and writes them.  Values are converted to the unit of account at
the rate of the day they refer to: an application's first day of validity, a
declaration's date.  The results, and ``show`` and ``list_authorizations``, are
``services.barter_views`` (named here too); the quarterly report is
``services.barter_report``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields, replace
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain import barter, barter_lines
from tahator.domain.barter import (
    Applicant,
    Application,
    AuthorizationEvent,
    AuthorizationStatus,
    GoodsLine,
    Party,
    transition,
)
from tahator.domain.barter_lines import Goods, PlannedLine
from tahator.domain.corridor import to_unit_of_account
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR
from tahator.domain.policy import Direction, Policy
from tahator.formatting import jsonable
from tahator.io.declarations import DeclarationRecord
from tahator.services import audit, screening
from tahator.services import corridor as corridors
from tahator.services.barter_closing import (
    audit_state,
    balance,
    cancel,
    check_day,
    close,
    lead,
    sweep,
)
from tahator.services.barter_views import (
    AuthorizationDetail,
    AuthorizationSummary,
    Submission,
    Sweep,
    deadlines,
    declaration_record,
    declared_totals,
    list_authorizations,
    load_authorization,
    rules_of,
    show,
)
from tahator.services.common import business_today, now
from tahator.store.schema import (
    Authorization,
    AuthorizationLine,
    Consortium,
    ConsortiumMember,
    Corridor,
    Declaration,
    Firm,
)

__all__ = [
    "AuthorizationDetail",
    "AuthorizationSummary",
    "Submission",
    "Sweep",
    "authorize",
    "cancel",
    "close",
    "deadlines",
    "declare",
    "list_authorizations",
    "reject",
    "show",
    "submit",
    "sweep",
]

# --- applying ---------------------------------------------------------------------


def _party(firm: Firm) -> Party:
    return Party(
        firm.id,
        firm.country,
        firm.status,
        firm.active_taxpayer,
        firm.psw_subscribed,
        firm.state_enterprise,
    )


def _applicant(session: Session, applicant_id: str) -> Applicant | None:
    firm = session.get(Firm, applicant_id)
    if firm is not None:
        return Applicant(firm.id, (_party(firm),))
    if session.get(Consortium, applicant_id) is None:
        return None
    members = session.execute(
        select(Firm)
        .join(ConsortiumMember, ConsortiumMember.firm_id == Firm.id)
        .where(ConsortiumMember.consortium_id == applicant_id)
        .order_by(Firm.id)
    ).scalars()
    return Applicant(applicant_id, tuple(_party(m) for m in members), consortium=True)


def stored_application(session: Session, authorization: Authorization) -> Application:
    """The application ``authorization`` was filed with, as it was submitted."""
    lines: dict[Direction, list[GoodsLine]] = {Direction.IMPORT: [], Direction.EXPORT: []}
    for line in session.execute(
        select(AuthorizationLine)
        .where(AuthorizationLine.authorization_id == authorization.id)
        .order_by(AuthorizationLine.position)
    ).scalars():
        lines[Direction(line.direction)].append(
            GoodsLine(
                line.hs,
                line.description,
                Decimal(line.quantity),
                line.unit,
                line.value,
                line.currency,
            )
        )
    return Application(
        applicant_id=authorization.applicant,
        counterparty_id=authorization.counterparty,
        partner_country=authorization.partner_country,
        imports=tuple(lines[Direction.IMPORT]),
        exports=tuple(lines[Direction.EXPORT]),
        valid_from=authorization.valid_from,
        valid_until=authorization.valid_until,
        origin_declared=authorization.origin_declared,
        reference=authorization.reference,
        undertaking=authorization.undertaking,
        proposal=authorization.proposal_id,
    )


def _filed(session: Session, application: Application, label: str) -> Submission | None:
    """The authorization already filed under the application's reference, if any;
    ``InputError`` naming what differs when it was filed with other content."""
    if application.reference is None:
        return None
    filed = session.execute(
        select(Authorization).where(
            Authorization.applicant == application.applicant_id,
            Authorization.reference == application.reference,
        )
    ).scalar_one_or_none()
    if filed is None:
        return None
    stored = stored_application(session, filed)
    differ = [
        f.name
        for f in fields(Application)
        if getattr(stored, f.name) != getattr(application, f.name)
    ]
    if differ:
        raise InputError(
            [
                Problem(
                    f"reference {application.reference!r} was filed with other content "
                    f"({', '.join(differ)}): file a new application under a new reference",
                    label,
                    field="reference",
                )
            ]
        )
    return Submission(filed.id, AuthorizationStatus(filed.state), repeated=True)


def submit(
    session: Session,
    policy: Policy,
    application: Application,
    actor: str,
    label: str = "",
    *,
    as_of: dt.date | None = None,
) -> Submission:
    """Submit an application; ``InputError`` names every rule it breaks, nothing stored.

    An application carrying a ``reference`` already filed by the same applicant is
    not filed again: the same content answers with the stored one, other content
    is refused.  ``label`` names the application in problems (its file, say).
    """
    corridor = corridors.load(session)
    filed = _filed(session, application, label)
    if filed is not None:
        return filed
    applicant = _applicant(session, application.applicant_id)
    counterparty_firm = session.get(Firm, application.counterparty_id)
    counterparty = _party(counterparty_firm) if counterparty_firm else None
    if as_of is not None:
        check_day(as_of)
    rules = policy.rules_on(as_of or business_today(policy.zone))
    problems = barter.application_problems(policy, rules, application, applicant, counterparty)
    # Sanctions screening of every party: the applicant (each consortium member) and
    # the counterparty; a blocked or confirmed firm cannot apply.
    parties = [m.id for m in applicant.members] if applicant else []
    parties += [counterparty.id] if counterparty else []
    blocked = screening.blocked_problems(session, parties, actor, label=label, field="party")
    if problems or blocked:
        raise InputError([Problem(p.message, label, field=p.field) for p in problems] + blocked)
    lines = [(Direction.IMPORT, line) for line in application.imports]
    lines += [(Direction.EXPORT, line) for line in application.exports]
    rates = corridors.rates_on(
        session, application.valid_from, {line.currency for _, line in lines}
    )
    in_unit = [
        to_unit_of_account(
            line.value,
            corridor.digits[line.currency],
            rates[line.currency].per_unit_of_account,
            corridor.unit_digits,
        )
        for _, line in lines
    ]
    if max(sum(in_unit), *in_unit) > MAX_MINOR:
        raise InputError([Problem("the goods are worth more than the 64-bit limit", label)])
    planned: dict[Direction, int] = defaultdict(int)
    for (direction, _), value_unit in zip(lines, in_unit, strict=True):
        planned[direction] += value_unit
    authorization = Authorization(
        applicant=application.applicant_id,
        consortium=bool(applicant and applicant.consortium),
        counterparty=application.counterparty_id,
        partner_country=application.partner_country,
        valid_from=application.valid_from,
        valid_until=application.valid_until,
        origin_declared=application.origin_declared,
        reference=application.reference,
        undertaking=application.undertaking,
        proposal_id=application.proposal,
        state=AuthorizationStatus.SUBMITTED,
        planned_import=planned[Direction.IMPORT],
        planned_export=planned[Direction.EXPORT],
        submitted_at=now(),
        submitted_by=actor,
    )
    session.add(authorization)
    session.flush()
    position: dict[Direction, int] = defaultdict(int)
    for (direction, line), value_unit in zip(lines, in_unit, strict=True):
        position[direction] += 1
        session.add(
            AuthorizationLine(
                authorization_id=authorization.id,
                direction=str(direction),
                position=position[direction],
                hs=line.hs,
                description=line.description,
                quantity=str(line.quantity),
                unit=line.unit,
                value=line.value,
                currency=line.currency,
                value_unit=value_unit,
            )
        )
    audit.record(
        session,
        actor,
        "barter.apply",
        f"authorization:{authorization.id}",
        None,
        {
            "applicant": authorization.applicant,
            "counterparty": authorization.counterparty,
            "state": str(AuthorizationStatus.SUBMITTED),
        },
    )
    return Submission(authorization.id, AuthorizationStatus.SUBMITTED)


# --- deciding -----------------------------------------------------------------------


def _ntn(session: Session, authorization: Authorization) -> str:
    """The NTN the approval number is linked to: the applicant's, or its lead firm's."""
    firm = session.get(Firm, lead(session, authorization))
    assert firm is not None
    return firm.tax_id


def authorize(
    session: Session, policy: Policy, authorization_id: int, as_of: dt.date, actor: str
) -> AuthorizationDetail:
    """Customs authorizes a submitted application on ``as_of``: approval number and deadline.

    The version of the order in force on ``as_of`` governs it for life (its window,
    sequencing, tolerance): the application is checked again under it, and its
    balancing window must share days with the contract's validity.
    """
    check_day(as_of)
    authorization = load_authorization(session, authorization_id, lock=True)
    before = AuthorizationStatus(authorization.state)
    after = transition(before, AuthorizationEvent.AUTHORIZE, f"authorization {authorization_id}")
    rules = policy.rules_on(as_of)
    closes = barter.deadline(as_of, rules)
    problems = barter.window_problems(
        as_of, closes, authorization.valid_from, authorization.valid_until, rules
    )
    # The version in force today governs it for life: its application must meet it.
    applicant = _applicant(session, authorization.applicant)
    counterparty = session.get(Firm, authorization.counterparty)
    problems += barter.application_problems(
        policy,
        rules,
        stored_application(session, authorization),
        applicant,
        _party(counterparty) if counterparty else None,
    )
    if problems:
        raise InputError(problems)
    session.execute(select(Corridor.id).with_for_update()).all()  # one number at a time
    sequence = (
        session.scalar(select(func.count()).where(Authorization.approval_number.is_not(None))) or 0
    ) + 1
    authorization.state = after
    authorization.approval_number = barter.approval_number(_ntn(session, authorization), sequence)
    authorization.authorized_on = as_of
    authorization.deadline = closes
    authorization.policy_version = rules.version
    authorization.decided_on = as_of
    authorization.decided_by = actor
    view = show(session, policy, authorization_id)
    audit_state(session, actor, "barter.authorize", view, before)
    return view


def reject(
    session: Session,
    policy: Policy,
    authorization_id: int,
    reason: str,
    actor: str,
    *,
    as_of: dt.date,
) -> AuthorizationDetail:
    """Customs rejects a submitted application, saying why; ``as_of`` is the decision's
    business date."""
    check_day(as_of)
    problems = barter.rejection_problems(reason)
    if problems:
        raise InputError(problems)
    authorization = load_authorization(session, authorization_id, lock=True)
    before = AuthorizationStatus(authorization.state)
    authorization.state = transition(
        before, AuthorizationEvent.REJECT, f"authorization {authorization_id}"
    )
    authorization.rejection_reason = reason.strip()
    authorization.decided_on = as_of
    authorization.decided_by = actor
    view = show(session, policy, authorization_id)
    audit_state(session, actor, "barter.reject", view, before)
    return view


# --- declaring goods and balancing ----------------------------------------------------


def _repeated_declaration(
    session: Session, authorization_id: int, record: DeclarationRecord, reference: str
) -> Declaration | None:
    """The declaration already recorded under ``reference``, if any; ``InputError``
    naming what differs when it was recorded with other content."""
    recorded = session.execute(
        select(Declaration).where(
            Declaration.authorization_id == authorization_id,
            Declaration.reference == reference,
        )
    ).scalar_one_or_none()
    if recorded is None:
        return None
    stored = {
        "direction": recorded.direction,
        "hs": recorded.hs,
        "quantity": Decimal(recorded.quantity),
        "unit": recorded.unit,
        "value": recorded.value,
        "currency": recorded.currency,
        "date": recorded.declared_on,
    }
    differ = [name for name, value in stored.items() if getattr(record, name) != value]
    if differ:
        raise InputError(
            [
                Problem(
                    f"declaration {reference!r} was recorded with other content "
                    f"({', '.join(differ)})",
                    field="reference",
                )
            ]
        )
    return recorded


def _planned_lines(
    session: Session, authorization_id: int, direction: Direction
) -> list[PlannedLine]:
    """The authorized lines of ``direction`` and what has been declared against each."""
    declared_value: dict[int, int] = defaultdict(int)
    declared_quantity: dict[int, Decimal] = defaultdict(Decimal)
    for line, value_unit, quantity in session.execute(
        select(Declaration.line, Declaration.value_unit, Declaration.quantity).where(
            Declaration.authorization_id == authorization_id,
            Declaration.direction == direction,
            Declaration.line.is_not(None),
        )
    ):
        if line is not None:  # (selected so)
            declared_value[line] += value_unit
            declared_quantity[line] += Decimal(quantity)
    return [
        PlannedLine(
            position=line.position,
            hs=line.hs,
            description=line.description,
            quantity=Decimal(line.quantity),
            unit=line.unit,
            value_unit=line.value_unit,
            declared_quantity=declared_quantity[line.position],
            declared_value=declared_value[line.position],
        )
        for line in session.execute(
            select(AuthorizationLine)
            .where(
                AuthorizationLine.authorization_id == authorization_id,
                AuthorizationLine.direction == direction,
            )
            .order_by(AuthorizationLine.position)
        ).scalars()
    ]


def declare(
    session: Session,
    policy: Policy,
    authorization_id: int,
    record: DeclarationRecord | None,
    *,
    actor: str,
    problems: Sequence[Problem] = (),
) -> AuthorizationDetail:
    """Record a goods declaration quoting the authorization; balance it when it nets off.

    ``record`` and ``problems`` are what ``io.declarations.declaration_record`` made
    of the submitted fields: the problems are reported together with (before) this
    service's own, and a record that came with problems is never recorded.

    A declaration carrying a ``reference`` (the goods declaration's number) already
    recorded against the authorization is not counted again: the same content
    answers with the stored one, other content is refused.
    """
    corridor = corridors.load(session)
    authorization = load_authorization(session, authorization_id, lock=True)
    if record is None:
        raise InputError(list(problems))
    if record.reference is not None:
        if problems:  # what could not be read cannot be compared with what was stored
            raise InputError(list(problems))
        recorded = _repeated_declaration(session, authorization_id, record, record.reference)
        if recorded is not None:
            return _with_declaration(session, policy, recorded)
    found = list(problems)
    way, on, currency, amount = record.direction, record.date, record.currency, record.value
    totals = declared_totals(session, authorization_id)
    before = AuthorizationStatus(authorization.state)
    window = (authorization.authorized_on or dt.date.max, authorization.deadline or dt.date.min)
    rules = rules_of(policy, authorization)
    checked = barter.declaration_problems(
        rules,
        before,
        way,
        record.hs,
        on,
        window,
        (authorization.valid_from, authorization.valid_until),
    )
    found += [problem for problem in checked if problem not in found]
    if found:
        raise InputError(found)
    rate = corridors.rates_on(session, on, {currency})[currency].per_unit_of_account
    value_unit = to_unit_of_account(amount, corridor.digits[currency], rate, corridor.unit_digits)
    if totals[way] + value_unit > MAX_MINOR:
        raise InputError(
            [Problem("the declared values would exceed the 64-bit limit", field="value")]
        )
    totals[way] += value_unit
    goods = Goods(way, record.hs, record.quantity, record.unit, value_unit)
    unit, digits = corridor.unit_of_account, corridor.unit_digits
    line, found = barter_lines.match_line(
        rules, _planned_lines(session, authorization_id, way), goods, unit, digits
    )
    found += barter_lines.sequencing_problems(
        rules,
        way,
        totals[Direction.IMPORT],
        totals[Direction.EXPORT],
        authorization.planned_import,
        unit,
        digits,
    )
    if found:
        raise InputError(found)
    flag = barter.price_flag(
        policy, record.hs, record.unit, record.quantity, value_unit, corridor.unit_digits
    )
    declaration = Declaration(
        authorization_id=authorization_id,
        reference=record.reference,
        direction=str(way),
        hs=record.hs,
        quantity=str(record.quantity),
        unit=record.unit,
        value=amount,
        currency=currency,
        rate=str(rate),
        value_unit=value_unit,
        declared_on=on,
        line=line,
        flag=flag,
        created_at=now(),
        created_by=actor,
    )
    session.add(declaration)
    session.flush()
    if barter.plan_reached(
        authorization.planned_import, totals[Direction.IMPORT]
    ) and barter.plan_reached(authorization.planned_export, totals[Direction.EXPORT]):
        balance(session, authorization, on, actor)
    view = _with_declaration(session, policy, declaration)
    document = jsonable(view)
    audit.record(
        session,
        actor,
        "barter.declare",
        f"authorization:{authorization_id}",
        {"state": before},
        {"state": document["state"], "declaration": document["declaration"]},
    )
    return view


def _with_declaration(
    session: Session, policy: Policy, declaration: Declaration
) -> AuthorizationDetail:
    """The authorization, showing ``declaration`` as the one just recorded."""
    corridor = corridors.load(session)
    view = show(session, policy, declaration.authorization_id)
    record = declaration_record(declaration, corridor)
    return replace(view, declaration=record)
