"""A firm's position: what it owes and is owed, due and overdue, per counterparty and
net, in its own currency and in the unit of account (USD).

Amounts are converted at the corridor's reference rates of the business date, through
the unit of account as runs convert them (``domain.corridor.Conversion``): each total
is summed exactly (fractions of a minor unit kept) and rounded half-even once, so no
obligation's rounding adds up across a long list.  Integers throughout, never floats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.corridor import Conversion
from tahator.domain.errors import NotFoundError
from tahator.domain.money import Amount
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import access
from tahator.services import corridor as corridors
from tahator.store.schema import (
    ClearingRun,
    Firm,
    FirmAlias,
    Obligation,
    SettlementInstruction,
)

CLEARING_ACCOUNT = ""
"""The counterparty id of the firm's country's clearing account: settlement
instructions a run issued and no bank has confirmed yet."""


@dataclass(frozen=True)
class Figures:
    """What a firm owes and is owed, split by whether the due date has passed, in one
    currency."""

    owes_due: Amount
    """Owed by the firm, due on or after the business date."""
    owes_overdue: Amount
    """Owed by the firm, its due date passed."""
    owed_due: Amount
    """Owed to the firm, due on or after the business date."""
    owed_overdue: Amount
    """Owed to the firm, its due date passed."""

    @property
    def owes(self) -> Amount:
        return self.owes_due + self.owes_overdue

    @property
    def owed(self) -> Amount:
        return self.owed_due + self.owed_overdue

    @property
    def net(self) -> Amount:
        """What the firm is owed less what it owes (negative: it owes more)."""
        owed, owes = self.owed, self.owes
        return Amount(owed.minor - owes.minor, owed.currency, owed.digits)


@dataclass(frozen=True)
class CounterpartyPosition:
    """The firm's position with one counterparty."""

    firm: str
    name: str
    country: str
    aliases: tuple[str, ...]
    obligations: int
    """Open obligations between the two."""
    local: Figures
    """In the firm's (the reader's) currency."""
    unit: Figures
    """In the unit of account."""


@dataclass(frozen=True)
class RateUsed:
    """A reference rate the position converted at: units of ``currency`` per unit of
    account."""

    currency: str
    rate: str

    @property
    def amount(self) -> Amount:
        """The rate as an amount of ``currency`` (for display), exact: as many decimal
        places as the rate has."""
        value = Decimal(self.rate)
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return Amount(int(value.scaleb(places)), self.currency, places)


@dataclass(frozen=True)
class Position:
    """A firm's open obligations summed, as of the business date ``as_of``."""

    firm: str
    name: str
    country: str
    currency: str
    """The firm's country's currency (PKR, IRR)."""
    unit_of_account: str
    as_of: date
    local: Figures
    unit: Figures
    counterparties: tuple[CounterpartyPosition, ...]
    """By counterparty id."""
    rates: tuple[RateUsed, ...]
    obligations: int


@dataclass(frozen=True)
class _Open:
    counterparty: str
    owes: bool
    overdue: bool
    amount: int
    currency: str


class _Converter:
    """Exact values of amounts in the unit of account and in one target currency."""

    def __init__(
        self, digits: Mapping[str, int], rates: Mapping[str, Conversion], target: str
    ) -> None:
        self.digits, self.rates, self.target = digits, rates, target

    def unit(self, amount: int, currency: str) -> Fraction:
        return Fraction(self.rates[currency].value(amount))

    def local(self, amount: int, currency: str) -> Fraction:
        if currency == self.target:
            return Fraction(amount)
        return Fraction(self.rates[self.target].local(1)) * self.unit(amount, currency)


def half_even(value: Fraction) -> int:
    """``value`` rounded to an integer, halves to even (as runs round)."""
    return round(value)  # Fraction.__round__ rounds half to even, exactly


def _figures(sums: Mapping[tuple[bool, bool], Fraction], currency: str, digits: int) -> Figures:
    def amount(owes: bool, overdue: bool) -> Amount:
        return Amount(half_even(sums.get((owes, overdue), Fraction(0))), currency, digits)

    return Figures(
        amount(True, False), amount(True, True), amount(False, False), amount(False, True)
    )


