"""Ledger balances and the invariants that must always hold (``tahator ledger verify``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import ledger
from tahator.domain.money import Amount, format_amount
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import corridor as corridors
from tahator.services.clearing import carried_over, stored_figures
from tahator.services.journal import balances
from tahator.services.replay import UNREADABLE, replay
from tahator.store.schema import (
    ClearingAccount,
    ClearingRun,
    JournalLine,
    Obligation,
    SettlementInstruction,
)
from tahator.store.sums import exact_sum


@dataclass(frozen=True)
class BalanceRow:
    """One ledger account's balance in one currency (debit positive)."""

    account: str
    currency: str
    balance: Amount


@dataclass(frozen=True)
class Verification:
    """What ``tahator ledger verify`` found: ``ok`` when ``breaks`` is empty."""

    ok: bool
    breaks: tuple[str, ...]
    """Each broken invariant, described."""


def balance_rows(session: Session) -> list[BalanceRow]:
    digits = corridors.load(session).digits
    return [
        BalanceRow(account, currency, Amount(amount, currency, digits[currency]))
        for (account, currency), amount in sorted(balances(session).items())
    ]


def verify(session: Session) -> Verification:
    """Every record the recomputation of the history disagrees with (the first first),
    then every broken invariant of today's balances; ``ok`` when there are none."""
    breaks = _stage("the replay", replay, session) + _stage(
        "the balance checks", invariant_breaks, session
    )
    return Verification(not breaks, tuple(breaks))


def _stage(name: str, check: Callable[[Session], list[str]], session: Session) -> list[str]:
    """``check``'s breaks, or one naming the value it could not read: never a crash."""
    try:
        return check(session)
    except UNREADABLE as error:
        return [f"{name} stopped: a stored value cannot be read ({type(error).__name__}: {error})"]


def invariant_breaks(session: Session) -> list[str]:
    """Every broken invariant of today's balances (no replay of the history)."""
    breaks: list[str] = []
    corridor = corridors.load(session)
    unit = corridor.unit_of_account

    unbalanced = session.execute(
        select(JournalLine.entry_id, JournalLine.currency, exact_sum(JournalLine.amount))
        .group_by(JournalLine.entry_id, JournalLine.currency)
        .having(exact_sum(JournalLine.amount) != 0)
    ).all()
    breaks += [f"journal entry {e} does not balance in {c}: off by {t}" for e, c, t in unbalanced]

    booked = balances(session)
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for debtor, creditor, currency, remaining in session.execute(
        select(Obligation.debtor, Obligation.creditor, Obligation.currency, Obligation.remaining)
    ):
        expected[ledger.payable(debtor), currency] -= remaining
        expected[ledger.receivable(creditor), currency] += remaining
    breaks += _compare(
        booked, expected, ("payable:", "receivable:"), "obligations' remaining amounts"
    )

    expected = defaultdict(int)
    cash: dict[str, int] = defaultdict(int)
    owed_collections: dict[str, int] = defaultdict(int)
    """Country → the collections its clearing account is owed (see the overdraft check)."""
    replaced: dict[int, int] = defaultdict(int)
    returned: list[tuple[int, str, int]] = []
    for iid, firm, country, kind, amount, status, replaces in session.execute(
        select(
            SettlementInstruction.id,
            SettlementInstruction.firm_id,
            SettlementInstruction.country,
            SettlementInstruction.kind,
            SettlementInstruction.amount,
            SettlementInstruction.status,
            SettlementInstruction.replaces,
        )
    ):
        collecting = kind == InstructionKind.COLLECTION
        if replaces is not None and collecting:  # a held payout names its return too
            replaced[replaces] += amount
        if status == InstructionStatus.PENDING:
            account = ledger.collection(firm) if collecting else ledger.payout(firm)
            expected[account, unit] += amount if collecting else -amount
            if collecting:
                owed_collections[country] += amount
        elif status == InstructionStatus.CONFIRMED:  # returned or held: no money moved
            cash[country] += amount if collecting else -amount
        elif status == InstructionStatus.RETURNED and collecting:
            returned.append((iid, country, amount))
    # A returned collection the account may already have paid creditors from: what
    # no collection asked instead covers (no liable member took it over) is still owed
    # to the account, its debtor pursued through the reopened obligations or asked again.
    for iid, country, amount in returned:
        owed_collections[country] += max(amount - replaced[iid], 0)
    # What the next run carries (roll-overs, payouts returned or held since) is owed
    # on the payout accounts still: the same figure the run reads.
    for firm, amount in carried_over(session, corridor.countries)[1].items():
        expected[ledger.payout(firm), unit] -= amount
    for country, amount in cash.items():
        expected[ledger.clearing(country), unit] += amount
    breaks += _compare(
        booked, expected, ("collection:", "payout:", "clearing:"), "settlement instructions"
    )

    lines = dict(
        session.execute(select(ClearingAccount.country, ClearingAccount.credit_line)).all()
    )
    # A line set as a share of payments is an amount only in a run, and what the account
    # drew may date from any run since: the largest line a completed run set for it.
    for stored in session.scalars(
        select(ClearingRun.figures).where(ClearingRun.status == RunStatus.COMPLETED)
    ):
        figures = stored_figures(stored, unit, corridor.unit_digits)
        for figure in figures.accounts if figures else ():
            if figure.country in corridor.credit_line_shares:
                lines[figure.country] = max(lines.get(figure.country, 0), figure.credit_line.minor)
    for country, line in lines.items():
        # A bank may confirm a payout before the collection that funds it, and a
        # collection may come back after the payouts it funded left: the account is
        # judged with the collections it is owed.
        held = booked.get((ledger.clearing(country), unit), 0) + owed_collections[country]
        if held < -line:
            digits = corridor.unit_digits
            breaks.append(
                f"clearing account {country} is overdrawn by {format_amount(-held, digits)}, "
                f"beyond its credit line {format_amount(line, digits)}"
            )
    claims = sum(
        amount for (account, _), amount in booked.items() if account.startswith("interaccount:")
    )
    if claims:
        breaks.append(f"claims between clearing accounts do not net to zero: off by {claims}")

    for oid, amount, remaining, status in session.execute(
        select(Obligation.id, Obligation.amount, Obligation.remaining, Obligation.status)
    ):
        if not 0 <= remaining <= amount:
            breaks.append(f"obligation {oid} has remaining {remaining} outside 0..{amount}")
        elif (remaining == 0) != (
            status in (ObligationStatus.SET_OFF, ObligationStatus.IN_SETTLEMENT)
        ) and amount:
            breaks.append(f"obligation {oid} is {status} with {remaining} remaining")
    partial = session.scalars(
        select(ClearingRun.id).where(ClearingRun.status != RunStatus.COMPLETED)
    ).all()
    breaks += [f"clearing run {run} was left unfinished" for run in partial]
    return breaks


def _compare(
    booked: dict[tuple[str, str], int],
    expected: dict[tuple[str, str], int],
    prefixes: tuple[str, ...],
    what: str,
) -> list[str]:
    keys = {k for k in booked if k[0].startswith(prefixes)} | {k for k, v in expected.items() if v}
    return [
        f"{account} in {currency}: the ledger says {booked.get((account, currency), 0)}, "
        f"the {what} say {expected.get((account, currency), 0)}"
        for account, currency in sorted(keys)
        if booked.get((account, currency), 0) != expected.get((account, currency), 0)
    ]
