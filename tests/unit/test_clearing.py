"""Multilateral set-off: ``max_setoff`` against an independent LP, and its parts."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tahator.domain.clearing import SetOff, arcs_on_cycles, max_setoff, strong_components
from tahator.domain.money import MAX_MINOR
from tests.conftest import SHARED_DATA, absent_in_ci

REFERENCE = SHARED_DATA / "mtcs" / "synthetic_network_01.csv"
MAX_AMOUNT = 10**6


@dataclass(frozen=True)
class Network:
    """Obligations ``debtors[i] → creditors[i]`` of ``amounts[i]`` among ``firms`` firms."""

    firms: int
    debtors: np.ndarray
    creditors: np.ndarray
    amounts: np.ndarray


def _distinct_pair(firms: int) -> st.SearchStrategy[tuple[int, int]]:
    """A (debtor, creditor) pair of two different firms."""
    return st.tuples(st.integers(0, firms - 1), st.integers(0, firms - 2)).map(
        lambda pair: (pair[0], pair[1] + (pair[1] >= pair[0]))
    )


@st.composite
def networks(draw: st.DrawFn, min_amount: int = 0, max_amount: int = MAX_AMOUNT) -> Network:
    """2..8 firms, 0..25 obligations, no self-loops, parallel obligations likely."""
    firms = draw(st.integers(2, 8))
    fresh = _distinct_pair(firms)
    pool = draw(st.lists(fresh, min_size=1, max_size=6))
    pairs = st.one_of(st.sampled_from(pool), fresh)
    obligations = draw(st.lists(st.tuples(pairs, st.integers(min_amount, max_amount)), max_size=25))
    return Network(
        firms,
        np.array([debtor for (debtor, _), _ in obligations], dtype=np.int64),
        np.array([creditor for (_, creditor), _ in obligations], dtype=np.int64),
        np.array([amount for _, amount in obligations], dtype=np.int64),
    )


def net_positions(firms: int, debtors: np.ndarray, creditors: np.ndarray, amounts) -> list[int]:
    """What each firm is owed minus what it owes, in exact Python integers."""
    net = [0] * firms
    for debtor, creditor, amount in zip(
        debtors.tolist(), creditors.tolist(), np.asarray(amounts).tolist(), strict=True
    ):
        net[creditor] += amount
        net[debtor] -= amount
    return net


def int64_net_positions(
    firms: int, debtors: np.ndarray, creditors: np.ndarray, amounts: np.ndarray
) -> np.ndarray:
    """What each firm is owed minus what it owes, in NumPy int64."""
    net = np.zeros(firms, dtype=np.int64)
    np.add.at(net, creditors, amounts)
    np.add.at(net, debtors, -amounts)
    return net


def lp_min_remainder(network: Network) -> int:
    """The least total remainder by linear programming on the raw multigraph (no pruning).

    minimize Σ r  s.t.  Σ_out r − Σ_in r = Σ_out a − Σ_in a for every firm,  0 ≤ r ≤ a.
    """
    count = network.amounts.size
    if count == 0:
        return 0
    incidence = np.zeros((network.firms, count))
    columns = np.arange(count)
    incidence[network.debtors, columns] = 1.0
    incidence[network.creditors, columns] = -1.0
    supply = incidence @ network.amounts.astype(np.float64)
    result = linprog(
        np.ones(count),
        A_eq=incidence,
        b_eq=supply,
        bounds=[(0, amount) for amount in network.amounts.tolist()],
        method="highs",
    )
    assert result.status == 0, result.message
    return round(result.fun)


def solve(network: Network) -> SetOff:
    return max_setoff(network.debtors, network.creditors, network.amounts)


# --- properties of max_setoff ------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(networks())
def test_setoff_lies_between_zero_and_amount_and_sums_add_up(network: Network) -> None:
    result = solve(network)
    assert result.setoff.dtype == np.int64
    assert result.setoff.shape == result.remainder.shape == network.amounts.shape
    assert np.all(result.setoff >= 0)
    assert np.all(result.setoff <= network.amounts)
    assert np.array_equal(result.remainder, network.amounts - result.setoff)
    assert result.cleared == int(result.setoff.sum())
    assert result.total == int(network.amounts.sum())
    assert result.remaining == int(result.remainder.sum())


@settings(max_examples=300, deadline=None)
@given(networks())
def test_every_net_position_is_unchanged(network: Network) -> None:
    result = solve(network)
    before = net_positions(network.firms, network.debtors, network.creditors, network.amounts)
    after = net_positions(network.firms, network.debtors, network.creditors, result.remainder)
    assert after == before


@settings(max_examples=200, deadline=None)
@given(networks())
def test_cleared_equals_the_lp_optimum(network: Network) -> None:
    result = solve(network)
    total = int(network.amounts.sum())
    assert result.cleared == total - lp_min_remainder(network)


@settings(max_examples=100, deadline=None)
@given(networks())
def test_same_input_gives_the_same_setoff(network: Network) -> None:
    first = solve(network)
    second = solve(network)
    assert np.array_equal(first.setoff, second.setoff)
    assert first.cleared == second.cleared


@settings(max_examples=200, deadline=None)
@given(networks())
def test_remainder_is_at_least_the_net_internal_debt(network: Network) -> None:
    result = solve(network)
    net = net_positions(network.firms, network.debtors, network.creditors, network.amounts)
    assert result.net_internal_debt == sum(value for value in net if value > 0)
    assert result.remaining >= result.net_internal_debt


@settings(max_examples=200, deadline=None)
@given(networks())
def test_pairs_are_counted(network: Network) -> None:
    result = solve(network)
    pairs = set(zip(network.debtors.tolist(), network.creditors.tolist(), strict=True))
    assert result.pairs == len(pairs)
    tails = np.array([tail for tail, _ in sorted(pairs)], dtype=np.int64)
    heads = np.array([head for _, head in sorted(pairs)], dtype=np.int64)
    assert result.pairs_on_cycles == int(scipy_on_cycles(tails, heads).sum())


def test_result_arrays_are_read_only() -> None:
    result = max_setoff(np.array([0, 1]), np.array([1, 0]), np.array([5, 3]))
    with pytest.raises(ValueError, match="read-only"):
        result.setoff[0] = 0


def test_no_obligations() -> None:
    empty = np.zeros(0, dtype=np.int64)
    result = max_setoff(empty, empty, empty)
    assert result.setoff.size == result.remainder.size == 0
    assert (result.total, result.cleared, result.net_internal_debt) == (0, 0, 0)
    assert (result.pairs, result.pairs_on_cycles) == (0, 0)


def test_a_ring_of_three_with_a_tail() -> None:
    # A→B 100, B→C 100, C→A 50, C→D 7: the ring clears 50 on each arc.
    result = max_setoff(np.array([0, 1, 2, 2]), np.array([1, 2, 0, 3]), np.array([100, 100, 50, 7]))
    assert result.setoff.tolist() == [50, 50, 50, 0]
    assert result.remainder.tolist() == [50, 50, 0, 7]
    assert (result.total, result.cleared, result.net_internal_debt) == (257, 150, 50)
    assert (result.pairs, result.pairs_on_cycles) == (4, 3)


# --- arcs_on_cycles against SciPy --------------------------------------------------------


def scipy_on_cycles(tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """An arc lies on a cycle iff both its ends are in one strongly connected component."""
    if tails.size == 0:
        return np.zeros(0, dtype=bool)
    nodes = int(max(tails.max(), heads.max())) + 1
    graph = coo_matrix((np.ones(tails.size), (tails, heads)), shape=(nodes, nodes)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    return labels[tails] == labels[heads]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Random arcs (self-loops and parallel arcs allowed), often with long chains and rings,
    on up to a few hundred nodes relabelled at random."""
    nodes = draw(st.integers(1, 300))
    node = st.integers(0, nodes - 1)
    arcs = draw(st.lists(st.tuples(node, node), max_size=2 * nodes))
    # Long chains (a path through many nodes), sometimes closed into a ring or
    # joined back part-way, so the NumPy trimming leaves work for Tarjan.
    for _ in range(draw(st.integers(0, 3))):
        length = draw(st.integers(2, nodes)) if nodes >= 2 else 1
        start = draw(st.integers(0, nodes - length))
        path = list(range(start, start + length))
        arcs += list(pairwise(path))
        back = draw(st.sampled_from(["none", "ring", "partial", "reverse"]))
        if back == "ring":
            arcs.append((path[-1], path[0]))
        elif back == "partial" and length > 2:
            arcs.append((path[-1], path[draw(st.integers(1, length - 2))]))
        elif back == "reverse":
            arcs += [(b, a) for a, b in pairwise(path)]
    permutation = draw(st.permutations(range(nodes)))
    order = draw(st.permutations(range(len(arcs))))
    tails = np.array([permutation[arcs[i][0]] for i in order], dtype=np.int64)
    heads = np.array([permutation[arcs[i][1]] for i in order], dtype=np.int64)
    return tails, heads


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_arcs_on_cycles_agrees_with_scipy(graph: tuple[np.ndarray, np.ndarray]) -> None:
    tails, heads = graph
    assert arcs_on_cycles(tails, heads).tolist() == scipy_on_cycles(tails, heads).tolist()