def _open_of(session: Session, firm: str, as_of: date) -> list[_Open]:
    """The obligations ``firm`` owes (or is jointly liable for) or is owed with
    something remaining, and its pending settlement instructions."""
    query = (
        select(
            Obligation.debtor,
            Obligation.creditor,
            Obligation.remaining,
            Obligation.currency,
            Obligation.due_date,
        )
        .where(access.obligations_of(firm))
        .where(Obligation.remaining > 0)
        .order_by(Obligation.id)
    )
    rows = []
    for debtor, creditor, remaining, currency, due in session.execute(query):
        owed_to_firm = creditor == firm
        rows.append(
            _Open(
                debtor if owed_to_firm else creditor,
                not owed_to_firm,
                due < as_of,
                remaining,
                currency,
            )
        )
    # What a run handed to the clearing accounts is owed to or by the firm's own
    # country's account until a bank confirms the payment: due on the run's as-of
    # date, so overdue on any later business date.
    pending = (
        select(
            SettlementInstruction.kind,
            SettlementInstruction.local_currency,
            SettlementInstruction.local_amount,
            ClearingRun.as_of,
        )
        .join(ClearingRun, ClearingRun.id == SettlementInstruction.run_id)
        .where(
            access.instructions_of(firm),
            SettlementInstruction.status == InstructionStatus.PENDING.value,
            SettlementInstruction.local_amount > 0,
        )
        .order_by(SettlementInstruction.id)
    )
    for kind, currency, amount, due in session.execute(pending):
        rows.append(
            _Open(
                CLEARING_ACCOUNT,
                kind == InstructionKind.COLLECTION.value,
                due < as_of,
                amount,
                currency,
            )
        )
    return rows


def firm_names(session: Session, ids: Iterable[str]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """Name, country and aliases of each firm of ``ids``."""
    wanted = sorted(set(ids))
    found: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    aliases: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for firm_id, alias in session.execute(
            select(FirmAlias.firm_id, FirmAlias.alias)
            .where(FirmAlias.firm_id.in_(chunk))
            .order_by(FirmAlias.alias)
        ):
            aliases[firm_id].append(alias)
        for firm_id, name, country in session.execute(
            select(Firm.id, Firm.name, Firm.country).where(Firm.id.in_(chunk))
        ):
            found[firm_id] = (name, country, tuple(aliases[firm_id]))
    return found


def position(session: Session, firm: str, as_of: date) -> Position:
    """``firm``'s open obligations as of the business date ``as_of``: owed and owing,
    due and overdue, per counterparty and in total, in the firm's currency and in the
    unit of account.  ``NotFoundError`` for an unknown firm; ``InputError`` when a
    currency has no reference rate on ``as_of``."""
    record = session.get(Firm, firm)
    if record is None:
        raise NotFoundError(f"no firm {firm}")
    corridor = corridors.load(session)
    target = corridor.countries[record.country]
    unit = corridor.unit_of_account
    rows = _open_of(session, firm, as_of)
    needed = {r.currency for r in rows} | {target, unit}
    rates = corridors.rates_on(session, as_of, needed)
    conversions = {
        c: Conversion(corridor.digits[c], rates[c].per_unit_of_account, corridor.unit_digits)
        for c in needed
    }
    convert = _Converter(corridor.digits, conversions, target)
    local_sums: dict[str, dict[tuple[bool, bool], Fraction]] = defaultdict(dict)
    unit_sums: dict[str, dict[tuple[bool, bool], Fraction]] = defaultdict(dict)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        key = (row.owes, row.overdue)
        local = local_sums[row.counterparty]
        local[key] = local.get(key, Fraction(0)) + convert.local(row.amount, row.currency)
        in_unit = unit_sums[row.counterparty]
        in_unit[key] = in_unit.get(key, Fraction(0)) + convert.unit(row.amount, row.currency)
        counts[row.counterparty] += 1
    names = firm_names(session, counts)
    target_digits, unit_digits = corridor.digits[target], corridor.unit_digits
    counterparties = tuple(
        CounterpartyPosition(
            other,
            names.get(other, (other, "", ()))[0],
            names.get(other, (other, "", ()))[1],
            names.get(other, (other, "", ()))[2],
            counts[other],
            _figures(local_sums[other], target, target_digits),
            _figures(unit_sums[other], unit, unit_digits),
        )
        for other in sorted(counts)
    )

    def total(
        sums: Mapping[str, Mapping[tuple[bool, bool], Fraction]],
    ) -> dict[tuple[bool, bool], Fraction]:
        summed: dict[tuple[bool, bool], Fraction] = defaultdict(Fraction)
        for per in sums.values():
            for key, value in per.items():
                summed[key] += value
        return summed

    return Position(
        firm=record.id,
        name=record.name,
        country=record.country,
        currency=target,
        unit_of_account=unit,
        as_of=as_of,
        local=_figures(total(local_sums), target, target_digits),
        unit=_figures(total(unit_sums), unit, unit_digits),
        counterparties=counterparties,
        rates=tuple(
            RateUsed(c, str(rates[c].per_unit_of_account)) for c in sorted(needed) if c != unit
        ),
        obligations=len(rows),
    )
