"""Settlement of what remains after set-off, through clearing accounts (DESIGN §3.2).

A remaining cross-border obligation settles without money crossing the border:
the debtor pays its own country's clearing account (a collection) and the
creditor's country's clearing account pays the creditor (a payout).  A clearing
account pays out at most what it collected plus its credit line; when its
creditors are owed more, they are paid pro rata (exact integers, largest
remainder, ties by firm id) and the unpaid part stays open for the next period.
What one country's account collected for another's creditors is the claim
between the two accounts: the corridor imbalance.  An obligation between two
firms of one country is not cross-border; the firms settle it directly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

from tahator.domain.money import Amount


def crosses_border(debtor_country: str, creditor_country: str) -> bool:
    """Whether an obligation between firms of these countries settles through the
    clearing accounts; between firms of one country the two settle it directly."""
    return debtor_country != creditor_country


class InstructionKind(StrEnum):
    COLLECTION = "collection"
    """The firm pays its country's clearing account."""
    PAYOUT = "payout"
    """The country's clearing account pays the firm."""


class InstructionStatus(StrEnum):
    PENDING = "pending"
    """Issued by a clearing run; no bank has confirmed it yet."""
    CONFIRMED = "confirmed"
    """A bank confirmed the payment was made."""
    RETURNED = "returned"
    """A bank returned it with an ISO 20022 reason: the money did not arrive."""
    HELD = "held"
    """The part of a payout a returned collection was to fund: not to be paid."""


class Remaining(NamedTuple):
    """What remains of an obligation (or of several between one pair) after set-off.

    ``amount`` may be an exact ``Fraction`` of a minor unit (a remainder converted
    from another currency): sums are kept exact and rounded once per firm, so a
    firm's collection or payout is its exact total rounded half-even, not a sum of
    roundings, and an obligation worth less than a minor unit still settles.
    """

    debtor: str
    creditor: str
    amount: int | Fraction
    obligations: int = 1
    """How many obligations ``amount`` sums."""


@dataclass(frozen=True)
class Instruction:
    """A domestic payment between a firm and its country's clearing account."""

    firm: str
    country: str
    kind: InstructionKind
    owed: int
    """What the firm owes (collection) or is owed (payout) across the border."""
    amount: int
    """What moves now: all of ``owed`` for a collection, possibly less for a payout."""

    @property
    def unpaid(self) -> int:
        """What stays open and rolls into the next period."""
        return self.owed - self.amount


@dataclass(frozen=True)
class ClearingAccount:
    """One country's clearing account over one settlement."""

    country: str
    collected: int
    """Paid in by the country's debtors."""
    claims: int
    """Owed to the country's creditors."""
    paid_out: int
    """Paid to the country's creditors: min(claims, opening + collected + credit line)."""
    credit_line: int
    opening: int = 0
    """What the account held from earlier periods (negative: credit already drawn)."""

    @property
    def closing(self) -> int:
        """What the account holds afterwards: opening + collected − paid out."""
        return self.opening + self.collected - self.paid_out

    @property
    def credit_drawn(self) -> int:
        """How far the account is overdrawn afterwards, lent by the credit line."""
        return max(0, -self.closing)

    @property
    def retained(self) -> int:
        """Held afterwards for other countries' accounts."""
        return max(0, self.closing)

    @property
    def unpaid(self) -> int:
        """Owed to creditors and not paid: rolls into the next period."""
        return self.claims - self.paid_out


@dataclass(frozen=True)
class Imbalance:
    """The net claim of one country's clearing account on another's."""

    debtor_country: str
    creditor_country: str
    amount: int


@dataclass(frozen=True)
class Settlement:
    accounts: tuple[ClearingAccount, ...]
    """One per country that collects or pays, by country code."""
    instructions: tuple[Instruction, ...]
    """Collections then payouts, each by firm id."""
    imbalances: tuple[Imbalance, ...]
    """Net claims between accounts, by debtor then creditor country."""
    domestic: int
    """Remaining between firms of one country, settled directly between them."""
    domestic_obligations: int