@pytest.mark.parametrize("length", [2, 33, 100, 5_000])
@pytest.mark.parametrize("shape", ["path", "ring", "ring_with_tails", "two_rings_joined"])
def test_arcs_on_cycles_on_long_chains(length: int, shape: str) -> None:
    path = list(range(length))
    arcs = list(pairwise(path))
    if shape != "path":
        arcs.append((length - 1, 0))
    if shape == "ring_with_tails":  # a long tail into the ring and a long one out of it
        arcs += [(length + i, length + i + 1) for i in range(length)] + [(2 * length, 0)]
        arcs += [(0, 3 * length)] + [(3 * length + i, 3 * length + i + 1) for i in range(length)]
    if shape == "two_rings_joined":  # a second ring reached from the first by one arc
        arcs += [(length + i, length + i + 1) for i in range(length - 1)]
        arcs += [(2 * length - 1, length), (length - 1, length)]
    tails = np.array([tail for tail, _ in arcs], dtype=np.int64)
    heads = np.array([head for _, head in arcs], dtype=np.int64)
    on_cycle = arcs_on_cycles(tails, heads)
    assert on_cycle.tolist() == scipy_on_cycles(tails, heads).tolist()
    if shape == "path":
        assert not on_cycle.any()


def test_arcs_on_cycles_of_nothing() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert arcs_on_cycles(empty, empty).size == 0


