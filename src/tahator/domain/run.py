"""The plan of a clearing run, computed without a database (DESIGN §3.1, §3.2, §5).

A run loads what is open (``RunInputs``), asks :func:`plan_run` for everything it
decides, and stores the ``RunPlan`` in one transaction.  The plan converts what
remains of each obligation to the unit of account at the run's rates, finds the
largest set-off, writes a notice per obligation set off, hands cross-border
remainders to the clearing accounts, and settles them: instructions, roll-overs,
the obligations' new remaining amounts and statuses, the two journal entries and
the run's totals and figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from itertools import chain
from typing import NamedTuple

import numpy as np

from tahator.domain import ledger
from tahator.domain.clearing import max_setoff
from tahator.domain.corridor import Rate, from_unit_of_account, to_unit_of_account
from tahator.domain.errors import AmountOverflowError
from tahator.domain.money import MAX_MINOR
from tahator.domain.obligations import ObligationStatus
from tahator.domain.settlement import (
    InstructionKind,
    Remaining,
    Settlement,
    SettlementSummary,
    crosses_border,
    settle,
    summarize,
)


class RunStatus(StrEnum):
    RUNNING = "running"
    """Begun in a transaction that has not committed: no other reader sees it."""
    COMPLETED = "completed"


@dataclass(frozen=True)
class OpenObligations:
    """The open obligations of a run, as columns in id order."""

    ids: Sequence[int]
    debtors: Sequence[str]
    creditors: Sequence[str]
    remaining: Sequence[int]
    currencies: Sequence[str]
    due: Sequence[str]
    """ISO dates, which sort as text."""

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class RunInputs:
    """Everything a run reads before it decides anything."""

    as_of: date
    unit_of_account: str
    unit_digits: int
    digits: Mapping[str, int]
    """Currency → minor-unit digits."""
    countries: Mapping[str, str]
    """Country → its currency."""
    credit_lines: Mapping[str, int]
    """Country → its clearing account's credit line, in the unit of account."""
    rates: Mapping[str, Rate]
    """Currency → the run's reference rate."""
    obligations: OpenObligations
    country_of: Mapping[str, str]
    """Firm → its country."""
    opening: Mapping[str, int]
    """Country → what its clearing account holds from earlier runs."""
    carried: Mapping[str, int]
    """Firm → what the latest run's clearing account could not pay it (a roll-over)."""


class Notice(NamedTuple):
    """What a run sets off of one obligation: in its currency, and in the unit of account."""

    obligation_id: int
    before: int
    setoff: int
    after: int
    setoff_unit: int


class ObligationChange(NamedTuple):
    id: int
    remaining: int
    status: ObligationStatus


class Novation(NamedTuple):
    """What a run hands of one obligation to the clearing accounts, in its currency."""

    obligation_id: int
    amount: int


class Rollover(NamedTuple):
    """A firm's claim the clearing account could not pay: carried to the next run."""

    firm: str
    amount: int


@dataclass(frozen=True)
class PlannedInstruction:
    """A settlement instruction, in the unit of account and the country's currency."""

    firm: str
    country: str
    kind: InstructionKind
    owed: int
    amount: int
    local_currency: str
    local_amount: int


@dataclass(frozen=True)
class RunFigures(SettlementSummary):
    """A run's settlement figures and counts: stored with the run, shown to users."""

    setoff_notices: int
    instructions: int


@dataclass(frozen=True)
class RunPlan:
    """Everything a clearing run writes, decided."""

    as_of: date
    unit_of_account: str
    obligations: int
    """How many obligations were open."""
    rates: tuple[Rate, ...]
    """The rates the run converted at, by currency."""
    notices: tuple[Notice, ...]
    setoffs: ledger.Entry | None
    """Payables against receivables for every set-off (``None``: nothing set off)."""
    settlement: Settlement
    novations: ledger.Entry | None
    """Cross-border remainders handed to the clearing accounts (``None``: none)."""
    novated: tuple[Novation, ...]
    """Each obligation those remainders came from, by id."""
    instructions: tuple[PlannedInstruction, ...]
    """Those that move money now; an unpaid claim is a roll-over instead."""
    rollovers: tuple[Rollover, ...]
    changes: tuple[ObligationChange, ...]
    total: int
    """In the unit of account, like ``cleared`` and ``remainder``."""
    cleared: int
    remainder: int
    figures: RunFigures

    def setoff_entry(self, run_id: int) -> ledger.Entry | None:
        """The set-off entry, its memo naming the run."""
        if self.setoffs is None:
            return None
        return replace(self.setoffs, memo=f"set-offs of clearing run {run_id}")

    def novation_entry(self, run_id: int) -> ledger.Entry | None:
        """The novation entry, its memo naming the run."""
        if self.novations is None:
            return None
        memo = f"cross-border remainders of clearing run {run_id} to the clearing accounts"
        return replace(self.novations, memo=memo)


