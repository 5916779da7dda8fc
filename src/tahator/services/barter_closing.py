"""Barter authorizations coming to an end: balanced, closed on purpose, cancelled.

An authorization is balanced when its declared imports and exports both reach
the plan (``services.barter.declare``, or within the tolerance by its deadline
at a sweep), or when customs or the applicant's trader closes it on purpose; it
is cancelled when its deadline passes first.  Either way what the goods differ
by becomes an obligation, once, so no value is lost.  ``services.barter``
re-exports ``close``, ``cancel`` and ``sweep``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain import barter
from tahator.domain.barter import AuthorizationEvent, AuthorizationStatus, transition
from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Direction, Policy
from tahator.formatting import jsonable
from tahator.services import audit, webhooks
from tahator.services import corridor as corridors
from tahator.services.barter_views import (
    AuthorizationDetail,
    Sweep,
    declared_totals,
    load_authorization,
    rules_of,
    show,
)
from tahator.services.common import check_past
from tahator.services.obligations import create_obligation
from tahator.store.schema import Authorization, Consortium, ConsortiumMember

MAX_REASON = 1000


def lead(session: Session, authorization: Authorization) -> str:
    """The firm that is the applicant's party: itself, or its consortium's lead firm."""
    if not authorization.consortium:
        return authorization.applicant
    consortium = session.get(Consortium, authorization.applicant)
    assert consortium is not None
    return consortium.lead_firm


def audit_state(
    session: Session, actor: str, action: str, view: AuthorizationDetail, before: str
) -> None:
    """Record an authorization's change of state."""
    document = jsonable(view)
    keys = ["state", "approval_number", "deadline", "rejection_reason", "closed_on"]
    keys += [key for key in ("closed_by", "close_reason") if document[key] is not None]
    audit.record(
        session,
        actor,
        action,
        f"authorization:{view.id}",
        {"state": before},
        {key: document[key] for key in keys},
    )


def _owed(session: Session, authorization: Authorization) -> barter.Difference | None:
    """What the goods declared so far differ by (from the plan, for a ring's application)."""
    totals = declared_totals(session, authorization.id)
    planned = (
        (authorization.planned_import, authorization.planned_export)
        if authorization.proposal_id is not None
        else None
    )
    return barter.difference(totals[Direction.IMPORT], totals[Direction.EXPORT], planned)


