"""A firm's statement for a period: each change to what it owes and is owed.

A line is an obligation registered (what the firm owes or is owed grows), a clearing
run's set-off of one (it shrinks on both sides of a cycle), a run's handing of what
remains of one to the clearing accounts for settlement (it leaves the obligation, in
the obligation's currency), or a confirmed settlement payment (a collection the firm
paid, a payout it received, in its country's currency).  Amounts stay in their own
currency: a statement is what an accountant books, not a conversion.

The obligations' lines and the payments' lines are totalled apart (``totals`` and
``payment_totals``): per currency, registered − set off − handed to settlement is
the change in what is still open between the firm and its counterparties, while the
payments are what moved between the firm and its country's clearing account.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from tahator.domain.corridor import day_problem
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.money import Amount
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import access
from tahator.services import corridor as corridors
from tahator.services.position import firm_names
from tahator.store.schema import (
    ClearingRun,
    Firm,
    Novation,
    Obligation,
    SetoffNotice,
    SettlementInstruction,
)

MAX_DAYS = 3660
"""The longest period a statement covers (ten years)."""


class LineKind(StrEnum):
    REGISTERED = "registered"
    SET_OFF = "set_off"
    HANDED_OVER = "in_settlement"
    """What remained of an obligation, handed by a run to the clearing accounts."""
    PAID = "paid"
    """A collection the firm paid into its country's clearing account."""
    RECEIVED = "received"
    """A payout the firm received from its country's clearing account."""


@dataclass(frozen=True)
class StatementLine:
    day: date
    kind: LineKind
    number: int | None
    """The obligation's number (the clearing house's), or the instruction's."""
    reference: str
    """The obligation's reference, or the run of a payment (``run 3``)."""
    counterparty: str
    """The other firm; empty for a payment (its counterparty is the clearing account)."""
    counterparty_name: str
    owed_by_firm: Amount
    """The change in what the firm owes (negative: less)."""
    owed_to_firm: Amount
    """The change in what the firm is owed (negative: less)."""


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    owed_by_firm: Amount
    owed_to_firm: Amount


@dataclass(frozen=True)
class Statement:
    firm: str
    name: str
    country: str
    from_: date
    to: date
    lines: tuple[StatementLine, ...]
    """By date, then kind, then number."""
    totals: tuple[CurrencyTotal, ...]
    """The period's changes per currency of the obligations (registered, set off,
    handed to settlement): not the payments."""
    payment_totals: tuple[CurrencyTotal, ...] = ()
    """The period's payments with the clearing account per (local) currency."""

    @property
    def obligation_lines(self) -> tuple[StatementLine, ...]:
        return tuple(x for x in self.lines if x.kind not in PAYMENTS)

    @property
    def payment_lines(self) -> tuple[StatementLine, ...]:
        return tuple(x for x in self.lines if x.kind in PAYMENTS)


PAYMENTS = frozenset({LineKind.PAID, LineKind.RECEIVED})
"""The kinds of line that are payments with the clearing account, not obligations."""


def check_period(from_: date, to: date) -> None:
    """``InputError`` naming the field when the period is not one a statement covers."""
    problems = [
        Problem(problem, field=field)
        for field, day in (("from", from_), ("to", to))
        if (problem := day_problem(day)) is not None
    ]
    if not problems and to < from_:
        problems.append(Problem("the period ends before it begins", field="to"))
    if not problems and (to - from_).days > MAX_DAYS:
        problems.append(Problem(f"a statement covers at most {MAX_DAYS} days", field="to"))
    if problems:
        raise InputError(problems)


def _bounds(from_: date, to: date, zone: str) -> tuple[datetime, datetime]:
    """The period's first and last moments (exclusive) in UTC, by the business zone."""
    here = ZoneInfo(zone)
    start = datetime.combine(from_, time(), here).astimezone(UTC)
    end = datetime.combine(to + timedelta(days=1), time(), here).astimezone(UTC)
    return start, end