def test_strong_components_labels_compacted_nodes() -> None:
    # Nodes 3, 7, 9 (compacted 0, 1, 2): 3 ⇄ 7 and 7 → 9.
    labels = strong_components(np.array([3, 7, 7]), np.array([7, 3, 9]))
    assert labels.size == 3
    assert labels[0] == labels[1] != labels[2]


# --- parallel obligations ----------------------------------------------------------------


def test_parallel_obligations_are_set_off_in_input_order() -> None:
    # A→B 60 and A→B 40, B→A 70: the pair A→B sets off 70, first to the first obligation.
    result = max_setoff(np.array([0, 0, 1]), np.array([1, 1, 0]), np.array([60, 40, 70]))
    assert result.setoff.tolist() == [60, 10, 70]
    assert result.remainder.tolist() == [0, 30, 0]
    assert (result.pairs, result.pairs_on_cycles) == (2, 2)


def test_parallel_obligations_are_set_off_in_input_order_wherever_they_are() -> None:
    result = max_setoff(np.array([1, 0, 0]), np.array([0, 1, 1]), np.array([70, 60, 40]))
    assert result.setoff.tolist() == [70, 60, 10]


def test_parallel_obligations_are_set_off_by_priority() -> None:
    debtors, creditors, amounts = np.array([0, 0, 1]), np.array([1, 1, 0]), np.array([60, 40, 70])
    result = max_setoff(debtors, creditors, amounts, priority=np.array([5, 1, 0]))
    assert result.setoff.tolist() == [30, 40, 70]
    # Equal priorities fall back to input order.
    result = max_setoff(debtors, creditors, amounts, priority=np.array([2, 2, 9]))
    assert result.setoff.tolist() == [60, 10, 70]


