"""What each event tells each subscriber, built from the views the firms already read:
a firm's set-off notices and instructions (``clearing_views``), its authorization,
its own legs of a proposed ring.  Nothing of another firm's beyond what the firm's
own notice shows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.barter import AuthorizationStatus
from tahator.domain.policy import Policy
from tahator.domain.webhook import REMINDER_DAYS, EventType
from tahator.formatting import jsonable
from tahator.services.clearing_views import NoticeView, setoff_notices, show_run
from tahator.services.webhook_outbox import Outbox
from tahator.store.schema import (
    Authorization,
    Consortium,
    ConsortiumMember,
    ObligationLiability,
    Proposal,
    ProposalLeg,
    SetoffNotice,
    WebhookDelivery,
)

_REMINDERS = uuid.UUID("6f0c1a52-6a57-4c61-9a55-7461686174f1")
"""The namespace of reminders' event ids: one id per (authorization, firm, days left),
so a reminder already enqueued is found and not enqueued again."""
_CHUNK = 1000


def _notices_by_firm(session: Session, run_id: int, firms: set[str]) -> dict[str, list[NoticeView]]:
    """Each of ``firms``' notices of a run (``access.notices_of``'s: as debtor, creditor
    or jointly liable), from one read of the run's notices and one of their liabilities."""
    jointly: dict[int, set[str]] = {}
    liable = (
        select(ObligationLiability.obligation_id, ObligationLiability.firm_id)
        .join(SetoffNotice, SetoffNotice.obligation_id == ObligationLiability.obligation_id)
        .where(SetoffNotice.run_id == run_id, ObligationLiability.firm_id.in_(sorted(firms)))
    )
    for obligation, firm in session.execute(liable):
        jointly.setdefault(obligation, set()).add(firm)
    grouped: dict[str, list[NoticeView]] = {}
    for notice in setoff_notices(session, run_id):
        parties = {notice.debtor, notice.creditor} | jointly.get(notice.obligation, set())
        for firm in sorted(parties & firms):
            grouped.setdefault(firm, []).append(notice)
    return grouped


def run_completed(session: Session, run_id: int) -> int:
    """A completed run's events: ``run.completed`` to each firm in it (its notices and
    instructions) and to each bank (its country's instructions), ``instruction.issued``
    to each firm per instruction.  The subscriptions and the notices are read once,
    the deliveries written in one insert.  Return how many deliveries were enqueued."""
    outbox = Outbox(session)
    firms, countries = outbox.subscriptions.subscribers(EventType.RUN_COMPLETED)
    issued, _ = outbox.subscriptions.subscribers(EventType.INSTRUCTION_ISSUED)
    if not (firms or countries or issued):
        return 0
    whole = show_run(session, run_id)
    run = {
        "id": whole.run_id,
        "as_of": whole.as_of.isoformat(),
        "unit_of_account": whole.unit_of_account,
    }
    notices_of = _notices_by_firm(session, run_id, firms) if firms else {}
    for firm in sorted(firms):
        notices = notices_of.get(firm, [])
        instructions = [i for i in whole.instructions if i.firm == firm]
        if notices or instructions:
            data = {
                "run": run,
                "notices": jsonable(notices),
                "instructions": jsonable(instructions),
            }
            outbox.add(EventType.RUN_COMPLETED, data, firm=firm)
    for country in sorted(countries):
        instructions = [i for i in whole.instructions if i.country == country]
        data = {"run": run, "country": country, "instructions": jsonable(instructions)}
        outbox.add(EventType.RUN_COMPLETED, data, country=country)
    for instruction in whole.instructions:
        if instruction.firm in issued:
            data = {"run": run, "instruction": jsonable(instruction)}
            outbox.add(EventType.INSTRUCTION_ISSUED, data, firm=instruction.firm)
    return outbox.flush()


def _parties(session: Session, authorization: Authorization) -> list[str]:
    """The firms party to ``authorization`` (``access.authorizations_of``'s, from the
    authorization's side): its counterparty, and its applicant or the applicant
    consortium's lead and members."""
    firms = {authorization.counterparty}
    if authorization.consortium:
        firms.update(
            session.scalars(
                select(ConsortiumMember.firm_id).where(
                    ConsortiumMember.consortium_id == authorization.applicant
                )
            )
        )
        firms.update(
            session.scalars(
                select(Consortium.lead_firm).where(Consortium.id == authorization.applicant)
            )
        )
    else:
        firms.add(authorization.applicant)
    return sorted(firms)