@dataclass(frozen=True)
class ExactTotals:
    """What remains, summed exactly: per debtor, per creditor (cross-border), per
    (debtor, creditor) country, and between firms of one country.  Each mapping is
    in the order its keys first appear among the remaining obligations."""

    owes: Mapping[str, int | Fraction]
    owed: Mapping[str, int | Fraction]
    between: Mapping[tuple[str, str], int | Fraction]
    domestic: int | Fraction
    domestic_obligations: int


def exact_totals(remaining: Iterable[Remaining], country_of: Mapping[str, str]) -> ExactTotals:
    """``remaining`` summed exactly, as :func:`settle_totals` takes it."""
    exact_owes: dict[str, int | Fraction] = defaultdict(int)
    exact_owed: dict[str, int | Fraction] = defaultdict(int)
    exact_between: dict[tuple[str, str], int | Fraction] = defaultdict(int)
    exact_domestic: int | Fraction = 0
    domestic_count = 0
    for item in remaining:
        if item.amount < 0:
            raise ValueError(f"remaining amount {item.amount} of {item.debtor} is negative")
        debtor_country, creditor_country = country_of[item.debtor], country_of[item.creditor]
        if item.amount == 0:
            continue
        if not crosses_border(debtor_country, creditor_country):
            exact_domestic += item.amount
            domestic_count += item.obligations
            continue
        exact_owes[item.debtor] += item.amount
        exact_owed[item.creditor] += item.amount
        exact_between[debtor_country, creditor_country] += item.amount
    return ExactTotals(exact_owes, exact_owed, exact_between, exact_domestic, domestic_count)


def settle(
    remaining: Iterable[Remaining],
    country_of: Mapping[str, str],
    credit_lines: Mapping[str, int] | None = None,
    *,
    opening: Mapping[str, int] | None = None,
    carried: Mapping[str, int] | None = None,
    credit_line_shares: Mapping[str, Fraction] | None = None,
) -> Settlement:
    """Settle the ``remaining`` obligations through each country's clearing account.

    ``country_of`` maps every firm to its country; ``credit_lines`` each
    country's credit line in the same minor units (absent means none);
    ``opening`` what each account holds from earlier periods (negative when its
    credit line is already drawn); ``carried`` what each firm's account still
    owes it from earlier periods, which joins this period's claims;
    ``credit_line_shares`` a country's credit line as a share of what its firms
    pay in this period, replacing the amount (the Asian Clearing Union's rule).
    Raises ``KeyError`` naming a firm with no country.
    """
    return settle_totals(
        exact_totals(remaining, country_of),
        country_of,
        credit_lines,
        opening=opening,
        carried=carried,
        credit_line_shares=credit_line_shares,
    )


def _check_credit_lines(credit_lines: Mapping[str, int]) -> None:
    for country, line in credit_lines.items():
        if line < 0:
            raise ValueError(f"credit line of {country} is negative")


