"""Barter authorizations: apply, authorize or reject, declare goods, balance, sweep, report.

The rules are the domain's (``domain.barter`` under a ``domain.policy``); this
module reads and writes them.  Values are converted to the unit of account at
the rate of the day they refer to: an application's first day of validity, a
declaration's date.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain import barter
from tahator.domain.barter import Applicant, Application, GoodsLine, Party, State
from tahator.domain.corridor import to_unit_of_account
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.money import MAX_MINOR, format_amount, parse_amount
from tahator.domain.policy import Direction, Policy
from tahator.services import access, audit, screening
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.services.obligations import create_obligation
from tahator.store.schema import (
    Authorization,
    AuthorizationLine,
    Consortium,
    ConsortiumMember,
    Corridor,
    Declaration,
    Firm,
    Obligation,
)

MAX_APPLICATION_BYTES = 1_000_000


# --- applying ---------------------------------------------------------------


def read_application(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``InputError`` for unreadable or malformed files."""
    label = str(path)
    try:
        if path.stat().st_size > MAX_APPLICATION_BYTES:
            raise InputError([Problem(f"larger than {MAX_APPLICATION_BYTES} bytes", label)])
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as error:
        raise InputError([Problem(f"cannot read the file: {error.strerror}", label)]) from error
    except UnicodeDecodeError as error:
        raise InputError([Problem("is not UTF-8 text", label)]) from error
    except json.JSONDecodeError as error:
        raise InputError(
            [Problem(f"not valid JSON: {error.msg} (column {error.colno})", label, error.lineno)]
        ) from error
    except RecursionError as error:
        raise InputError([Problem("nested too deeply to be an application", label)]) from error
    if not isinstance(data, dict):
        raise InputError([Problem("must be a JSON object", label)])
    return data


def parse_application(
    data: dict[str, Any], digits: dict[str, int], label: str = "application"
) -> Application:
    """An ``Application`` from its JSON form; ``InputError`` names every bad field."""
    problems: list[Problem] = []

    def text(key: str, where: dict[str, Any], path: str) -> str:
        value = where.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem("must be a non-empty string", label, field=path))
            return ""
        return value.strip()

    def day(key: str) -> date:
        value = text(key, data, key)
        try:
            return date.fromisoformat(value)
        except ValueError:
            if value:
                problems.append(Problem(f"{value!r} is not a date (YYYY-MM-DD)", label, field=key))
            return date.min

    def lines(key: str) -> tuple[GoodsLine, ...]:
        items = data.get(key)
        if not isinstance(items, list):
            problems.append(Problem("must be a list of goods lines", label, field=key))
            return ()
        parsed = []
        for number, item in enumerate(items, start=1):
            path = f"{key}[{number}]"
            if not isinstance(item, dict):
                problems.append(Problem("must be an object", label, field=path))
                continue
            currency = text("currency", item, f"{path}.currency").upper()
            try:
                quantity = barter.parse_quantity(str(item.get("quantity")))
            except ValueError as error:
                problems.append(Problem(str(error), label, field=f"{path}.quantity"))
                quantity = Decimal(0)
            value = 0
            raw = item.get("value")
            if currency and currency not in digits:
                problems.append(
                    Problem(
                        f"{currency!r} is not a corridor currency", label, field=f"{path}.currency"
                    )
                )
            elif not isinstance(raw, str):
                problems.append(Problem("must be a decimal string", label, field=f"{path}.value"))
            elif currency:
                try:
                    value = parse_amount(raw, digits[currency])
                except ValueError as error:
                    problems.append(Problem(str(error), label, field=f"{path}.value"))
            parsed.append(
                GoodsLine(
                    text("hs", item, f"{path}.hs"),
                    str(item.get("description", "")),
                    quantity,
                    text("unit", item, f"{path}.unit"),
                    value,
                    currency,
                )
            )
        return tuple(parsed)

    reference = data.get("reference")
    if reference is not None and not (isinstance(reference, str) and 0 < len(reference) <= 100):
        problems.append(
            Problem("must be a string of 1 to 100 characters", label, field="reference")
        )
        reference = None
    origin = data.get("origin_declared")
    if not isinstance(origin, bool):
        problems.append(Problem("must be true or false", label, field="origin_declared"))
    application = Application(
        applicant_id=text("applicant", data, "applicant"),
        counterparty_id=text("counterparty", data, "counterparty"),
        partner_country=text("partner_country", data, "partner_country").upper(),
        imports=lines("imports"),
        exports=lines("exports"),
        valid_from=day("valid_from"),
        valid_until=day("valid_until"),
        origin_declared=origin is True,
        reference=reference,
    )
    if problems:
        raise InputError(problems)
    return application


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


