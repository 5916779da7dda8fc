"""The corridor's set-up: countries, currencies, clearing accounts, reference rates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, String, cast, literal_column, null, select, union_all
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
from tahator.services import audit, proof
from tahator.store.schema import ClearingAccount, Corridor, Country, Currency, FxRate

DEFAULT_CORRIDOR = "PK-IR"
DEFAULT_COUNTRIES = ("PK", "IR")
UNIT_OF_ACCOUNT = "USD"
SEED_RATES_FROM = date(2020, 1, 1)
SEED_RATES = {"USD": "1", "PKR": "281.00", "IRR": "1100000.00"}
SHORTFALL_RULES = ("hold", "credit_line")
"""What a returned collection does to the payouts it was to fund: hold them, or lend
what was not collected from the clearing account's credit line."""
MAX_SHARE_TEXT = 20
"""``clearing_accounts.credit_line_share`` holds a decimal of at most 20 characters."""
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
    credit_line_share: str | None = None
    """A share of the account's gross payments in a run (``"0.2"``), which replaces
    ``credit_line`` when set."""


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
    settings: CorridorSettings


@dataclass(frozen=True)
class CreditLine:
    """A clearing account's credit line, as set: an amount, or a share of its gross
    payments in a run (then the amount is 0)."""

    country: str
    credit_line: Amount
    credit_line_share: str | None = None


@dataclass(frozen=True)
class CorridorSettings:
    """The corridor's limits and settlement rules."""

    max_obligation: Amount
    """The largest obligation registered, in the unit of account."""
    setoff_before_due: bool
    shortfall: str
    """One of ``SHORTFALL_RULES``."""


