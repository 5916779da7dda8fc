"""Border markets: residents, sales within their quotas, daily totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain.border import (
    DAYS,
    Market,
    MarketStatus,
    Quota,
    QuotaBreach,
    TradePolicy,
    parse_national_id,
    quota_breach,
)
from tahator.domain.corridor import to_unit_of_account
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import Amount, format_amount
from tahator.formatting import OMIT_EMPTY, jsonable
from tahator.io import sales
from tahator.services import audit
from tahator.services import corridor as corridors
from tahator.services.common import check_day, now
from tahator.store.schema import BorderResident, BorderSale
from tahator.store.sums import exact_sum

MAX_TEXT = 300


class QuotaExceededError(InputError):
    """A sale refused because it would exceed one of the resident's quotas."""

    def __init__(self, breach: QuotaBreach, problem: Problem) -> None:
        self.breach = breach
        super().__init__([problem])


@dataclass(frozen=True)
class MarketView:
    code: str
    name: str
    status: MarketStatus
    opened: date | None
    countries: tuple[str, ...]
    districts: tuple[str, ...]
    goods: tuple[str, ...]
    opening_days: tuple[str, ...]
    """As written in the markets file: ``mon`` … ``sun``."""
    transaction_quota: Amount
    daily_quota: Amount
    monthly_quota: Amount
    source: str


@dataclass(frozen=True)
class Resident:
    id: int
    market: str
    national_id: str
    country: str
    name: str
    district: str
    registered_at: datetime


@dataclass(frozen=True)
class ResidentRegistration(Resident):
    created: bool
    """``False`` when the person was registered already."""


@dataclass(frozen=True)
class Sale:
    id: int
    market: str
    resident: int
    reference: str | None
    hs: str
    value: Amount
    currency: str
    rate: str
    """Units of ``currency`` per unit of account, exactly as stored."""
    value_unit: Amount
    date: date


@dataclass(frozen=True)
class Remaining:
    """What is left of the resident's quotas after a sale."""

    daily: Amount
    monthly: Amount


@dataclass(frozen=True)
class RecordedSale(Sale):
    """A sale as recorded, with what the resident may still buy."""

    unit_of_account: str
    remaining: Remaining | None = field(metadata=OMIT_EMPTY)
    """Only for a sale recorded now, not for a retried one answered from the store."""
    created: bool


@dataclass(frozen=True)
class DailyTotal:
    market: str
    date: date
    sales: int
    value: Amount


# The quotas are written with two fraction digits in the markets file (see
# ``parse_trade_policy``), whatever the unit of account.
QUOTA_DIGITS = 2


def list_markets(policy: TradePolicy) -> list[MarketView]:
    def quota(minor: int) -> Amount:
        return Amount(minor, policy.unit_of_account, QUOTA_DIGITS)

    return [
        MarketView(
            code=m.code,
            name=m.name,
            status=m.status,
            opened=m.opened,
            countries=m.countries,
            districts=m.districts,
            goods=m.goods,
            opening_days=tuple(DAYS[d] for d in sorted(m.opening_days)),
            transaction_quota=quota(m.transaction_quota),
            daily_quota=quota(m.daily_quota),
            monthly_quota=quota(m.monthly_quota),
            source=m.source,
        )
        for m in policy.markets
    ]


def _market(policy: TradePolicy, code: str) -> Market:
    market = policy.market(code)
    if market is None:
        known = ", ".join(m.code for m in policy.markets)
        raise InputError([Problem(f"no border market {code!r} (known: {known})", field="market")])
    return market


def _resident(resident: BorderResident) -> Resident:
    return Resident(
        resident.id,
        resident.market,
        resident.national_id,
        resident.country,
        resident.name,
        resident.district,
        resident.registered_at,
    )


def _registration(resident: BorderResident, created: bool) -> ResidentRegistration:
    return ResidentRegistration(**vars(_resident(resident)), created=created)