def apply(session: Session, policy: Policy, path: Path, actor: str) -> dict[str, Any]:
    """Submit a barter application from a JSON file; refused whole if any rule fails."""
    corridor = corridors.load(session)
    label = str(path)
    application = parse_application(read_application(path), corridor.digits, label)
    return submit(session, policy, application, actor, label)


def submit(
    session: Session, policy: Policy, application: Application, actor: str, label: str = ""
) -> dict[str, Any]:
    """Submit an application; ``InputError`` names every rule it breaks, nothing stored.

    An application carrying a ``reference`` already filed by the same applicant is
    not filed again: the same content answers with the stored one, other content
    is refused.
    """
    corridor = corridors.load(session)
    if application.reference is not None:
        filed = session.execute(
            select(Authorization).where(
                Authorization.applicant == application.applicant_id,
                Authorization.reference == application.reference,
            )
        ).scalar_one_or_none()
        if filed is not None:
            same = (
                filed.counterparty,
                filed.partner_country,
                filed.valid_from,
                filed.valid_until,
            ) == (
                application.counterparty_id,
                application.partner_country,
                application.valid_from,
                application.valid_until,
            )
            if not same:
                raise InputError(
                    [
                        Problem(
                            f"reference {application.reference!r} was filed with other content",
                            label,
                            field="reference",
                        )
                    ]
                )
            return {"id": filed.id, "state": filed.state, "repeated": True}
    applicant = _applicant(session, application.applicant_id)
    counterparty_firm = session.get(Firm, application.counterparty_id)
    counterparty = _party(counterparty_firm) if counterparty_firm else None
    problems = barter.application_problems(policy, application, applicant, counterparty)
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
    authorization = Authorization(
        applicant=application.applicant_id,
        consortium=bool(applicant and applicant.consortium),
        counterparty=application.counterparty_id,
        partner_country=application.partner_country,
        valid_from=application.valid_from,
        valid_until=application.valid_until,
        origin_declared=application.origin_declared,
        reference=application.reference,
        state=State.SUBMITTED,
        planned_import=sum(
            v for (d, _), v in zip(lines, in_unit, strict=True) if d == Direction.IMPORT
        ),
        planned_export=sum(
            v for (d, _), v in zip(lines, in_unit, strict=True) if d == Direction.EXPORT
        ),
        submitted_at=now(),
        submitted_by=actor,
    )
    session.add(authorization)
    session.flush()
    position: dict[str, int] = defaultdict(int)
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
            "state": str(State.SUBMITTED),
        },
    )
    return {"id": authorization.id, "state": str(State.SUBMITTED)}


# --- deciding ---------------------------------------------------------------


def _authorization(session: Session, authorization_id: int, *, lock: bool = False) -> Authorization:
    query = select(Authorization).where(Authorization.id == authorization_id)
    if lock:
        # Afresh: an object this session loaded before the lock may be stale by now.
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no barter authorization {authorization_id}")
    return found


def _ntn(session: Session, authorization: Authorization) -> str:
    """The NTN the approval number is linked to: the applicant's, or its lead firm's."""
    firm_id = authorization.applicant
    if authorization.consortium:
        consortium = session.get(Consortium, firm_id)
        assert consortium is not None
        firm_id = consortium.lead_firm
    firm = session.get(Firm, firm_id)
    assert firm is not None
    return firm.tax_id