def settle_totals(
    totals: ExactTotals,
    country_of: Mapping[str, str],
    credit_lines: Mapping[str, int] | None = None,
    *,
    opening: Mapping[str, int] | None = None,
    carried: Mapping[str, int] | None = None,
    credit_line_shares: Mapping[str, Fraction] | None = None,
) -> Settlement:
    """:func:`settle` of what remains, already summed: a clearing run sums its
    remainders as arrays, not one obligation at a time."""
    credit_lines = credit_lines or {}
    opening = opening or {}
    _check_credit_lines(credit_lines)
    exact_owes, exact_owed, exact_between = totals.owes, totals.owed, totals.between
    exact_domestic, domestic_count = totals.domestic, totals.domestic_obligations
    # Rounded once per firm (half-even); a firm whose total rounds to nothing is
    # given no instruction.
    owes = {firm: round(value) for firm, value in exact_owes.items() if round(value)}
    owed: dict[str, int] = defaultdict(int)
    owed.update({firm: round(value) for firm, value in exact_owed.items() if round(value)})
    domestic = round(exact_domestic)

    for firm, amount in (carried or {}).items():
        if amount < 0:
            raise ValueError(f"carried claim {amount} of {firm} is negative")
        if amount:
            country_of[firm]  # a KeyError names a firm without a country
            owed[firm] += amount

    collected: dict[str, int] = defaultdict(int)
    claims_by_country: dict[str, dict[str, int]] = defaultdict(dict)
    for firm, amount in owes.items():
        collected[country_of[firm]] += amount
    for firm, amount in owed.items():
        claims_by_country[country_of[firm]][firm] = amount

    accounts = []
    payouts: dict[str, int] = {}
    for country in sorted(set(collected) | set(claims_by_country) | set(opening)):
        claims = claims_by_country.get(country, {})
        claimed = sum(claims.values())
        line = credit_lines.get(country, 0)
        if credit_line_shares and country in credit_line_shares:
            line = credit_line_share(collected[country], credit_line_shares[country])
        available = max(0, opening.get(country, 0) + collected[country] + line)
        paid = claims if claimed <= available else allocate_pro_rata(available, claims)
        payouts.update(paid)
        accounts.append(
            ClearingAccount(
                country,
                collected[country],
                claimed,
                min(claimed, available),
                line,
                opening.get(country, 0),
            )
        )

    instructions = [
        Instruction(firm, country_of[firm], InstructionKind.COLLECTION, amount, amount)
        for firm, amount in sorted(owes.items())
    ] + [
        Instruction(firm, country_of[firm], InstructionKind.PAYOUT, amount, payouts[firm])
        for firm, amount in sorted(owed.items())
    ]
    imbalances = []
    for first, second in sorted({tuple(sorted(pair)) for pair in exact_between}):
        exact = exact_between.get((first, second), 0) - exact_between.get((second, first), 0)
        # The rule the journal's claims between accounts are rounded by (a pair of them).
        net = round_to_zero_sum({first: -exact, second: exact})[second]
        if net > 0:
            imbalances.append(Imbalance(first, second, net))
        elif net < 0:
            imbalances.append(Imbalance(second, first, -net))
    return Settlement(
        tuple(accounts), tuple(instructions), tuple(imbalances), domestic, domestic_count
    )


@dataclass(frozen=True)
class AccountFigures:
    """One clearing account's figures over a settlement, as users are shown them."""

    country: str
    collected: Amount
    claims: Amount
    paid_out: Amount
    credit_line: Amount
    credit_drawn: Amount
    retained: Amount
    unpaid: Amount


@dataclass(frozen=True)
class ImbalanceFigures:
    debtor_country: str
    creditor_country: str
    amount: Amount


@dataclass(frozen=True)
class SettlementSummary:
    """Clearing accounts, imbalances and the domestic remainder of a settlement."""

    accounts: tuple[AccountFigures, ...]
    imbalances: tuple[ImbalanceFigures, ...]
    collections: int
    payouts: int
    unpaid: Amount
    domestic: Amount
    domestic_obligations: int


def summarize(settlement: Settlement, currency: str, digits: int) -> SettlementSummary:
    """``settlement``'s figures as amounts of ``currency`` (``digits`` minor digits)."""

    def money(minor: int) -> Amount:
        return Amount(minor, currency, digits)

    return SettlementSummary(
        accounts=tuple(
            AccountFigures(
                account.country,
                money(account.collected),
                money(account.claims),
                money(account.paid_out),
                money(account.credit_line),
                money(account.credit_drawn),
                money(account.retained),
                money(account.unpaid),
            )
            for account in settlement.accounts
        ),
        imbalances=tuple(
            ImbalanceFigures(i.debtor_country, i.creditor_country, money(i.amount))
            for i in settlement.imbalances
        ),
        collections=sum(1 for i in settlement.instructions if i.kind == InstructionKind.COLLECTION),
        payouts=sum(1 for i in settlement.instructions if i.kind == InstructionKind.PAYOUT),
        unpaid=money(sum(a.unpaid for a in settlement.accounts)),
        domestic=money(settlement.domestic),
        domestic_obligations=settlement.domestic_obligations,
    )


