"""Barter authorizations: submit, authorize or reject, declare goods (and balance).

The rules are the domain's (``domain.barter`` under a ``domain.policy``); this
module reads and writes them.  Values are converted to the unit of account at
the rate of the day they refer to: an application's first day of validity, a
declaration's date.  The results, and ``show``, ``list_authorizations`` and
``deadlines``, are ``services.barter_views``; ``declare`` is
``services.barter_declaring``; ``close``, ``cancel`` and ``sweep`` are
``services.barter_closing`` (all named here too); the quarterly report is
``services.barter_report``.  No date stated to them may be after the business date
(``today``, given by tests).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import fields
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain import barter
from tahator.domain.barter import (
    Applicant,
    Application,
    AuthorizationEvent,
    AuthorizationStatus,
    GoodsLine,
    Party,
    transition,
)
from tahator.domain.corridor import to_unit_of_account
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR
from tahator.domain.policy import Direction, Policy
from tahator.services import audit, screening
from tahator.services import corridor as corridors
from tahator.services.barter_closing import (
    audit_state,
    cancel,
    close,
    lead,
    sweep,
)
from tahator.services.barter_declaring import declare
from tahator.services.barter_views import (
    AuthorizationDetail,
    AuthorizationSummary,
    Submission,
    Sweep,
    deadlines,
    list_authorizations,
    load_authorization,
    show,
)
from tahator.services.common import business_today, check_past, now
from tahator.store.schema import (
    Authorization,
    AuthorizationLine,
    Consortium,
    ConsortiumMember,
    Corridor,
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
    today: dt.date | None = None,
) -> Submission:
    """Submit an application; ``InputError`` names every rule it breaks, nothing stored.

    It is checked under the version of the order in force on ``as_of`` (the
    business day by default); customs checks it again under the version in force
    when it authorizes it.  An application carrying a ``reference`` already filed by
    the same applicant is not filed again: the same content answers with the stored
    one, other content is refused.  ``label`` names the application in problems (its file, say).
    ``as_of`` (its submission date, kept: no decision is dated before it) may not be
    after ``today``, the business date unless given.
    """
    corridor = corridors.load(session)
    filed = _filed(session, application, label)
    if filed is not None:
        return filed
    applicant = _applicant(session, application.applicant_id)
    counterparty_firm = session.get(Firm, application.counterparty_id)
    counterparty = _party(counterparty_firm) if counterparty_firm else None
    today = today or business_today(policy.zone)
    if as_of is not None:
        check_past(as_of, policy.zone, today)
    submitted_on = as_of or today
    rules = policy.rules_on(submitted_on)
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
        submitted_on=submitted_on,
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


def _decided_before_submission(authorization: Authorization, as_of: dt.date) -> None:
    """``InputError`` when a decision would be dated before the application's submission:
    customs may not choose the law by back-dating."""
    if as_of < authorization.submitted_on:
        raise InputError(
            [
                Problem(
                    f"{as_of} is before the application was submitted "
                    f"({authorization.submitted_on})",
                    field="as_of",
                )
            ]
        )


def authorize(
    session: Session,
    policy: Policy,
    authorization_id: int,
    as_of: dt.date,
    actor: str,
    *,
    today: dt.date | None = None,
) -> AuthorizationDetail:
    """Customs authorizes a submitted application on ``as_of``: approval number and deadline.

    The version of the order in force on ``as_of`` governs it for life (its window,
    sequencing, tolerance): the application is checked again under it, and its
    balancing window must share days with the contract's validity.  ``as_of`` lies
    between the submission's date and ``today`` (the business date, unless given).
    """
    check_past(as_of, policy.zone, today)
    authorization = load_authorization(session, authorization_id, lock=True)
    before = AuthorizationStatus(authorization.state)
    after = transition(before, AuthorizationEvent.AUTHORIZE, f"authorization {authorization_id}")
    _decided_before_submission(authorization, as_of)
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
    today: dt.date | None = None,
) -> AuthorizationDetail:
    """Customs rejects a submitted application, saying why; ``as_of`` is the decision's
    business date, between the submission's and ``today`` (the business date unless given)."""
    check_past(as_of, policy.zone, today)
    problems = barter.rejection_problems(reason)
    if problems:
        raise InputError(problems)
    authorization = load_authorization(session, authorization_id, lock=True)
    before = AuthorizationStatus(authorization.state)
    after = transition(before, AuthorizationEvent.REJECT, f"authorization {authorization_id}")
    _decided_before_submission(authorization, as_of)
    authorization.state = after
    authorization.rejection_reason = reason.strip()
    authorization.decided_on = as_of
    authorization.decided_by = actor
    view = show(session, policy, authorization_id)
    audit_state(session, actor, "barter.reject", view, before)
    return view
