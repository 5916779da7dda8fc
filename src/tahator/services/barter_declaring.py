"""Goods declarations against a barter authorization, and the balance they may bring.

A declaration quotes an authorization and is counted against one of its authorized
lines (``domain.barter_lines``), valued in the unit of account at the rate of its
date; when both sides reach the plan the authorization is balanced
(``services.barter_closing.balance``).  A goods declaration's (GD) number names one
declaration in the whole corridor.  ``services.barter`` re-exports ``declare``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import barter, barter_lines
from tahator.domain.barter import AuthorizationStatus
from tahator.domain.barter_lines import Dated, Goods, PlannedLine
from tahator.domain.corridor import to_unit_of_account
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR, format_amount
from tahator.domain.policy import Direction, Policy
from tahator.formatting import jsonable
from tahator.io.declarations import DeclarationRecord
from tahator.services import audit
from tahator.services import corridor as corridors
from tahator.services.barter_closing import balance
from tahator.services.barter_views import (
    AuthorizationDetail,
    declaration_record,
    load_authorization,
    rules_of,
    show,
)
from tahator.services.common import business_today, now
from tahator.store.schema import AuthorizationLine, Declaration


def _repeated_declaration(
    session: Session, authorization_id: int, record: DeclarationRecord, reference: str
) -> Declaration | None:
    """The declaration already recorded under the GD number ``reference``, if any;
    ``InputError`` when it was recorded with other content, or on another
    authorization (saying no more of that one than that the number is used)."""
    recorded = session.execute(
        select(Declaration).where(Declaration.reference == reference)
    ).scalar_one_or_none()
    if recorded is None:
        return None
    if recorded.authorization_id != authorization_id:
        raise InputError(
            [
                Problem(
                    f"GD number {reference!r} is already used: a GD number names one "
                    "declaration in the corridor",
                    field="reference",
                )
            ]
        )
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
            with localcontext() as context:
                context.prec = barter_lines.EXACT
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


def _declared(session: Session, authorization_id: int) -> list[Dated]:
    """Every declaration of the authorization: its direction, date and value."""
    return [
        Dated(Direction(direction), on, value_unit)
        for direction, on, value_unit in session.execute(
            select(Declaration.direction, Declaration.declared_on, Declaration.value_unit).where(
                Declaration.authorization_id == authorization_id
            )
        )
    ]


def declare(
    session: Session,
    policy: Policy,
    authorization_id: int,
    record: DeclarationRecord | None,
    *,
    actor: str,
    problems: Sequence[Problem] = (),
    today: dt.date | None = None,
) -> AuthorizationDetail:
    """Record a goods declaration quoting the authorization; balance it when both sides
    reach the plan.

    ``record`` and ``problems`` are what ``io.declarations.declaration_record`` made
    of the submitted fields: the problems are reported together with (before) this
    service's own, and a record that came with problems is never recorded.  Its date
    may not be after ``today`` (the business date, unless given).

    A declaration carrying a ``reference`` (the goods declaration's number) already
    recorded against the authorization is not counted again: the same content
    answers with the stored one, other content is refused; one recorded against
    another authorization is refused.
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
    today = today or business_today(policy.zone)
    if on > today:
        found.append(Problem(f"{on} is after today's business date, {today}", field="date"))
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
    unit, digits = corridor.unit_of_account, corridor.unit_digits
    if value_unit == 0:
        raise InputError(
            [
                Problem(
                    f"worth {format_amount(0, digits)} {unit} at the rate of {on}: "
                    "too small a value to count",
                    field="value",
                )
            ]
        )
    declared = _declared(session, authorization_id)
    totals = {
        d: sum(item.value_unit for item in declared if item.direction == d) for d in Direction
    }
    if totals[way] + value_unit > MAX_MINOR:
        raise InputError(
            [Problem("the declared values would exceed the 64-bit limit", field="value")]
        )
    totals[way] += value_unit
    goods = Goods(way, record.hs, record.quantity, record.unit, value_unit)
    line, found = barter_lines.match_line(
        rules, _planned_lines(session, authorization_id, way), goods, unit, digits
    )
    found += barter_lines.dated_sequencing_problems(
        rules, Dated(way, on, value_unit), declared, authorization.planned_import, unit, digits
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