def plan_run(inputs: RunInputs) -> RunPlan:
    """Everything a clearing run over ``inputs`` decides; raises ``AmountOverflowError``
    when an obligation does not fit 64 bits in the unit of account."""
    open_ = inputs.obligations
    rates = inputs.rates
    digits, unit, unit_digits = inputs.digits, inputs.unit_of_account, inputs.unit_digits
    in_unit = to_unit(open_, rates, digits, unit_digits)

    firms = list(dict.fromkeys(chain(open_.debtors, open_.creditors)))
    index = {firm: i for i, firm in enumerate(firms)}
    count = open_.count
    # ISO dates sort as text: their ranks order the set-off of parallel obligations.
    _, due_rank = np.unique(np.array(open_.due, dtype=object), return_inverse=True)
    result = max_setoff(
        np.fromiter(map(index.__getitem__, open_.debtors), np.int64, count),
        np.fromiter(map(index.__getitem__, open_.creditors), np.int64, count),
        np.asarray(in_unit, dtype=np.int64),
        priority=np.asarray(due_rank, dtype=np.int64).reshape(-1) if count else None,
    )
    setoff_unit: list[int] = result.setoff.tolist()
    remainder_unit: list[int] = result.remainder.tolist()

    notices = []
    setoffs = ledger.EntryBuilder()
    changes: dict[int, tuple[int, ObligationStatus]] = {}
    for i in np.flatnonzero(result.setoff).tolist():
        before = open_.remaining[i]
        currency = open_.currencies[i]
        if remainder_unit[i] == 0:
            amount = before  # set off in full: no rounding may leave dust behind
        else:
            rate = rates[currency].per_unit_of_account
            amount = min(
                before,
                from_unit_of_account(setoff_unit[i], digits[currency], rate, unit_digits),
            )
        after = before - amount
        notices.append(Notice(open_.ids[i], before, amount, after, setoff_unit[i]))
        setoffs.transfer(
            ledger.payable(open_.debtors[i]),
            ledger.receivable(open_.creditors[i]),
            currency,
            amount,
        )
        changes[open_.ids[i]] = (
            after,
            ObligationStatus.OPEN if after else ObligationStatus.SET_OFF,
        )

    remaining = []
    novated = []
    novations = ledger.EntryBuilder()
    country_of = inputs.country_of
    for i, left in enumerate(remainder_unit):
        if not left:
            continue
        debtor, creditor = open_.debtors[i], open_.creditors[i]
        remaining.append(Remaining(debtor, creditor, left))
        debtor_country, creditor_country = country_of[debtor], country_of[creditor]
        if not crosses_border(debtor_country, creditor_country):
            continue  # the two firms settle it between themselves
        oid = open_.ids[i]
        left_local = changes[oid][0] if oid in changes else open_.remaining[i]
        novations.transfer(
            ledger.payable(debtor), ledger.receivable(creditor), open_.currencies[i], left_local
        )
        novations.transfer(
            ledger.collection(debtor), ledger.interaccount(debtor_country), unit, left
        )
        novations.transfer(
            ledger.interaccount(creditor_country), ledger.payout(creditor), unit, left
        )
        novated.append(Novation(oid, left_local))
        changes[oid] = (0, ObligationStatus.IN_SETTLEMENT)
    settlement = settle(
        remaining,
        country_of,
        inputs.credit_lines,
        opening=inputs.opening,
        carried=inputs.carried,
    )

    instructions = []
    for instruction in settlement.instructions:
        if not instruction.amount:
            continue  # nothing to move now; an unpaid claim is a roll-over below
        currency = inputs.countries[instruction.country]
        local = from_unit_of_account(
            instruction.amount,
            digits[currency],
            rates[currency].per_unit_of_account,
            unit_digits,
        )
        instructions.append(
            PlannedInstruction(
                instruction.firm,
                instruction.country,
                instruction.kind,
                instruction.owed,
                instruction.amount,
                currency,
                local,
            )
        )
    rollovers = tuple(
        Rollover(i.firm, i.unpaid)
        for i in settlement.instructions
        if i.kind == InstructionKind.PAYOUT and i.unpaid
    )
    summary = summarize(settlement, unit, unit_digits)
    figures = RunFigures(
        **{f.name: getattr(summary, f.name) for f in fields(SettlementSummary)},
        setoff_notices=len(notices),
        instructions=len(instructions),
    )
    return RunPlan(
        as_of=inputs.as_of,
        unit_of_account=unit,
        obligations=count,
        rates=tuple(rates[c] for c in sorted(rates)),
        notices=tuple(notices),
        setoffs=setoffs.build(ledger.EntryKind.SETOFF, "") if setoffs else None,
        settlement=settlement,
        novations=novations.build(ledger.EntryKind.SETTLEMENT, "") if novations else None,
        novated=tuple(novated),
        instructions=tuple(instructions),
        rollovers=rollovers,
        changes=tuple(ObligationChange(oid, *change) for oid, change in changes.items()),
        total=result.total,
        cleared=result.cleared,
        remainder=result.remaining,
        figures=figures,
    )


def to_unit(
    obligations: OpenObligations,
    rates: Mapping[str, Rate],
    digits: Mapping[str, int],
    unit_digits: int,
) -> list[int]:
    """Each remaining amount in the unit of account; identity where the rate is 1."""
    converted = []
    for amount, currency in zip(obligations.remaining, obligations.currencies, strict=True):
        rate = rates[currency].per_unit_of_account
        if rate == 1 and digits[currency] == unit_digits:
            converted.append(amount)
        else:
            converted.append(to_unit_of_account(amount, digits[currency], rate, unit_digits))
    if converted and max(converted) > MAX_MINOR:
        raise AmountOverflowError(
            "an obligation is worth more than the 64-bit limit at these rates"
        )
    return converted
