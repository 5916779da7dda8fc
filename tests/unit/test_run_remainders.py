"""What a run decides of what remains, as columns: ``domain.run_remainders``.

The columns must decide exactly what the obligation-at-a-time rules decide: the
settlement of the per-obligation remainders (``settle``), the same changes and
novations, in the same order, and exact sums past 64 bits.
"""

from __future__ import annotations

import random
from decimal import Decimal

from tahator.domain.corridor import Conversion
from tahator.domain.money import MAX_MINOR
from tahator.domain.obligations import ObligationStatus
from tahator.domain.run_remainders import remainders
from tahator.domain.settlement import Remaining, settle, settle_totals

RATES = {"USD": Decimal(1), "PKR": Decimal("281.37"), "IRR": Decimal(1_100_000)}
CONVERSIONS = {c: Conversion(2, rate, 2) for c, rate in RATES.items()}
COUNTRY_OF = {f"PK-{n}": "PK" for n in range(6)} | {f"IR-{n}": "IR" for n in range(6)}


def test_columns_decide_what_one_obligation_at_a_time_decides() -> None:
    rng = random.Random(5)
    firms = sorted(COUNTRY_OF)
    count = 400
    ids = list(range(10, 10 + 2 * count, 2))
    debtors = [rng.choice(firms) for _ in ids]
    creditors = [rng.choice([f for f in firms if f != d]) for d in debtors]
    remaining = [rng.randint(1, 10**9) for _ in ids]
    currencies = [rng.choice(list(RATES)) for _ in ids]
    due = [rng.random() < 0.7 for _ in ids]
    setoff = {k: rng.randint(0, remaining[k]) for k in rng.sample(range(count), 120)}

    decided = remainders(
        ids, debtors, creditors, remaining, currencies, due, setoff, COUNTRY_OF, CONVERSIONS
    )

    # The rules, one obligation at a time.
    changes, novated, items, waiting = [], [], [], 0
    for k, oid in enumerate(ids):
        left = remaining[k] - setoff.get(k, 0)
        change = None
        if k in setoff:
            change = (oid, left, ObligationStatus.OPEN if left else ObligationStatus.SET_OFF)
        cross = COUNTRY_OF[debtors[k]] != COUNTRY_OF[creditors[k]]
        if left and cross and not due[k]:
            waiting += 1
        elif left:
            value = CONVERSIONS[currencies[k]].value(left)
            items.append(Remaining(debtors[k], creditors[k], value))
            if cross:
                novated.append((oid, left))
                change = (oid, 0, ObligationStatus.IN_SETTLEMENT)
        if change is not None:
            changes.append(change)

    assert decided.changes == changes
    assert decided.novated == novated
    assert decided.not_due == waiting > 0
    assert settle_totals(decided.totals, COUNTRY_OF, {"PK": 10**6}) == settle(
        items, COUNTRY_OF, {"PK": 10**6}
    )
    payable: dict[tuple[str, str], int] = {}
    for oid, amount in novated:
        k = ids.index(oid)
        payable[debtors[k], currencies[k]] = payable.get((debtors[k], currencies[k]), 0) + amount
    assert {(f, c): a for f, c, a in decided.payable} == payable


def test_sums_past_64_bits_stay_exact() -> None:
    """Two obligations of the most one may hold, between the same firms: their sum is
    past int64, and is summed as integers, not wrapped."""
    decided = remainders(
        [1, 2],
        ["PK-1", "PK-1"],
        ["IR-1", "IR-1"],
        [MAX_MINOR, MAX_MINOR],
        ["USD", "USD"],
        [True, True],
        {},
        COUNTRY_OF,
        CONVERSIONS,
    )
    assert decided.payable == [("PK-1", "USD", 2 * MAX_MINOR)]
    assert decided.totals.owes == {"PK-1": 2 * MAX_MINOR}
    assert decided.by_currency == {"USD": 2 * MAX_MINOR}
    assert decided.novated == [(1, MAX_MINOR), (2, MAX_MINOR)]


def test_nothing_taken() -> None:
    decided = remainders([], [], [], [], [], [], {}, COUNTRY_OF, CONVERSIONS)
    assert (decided.changes, decided.novated, decided.payable, decided.not_due) == ([], [], [], 0)
    assert decided.totals.domestic == 0