def _authorization(authorization: Authorization) -> dict[str, object]:
    return {
        "id": authorization.id,
        "reference": authorization.reference,
        "approval_number": authorization.approval_number,
        "state": authorization.state,
        "deadline": authorization.deadline.isoformat() if authorization.deadline else None,
        "closed_on": authorization.closed_on.isoformat() if authorization.closed_on else None,
    }


def authorization_cancelled(session: Session, authorization: Authorization) -> int:
    """``authorization.cancelled`` to each party of ``authorization``."""
    data = {"authorization": _authorization(authorization)}
    outbox = Outbox(session)
    for firm in _parties(session, authorization):
        outbox.add(EventType.AUTHORIZATION_CANCELLED, data, firm=firm)
    return outbox.flush()


def remind_deadlines(session: Session, policy: Policy, as_of: date) -> int:
    """``authorization.deadline`` to the parties of each authorized authorization whose
    deadline is at most 14, 7 or 1 days after ``as_of``: each (authorization, firm,
    threshold) once however often this runs, and caught up when the worker missed the
    day (a deadline in (as_of, as_of + d] not yet reminded for d).  Only the nearest
    threshold passed is sent: a late "14 days" when one day is left is noise.  Return
    how many deliveries were enqueued."""
    del policy  # the days are the issue's; the corridor's policy may set them later
    outbox = Outbox(session)
    firms, _ = outbox.subscriptions.subscribers(EventType.AUTHORIZATION_DEADLINE)
    if not firms:
        return 0
    due = session.scalars(
        select(Authorization)
        .where(
            Authorization.state == AuthorizationStatus.AUTHORIZED.value,
            Authorization.deadline > as_of,
            Authorization.deadline <= as_of + timedelta(days=max(REMINDER_DAYS)),
        )
        .order_by(Authorization.id)
    )
    planned: list[tuple[str, str, dict[str, object]]] = []
    for authorization in due:
        assert authorization.deadline is not None
        left = (authorization.deadline - as_of).days
        threshold = min(d for d in REMINDER_DAYS if left <= d)
        data = {"authorization": _authorization(authorization), "days_left": left}
        for firm in _parties(session, authorization):
            if firm in firms:
                key = f"{authorization.id}:{firm}:{threshold}"
                planned.append((str(uuid.uuid5(_REMINDERS, key)), firm, data))
    if not planned:
        return 0
    ids = [event_id for event_id, _, _ in planned]
    sent: set[str] = set()
    for start in range(0, len(ids), _CHUNK):  # bound the bind parameters of one query
        chunk = ids[start : start + _CHUNK]
        sent.update(
            session.scalars(
                select(WebhookDelivery.event_id).where(WebhookDelivery.event_id.in_(chunk))
            )
        )
    for event_id, firm, data in planned:
        if event_id not in sent:
            outbox.add(EventType.AUTHORIZATION_DEADLINE, data, firm=firm, event_id=event_id)
    return outbox.flush()


def ring_proposed(session: Session, proposal: Proposal) -> int:
    """``ring.proposed`` to each firm of ``proposal``'s ring, with its own legs only."""
    legs = list(
        session.scalars(
            select(ProposalLeg)
            .where(ProposalLeg.proposal_id == proposal.id)
            .order_by(ProposalLeg.position)
        )
    )
    outbox = Outbox(session)
    for firm in sorted({leg.firm for leg in legs}):
        own = [
            {"position": leg.position, "offer": leg.offer_id, "gives_minor": leg.gives}
            for leg in legs
            if leg.firm == firm
        ]
        data = {
            "proposal": {"id": proposal.id, "matching_run": proposal.run_id, "legs": len(legs)},
            "own_legs": own,
        }
        outbox.add(EventType.RING_PROPOSED, data, firm=firm)
    return outbox.flush()


__all__ = ["authorization_cancelled", "remind_deadlines", "ring_proposed", "run_completed"]