def _check_pairs_filled_in_order(network: Network, setoff: np.ndarray, rank: list) -> None:
    """Within each pair, in ``rank`` order: full set-offs, at most one partial, then none."""
    by_pair: dict[tuple[int, int], list[int]] = {}
    for index, pair in enumerate(
        zip(network.debtors.tolist(), network.creditors.tolist(), strict=True)
    ):
        by_pair.setdefault(pair, []).append(index)
    for indices in by_pair.values():
        indices.sort(key=lambda index: rank[index])
        left = sum(int(setoff[index]) for index in indices)
        for index in indices:
            assert setoff[index] == min(int(network.amounts[index]), left)
            left -= int(setoff[index])


@settings(max_examples=200, deadline=None)
@given(networks(), st.data())
def test_parallel_obligations_are_filled_in_priority_order(
    network: Network, data: st.DataObject
) -> None:
    count = network.amounts.size
    result = solve(network)
    _check_pairs_filled_in_order(network, result.setoff, list(range(count)))

    priority = data.draw(st.lists(st.integers(-3, 3), min_size=count, max_size=count))
    by_priority = max_setoff(
        network.debtors,
        network.creditors,
        network.amounts,
        priority=np.array(priority, dtype=np.int64),
    )
    assert by_priority.cleared == result.cleared
    _check_pairs_filled_in_order(
        network, by_priority.setoff, [(priority[i], i) for i in range(count)]
    )


# --- the 64-bit limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debtors", "creditors", "amounts"),
    [
        ([0, 1], [1, 0], [2**62, 2**62]),
        ([0, 1, 1], [1, 0, 2], [2**62, 2**62, 1]),
        ([0, 1, 2], [1, 0, 0], [MAX_MINOR, 1, 0]),
        ([0, 1, 2, 0], [1, 2, 0, 2], [2**61, 2**61, 2**61, 2**61 + 1]),
    ],
)
def test_a_total_beyond_64_bits_is_still_a_valid_setoff(
    debtors: list[int], creditors: list[int], amounts: list[int]
) -> None:
    assert sum(amounts) > MAX_MINOR
    result = max_setoff(np.array(debtors), np.array(creditors), np.array(amounts, dtype=np.int64))
    setoff = result.setoff.tolist()
    assert all(0 <= s <= a for s, a in zip(setoff, amounts, strict=True))
    net: dict[int, int] = {}
    for d, c, s in zip(debtors, creditors, setoff, strict=True):
        net[d] = net.get(d, 0) + s
        net[c] = net.get(c, 0) - s
    assert not any(net.values())  # every net position kept: a circulation
    assert result.total == sum(amounts)
    assert result.cleared == sum(setoff) > 0