def round_to_zero_sum(values: Mapping[str, int | Fraction]) -> dict[str, int]:
    """Exact values summing to zero (what clearing accounts owe each other, + owed to),
    rounded so they still do: floors, then the units left over to the largest
    fractional parts, ties by key.  The one rule for the journal's claims between
    accounts and a period's imbalance of a pair ``(x, -x)`` (a tie at half a unit
    goes to the first country by code), so the two never differ by a unit."""
    floors = {key: math.floor(value) for key, value in values.items()}
    short = -sum(floors.values())
    by_part = sorted(values, key=lambda key: (-(values[key] - floors[key]), key))
    for key in by_part[:short]:
        floors[key] += 1
    return floors


def pairs_of(net: Mapping[str, int]) -> dict[tuple[str, str], int]:
    """Net claims per clearing account (+ owed to it, summing to zero) as claims between
    pairs (debtor, creditor): debtors and creditors matched in country order.  Exact
    for two countries; with more, one decomposition with the same net per account."""
    debtors = sorted((country, -amount) for country, amount in net.items() if amount < 0)
    creditors = sorted((country, amount) for country, amount in net.items() if amount > 0)
    pairs: dict[tuple[str, str], int] = {}
    d = c = 0
    while d < len(debtors) and c < len(creditors):
        (debtor, owes), (creditor, owed) = debtors[d], creditors[c]
        amount = min(owes, owed)
        pairs[debtor, creditor] = amount
        debtors[d], creditors[c] = (debtor, owes - amount), (creditor, owed - amount)
        d += owes == amount
        c += owed == amount
    return pairs


def allocate_pro_rata(available: int, claims: Mapping[str, int]) -> dict[str, int]:
    """Share ``available`` among ``claims`` in proportion, exactly, by largest remainder.

    Each claimant gets the floor of its exact share; the units left over go one
    each to the largest fractional remainders, ties to the lower claimant id.
    Nobody gets more than its claim; all of ``available`` is given out unless the
    claims total less.
    """
    total = sum(claims.values())
    if available < 0 or any(amount < 0 for amount in claims.values()):
        raise ValueError("amounts to allocate must be non-negative")
    if total <= available:
        return dict(claims)
    shares = {firm: divmod(available * amount, total) for firm, amount in claims.items()}
    allocation = {firm: whole for firm, (whole, _) in shares.items()}
    left = available - sum(allocation.values())
    by_remainder = sorted(shares, key=lambda firm: (-shares[firm][1], firm))
    for firm in by_remainder[:left]:
        allocation[firm] += 1
    return allocation


def credit_line_share(collected: int, share: Fraction) -> int:
    """A credit line of ``share`` of an account's gross payments, rounded down.

    The Asian Clearing Union lends a deficit member up to 20 % of its average
    gross payments; here the gross payments are what the country's firms pay
    across the border in the period.
    """
    if share < 0:
        raise ValueError("a credit-line share must be non-negative")
    return int(collected * share.numerator // share.denominator)


def cumulative(
    earlier: Mapping[tuple[str, str], int], settlement: Settlement, unit: str, digits: int
) -> tuple[ImbalanceFigures, ...]:
    """The claims between clearing accounts carried from earlier runs plus this
    period's, netted per pair of countries."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    flows = [*earlier.items()] + [
        ((i.debtor_country, i.creditor_country), i.amount) for i in settlement.imbalances
    ]
    for (debtor, creditor), amount in flows:
        if debtor < creditor:
            net[debtor, creditor] += amount
        else:
            net[creditor, debtor] -= amount
    figures = []
    for (first, second), amount in sorted(net.items()):
        if amount > 0:
            figures.append(ImbalanceFigures(first, second, Amount(amount, unit, digits)))
        elif amount < 0:
            figures.append(ImbalanceFigures(second, first, Amount(-amount, unit, digits)))
    return tuple(figures)
