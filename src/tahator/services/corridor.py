"""The corridor's set-up: countries, currencies, clearing accounts, reference rates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.corridor import (
    COUNTRY_CURRENCY,
    COUNTRY_NAMES,
    CURRENCY_DIGITS,
    Rate,
    rate_problem,
)
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR, Amount
from tahator.services import audit
from tahator.store.schema import ClearingAccount, Corridor, Country, Currency, FxRate

DEFAULT_CORRIDOR = "PK-IR"
DEFAULT_COUNTRIES = ("PK", "IR")
UNIT_OF_ACCOUNT = "USD"
SEED_RATES_FROM = date(2020, 1, 1)
SEED_RATES = {"USD": "1", "PKR": "281.00", "IRR": "1100000.00"}
"""Illustrative reference rates (units per US dollar) so that a new corridor runs;
the operator replaces them with the official ones of each run date."""


@dataclass(frozen=True)
class CorridorView:
    id: str
    name: str
    unit_of_account: str
    unit_digits: int
    countries: Mapping[str, str]
    """Country code → its currency."""
    digits: Mapping[str, int]
    """Currency code → minor-unit digits."""
    credit_lines: Mapping[str, int]
    """Country → its clearing account's credit line, in minor units of the unit of account."""
    credit_line_shares: Mapping[str, Decimal]
    """Country → a credit line as a share of its gross payments in a run (it replaces
    the amount in ``credit_lines``)."""
    max_obligation: int
    """The largest obligation registered, in minor units of the unit of account."""
    setoff_before_due: bool
    """Whether runs set off obligations not yet due (settled only once due)."""
    shortfall: str
    """What a returned collection does to the payouts it was to fund: ``hold`` or
    ``credit_line``."""


@dataclass(frozen=True)
class ClearingAccountView:
    """A country of the corridor, its currency and its clearing account's credit line."""

    code: str
    currency: str
    credit_line: Amount
    """In the unit of account."""


@dataclass(frozen=True)
class ReferenceRate:
    """Units of ``currency`` per unit of account, from ``valid_from`` on."""

    currency: str
    valid_from: date
    rate: str
    """A decimal, as the operator gave it."""


@dataclass(frozen=True)
class CorridorDescription:
    """The corridor's set-up: its countries with their accounts, and the reference rates."""

    id: str
    name: str
    unit_of_account: str
    countries: tuple[ClearingAccountView, ...]
    rates: tuple[ReferenceRate, ...]


@dataclass(frozen=True)
class CreditLine:
    """A clearing account's credit line, as set."""

    country: str
    credit_line: Amount


def seed(session: Session) -> bool:
    """Create the default Pakistan–Iran corridor if the database has none."""
    if session.scalar(select(Corridor.id)) is not None:
        return False
    session.add(
        Corridor(
            id=DEFAULT_CORRIDOR,
            name="Pakistan–Iran",
            unit_of_account=UNIT_OF_ACCOUNT,
            unit_digits=CURRENCY_DIGITS[UNIT_OF_ACCOUNT],
        )
    )
    session.add_all(Currency(code=c, digits=d) for c, d in CURRENCY_DIGITS.items())
    session.flush()
    for code in DEFAULT_COUNTRIES:
        session.add(Country(code=code, name=COUNTRY_NAMES[code], currency=COUNTRY_CURRENCY[code]))
    session.flush()
    session.add_all(ClearingAccount(country=code, credit_line=0) for code in DEFAULT_COUNTRIES)
    session.add_all(
        FxRate(currency=c, valid_from=SEED_RATES_FROM, rate=r) for c, r in SEED_RATES.items()
    )
    return True