@pytest.mark.parametrize(
    ("debtors", "creditors", "amounts", "setoff"),
    [
        ([0, 1], [1, 0], [2**62 - 1, 2**62 - 1], [2**62 - 1, 2**62 - 1]),
        ([0, 1, 0], [1, 0, 1], [2**62 - 1, 2**62 - 1, 1], [2**62 - 1, 2**62 - 1, 0]),
        ([0, 1], [1, 0], [2**62, 2**62 - 1], [2**62 - 1, 2**62 - 1]),
        ([0, 1], [1, 0], [MAX_MINOR - 1, 1], [1, 1]),
        ([0, 1], [1, 0], [MAX_MINOR, 0], [0, 0]),
        ([0, 1, 2], [1, 2, 0], [MAX_MINOR // 3] * 3, [MAX_MINOR // 3] * 3),
        (
            [0, 1, 2, 0],
            [1, 2, 0, 2],
            [2**61, 2**61, 2**61, 2**61 - 1],
            [2**61, 2**61, 2**61, 0],
        ),
    ],
)
def test_a_total_at_the_64_bit_limit_is_cleared_exactly(
    debtors: list[int], creditors: list[int], amounts: list[int], setoff: list[int]
) -> None:
    assert sum(amounts) <= MAX_MINOR
    result = max_setoff(np.array(debtors), np.array(creditors), np.array(amounts, dtype=np.int64))
    assert result.setoff.tolist() == setoff
    assert result.cleared == sum(setoff)
    assert result.total == sum(amounts)
    net = net_positions(3, np.array(debtors), np.array(creditors), amounts)
    assert result.net_internal_debt == sum(value for value in net if value > 0)


@settings(max_examples=150, deadline=None)
@given(networks(min_amount=1, max_amount=1_000))
def test_networks_scaled_to_the_64_bit_limit_are_cleared_exactly(network: Network) -> None:
    # The optimum scales with the amounts, so k·a must clear exactly k times what a clears.
    small = solve(network)
    assert small.cleared == small.total - lp_min_remainder(network)
    factor = MAX_MINOR // max(small.total, 1)
    amounts = network.amounts * factor
    large = max_setoff(network.debtors, network.creditors, amounts)
    assert large.total == small.total * factor <= MAX_MINOR
    assert large.cleared == small.cleared * factor
    assert all(0 <= s <= a for s, a in zip(large.setoff.tolist(), amounts.tolist(), strict=True))
    before = net_positions(network.firms, network.debtors, network.creditors, amounts)
    after = net_positions(network.firms, network.debtors, network.creditors, large.remainder)
    assert after == before


# --- bad arguments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debtors", "creditors", "amounts", "message"),
    [
        ([0, 1], [1, 1], [5, 5], "differ"),
        ([0, 1], [1, 0], [5, -1], "non-negative"),
        ([0, -1], [1, 0], [5, 1], "non-negative"),
        ([0, 1], [1, 0], [5], "one length"),
        ([0, 1], [1], [5, 5], "one length"),
        ([0], [1, 0], [5, 5], "one length"),
        ([[0, 1]], [[1, 0]], [[5, 5]], "1-D"),
    ],
)
def test_bad_arguments_are_refused(
    debtors: list[int], creditors: list[int], amounts: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        max_setoff(np.array(debtors), np.array(creditors), np.array(amounts))


# --- the reference network ---------------------------------------------------------------


@absent_in_ci(REFERENCE.exists(), f"the reference network {REFERENCE}")
def test_the_reference_network() -> None:
    table = np.loadtxt(REFERENCE, delimiter=",", skiprows=1, dtype=np.int64)
    debtors, creditors, amounts = table[:, 0], table[:, 1], table[:, 2]
    result = max_setoff(debtors, creditors, amounts)
    assert result.total == 61_202_827_278
    assert result.cleared == 535_494_678
    assert result.pairs_on_cycles == 27_544
    assert np.all(result.setoff >= 0)
    assert np.all(result.setoff <= amounts)
    firms = int(max(debtors.max(), creditors.max())) + 1
    assert np.array_equal(
        int64_net_positions(firms, debtors, creditors, result.remainder),
        int64_net_positions(firms, debtors, creditors, amounts),
    )
