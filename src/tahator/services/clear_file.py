"""Clearing a file of obligations, statelessly: ``tahator clear``.

Finds the largest multilateral set-off of obligations read from a file
(``tahator.io.obligation_file``) and, given each firm's country, settles the
remainder through the countries' clearing accounts.  The file names no currency:
amounts are in the file's own units, at the precision it is written in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tahator.domain.clearing import SetOff, max_setoff
from tahator.domain.errors import AmountOverflowError, InputError, Problem
from tahator.domain.money import MAX_MINOR, Amount, parse_amount, share
from tahator.formatting import OMIT_EMPTY
from tahator.io.obligation_file import ObligationFile, Participants

if TYPE_CHECKING:  # loaded when a run settles: most runs only set off
    from fractions import Fraction

    from tahator.domain.settlement import Settlement, SettlementSummary

FILE_UNIT = ""
"""The currency of a file's amounts: none is named."""


@dataclass(frozen=True)
class CreditLine:
    """A country's credit line: a fixed amount, or a share of its gross payments."""

    country: str
    amount: int | None = None
    share: Fraction | None = None


@dataclass(frozen=True)
class ClearSummary:
    """What ``tahator clear`` found, in the file's units."""

    obligations: int
    firms: int
    total: Amount
    cleared: Amount
    remainder: Amount
    cleared_share: float
    net_internal_debt: Amount
    pairs: int
    pairs_on_cycles: int
    seconds: float
    settlement: SettlementSummary | None = field(default=None, metadata=OMIT_EMPTY)
    """Only when the firms' countries were given."""


@dataclass(frozen=True)
class ClearedFile:
    obligations: ObligationFile
    setoff: SetOff
    settlement: Settlement | None

    def summary(self, seconds: float) -> ClearSummary:
        """The result, cleared in ``seconds``."""
        digits = self.obligations.digits
        result = self.setoff

        def money(minor: int) -> Amount:
            return Amount(minor, FILE_UNIT, digits)

        return ClearSummary(
            obligations=self.obligations.count,
            firms=self.obligations.firm_count,
            total=money(result.total),
            cleared=money(result.cleared),
            remainder=money(result.remaining),
            cleared_share=round(share(result.cleared, result.total), 6),
            net_internal_debt=money(result.net_internal_debt),
            pairs=result.pairs,
            pairs_on_cycles=result.pairs_on_cycles,
            seconds=round(seconds, 3),
            settlement=(
                None if self.settlement is None else settlement_summary(self.settlement, digits)
            ),
        )


def settlement_summary(settlement: Settlement, digits: int) -> SettlementSummary:
    """Clearing accounts, imbalances and the domestic remainder, in the file's units."""
    from tahator.domain.settlement import summarize

    return summarize(settlement, FILE_UNIT, digits)


def parse_credit_line(text: str, scale: int) -> CreditLine:
    """``CC=AMOUNT`` (a decimal) or ``CC=PERCENT%`` of the country's gross payments."""
    from fractions import Fraction

    country, _, value = text.partition("=")
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha() or not value:
        raise ValueError(f"credit line {text!r} must look like PK=1000000 or IR=20%")
    if value.endswith("%"):
        try:
            percent = Fraction(value[:-1])
        except (ValueError, ZeroDivisionError) as error:
            raise ValueError(f"credit line {text!r}: {value!r} is not a percentage") from error
        if percent < 0:
            raise ValueError(f"credit line {text!r} is negative")
        return CreditLine(country, share=percent / 100)
    return CreditLine(country, amount=parse_amount(value, scale))


def clear_obligations(
    obligations: ObligationFile,
    *,
    scale: int = 2,
    participants: Participants | None = None,
    credit_lines: tuple[CreditLine, ...] = (),
    on_step: Callable[[str], None] | None = None,
) -> ClearedFile:
    """The largest set-off of ``obligations`` and, given ``participants``, the
    settlement of what remains.  ``on_step`` hears the name of each step as it
    starts, for a progress display."""
    step = on_step or (lambda _: None)
    if participants is not None:
        countries = participants.countries
        missing = [firm for firm in obligations.firms if firm not in countries]
        if missing:
            shown = ", ".join(repr(f) for f in missing[:10])
            raise InputError(
                [
                    Problem(
                        f"{len(missing)} firms have no country, e.g. {shown}", participants.source
                    )
                ]
            )
    step("setting off")
    try:
        result = max_setoff(
            obligations.debtors,
            obligations.creditors,
            obligations.amounts,
            priority=obligations.priority,
        )
    except AmountOverflowError as error:
        raise InputError([Problem(str(error), obligations.label)]) from error
    settlement = None
    if participants is not None:
        step("settling")
        settlement = _settle(obligations, result, participants.countries, credit_lines, scale)
    return ClearedFile(obligations, result, settlement)


def _settle(
    obligations: ObligationFile,
    result: SetOff,
    country_of: Mapping[str, str],
    credit_lines: tuple[CreditLine, ...],
    scale: int,
) -> Settlement:
    from tahator.domain.settlement import Remaining, credit_line_share, settle

    firms = obligations.firms
    rows = np.flatnonzero(result.remainder > 0).tolist()
    remainder = result.remainder.tolist()
    debtors, creditors = obligations.debtors.tolist(), obligations.creditors.tolist()
    remaining = [Remaining(firms[debtors[i]], firms[creditors[i]], remainder[i]) for i in rows]
    lines: dict[str, int] = {}
    fixed = [line for line in credit_lines if line.amount is not None]
    shared = [line for line in credit_lines if line.share is not None]
    # Fixed lines were parsed at --scale; the file is cleared at its own precision.
    for line in fixed:
        assert line.amount is not None
        whole, rest = divmod(line.amount, 10 ** (scale - obligations.digits))
        if rest:
            raise InputError(
                [Problem(f"credit line of {line.country} is finer than the amounts in the file")]
            )
        lines[line.country] = whole
    if shared:
        gross = settle(remaining, country_of)
        collected = {account.country: account.collected for account in gross.accounts}
        for line in shared:
            assert line.share is not None
            lines[line.country] = credit_line_share(collected.get(line.country, 0), line.share)
    if any(amount > MAX_MINOR for amount in lines.values()):
        raise InputError([Problem("a credit line exceeds the 64-bit limit")])
    return settle(remaining, country_of, lines)