def authorize(
    session: Session, policy: Policy, authorization_id: int, as_of: date, actor: str
) -> dict[str, Any]:
    """Customs authorizes a submitted application: approval number and deadline."""
    authorization = _authorization(session, authorization_id, lock=True)
    if authorization.state != State.SUBMITTED:
        raise InputError(
            [Problem(f"authorization {authorization_id} is {authorization.state}, not submitted")]
        )
    if as_of > authorization.valid_until:
        raise InputError(
            [
                Problem(
                    f"the contract expired on {authorization.valid_until}, before {as_of}",
                    field="as_of",
                )
            ]
        )
    session.execute(select(Corridor.id).with_for_update()).all()  # one number at a time
    sequence = (
        session.scalar(select(func.count()).where(Authorization.approval_number.is_not(None))) or 0
    ) + 1
    authorization.state = State.AUTHORIZED
    authorization.approval_number = barter.approval_number(_ntn(session, authorization), sequence)
    authorization.authorized_on = as_of
    authorization.deadline = barter.deadline(as_of, policy)
    authorization.decided_by = actor
    view = show(session, policy, authorization_id)
    _audit_state(session, actor, "barter.authorize", view, State.SUBMITTED)
    return view


def _audit_state(
    session: Session, actor: str, action: str, view: dict[str, Any], before: str
) -> None:
    """Record an authorization's change of state."""
    audit.record(
        session,
        actor,
        action,
        f"authorization:{view['id']}",
        {"state": before},
        {
            key: view[key]
            for key in ("state", "approval_number", "deadline", "rejection_reason", "closed_on")
        },
    )


def reject(
    session: Session, policy: Policy, authorization_id: int, reason: str, actor: str
) -> dict[str, Any]:
    """Customs rejects a submitted application, saying why."""
    if not reason.strip():
        raise InputError([Problem("a rejection needs a reason", field="reason")])
    authorization = _authorization(session, authorization_id, lock=True)
    if authorization.state != State.SUBMITTED:
        raise InputError(
            [Problem(f"authorization {authorization_id} is {authorization.state}, not submitted")]
        )
    authorization.state = State.REJECTED
    authorization.rejection_reason = reason.strip()
    authorization.decided_by = actor
    view = show(session, policy, authorization_id)
    _audit_state(session, actor, "barter.reject", view, State.SUBMITTED)
    return view


# --- declaring goods and balancing --------------------------------------------


def _totals(session: Session, authorization_id: int) -> dict[str, int]:
    totals = {str(Direction.IMPORT): 0, str(Direction.EXPORT): 0}
    for direction, total in session.execute(
        select(Declaration.direction, func.sum(Declaration.value_unit))
        .where(Declaration.authorization_id == authorization_id)
        .group_by(Declaration.direction)
    ):
        totals[direction] = int(total)
    return totals