def add_resident(
    session: Session,
    policy: TradePolicy,
    *,
    market: str,
    national_id: str,
    name: str,
    district: str,
    actor: str,
) -> ResidentRegistration:
    """Register a resident for a market; registering the same person again changes nothing."""
    chosen = _market(policy, market)
    problems: list[Problem] = []
    country, digits = "", ""
    try:
        country, digits = parse_national_id(national_id)
    except ValueError as error:
        problems.append(Problem(str(error), field="national-id"))
    if country and chosen.countries and country not in chosen.countries:
        problems.append(
            Problem(f"market {chosen.code} serves residents of {', '.join(chosen.countries)}")
        )
    name, district = name.strip(), district.strip()
    if not 0 < len(name) <= MAX_TEXT:
        problems.append(Problem(f"must be 1 to {MAX_TEXT} characters", field="name"))
    if chosen.districts and district.casefold() not in {d.casefold() for d in chosen.districts}:
        problems.append(
            Problem(
                f"{district!r} is not a district market {chosen.code} serves "
                f"({', '.join(chosen.districts)})",
                field="district",
            )
        )
    elif not 0 < len(district) <= 100:
        problems.append(Problem("must be 1 to 100 characters", field="district"))
    if problems:
        raise InputError(problems)
    district = next((d for d in chosen.districts if d.casefold() == district.casefold()), district)
    existing = session.execute(
        select(BorderResident).where(
            BorderResident.market == chosen.code, BorderResident.national_id == digits
        )
    ).scalar_one_or_none()
    if existing is not None:
        if (existing.name, existing.district) != (name, district):
            raise InputError(
                [
                    Problem(
                        f"{digits} is registered at {chosen.code} as {existing.name} of "
                        f"{existing.district}",
                        field="national-id",
                    )
                ]
            )
        return _registration(existing, created=False)
    resident = BorderResident(
        market=chosen.code,
        national_id=digits,
        country=country,
        name=name,
        district=district,
        registered_at=now(),
        registered_by=actor,
    )
    session.add(resident)
    session.flush()
    audit.record(
        session,
        actor,
        "border.resident_registered",
        f"resident:{resident.id}",
        None,
        jsonable(_resident(resident)),
    )
    return _registration(resident, created=True)


def list_residents(session: Session, market: str | None = None) -> list[Resident]:
    query = select(BorderResident).order_by(BorderResident.market, BorderResident.id)
    if market:
        query = query.where(BorderResident.market == market.upper())
    return [_resident(r) for r in session.scalars(query)]


def _used(session: Session, resident_id: int, start: date, end: date) -> int:
    total = session.scalar(
        select(func.coalesce(exact_sum(BorderSale.value_unit), 0)).where(
            BorderSale.resident_id == resident_id,
            BorderSale.sold_on >= start,
            BorderSale.sold_on <= end,
        )
    )
    return int(total or 0)


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _sale(sale: BorderSale, digits: Mapping[str, int], unit: str, unit_digits: int) -> Sale:
    return Sale(
        id=sale.id,
        market=sale.market,
        resident=sale.resident_id,
        reference=sale.reference,
        hs=sale.hs,
        value=Amount(sale.value, sale.currency, digits[sale.currency]),
        currency=sale.currency,
        rate=sale.rate,
        value_unit=Amount(sale.value_unit, unit, unit_digits),
        date=sale.sold_on,
    )