def settle_difference(
    session: Session, authorization: Authorization, on: dt.date, kind: str, actor: str
) -> None:
    """Turn what the two sides' goods differ by into an obligation, so no value is lost.

    The side that received more goods than it gave owes the difference; for a
    consortium the lead firm is the party and every member is jointly liable.  For
    a ring's application only what the goods differ from the plan by is owed: the
    plan's own difference is already one of the ring's obligations.
    """
    owed = _owed(session, authorization)
    if owed is None:
        return
    corridor = corridors.load(session)
    party = lead(session, authorization)
    members: tuple[str, ...] = (authorization.applicant,)
    if authorization.consortium:
        members = tuple(
            session.scalars(
                select(ConsortiumMember.firm_id)
                .where(ConsortiumMember.consortium_id == authorization.applicant)
                .order_by(ConsortiumMember.firm_id)
            )
        )
    debtor, creditor = (
        (party, authorization.counterparty)
        if owed.applicant_owes
        else (authorization.counterparty, party)
    )
    # A difference above the corridor's largest obligation is owed all the same: it is
    # registered as several obligations, so a sweep never stops on one authorization.
    parts = -(-owed.amount // corridor.max_obligation)
    for part in range(parts):
        obligation = create_obligation(
            session,
            reference=f"{authorization.approval_number}/{kind}" + (f"/{part + 1}" if part else ""),
            debtor=debtor,
            creditor=creditor,
            amount=min(corridor.max_obligation, owed.amount - part * corridor.max_obligation),
            currency=corridor.unit_of_account,
            due_date=on,
            origin=f"barter authorization {authorization.id} ({kind})",
            actor=actor,
            liable=members if owed.applicant_owes else (),
        )
        if not part:
            authorization.settlement_obligation = obligation.id


def balance(session: Session, authorization: Authorization, on: dt.date, actor: str) -> None:
    """Mark ``authorization`` balanced on ``on`` and owe its residual (caller audits)."""
    authorization.state = transition(
        authorization.state, AuthorizationEvent.BALANCE, f"authorization {authorization.id}"
    )
    authorization.closed_on = on
    settle_difference(session, authorization, on, "residual", actor)


def close(
    session: Session,
    policy: Policy,
    authorization_id: int,
    reason: str,
    as_of: dt.date,
    actor: str,
    *,
    by_trader: bool = False,
    today: dt.date | None = None,
) -> AuthorizationDetail:
    """Close an authorized authorization on purpose before its plan is reached (customs,
    or the applicant's trader), saying why: it is balanced, its residual owed.

    ``as_of`` may not be after ``today`` (the business date, unless given).  A trader
    (``by_trader``) may not close one whose residual the counterparty would owe: the
    applicant's side cannot make its partner a debtor; customs can."""
    check_past(as_of, policy.zone, today)
    problems = barter.closing_problems(reason, MAX_REASON)
    if problems:
        raise InputError(problems)
    authorization = load_authorization(session, authorization_id, lock=True)
    before = authorization.state
    transition(before, AuthorizationEvent.BALANCE, f"authorization {authorization_id}")
    assert authorization.authorized_on is not None
    assert authorization.deadline is not None
    if as_of < authorization.authorized_on:
        raise InputError(
            [
                Problem(
                    f"{as_of} is before the authorization ({authorization.authorized_on})",
                    field="as_of",
                )
            ]
        )
    if as_of > authorization.deadline:
        raise InputError(
            [
                Problem(
                    f"authorization {authorization_id} is overdue since its deadline "
                    f"{authorization.deadline}: cancel it instead",
                    field="as_of",
                )
            ]
        )
    owed = _owed(session, authorization)
    if by_trader and owed is not None and not owed.applicant_owes:
        raise InputError(
            [
                Problem(
                    "closing it would leave the counterparty owing: customs must close an "
                    "authorization that leaves the counterparty owing"
                )
            ]
        )
    balance(session, authorization, as_of, actor)
    authorization.closed_by = actor
    authorization.close_reason = reason.strip()
    view = show(session, policy, authorization_id)
    audit_state(session, actor, "barter.close", view, before)
    return view


def _end(
    session: Session, policy: Policy, authorization: Authorization, actor: str
) -> AuthorizationDetail:
    """The end of an overdue authorization: balanced when both sides reached the plan
    within the tolerance by its deadline, else cancelled; dated by its deadline."""
    assert authorization.deadline is not None
    totals = declared_totals(session, authorization.id)
    tolerance = rules_of(policy, authorization).tolerance
    before = authorization.state
    on = authorization.deadline
    if barter.plan_reached(
        authorization.planned_import, totals[Direction.IMPORT], tolerance
    ) and barter.plan_reached(authorization.planned_export, totals[Direction.EXPORT], tolerance):
        balance(session, authorization, on, actor)
        action = "barter.balance"
    else:
        authorization.state = transition(before, AuthorizationEvent.CANCEL)
        authorization.closed_on = on
        settle_difference(session, authorization, on, "imbalance", actor)
        webhooks.authorization_cancelled(session, authorization)
        action = "barter.cancel"
    faults.point("barter.sweep.after_cancel")
    view = show(session, policy, authorization.id)
    audit_state(session, actor, action, view, before)
    faults.point("barter.sweep.after_audit")
    return view


def cancel(
    session: Session,
    policy: Policy,
    authorization_id: int,
    as_of: dt.date,
    actor: str,
    *,
    today: dt.date | None = None,
) -> AuthorizationDetail:
    """Cancel one overdue authorization (its deadline before ``as_of``, not after
    ``today``), as a sweep would: balanced instead when both sides reached the plan
    within the tolerance."""
    check_past(as_of, policy.zone, today)
    authorization = load_authorization(session, authorization_id, lock=True)
    transition(authorization.state, AuthorizationEvent.CANCEL, f"authorization {authorization_id}")
    assert authorization.deadline is not None
    if not authorization.deadline < as_of:
        raise InputError(
            [
                Problem(
                    f"authorization {authorization_id} is not overdue on {as_of}: "
                    f"its deadline is {authorization.deadline}",
                    field="as_of",
                )
            ]
        )
    return _end(session, policy, authorization, actor)


def sweep(
    session: Session, policy: Policy, as_of: dt.date, actor: str, *, today: dt.date | None = None
) -> Sweep:
    """End every authorization past its deadline; idempotent.

    One whose both sides reached the plan within the tolerance is balanced; the
    others are cancelled, their unbalanced value owed by the side that received
    more to the side that gave more, for the offset clearing to settle.  Both are
    dated by the deadline, not by the sweep.  ``as_of`` may not be after ``today`` (the
    business date unless given): a deadline cannot pass before its day.
    """
    check_past(as_of, policy.zone, today)
    due = (
        session.execute(
            select(Authorization)
            .where(
                Authorization.state == AuthorizationStatus.AUTHORIZED,
                Authorization.deadline < as_of,
            )
            .order_by(Authorization.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    ended = [_end(session, policy, authorization, actor) for authorization in due]
    return Sweep(
        as_of,
        tuple(v for v in ended if v.state == AuthorizationStatus.CANCELLED),
        tuple(v for v in ended if v.state == AuthorizationStatus.BALANCED),
    )
