"""What a clearing run does with what remains of each obligation, decided as columns.

After the set-off, a run decides per obligation whether it changes, waits
(cross-border and not yet due) or goes to the clearing accounts, and sums what
settles per firm, per pair of countries and between firms of one country.  One
obligation at a time in Python, 180,000 of them cost more than the set-off
itself; these are the same decisions over NumPy columns.  Sums are exact: int64
when every open amount together fits in 64 bits, Python integers otherwise, and
each group's sum is converted to the unit of account once, exactly (the sum of
exact conversions is the conversion of the sum).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from tahator.domain.corridor import Conversion
from tahator.domain.money import MAX_MINOR
from tahator.domain.obligations import ObligationStatus
from tahator.domain.settlement import ExactTotals

_STATUSES = (ObligationStatus.OPEN, ObligationStatus.SET_OFF, ObligationStatus.IN_SETTLEMENT)


@dataclass(frozen=True)
class Remainders:
    """What a run decides of the obligations it took, after the set-off."""

    changes: list[tuple[int, int, ObligationStatus]]
    """(Id, new remaining amount, new status) of each obligation that changes, in id order."""
    novated: list[tuple[int, int]]
    """(Id, amount) of each cross-border remainder handed to the clearing accounts."""
    payable: list[tuple[str, str, int]]
    """(Debtor, currency, amount) the novations take off debtors' payables."""
    receivable: list[tuple[str, str, int]]
    """(Creditor, currency, amount) they take off creditors' receivables."""
    not_due: int
    """Cross-border remainders left open because they are not yet due."""
    totals: ExactTotals
    by_currency: dict[str, int]
    """What the obligations taken hold, per currency."""


def remainders(
    ids: Sequence[int],
    debtors: Sequence[str],
    creditors: Sequence[str],
    remaining: Sequence[int],
    currencies: Sequence[str],
    due: Sequence[bool],
    setoff: Mapping[int, int],
    country_of: Mapping[str, str],
    conversions: Mapping[str, Conversion],
) -> Remainders:
    """Decide, for the obligations taken (columns, in id order; ``due`` whether each is
    due; ``setoff`` position → what was set off of it in its currency)."""
    count = len(ids)
    wide = sum(remaining) > MAX_MINOR
    dtype: Any = object if wide else np.int64
    amounts = np.array(remaining, dtype=dtype).reshape(count)
    set_off = np.zeros(count, dtype=dtype)
    in_setoff = np.zeros(count, dtype=bool)
    if setoff:
        where = np.fromiter(setoff, np.int64, len(setoff))
        set_off[where] = np.array(list(setoff.values()), dtype=dtype)
        in_setoff[where] = True
    left = amounts - set_off
    firms, debtor, creditor = _codes(debtors, creditors)
    countries, country = _codes([country_of[firm] for firm in firms])
    names, currency = _codes(currencies)
    cross = country[debtor] != country[creditor]
    moving = np.asarray(left != 0, dtype=bool)
    waiting = moving & cross & ~np.fromiter(due, bool, count)
    settles = moving & ~waiting
    novate = settles & cross
    domestic = settles & ~cross
    changed = in_setoff | novate
    status = np.where(novate, 2, np.where(moving, 0, 1))[changed]
    key = np.array(ids, dtype=np.int64).reshape(count)
    changes = list(
        zip(
            key[changed].tolist(),
            np.where(novate, 0, left)[changed].tolist(),
            [_STATUSES[s] for s in status.tolist()],
            strict=True,
        )
    )
    novated = list(zip(key[novate].tolist(), left[novate].tolist(), strict=True))

    kinds = len(names)
    owes = _sums(debtor[novate] * kinds + currency[novate], left[novate])
    owed = _sums(creditor[novate] * kinds + currency[novate], left[novate])
    pair = (country[debtor] * len(countries) + country[creditor]) * kinds + currency
    between = _sums(pair[novate], left[novate])

    def firm_totals(sums: list[tuple[int, int]]) -> dict[str, int | Fraction]:
        totals: dict[str, int | Fraction] = defaultdict(int)
        for code, amount in sums:
            totals[firms[code // kinds]] += conversions[names[code % kinds]].value(amount)
        return totals

    pairs: dict[tuple[str, str], int | Fraction] = defaultdict(int)
    for code, amount in between:
        countries_code, kind = divmod(code, kinds)
        first, second = divmod(countries_code, len(countries))
        pairs[countries[first], countries[second]] += conversions[names[kind]].value(amount)
    exact_domestic: int | Fraction = 0
    for kind, amount in _sums(currency[domestic], left[domestic]):
        exact_domestic += conversions[names[kind]].value(amount)
    return Remainders(
        changes=changes,
        novated=novated,
        payable=[(firms[c // kinds], names[c % kinds], a) for c, a in owes],
        receivable=[(firms[c // kinds], names[c % kinds], a) for c, a in owed],
        not_due=int(waiting.sum()),
        totals=ExactTotals(
            firm_totals(owes), firm_totals(owed), pairs, exact_domestic, int(domestic.sum())
        ),
        by_currency={names[k]: a for k, a in _sums(currency, amounts)},
    )


def _codes(*columns: Sequence[str]) -> tuple[Any, ...]:
    """The distinct values of ``columns`` (sorted) and each column as their codes."""
    values = sorted(set().union(*columns))
    index = {value: code for code, value in enumerate(values)}
    return values, *(np.fromiter(map(index.__getitem__, c), np.int64, len(c)) for c in columns)


def _sums(keys: Any, values: Any) -> list[tuple[int, int]]:
    """(Key, sum of its values) per distinct key, in the order keys first appear."""
    if not len(keys):
        return []
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(unique)))
    sums = np.add.reduceat(values[order], starts)
    by_first = np.argsort(first, kind="stable")
    return list(zip(unique[by_first].tolist(), sums[by_first].tolist(), strict=True))