def declare(
    session: Session,
    policy: Policy,
    authorization_id: int,
    *,
    direction: str,
    hs: str,
    quantity: str,
    unit: str,
    value: str,
    currency: str,
    on: date,
    actor: str,
    reference: str | None = None,
) -> dict[str, Any]:
    """Record a goods declaration quoting the authorization; balance it when it nets off.

    A declaration carrying a ``reference`` (the goods declaration's number) already
    recorded against the authorization is not counted again: the same content
    answers with the stored one, other content is refused.
    """
    corridor = corridors.load(session)
    authorization = _authorization(session, authorization_id, lock=True)
    problems: list[Problem] = []
    if reference is not None:
        if not 0 < len(reference) <= 100:
            raise InputError([Problem("must be 1 to 100 characters", field="reference")])
        recorded = session.execute(
            select(Declaration).where(
                Declaration.authorization_id == authorization_id,
                Declaration.reference == reference,
            )
        ).scalar_one_or_none()
        if recorded is not None:
            same = (
                recorded.direction,
                recorded.hs,
                recorded.unit,
                recorded.currency,
                recorded.declared_on,
            ) == (direction, hs, unit.strip(), currency.upper(), on)
            if not same:
                raise InputError(
                    [
                        Problem(
                            f"declaration {reference!r} was recorded with other content",
                            field="reference",
                        )
                    ]
                )
            view = show(session, policy, authorization_id)
            view["declaration"] = _declaration_view(recorded, corridor.digits, corridor.unit_digits)
            return view
    try:
        way = Direction(direction)
    except ValueError:
        raise InputError(
            [Problem(f"{direction!r} must be import or export", field="direction")]
        ) from None
    currency = currency.upper()
    amount = corridors.positive_amount(value, currency, corridor.digits, problems)
    try:
        count = barter.parse_quantity(quantity)
    except ValueError as error:
        problems.append(Problem(str(error), field="quantity"))
        count = Decimal(1)
    if not unit.strip() or len(unit) > barter.MAX_UNIT:
        problems.append(Problem(f"must be 1 to {barter.MAX_UNIT} characters", field="unit"))
    totals = _totals(session, authorization_id)
    before_state = authorization.state
    window = (authorization.authorized_on or date.max, authorization.deadline or date.min)
    problems += barter.declaration_problems(
        policy,
        State(authorization.state),
        way,
        hs,
        on,
        window,
        (authorization.valid_from, authorization.valid_until),
        totals[Direction.IMPORT],
    )
    if problems:
        raise InputError(problems)
    rate = corridors.rates_on(session, on, {currency})[currency].per_unit_of_account
    value_unit = to_unit_of_account(amount, corridor.digits[currency], rate, corridor.unit_digits)
    if totals[way] + value_unit > MAX_MINOR:
        raise InputError(
            [Problem("the declared values would exceed the 64-bit limit", field="value")]
        )
    flag = barter.price_flag(policy, hs, unit.strip(), count, value_unit, corridor.unit_digits)
    declaration = Declaration(
        authorization_id=authorization_id,
        reference=reference,
        direction=str(way),
        hs=hs,
        quantity=str(count),
        unit=unit.strip(),
        value=amount,
        currency=currency,
        rate=str(rate),
        value_unit=value_unit,
        declared_on=on,
        flag=flag,
        created_at=now(),
        created_by=actor,
    )
    session.add(declaration)
    session.flush()
    totals[way] += value_unit
    imported, exported = totals[Direction.IMPORT], totals[Direction.EXPORT]
    if barter.is_balanced(imported, exported, policy.tolerance):
        authorization.state = State.BALANCED
        authorization.closed_on = on
        _settle_difference(
            session, policy, authorization, imported, exported, on, "residual", actor
        )
    view = show(session, policy, authorization_id)
    view["declaration"] = _declaration_view(declaration, corridor.digits, corridor.unit_digits)
    audit.record(
        session,
        actor,
        "barter.declare",
        f"authorization:{authorization_id}",
        {"state": before_state},
        {"state": view["state"], "declaration": view["declaration"]},
    )
    return view


def _settle_difference(
    session: Session,
    policy: Policy,
    authorization: Authorization,
    imported: int,
    exported: int,
    on: date,
    kind: str,
    actor: str,
) -> None:
    """Turn what the two sides' goods differ by into an obligation, so no value is lost.

    The side that received more goods than it gave owes the difference; for a
    consortium the lead firm is the party and every member is jointly liable.
    """
    applicant_owes = barter.imbalance_debtor_is_applicant(imported, exported)
    if applicant_owes is None:
        return
    corridor = corridors.load(session)
    party: str = authorization.applicant
    members: tuple[str, ...] = (authorization.applicant,)
    if authorization.consortium:
        consortium = session.get(Consortium, authorization.applicant)
        assert consortium is not None
        party = consortium.lead_firm
        members = tuple(
            session.scalars(
                select(ConsortiumMember.firm_id)
                .where(ConsortiumMember.consortium_id == consortium.id)
                .order_by(ConsortiumMember.firm_id)
            )
        )
    debtor, creditor = (
        (party, authorization.counterparty)
        if applicant_owes
        else (authorization.counterparty, party)
    )
    obligation = create_obligation(
        session,
        reference=f"{authorization.approval_number}/{kind}",
        debtor=debtor,
        creditor=creditor,
        amount=abs(imported - exported),
        currency=corridor.unit_of_account,
        due_date=on,
        origin=f"barter authorization {authorization.id} ({kind})",
        actor=actor,
        liable=members if applicant_owes else (),
    )
    authorization.settlement_obligation = obligation.id