def statement(session: Session, firm: str, from_: date, to: date, zone: str) -> Statement:
    """``firm``'s statement from ``from_`` to ``to`` (both included; timestamps read as
    dates in the business ``zone``).  ``InputError`` for a bad period, ``NotFoundError``
    for an unknown firm."""
    check_period(from_, to)
    record = session.get(Firm, firm)
    if record is None:
        raise NotFoundError(f"no firm {firm}")
    digits = corridors.load(session).digits
    start, end = _bounds(from_, to, zone)
    here = ZoneInfo(zone)
    lines: list[StatementLine] = []

    def line(
        day: date,
        kind: LineKind,
        number: int | None,
        reference: str,
        other: str,
        currency: str,
        by: int,
        to_firm: int,
    ) -> None:
        scale = digits[currency]
        lines.append(
            StatementLine(
                day,
                kind,
                number,
                reference,
                other,
                "",
                Amount(by, currency, scale),
                Amount(to_firm, currency, scale),
            )
        )

    registered = (
        select(
            Obligation.id,
            Obligation.reference,
            Obligation.debtor,
            Obligation.creditor,
            Obligation.amount,
            Obligation.currency,
            Obligation.created_at,
        )
        .where(access.obligations_of(firm))
        .where(Obligation.created_at >= start, Obligation.created_at < end)
    )
    for number, reference, debtor, creditor, amount, currency, created in session.execute(
        registered
    ):
        ours = creditor == firm
        stamp = created if created.tzinfo else created.replace(tzinfo=UTC)
        line(
            stamp.astimezone(here).date(),
            LineKind.REGISTERED,
            number,
            reference,
            debtor if ours else creditor,
            currency,
            0 if ours else amount,
            amount if ours else 0,
        )
    # What runs took off the firm's obligations: set off, or handed to the clearing
    # accounts for settlement (novated); both dated at the run's as-of.
    for taken_as, run_column, obligation_id, taken in (
        (LineKind.SET_OFF, SetoffNotice.run_id, SetoffNotice.obligation_id, SetoffNotice.setoff),
        (LineKind.HANDED_OVER, Novation.run_id, Novation.obligation_id, Novation.amount),
    ):
        runs = (
            select(
                ClearingRun.as_of,
                Obligation.id,
                Obligation.reference,
                Obligation.debtor,
                Obligation.creditor,
                Obligation.currency,
                taken,
            )
            .join(Obligation, Obligation.id == obligation_id)
            .join(ClearingRun, ClearingRun.id == run_column)
            .where(access.notices_of(firm))
            .where(ClearingRun.status == RunStatus.COMPLETED.value)
            .where(and_(ClearingRun.as_of >= from_, ClearingRun.as_of <= to))
            .where(taken > 0)
        )
        for as_of, number, reference, debtor, creditor, currency, amount in session.execute(runs):
            ours = creditor == firm
            line(
                as_of,
                taken_as,
                number,
                reference,
                debtor if ours else creditor,
                currency,
                0 if ours else -amount,
                -amount if ours else 0,
            )
    payments = (
        select(
            SettlementInstruction.id,
            SettlementInstruction.run_id,
            SettlementInstruction.kind,
            SettlementInstruction.local_currency,
            SettlementInstruction.local_amount,
            SettlementInstruction.confirmed_at,
        )
        .where(access.instructions_of(firm))
        .where(SettlementInstruction.status == InstructionStatus.CONFIRMED.value)
        .where(
            SettlementInstruction.confirmed_at >= start, SettlementInstruction.confirmed_at < end
        )
    )
    for number, run_id, kind, currency, amount, confirmed in session.execute(payments):
        if confirmed is None:  # a confirmed instruction has its time; never reached
            continue
        stamp = confirmed if confirmed.tzinfo else confirmed.replace(tzinfo=UTC)
        collection = kind == InstructionKind.COLLECTION.value
        line(
            stamp.astimezone(here).date(),
            LineKind.PAID if collection else LineKind.RECEIVED,
            number,
            f"run {run_id}",
            "",
            currency,
            -amount if collection else 0,
            0 if collection else -amount,
        )
    order = list(LineKind)
    lines.sort(key=lambda x: (x.day, order.index(x.kind), x.number or 0))
    names = firm_names(session, {x.counterparty for x in lines if x.counterparty})
    lines = [
        StatementLine(
            x.day,
            x.kind,
            x.number,
            x.reference,
            x.counterparty,
            names.get(x.counterparty, ("", "", ()))[0],
            x.owed_by_firm,
            x.owed_to_firm,
        )
        for x in lines
    ]

    def summed(chosen: list[StatementLine]) -> tuple[CurrencyTotal, ...]:
        by: dict[str, int] = defaultdict(int)
        owed: dict[str, int] = defaultdict(int)
        for x in chosen:
            by[x.owed_by_firm.currency] += x.owed_by_firm.minor
            owed[x.owed_to_firm.currency] += x.owed_to_firm.minor
        return tuple(
            CurrencyTotal(c, Amount(by[c], c, digits[c]), Amount(owed[c], c, digits[c]))
            for c in sorted(by)
        )

    return Statement(
        record.id,
        record.name,
        record.country,
        from_,
        to,
        tuple(lines),
        summed([x for x in lines if x.kind not in PAYMENTS]),
        summed([x for x in lines if x.kind in PAYMENTS]),
    )