def sell(
    session: Session,
    policy: TradePolicy,
    record: sales.SaleRecord,
    *,
    actor: str,
    problems: Sequence[Problem] = (),
) -> RecordedSale:
    """Record a sale to a resident, converted at its date's rate, or refuse it.

    ``record`` and ``problems`` are what ``io.sales.sale_record`` made of the
    submitted fields: an unknown market is reported first, then those problems on
    their own (as before the reader moved to the edge), and a record that came with
    problems is never recorded.

    Refused (``InputError``, nothing stored) when the market is not open that day,
    the goods are not on its list, the resident is not registered there, or a
    quota would be exceeded (``QuotaExceededError``, naming the quota and what is
    left of it).  A sale with a ``reference`` already recorded is answered with
    the stored one when its content is the same, refused otherwise.
    """
    chosen = _market(policy, record.market)
    info = corridors.load(session)
    unit, unit_digits = info.unit_of_account, info.unit_digits
    if problems:
        raise InputError(list(problems))
    national_id, hs, amount, currency = record.resident, record.hs, record.value, record.currency
    on, reference = record.date, record.reference
    check_day(on, "date")
    found: list[Problem] = []
    query = select(BorderResident).where(
        BorderResident.market == chosen.code, BorderResident.national_id == national_id
    )
    # Lock the resident: a second sale to them waits until this one commits, so
    # two sales cannot both pass the quota.  (SQLite's writer lock is already held.)
    person = session.execute(query.with_for_update()).scalar_one_or_none()
    if reference is not None:
        recorded = session.execute(
            select(BorderSale).where(
                BorderSale.market == chosen.code, BorderSale.reference == reference
            )
        ).scalar_one_or_none()
        if recorded is not None:
            same = (
                person is not None
                and (recorded.resident_id, recorded.hs, recorded.value, recorded.currency)
                == (person.id, hs, amount, currency)
                and recorded.sold_on == on
            )
            if not same:
                raise InputError(
                    [
                        Problem(
                            f"sale {reference!r} was recorded with other content",
                            field="reference",
                        )
                    ]
                )
            return RecordedSale(
                **vars(_sale(recorded, info.digits, unit, unit_digits)),
                unit_of_account=unit,
                remaining=None,
                created=False,
            )
    closed = chosen.closed_reason(on)
    if closed:
        found.append(Problem(closed, field="date"))
    if not (hs.isascii() and hs.isdigit() and 4 <= len(hs) <= 10):
        found.append(Problem(f"{hs!r} is not an HS code (4 to 10 digits)", field="hs"))
    elif chosen.goods_prefix(hs) is None:
        found.append(Problem(f"HS {hs} is not on market {chosen.code}'s goods list", field="hs"))
    if person is None:
        found.append(
            Problem(
                f"{national_id} is not registered at market {chosen.code}; "
                "register with `tahator border residents add`",
                field="resident",
            )
        )
    if found:
        raise InputError(found)
    assert person is not None
    rate = corridors.rates_on(session, on, {currency})[currency].per_unit_of_account
    value_unit = to_unit_of_account(amount, info.digits[currency], rate, unit_digits)
    first, last = month_bounds(on)
    breach = quota_breach(
        chosen,
        _used(session, person.id, on, on),
        _used(session, person.id, first, last),
        value_unit,
    )
    if breach is not None:
        period = {Quota.TRANSACTION: "", Quota.DAILY: " today", Quota.MONTHLY: " this month"}
        raise QuotaExceededError(
            breach,
            Problem(
                f"{format_amount(value_unit, unit_digits)} {unit} exceeds the {breach.quota} "
                f"quota of {format_amount(breach.limit, unit_digits)} {unit}; "
                f"{format_amount(breach.remaining, unit_digits)} {unit} remaining"
                f"{period[breach.quota]}",
                field="value",
            ),
        )
    sale = BorderSale(
        market=chosen.code,
        resident_id=person.id,
        reference=reference,
        hs=hs,
        value=amount,
        currency=currency,
        rate=str(rate),
        value_unit=value_unit,
        sold_on=on,
        created_at=now(),
        created_by=actor,
    )
    session.add(sale)
    session.flush()
    view = _sale(sale, info.digits, unit, unit_digits)
    audit.record(
        session, actor, "border.sale_recorded", f"border_sale:{sale.id}", None, jsonable(view)
    )
    remaining = Remaining(
        daily=Amount(chosen.daily_quota - _used(session, person.id, on, on), unit, unit_digits),
        monthly=Amount(
            chosen.monthly_quota - _used(session, person.id, first, last), unit, unit_digits
        ),
    )
    return RecordedSale(**vars(view), unit_of_account=unit, remaining=remaining, created=True)


def daily_totals(session: Session, market: str | None = None) -> list[DailyTotal]:
    """Each market's sales per day: count and value in the unit of account."""
    info = corridors.load(session)
    query = (
        select(
            BorderSale.market,
            BorderSale.sold_on,
            func.count(),
            exact_sum(BorderSale.value_unit),
        )
        .group_by(BorderSale.market, BorderSale.sold_on)
        .order_by(BorderSale.market, BorderSale.sold_on)
    )
    if market:
        query = query.where(BorderSale.market == market.upper())
    return [
        DailyTotal(code, day, count, Amount(int(total), info.unit_of_account, info.unit_digits))
        for code, day, count, total in session.execute(query)
    ]