def sweep(session: Session, policy: Policy, as_of: date, actor: str) -> dict[str, Any]:
    """Cancel every authorization past its deadline and not balanced; idempotent.

    Its unbalanced value becomes an obligation from the side that received more
    to the side that gave more, for the offset clearing to settle.
    """
    due = (
        session.execute(
            select(Authorization)
            .where(Authorization.state == State.AUTHORIZED, Authorization.deadline < as_of)
            .order_by(Authorization.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    cancelled = []
    for authorization in due:
        totals = _totals(session, authorization.id)
        authorization.state = State.CANCELLED
        authorization.closed_on = as_of
        _settle_difference(
            session,
            policy,
            authorization,
            totals[Direction.IMPORT],
            totals[Direction.EXPORT],
            as_of,
            "imbalance",
            actor,
        )
        faults.point("barter.sweep.after_cancel")
        cancelled.append(show(session, policy, authorization.id))
        _audit_state(session, actor, "barter.cancel", cancelled[-1], State.AUTHORIZED)
        faults.point("barter.sweep.after_audit")
    return {"as_of": as_of.isoformat(), "cancelled": cancelled}


# --- reading ------------------------------------------------------------------


def _declaration_view(d: Declaration, digits: dict[str, int], unit_digits: int) -> dict[str, Any]:
    return {
        "id": d.id,
        "direction": d.direction,
        "hs": d.hs,
        "quantity": d.quantity,
        "unit": d.unit,
        "value": format_amount(d.value, digits[d.currency]),
        "currency": d.currency,
        "rate": d.rate,
        "value_unit": format_amount(d.value_unit, unit_digits),
        "date": d.declared_on.isoformat(),
        "flag": d.flag,
    }


def show(session: Session, policy: Policy, authorization_id: int) -> dict[str, Any]:
    """An authorization's state, values in the unit of account, lines and declarations."""
    corridor = corridors.load(session)
    digits = corridor.unit_digits
    a = _authorization(session, authorization_id)
    totals = _totals(session, authorization_id)
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

    def money(minor: int) -> str:
        return format_amount(minor, digits)

    return {
        "id": a.id,
        "state": a.state,
        "applicant": a.applicant,
        "consortium": a.consortium,
        "counterparty": a.counterparty,
        "partner_country": a.partner_country,
        "valid_from": a.valid_from.isoformat(),
        "valid_until": a.valid_until.isoformat(),
        "approval_number": a.approval_number,
        "authorized_on": a.authorized_on.isoformat() if a.authorized_on else None,
        "deadline": a.deadline.isoformat() if a.deadline else None,
        "closed_on": a.closed_on.isoformat() if a.closed_on else None,
        "rejection_reason": a.rejection_reason,
        "unit_of_account": corridor.unit_of_account,
        "planned_import": money(a.planned_import),
        "planned_export": money(a.planned_export),
        "imported": money(imported),
        "exported": money(exported),
        "difference": money(imported - exported),
        "tolerance": str(policy.tolerance),
        "lines": [
            {
                "direction": line.direction,
                "hs": line.hs,
                "description": line.description,
                "quantity": line.quantity,
                "unit": line.unit,
                "value": format_amount(line.value, corridor.digits[line.currency]),
                "currency": line.currency,
                "value_unit": money(line.value_unit),
            }
            for line in lines
        ],
        "declarations": [_declaration_view(d, corridor.digits, digits) for d in declarations],
        "obligation": None
        if obligation is None
        else {
            "id": obligation.reference,
            "debtor": obligation.debtor,
            "creditor": obligation.creditor,
            "amount": money(obligation.amount),
            "currency": obligation.currency,
        },
    }


def list_authorizations(
    session: Session, state: str | None = None, firm: str | None = None
) -> list[dict[str, Any]]:
    digits = corridors.load(session).unit_digits
    query = select(Authorization).order_by(Authorization.id)
    if state is not None:
        query = query.where(Authorization.state == state)
    if firm is not None:
        query = query.where(access.authorizations_of(firm))
    return [
        {
            "id": a.id,
            "state": a.state,
            "applicant": a.applicant,
            "counterparty": a.counterparty,
            "partner_country": a.partner_country,
            "approval_number": a.approval_number,
            "deadline": a.deadline.isoformat() if a.deadline else None,
            "planned_import": format_amount(a.planned_import, digits),
            "planned_export": format_amount(a.planned_export, digits),
        }
        for a in session.execute(query).scalars()
    ]


def quarterly_report(session: Session, quarter: str) -> dict[str, Any]:
    """The quarterly barter report for the Ministry of Commerce."""
    start, end = barter.quarter_bounds(quarter)
    corridor = corridors.load(session)
    digits = corridor.unit_digits
    authorizations = session.execute(select(Authorization)).scalars().all()

    def within(day: date | None) -> bool:
        return day is not None and start <= day <= end

    issued = [a for a in authorizations if within(a.authorized_on)]
    closed = [a for a in authorizations if within(a.closed_on)]
    outstanding = [
        a
        for a in authorizations
        if a.authorized_on is not None
        and a.authorized_on <= end
        and (a.closed_on is None or a.closed_on > end)
    ]
    partner_of = {a.id: a.partner_country for a in authorizations}
    flows: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"imported": 0, "exported": 0, "declarations": 0}
    )
    flagged = []
    for d in session.execute(
        select(Declaration)
        .where(Declaration.declared_on >= start, Declaration.declared_on <= end)
        .order_by(Declaration.id)
    ).scalars():
        cell = flows[partner_of[d.authorization_id], d.hs[:2]]
        cell["imported" if d.direction == Direction.IMPORT else "exported"] += d.value_unit
        cell["declarations"] += 1
        if d.flag:
            flagged.append(
                {
                    "declaration": d.id,
                    "authorization": d.authorization_id,
                    "hs": d.hs,
                    "date": d.declared_on.isoformat(),
                    "flag": d.flag,
                }
            )
    return {
        "quarter": quarter.upper(),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "unit_of_account": corridor.unit_of_account,
        "authorizations_issued": len(issued),
        "planned_import": format_amount(sum(a.planned_import for a in issued), digits),
        "planned_export": format_amount(sum(a.planned_export for a in issued), digits),
        "balanced": sum(1 for a in closed if a.state == State.BALANCED),
        "cancelled": sum(1 for a in closed if a.state == State.CANCELLED),
        "rejected": sum(
            1 for a in authorizations if a.state == State.REJECTED and within(a.submitted_at.date())
        ),
        "outstanding": len(outstanding),
        "flows": [
            {
                "partner_country": partner,
                "hs_chapter": chapter,
                "imported": format_amount(cell["imported"], digits),
                "exported": format_amount(cell["exported"], digits),
                "declarations": cell["declarations"],
            }
            for (partner, chapter), cell in sorted(flows.items())
        ],
        "flagged": flagged,
    }


REPORT_CSV_HEADER = ("section", "partner_country", "hs_chapter", "measure", "value")


def report_rows(report: dict[str, Any]) -> list[tuple[str, ...]]:
    """The report as long-format CSV rows (``REPORT_CSV_HEADER``)."""
    rows: list[tuple[str, ...]] = []
    for measure in (
        "authorizations_issued",
        "planned_import",
        "planned_export",
        "balanced",
        "cancelled",
        "rejected",
        "outstanding",
    ):
        rows.append(("summary", "", "", measure, str(report[measure])))
    for flow in report["flows"]:
        for measure in ("imported", "exported", "declarations"):
            rows.append(
                ("flows", flow["partner_country"], flow["hs_chapter"], measure, str(flow[measure]))
            )
    for item in report["flagged"]:
        rows.append(
            ("flagged", "", item["hs"][:2], f"declaration {item['declaration']}", item["flag"])
        )
    return rows