def load(session: Session) -> CorridorView:
    corridor = session.scalar(select(Corridor))
    if corridor is None:
        raise InputError([Problem("the database has no corridor; run `tahator db upgrade`")])
    return CorridorView(
        corridor.id,
        corridor.name,
        corridor.unit_of_account,
        corridor.unit_digits,
        dict(session.execute(select(Country.code, Country.currency)).all()),
        dict(session.execute(select(Currency.code, Currency.digits)).all()),
        dict(session.execute(select(ClearingAccount.country, ClearingAccount.credit_line)).all()),
        {
            country: Decimal(share)
            for country, share in session.execute(
                select(ClearingAccount.country, ClearingAccount.credit_line_share)
            )
            if share is not None
        },
        corridor.max_obligation,
        corridor.setoff_before_due,
        corridor.shortfall,
    )


def rates_on(session: Session, day: date, currencies: set[str]) -> dict[str, Rate]:
    """The newest rate of each currency valid on ``day``; ``InputError`` if one lacks any."""
    unit = session.scalar(select(Corridor.unit_of_account))
    found: dict[str, Rate] = {unit: Rate(unit, Decimal(1))} if unit else {}
    for currency, _, rate in session.execute(
        select(FxRate.currency, FxRate.valid_from, FxRate.rate)
        .where(FxRate.valid_from <= day)
        .order_by(FxRate.currency, FxRate.valid_from)
    ):
        found[currency] = Rate(currency, Decimal(rate))
    missing = sorted(currencies - set(found))
    if missing:
        raise InputError(
            [
                Problem(
                    f"no reference rate for {c} on or before {day.isoformat()}; "
                    f"set one with `tahator corridor rate {c} RATE --from DATE`"
                )
                for c in missing
            ]
        )
    return {c: found[c] for c in currencies}


def set_rate(
    session: Session, currency: str, rate: Decimal, valid_from: date, actor: str = "system"
) -> ReferenceRate:
    """Record ``rate`` units of ``currency`` per unit of account from ``valid_from`` on."""
    corridor = load(session)
    currency = currency.upper()
    if currency not in corridor.digits:
        raise InputError([Problem(f"{currency!r} is not a currency of the corridor")])
    if (reason := rate_problem(rate)) is not None:
        raise InputError([Problem(reason)])
    value = rate
    existing = session.get(FxRate, (currency, valid_from))
    before = None if existing is None else {"rate": existing.rate}
    if existing is None:
        session.add(FxRate(currency=currency, valid_from=valid_from, rate=str(value)))
    else:
        existing.rate = str(value)
    subject = f"rate:{currency}:{valid_from.isoformat()}"
    audit.record(session, actor, "corridor.rate", subject, before, {"rate": str(value)})
    return ReferenceRate(currency, valid_from, str(value))


def set_credit_line(
    session: Session, country: str, minor: int, actor: str = "system"
) -> CreditLine:
    """Set a clearing account's credit line: ``minor`` units of the unit of account."""
    corridor = load(session)
    account = session.get(ClearingAccount, country.upper())
    if account is None:
        raise InputError([Problem(f"{country!r} has no clearing account in this corridor")])
    if not 0 <= minor <= MAX_MINOR:
        raise InputError(
            [Problem("credit line too large" if minor > 0 else "credit line is negative")]
        )
    before = account.credit_line
    account.credit_line = minor
    audit.record(
        session,
        actor,
        "corridor.credit_line",
        f"clearing_account:{account.country}",
        {"credit_line": before},
        {"credit_line": minor},
    )
    return CreditLine(
        account.country, Amount(minor, corridor.unit_of_account, corridor.unit_digits)
    )


def describe(session: Session) -> CorridorDescription:
    """The corridor: countries, clearing accounts with their credit lines, reference rates."""
    corridor = load(session)
    unit, digits = corridor.unit_of_account, corridor.unit_digits
    rates = session.execute(
        select(FxRate.currency, FxRate.valid_from, FxRate.rate).order_by(
            FxRate.currency, FxRate.valid_from
        )
    ).all()
    return CorridorDescription(
        corridor.id,
        corridor.name,
        unit,
        tuple(
            ClearingAccountView(
                code, currency, Amount(corridor.credit_lines.get(code, 0), unit, digits)
            )
            for code, currency in sorted(corridor.countries.items())
        ),
        tuple(ReferenceRate(c, v, r) for c, v, r in rates),
    )