def seed(session: Session, actor: str = "system") -> bool:
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
    session.flush()
    # What runs read of the corridor starts here: ``ledger verify`` checks every run's
    # rates, credit lines and limits against this record and the audited changes since.
    audit.record(
        session,
        actor,
        "corridor.seed",
        f"corridor:{DEFAULT_CORRIDOR}",
        None,
        {"corridor": proof.corridor_state(session)},
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


def reference_rates(session: Session, day: date) -> dict[str, Rate]:
    """The newest rate valid on ``day`` of every currency that has one (the unit of
    account's is 1)."""
    return reference_rates_for(session, day, session.scalar(select(Corridor.unit_of_account)))


def reference_rates_for(session: Session, day: date, unit: str | None) -> dict[str, Rate]:
    """``reference_rates`` for a caller that has read the unit of account already."""
    found: dict[str, Rate] = {unit: Rate(unit, Decimal(1))} if unit else {}
    for currency, _, rate in session.execute(
        select(FxRate.currency, FxRate.valid_from, FxRate.rate)
        .where(FxRate.valid_from <= day)
        .order_by(FxRate.currency, FxRate.valid_from)
    ):
        found[currency] = Rate(currency, Decimal(rate))
    return found


def missing_rate(currency: str, day: date) -> str:
    """What to tell a user whose ``currency`` has no reference rate on ``day``."""
    return (
        f"no reference rate for {currency} on or before {day.isoformat()}; "
        f"set one with `tahator corridor rate {currency} RATE --from DATE`"
    )


def rates_on(session: Session, day: date, currencies: set[str]) -> dict[str, Rate]:
    """The newest rate of each currency valid on ``day``; ``InputError`` if one lacks any."""
    found = reference_rates(session, day)
    missing = sorted(currencies - set(found))
    if missing:
        raise InputError([Problem(missing_rate(c, day)) for c in missing])
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
    """Set a clearing account's credit line: ``minor`` units of the unit of account (a
    share of gross payments set before is cleared)."""
    if not 0 <= minor <= MAX_MINOR:
        raise InputError(
            [Problem("credit line too large" if minor > 0 else "credit line is negative")]
        )
    return _set_line(session, country, minor, None, actor)


def set_credit_line_share(
    session: Session, country: str, share: Decimal, actor: str = "system"
) -> CreditLine:
    """Make a clearing account's credit line ``share`` (0 to 1) of its gross payments in
    each run, the Asian Clearing Union's rule; the fixed amount goes to 0."""
    text = stored_share(share)
    if text is None:
        raise InputError(
            [Problem(f"{share} is not a share from 0 to 1 (0% to 100%)", field="credit line")]
        )
    return _set_line(session, country, 0, text, actor)


def _set_line(
    session: Session, country: str, minor: int, share: str | None, actor: str
) -> CreditLine:
    """Store a checked credit line (an amount, or a share and no amount), audited."""
    corridor = load(session)
    account = session.get(ClearingAccount, country.upper())
    if account is None:
        raise InputError([Problem(f"{country!r} has no clearing account in this corridor")])
    before = {"credit_line": account.credit_line, "credit_line_share": account.credit_line_share}
    account.credit_line, account.credit_line_share = minor, share
    audit.record(
        session,
        actor,
        "corridor.credit_line",
        f"clearing_account:{account.country}",
        before,
        {"credit_line": minor, "credit_line_share": share},
    )
    unit = Amount(minor, corridor.unit_of_account, corridor.unit_digits)
    return CreditLine(account.country, unit, share)


def stored_share(share: Decimal) -> str | None:
    """``share`` as stored (``"0.2"``), or ``None`` if it is no share from 0 to 1 that
    the column holds."""
    if not share.is_finite() or not 0 <= share <= 1:
        return None
    text = format(share.normalize(), "f")
    return text if len(text) <= MAX_SHARE_TEXT else None


MAX_OBLIGATION = 10**15
"""The most ``max_obligation`` may be set to, in minor units of the unit of account
(USD 10 trillion): thousands of such obligations still sum within 64 bits."""


def set_limits(
    session: Session,
    actor: str,
    *,
    max_obligation: int | None = None,
    setoff_before_due: bool | None = None,
    shortfall: str | None = None,
) -> CorridorSettings:
    """Change the corridor's settings given (``None`` keeps one); every value is
    checked before any is changed."""
    problems: list[Problem] = []
    if max_obligation is not None and max_obligation <= 0:
        problems.append(Problem("must be positive", field="max_obligation"))
    elif max_obligation is not None and max_obligation > MAX_OBLIGATION:
        problems.append(
            Problem(
                f"must be at most {MAX_OBLIGATION:,} minor units of the unit of account "
                "(10^15; what one obligation may be worth, so that a run's sums stay "
                "within 64 bits)",
                field="max_obligation",
            )
        )
    if shortfall is not None and shortfall not in SHORTFALL_RULES:
        rules = " or ".join(SHORTFALL_RULES)
        problems.append(Problem(f"{shortfall!r} is not {rules}", field="shortfall"))
    if problems:
        raise InputError(problems)
    corridor = session.scalar(select(Corridor))
    if corridor is None:
        raise InputError([Problem("the database has no corridor; run `tahator db upgrade`")])
    before = _settings_record(corridor)
    if max_obligation is not None:
        corridor.max_obligation = max_obligation
    if setoff_before_due is not None:
        corridor.setoff_before_due = setoff_before_due
    if shortfall is not None:
        corridor.shortfall = shortfall
    after = _settings_record(corridor)
    if after != before:
        audit.record(session, actor, "corridor.settings", f"corridor:{corridor.id}", before, after)
    return settings(session)


def _settings_record(corridor: Corridor) -> dict[str, object]:
    return {
        "max_obligation": corridor.max_obligation,
        "setoff_before_due": corridor.setoff_before_due,
        "shortfall": corridor.shortfall,
    }


def settings(session: Session) -> CorridorSettings:
    """The corridor's limits and settlement rules."""
    corridor = load(session)
    return CorridorSettings(
        Amount(corridor.max_obligation, corridor.unit_of_account, corridor.unit_digits),
        corridor.setoff_before_due,
        corridor.shortfall,
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
                code,
                currency,
                Amount(corridor.credit_lines.get(code, 0), unit, digits),
                stored_share(share)
                if (share := corridor.credit_line_shares.get(code)) is not None
                else None,
            )
            for code, currency in sorted(corridor.countries.items())
        ),
        tuple(ReferenceRate(c, v, r) for c, v, r in rates),
        settings(session),
    )


def load_briefly(session: Session) -> CorridorView:
    """``load`` in two queries instead of five (the corridor's row, then its countries,
    currencies and clearing accounts in one): for the hot write paths, where each
    round trip to the database counts."""
    corridor = session.scalar(select(Corridor))
    if corridor is None:
        raise InputError([Problem("the database has no corridor; run `tahator db upgrade`")])
    text_, number = cast(null(), String), cast(null(), BigInteger)
    countries: dict[str, str] = {}
    digits: dict[str, int] = {}
    lines: dict[str, int] = {}
    shares: dict[str, Decimal] = {}
    rows: list[Any] = list(
        session.execute(
            union_all(
                select(literal_column("'country'"), Country.code, Country.currency, number),
                select(
                    literal_column("'currency'"),
                    Currency.code,
                    text_,
                    cast(Currency.digits, BigInteger),
                ),
                select(
                    literal_column("'account'"),
                    ClearingAccount.country,
                    ClearingAccount.credit_line_share,
                    ClearingAccount.credit_line,
                ),
            )
        )
    )
    for kind, key, value, amount in rows:
        if kind == "country":
            countries[key] = value
        elif kind == "currency":
            digits[key] = amount
        else:
            lines[key] = amount
            if value is not None:
                shares[key] = Decimal(value)
    return CorridorView(
        corridor.id,
        corridor.name,
        corridor.unit_of_account,
        corridor.unit_digits,
        countries,
        digits,
        lines,
        shares,
        corridor.max_obligation,
        corridor.setoff_before_due,
        corridor.shortfall,
    )
