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

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from tahator.domain import ledger
from tahator.domain.clearing import max_setoff
from tahator.domain.corridor import Conversion, Rate, _divide_half_even
from tahator.domain.money import MAX_MINOR, Amount, format_amount
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run_remainders import remainders
from tahator.domain.settlement import (
    ImbalanceFigures,
    Instruction,
    InstructionKind,
    Settlement,
    SettlementSummary,
    cumulative,
    round_to_zero_sum,
    settle_totals,
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
    setoff_before_due: bool = True
    """Whether obligations not yet due are set off (they settle only once due)."""
    max_obligation: int = MAX_MINOR
    """The most one obligation may be worth in the unit of account to take part."""
    credit_line_shares: Mapping[str, Fraction] = field(default_factory=dict)
    """Country → its credit line as a share of what its firms pay in the run."""
    earlier_imbalances: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """(Debtor country, creditor country) → the net claim between their clearing
    accounts carried from earlier runs."""


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

    def stored(self) -> tuple[str, str, str, int, int, str, int]:
        """Its fields in order, as a run stores them (the kind as its text)."""
        kind, local = self.kind.value, (self.local_currency, self.local_amount)
        return (self.firm, self.country, kind, self.owed, self.amount, *local)


@dataclass(frozen=True)
class ExcludedFigures:
    """Obligations of one currency a run left out, and why."""

    currency: str
    obligations: int
    reason: str


@dataclass(frozen=True)
class RunFigures(SettlementSummary):
    """A run's settlement figures and counts: stored with the run, shown to users."""

    setoff_notices: int
    instructions: int
    excluded: tuple[ExcludedFigures, ...]
    not_due: int
    """Cross-border remainders left open because they are not yet due."""
    setoff_rounding: str
    """Σ over set-offs of (value set off in the obligation's currency − set-off in the
    unit of account): exact, in minor units of the unit of account (``"p/q"``)."""
    setoff_rounding_largest: str
    """The largest |value a firm was relieved of as debtor − value it gave up as
    creditor|, exact, in minor units of the unit of account (at most 1)."""
    settlement_rounding: Amount
    """What the collections exceed the payouts by: credited to the rounding account."""
    cumulative_imbalances: tuple[ImbalanceFigures, ...]
    """The claims between clearing accounts carried from earlier runs and this one."""


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
    """Everything a clearing run over ``inputs`` decides.

    Money rules (DESIGN §3.1, §3.2): each obligation is worth its remaining amount
    rounded *down* in the unit of account for the set-off (no firm is credited with
    value it does not have); what is set off of it in its own currency is derived
    from its set-off in the unit of account, rounded up or down so that each firm's
    running difference between the value it is relieved of as a debtor and the
    value it gives up as a creditor stays nearest zero.  What is due and crosses a
    border then settles, each firm's collection and payout its exact total rounded
    once; the difference that rounding forces is booked to the rounding account.
    An obligation the run cannot value (no rate, or too large) is left out with its
    reason, never failing the run.
    """
    open_ = inputs.obligations
    conversions = {
        c: Conversion(inputs.digits[c], r.per_unit_of_account, inputs.unit_digits)
        for c, r in inputs.rates.items()
    }
    as_of = inputs.as_of.isoformat()
    excluded, included = _screen(inputs, conversions)
    due = [d <= as_of for d in open_.due]

    # The set-off, in the unit of account, over what may be set off.
    candidates = [i for i in included if (due[i] or inputs.setoff_before_due)]
    floors = [conversions[open_.currencies[i]].floor(open_.remaining[i]) for i in candidates]
    setoff_unit = _setoff(inputs, candidates, floors)

    # What each set-off is in the obligation's own currency.
    drift: dict[str, Fraction] = defaultdict(Fraction)
    setoff_rounding: int | Fraction = 0
    local_setoff: dict[int, int] = {}
    notices = []
    setoffs = ledger.EntryBuilder()
    for i, unit_amount in setoff_unit.items():
        currency, debtor, creditor = open_.currencies[i], open_.debtors[i], open_.creditors[i]
        amount, error = _local_setoff(
            conversions[currency], unit_amount, open_.remaining[i], drift, debtor, creditor
        )
        setoff_rounding += error
        local_setoff[i] = amount
        before = open_.remaining[i]
        notices.append(Notice(open_.ids[i], before, amount, before - amount, unit_amount))
        setoffs.transfer(ledger.payable(debtor), ledger.receivable(creditor), currency, amount)

    # What remains: due cross-border remainders go to the clearing accounts.
    taken = np.asarray(included, dtype=np.int64)
    positions = np.searchsorted(taken, np.fromiter(local_setoff, np.int64, len(local_setoff)))
    left = remainders(
        _take(open_.ids, included),
        _take(open_.debtors, included),
        _take(open_.creditors, included),
        _take(open_.remaining, included),
        _take(open_.currencies, included),
        _take(due, included),
        dict(zip(positions.tolist(), local_setoff.values(), strict=True)),
        inputs.country_of,
        conversions,
    )
    novations = ledger.EntryBuilder()
    for debtor, currency, amount in left.payable:
        novations.post(ledger.payable(debtor), currency, amount)
    for creditor, currency, amount in left.receivable:
        novations.post(ledger.receivable(creditor), currency, -amount)
    carried, held_over = _screen_carried(inputs, conversions, excluded)
    settlement = settle_totals(
        left.totals,
        inputs.country_of,
        inputs.credit_lines,
        opening=inputs.opening,
        carried=carried,
        credit_line_shares=inputs.credit_line_shares,
    )
    rounding = _book_settlement(novations, left.totals.between, settlement, inputs)

    parts: dict[str, int] = {}
    instructions = [
        part
        for instruction in settlement.instructions
        for part in _instructions(instruction, inputs, conversions, parts)
    ]
    payouts = [i for i in settlement.instructions if i.kind == InstructionKind.PAYOUT]
    rollovers = tuple(sorted([Rollover(i.firm, i.unpaid) for i in payouts if i.unpaid] + held_over))
    unit, unit_digits = inputs.unit_of_account, inputs.unit_digits
    summary = summarize(settlement, unit, unit_digits)
    cleared = sum(setoff_unit.values())
    total = round(
        sum(
            (conversions[c].value(amount) for c, amount in left.by_currency.items()),
            Fraction(0),
        )
    )
    figures = RunFigures(
        **{f.name: getattr(summary, f.name) for f in fields(SettlementSummary)},
        setoff_notices=len(notices),
        instructions=len(instructions),
        excluded=tuple(
            ExcludedFigures(currency, count, reason)
            for (currency, reason), count in sorted(excluded.items())
        ),
        not_due=left.not_due,
        setoff_rounding=str(setoff_rounding),
        setoff_rounding_largest=str(max(map(abs, drift.values()), default=Fraction(0))),
        settlement_rounding=Amount(rounding, unit, unit_digits),
        cumulative_imbalances=cumulative(inputs.earlier_imbalances, settlement, unit, unit_digits),
    )
    return RunPlan(
        as_of=inputs.as_of,
        unit_of_account=unit,
        obligations=open_.count,
        rates=tuple(inputs.rates[c] for c in sorted(inputs.rates)),
        notices=tuple(notices),
        setoffs=setoffs.build(ledger.EntryKind.SETOFF, "") if setoffs else None,
        settlement=settlement,
        novations=novations.build(ledger.EntryKind.SETTLEMENT, "") if novations else None,
        novated=tuple(Novation(*n) for n in left.novated),
        instructions=tuple(instructions),
        rollovers=rollovers,
        changes=tuple(ObligationChange(*change) for change in left.changes),
        total=total,
        cleared=cleared,
        remainder=total - cleared,
        figures=figures,
    )


def _screen(
    inputs: RunInputs, conversions: Mapping[str, Conversion]
) -> tuple[dict[tuple[str, str], int], list[int]]:
    """Which obligations the run takes (indices), and those it leaves out: (currency,
    reason) → how many.  One firm's data never fails the run for everyone."""
    open_ = inputs.obligations
    limit = min(inputs.max_obligation, MAX_MINOR)
    day = inputs.as_of.isoformat()
    excluded: dict[tuple[str, str], int] = defaultdict(int)
    included = []
    totals: dict[tuple[str, bool], int] = {}
    # Countries whose own currency has no rate: a cross-border obligation of one of
    # their firms cannot be collected or paid out in it.
    unrated = {c: local for c, local in inputs.countries.items() if local not in conversions}
    country_of = inputs.country_of
    # When everything, with what is carried, fits 64 bits, no firm's total can pass them.
    fits = _all_fit(inputs, conversions)
    if fits and not unrated:
        # Nothing but a rate or the size can leave an obligation out: the most each
        # currency's obligation may hold, compared as integers.
        bounds = {c: limit * v.scale // v.per_minor for c, v in conversions.items()}
        pairs = zip(open_.remaining, open_.currencies, strict=True)
        included = [i for i, (amount, c) in enumerate(pairs) if amount <= bounds.get(c, -1)]
        if len(included) == open_.count:
            return excluded, included
        included = []  # the few left out: every obligation again, one at a time
    for i, (amount, currency) in enumerate(zip(open_.remaining, open_.currencies, strict=True)):
        reason = None
        conversion = conversions.get(currency)
        if conversion is None:
            reason = f"no reference rate for {currency} on {day}"
        elif conversion.exceeds(amount, limit):
            reason = (
                f"worth more than {format_amount(limit, inputs.unit_digits)} "
                f"{inputs.unit_of_account}, the largest obligation a run takes"
            )
        elif unrated:
            debtor, creditor = country_of[open_.debtors[i]], country_of[open_.creditors[i]]
            for country in sorted({debtor, creditor} & unrated.keys()):
                if debtor != creditor:
                    reason = (
                        f"no reference rate for {unrated[country]} on {day}, {country}'s currency"
                    )
                    break
        if reason is None and not fits:
            reason = _past_64_bits(inputs, conversion, i, totals)
        if reason is None:
            included.append(i)
        else:
            excluded[currency, reason] += 1
    return excluded, included


def _all_fit(inputs: RunInputs, conversions: Mapping[str, Conversion]) -> bool:
    """Whether the open obligations' whole value (each rounded up) and every carried
    claim together stay within 64 bits."""
    open_ = inputs.obligations
    by_currency: dict[str, int] = defaultdict(int)
    for amount, currency in zip(open_.remaining, open_.currencies, strict=True):
        by_currency[currency] += amount
    worth = sum(
        conversions[c].floor(total) + 1 for c, total in by_currency.items() if c in conversions
    )
    return worth + open_.count + sum(inputs.carried.values()) <= MAX_MINOR


def _past_64_bits(
    inputs: RunInputs, conversion: Conversion | None, i: int, totals: dict[tuple[str, bool], int]
) -> str | None:
    """Why obligation ``i`` would take its debtor's collection, its creditor's claim (with
    what is carried) or the run's total (firm "") past 64 bits, where they are stored;
    ``None``: it fits, and ``totals`` (firm, as creditor → its ceiling so far) counts it."""
    assert conversion is not None
    open_ = inputs.obligations
    worth = math.ceil(conversion.value(open_.remaining[i]))
    sides = {(open_.debtors[i], False): 0, (open_.creditors[i], True): 0, ("", False): 0}
    for firm, creditor in sides:
        start = inputs.carried.get(firm, 0) if creditor else 0
        sides[firm, creditor] = totals.get((firm, creditor), start) + worth
        if sides[firm, creditor] > MAX_MINOR:
            whose = f"what {firm} owes or is owed" if firm else "the run's total"
            return f"would take {whose} past 64 bits in one run"
    totals.update(sides)
    return None


def _screen_carried(
    inputs: RunInputs,
    conversions: Mapping[str, Conversion],
    excluded: dict[tuple[str, str], int],
) -> tuple[dict[str, int], list[Rollover]]:
    """The carried claims the run can pay (firm → amount), and those it rolls over
    again because their firm's currency has no rate on the run date (counted in
    ``excluded``): a carried claim never fails the run."""
    day = inputs.as_of.isoformat()
    payable: dict[str, int] = {}
    held_over = []
    for firm, amount in inputs.carried.items():
        country = inputs.country_of[firm]
        currency = inputs.countries.get(country, "")
        if currency in conversions:
            payable[firm] = amount
            continue
        held_over.append(Rollover(firm, amount))
        reason = (
            f"carried claim of {firm} rolled over: no reference rate for {currency} on "
            f"{day}, {country}'s currency"
        )
        excluded[currency, reason] += 1
    return payable, held_over


def _setoff(inputs: RunInputs, candidates: list[int], floors: list[int]) -> dict[int, int]:
    """The largest set-off of the ``candidates`` worth ``floors``: index → set-off (> 0)."""
    open_ = inputs.obligations
    debtor_ids, creditor_ids = _take(open_.debtors, candidates), _take(open_.creditors, candidates)
    # Firms numbered as they first appear, debtors first: the numbering the solver saw.
    firms = {firm: n for n, firm in enumerate(dict.fromkeys([*debtor_ids, *creditor_ids]))}
    count = len(candidates)
    dues = _take(open_.due, candidates)
    # ISO dates sort as text: their ranks order the set-off of parallel obligations.
    rank = {day: n for n, day in enumerate(sorted(set(dues)))}
    result = max_setoff(
        np.fromiter(map(firms.__getitem__, debtor_ids), np.int64, count),
        np.fromiter(map(firms.__getitem__, creditor_ids), np.int64, count),
        np.asarray(floors, dtype=np.int64),
        priority=np.fromiter(map(rank.__getitem__, dues), np.int64, count) if count else None,
    )
    setoff: list[int] = result.setoff.tolist()
    return {candidates[k]: setoff[k] for k in np.flatnonzero(result.setoff).tolist()}


def _local_setoff(
    conversion: Conversion,
    unit_amount: int,
    amount: int,
    drift: dict[str, Fraction],
    debtor: str,
    creditor: str,
) -> tuple[int, int | Fraction]:
    """What is set off of an obligation of ``amount`` in its currency, for
    ``unit_amount`` set off in the unit of account.

    The exact equivalent is rounded down or up (at most ``amount``), whichever keeps
    the two firms' running differences (``drift``: value relieved as debtor − value
    given up as creditor) nearest zero; ``drift`` is updated.  A greedy choice,
    cheap, and within one local minor unit per obligation.  Also returns the
    rounding: the value set off less ``unit_amount``.
    """
    exact = conversion.local(unit_amount)
    if isinstance(exact, int):
        return exact, 0
    low = exact.numerator // exact.denominator
    options = sorted({min(low, amount), min(low + 1, amount)} if low != exact else {low})
    best, best_error, best_score = options[0], Fraction(0), None
    for option in options:
        error = conversion.value(option) - unit_amount
        score = (drift[debtor] + error) ** 2 + (drift[creditor] - error) ** 2
        if best_score is None or score < best_score:
            best, best_error, best_score = option, Fraction(error), score
    drift[debtor] += best_error
    drift[creditor] -= best_error
    return best, best_error


def _book_settlement(
    novations: ledger.EntryBuilder,
    between: Mapping[tuple[str, str], int | Fraction],
    settlement: Settlement,
    inputs: RunInputs,
) -> int:
    """Post the collections, payouts, inter-account claims and rounding of a
    settlement to ``novations``; return what collections exceed payouts by.

    Each firm's collection and payout is its exact total rounded once, so their sums
    may differ by up to half a minor unit per instruction: that difference goes to
    the rounding account, and the claims between accounts (their exact values,
    rounded to sum to zero) still net to zero.  ``between``: the exact cross-border
    remainders per (debtor, creditor) country, in the order they first appear.
    """
    unit = inputs.unit_of_account
    net: dict[str, int | Fraction] = defaultdict(int)
    for (debtor_country, creditor_country), amount in between.items():
        net[debtor_country] -= amount
        net[creditor_country] += amount
    gap = 0
    for instruction in settlement.instructions:
        if instruction.kind == InstructionKind.COLLECTION:
            novations.post(ledger.collection(instruction.firm), unit, instruction.owed)
            gap += instruction.owed
        else:
            new = instruction.owed - inputs.carried.get(instruction.firm, 0)
            novations.post(ledger.payout(instruction.firm), unit, -new)
            gap -= new
    for country, amount in round_to_zero_sum(net).items():
        novations.post(ledger.interaccount(country), unit, amount)
    novations.post(ledger.ROUNDING, unit, -gap)
    return gap


def _instructions(
    instruction: Instruction,
    inputs: RunInputs,
    conversions: Mapping[str, Conversion],
    parts: dict[str, int],
) -> list[PlannedInstruction]:
    """The instruction as planned, split in parts when one amount (in the unit of
    account or the local currency) would pass 64 bits; nothing when nothing moves
    now (an unpaid claim is a roll-over).  ``parts`` caches each currency's largest part."""
    if not instruction.amount:
        return []
    currency = inputs.countries[instruction.country]
    conversion = conversions[currency]

    def local(amount: int) -> int:
        # ``from_unit_of_account`` at the run's rate: the conversion holds its ratio.
        return _divide_half_even(amount * conversion.scale, conversion.per_minor)

    part = parts.get(currency)
    if part is None:
        part = MAX_MINOR
        if local(part) > MAX_MINOR:  # the most of the unit whose local amount fits, less one
            part = max(1, conversions[currency].floor(MAX_MINOR) - 1)
        parts[currency] = part
    planned, left, unpaid = [], instruction.amount, instruction.unpaid
    while left:
        amount = min(left, part)
        left -= amount
        owed = amount + (unpaid if not left else 0)
        planned.append(
            PlannedInstruction(
                instruction.firm,
                instruction.country,
                instruction.kind,
                owed,
                amount,
                currency,
                local(amount),
            )
        )
    return planned


def _take(column: Sequence[Any], rows: Sequence[int]) -> list[Any]:
    return [column[i] for i in rows]
