"""Double-entry ledger: accounts, postings, balanced journal entries (DESIGN §2.4).

Amounts are signed integer minor units: a debit is positive, a credit negative.
An entry balances when its postings sum to zero in every currency.  Balances are
always derived by summing postings; nothing stores them.

The chart of accounts:

``receivable:FIRM``   what FIRM is owed on open obligations (debit balance)
``payable:FIRM``      what FIRM owes on open obligations (credit balance)
``collection:FIRM``   what FIRM must pay its clearing account (debit balance)
``payout:FIRM``       what FIRM's clearing account must pay it (credit balance)
``clearing:CC``       money held by country CC's clearing account (negative: credit drawn)
``interaccount:CC``   CC's account's net claim on the other countries' accounts
``rounding``          what conversion between currencies forced the clearing house to
                      round, gained (credit) or lost (debit): bounded, reported per run
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tahator.domain.money import MAX_MINOR


class EntryKind(StrEnum):
    OBLIGATIONS = "obligations"
    """Obligations registered: receivable against payable."""
    SETOFF = "setoff"
    """A clearing run's set-offs: payable against receivable."""
    SETTLEMENT = "settlement"
    """Cross-border remainders handed to the clearing accounts (novation)."""
    COLLECTION = "collection"
    """A bank confirmed a firm paid its clearing account."""
    PAYOUT = "payout"
    """A bank confirmed a clearing account paid a firm."""
    RETURN = "return"
    """A bank returned a collection or payout: what it was to settle is undone."""
    REVERSAL = "reversal"
    """A bank returned a payout after it confirmed it: the confirmation, reversed."""


def receivable(firm: str) -> str:
    return f"receivable:{firm}"


def payable(firm: str) -> str:
    return f"payable:{firm}"


def collection(firm: str) -> str:
    return f"collection:{firm}"


def payout(firm: str) -> str:
    return f"payout:{firm}"


def clearing(country: str) -> str:
    return f"clearing:{country}"


def interaccount(country: str) -> str:
    return f"interaccount:{country}"


ROUNDING = "rounding"
"""The clearing house's rounding account."""


@dataclass(frozen=True)
class Posting:
    account: str
    currency: str
    amount: int
    """Debit positive, credit negative."""


@dataclass(frozen=True)
class Entry:
    """A journal entry: postings that sum to zero in every currency."""

    kind: EntryKind
    memo: str
    postings: tuple[Posting, ...]

    def imbalance(self) -> dict[str, int]:
        """Currencies whose postings do not sum to zero, with the difference."""
        return {c: total for c, total in currency_totals(self.postings).items() if total}


def currency_totals(postings: Iterable[Posting]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        totals[posting.currency] += posting.amount
    return dict(totals)


def entry(kind: EntryKind, memo: str, postings: Iterable[Posting]) -> Entry:
    """A balanced entry with postings to one account and currency merged.

    Raises ``ValueError`` if the postings do not balance in every currency.
    """
    merged: dict[tuple[str, str], int] = defaultdict(int)
    for posting in postings:
        merged[posting.account, posting.currency] += posting.amount
    result = Entry(
        kind,
        memo,
        tuple(Posting(a, c, amount) for (a, c), amount in sorted(merged.items()) if amount),
    )
    if result.imbalance():
        raise ValueError(f"entry {memo!r} does not balance: {result.imbalance()}")
    return result


def transfer(debit: str, credit: str, currency: str, amount: int) -> tuple[Posting, Posting]:
    """Two postings moving ``amount`` from ``credit`` to ``debit``."""
    return Posting(debit, currency, amount), Posting(credit, currency, -amount)


def confirmation(
    collecting: bool, country: str, firm: str, currency: str, amount: int
) -> tuple[EntryKind, tuple[Posting, Posting]]:
    """What a bank's confirmation of an instruction posts: a collection moves ``amount``
    from the firm's collection account into its country's clearing account, a payout
    from that account to the firm's payout account."""
    if collecting:
        return EntryKind.COLLECTION, transfer(clearing(country), collection(firm), currency, amount)
    return EntryKind.PAYOUT, transfer(payout(firm), clearing(country), currency, amount)


def reversal(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    """The postings that undo ``postings`` (a confirmation the bank took back)."""
    return tuple(Posting(p.account, p.currency, -p.amount) for p in postings)


class EntryBuilder:
    """Accumulates transfers, merged per account and currency, into one entry.

    A clearing run moves money for tens of thousands of obligations; summing as
    it goes keeps one posting per account instead of two per obligation.
    """

    def __init__(self) -> None:
        self.totals: dict[tuple[str, str], int] = defaultdict(int)

    def transfer(self, debit: str, credit: str, currency: str, amount: int) -> None:
        self.totals[debit, currency] += amount
        self.totals[credit, currency] -= amount

    def post(self, account: str, currency: str, amount: int) -> None:
        """One side of a transfer (debit positive); the entry must still balance."""
        self.totals[account, currency] += amount

    def __bool__(self) -> bool:
        return any(self.totals.values())

    def build(self, kind: EntryKind, memo: str) -> Entry:
        """The balanced entry; ``ValueError`` if it does not balance (a bug).

        A merged amount past 64 bits is split into several postings to the account,
        so no stored figure overflows.
        """
        postings = tuple(
            Posting(account, currency, part)
            for (account, currency), amount in sorted(self.totals.items())
            if amount
            for part in ((amount,) if -MAX_MINOR <= amount <= MAX_MINOR else _parts(amount))
        )
        result = Entry(kind, memo, postings)
        if result.imbalance():
            raise ValueError(f"entry {memo!r} does not balance: {result.imbalance()}")
        return result


def _parts(amount: int) -> list[int]:
    """``amount`` as parts of at most ``MAX_MINOR`` in size, of its sign."""
    sign, left, parts = (1 if amount > 0 else -1), abs(amount), []
    while left > MAX_MINOR:
        parts.append(sign * MAX_MINOR)
        left -= MAX_MINOR
    parts.append(sign * left)
    return parts
