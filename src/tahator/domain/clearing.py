"""Multilateral set-off of obligations (DESIGN §3.1).

Obligations form a directed multigraph: arc debtor → creditor with an amount in
integer minor units.  A set-off lowers each obligation to a remainder between 0
and its amount while every firm's net position stays what it was; the largest
set-off is the min-cost flow in which the flow on each arc is its remainder
(supply = what a firm owes − what it is owed, unit cost 1), exact on
integers.

An arc whose ends lie in different strongly connected components is on no cycle
and can never be reduced, so only arcs inside a component go to the solver.  The
components are found here (trimming in NumPy, then Tarjan on what is left) rather
than with ``scipy.sparse.csgraph``: importing SciPy's graph package alone takes
about 0.45 s, more than the whole set-off of 285,000 obligations.  The tests check
the result against SciPy's ``connected_components``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import min_cost_flow

from tahator.domain.errors import TahatorError
from tahator.domain.money import MAX_MINOR

if TYPE_CHECKING:  # numpy.typing is for the type checker: no need to load it to run
    from numpy.typing import NDArray

    Int64Array = NDArray[np.int64]
    BoolArray = NDArray[np.bool_]

MAX_FIRMS = 2**31
"""Pairs are keyed debtor × firms + creditor in 64 bits."""


@dataclass(frozen=True)
class SetOff:
    """The largest set-off of a set of obligations, per obligation in input order."""

    setoff: Int64Array
    """What is set off of each obligation (0 ≤ setoff ≤ amount)."""
    remainder: Int64Array
    """What remains of each obligation (amount − setoff)."""
    total: int
    """The sum of all amounts."""
    cleared: int
    """The sum of all set-offs."""
    net_internal_debt: int
    """Σ over firms of max(0, owed to − owed by): no set-off can go below this remainder."""
    pairs: int
    """Distinct debtor → creditor pairs."""
    pairs_on_cycles: int
    """Pairs inside a strongly connected component: the only ones that can be set off."""

    @property
    def remaining(self) -> int:
        """The sum of all remainders."""
        return self.total - self.cleared


def exact_total(amounts: Int64Array) -> int:
    """The exact sum of ``amounts`` in a Python integer (it may exceed 64 bits)."""
    if amounts.size == 0:
        return 0
    if int(amounts.max()) <= MAX_MINOR // amounts.size:
        return int(amounts.sum())
    return sum(amounts.tolist())


def max_setoff(
    debtors: Int64Array,
    creditors: Int64Array,
    amounts: Int64Array,
    *,
    priority: Int64Array | None = None,
) -> SetOff:
    """The largest multilateral set-off of the obligations ``debtors[i] → creditors[i]``.

    Firms are indices ``0 … n-1``.  Where several obligations join the same pair,
    the pair's set-off goes first to the obligation with the lowest ``priority``
    (default: input order), so the allocation is deterministic.
    """
    debtors = np.asarray(debtors, dtype=np.int64)
    creditors = np.asarray(creditors, dtype=np.int64)
    amounts = np.asarray(amounts, dtype=np.int64)
    count = amounts.size
    if not (debtors.shape == creditors.shape == amounts.shape == (count,)):
        raise ValueError("debtors, creditors and amounts must be 1-D arrays of one length")
    if count and (int(amounts.min()) < 0 or int(min(debtors.min(), creditors.min())) < 0):
        raise ValueError("amounts and firm indices must be non-negative")
    if np.any(debtors == creditors):
        raise ValueError("an obligation's debtor and creditor must differ")
    total = exact_total(amounts)
    if count == 0:
        nothing = _frozen(np.zeros(0, dtype=np.int64))
        return SetOff(nothing, _frozen(np.zeros(0, dtype=np.int64)), 0, 0, 0, 0, 0)
    firms = int(max(debtors.max(), creditors.max())) + 1
    if firms > MAX_FIRMS:
        raise ValueError(f"firm indices must be below {MAX_FIRMS}; number firms from 0")

    # Group parallel obligations by pair, ordered within a pair by priority.
    pair_key = debtors * firms + creditors
    if priority is None:
        order = np.argsort(pair_key, kind="stable")
    else:
        order = np.lexsort((np.arange(count), np.asarray(priority), pair_key))
    sorted_key = pair_key[order]
    # Sums that may pass 64 bits are taken in Python integers (object arrays): slow,
    # and only for obligations too large for any real corridor.
    wide = total > MAX_MINOR
    sorted_amount = amounts[order].astype(object) if wide else amounts[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    pair_amount = np.add.reduceat(sorted_amount, starts)
    if wide:  # a pair may be set off by at most 64 bits: a smaller, still valid set-off
        pair_amount = np.minimum(pair_amount, MAX_MINOR).astype(np.int64)
    tails = sorted_key[starts] // firms
    heads = sorted_key[starts] % firms

    on_cycle = arcs_on_cycles(tails, heads)
    pair_setoff = np.zeros(starts.size, dtype=np.int64)
    if on_cycle.any():
        pair_setoff[on_cycle] = _solve(tails[on_cycle], heads[on_cycle], pair_amount[on_cycle])

    # Allocate each pair's set-off to its obligations in order: each takes
    # min(amount, what is left of the pair's set-off).
    group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, count]))
    running = np.cumsum(sorted_amount)
    before = running - sorted_amount - (running[starts] - sorted_amount[starts])[group]
    allocated = np.minimum(np.maximum(pair_setoff[group] - before, 0), sorted_amount)
    setoff = np.empty(count, dtype=np.int64)
    setoff[order] = allocated.astype(np.int64) if wide else allocated

    if total < 2**53:  # exact in float64, and bincount is far faster than add.at
        owed_to = np.rint(
            np.bincount(creditors, amounts, firms) - np.bincount(debtors, amounts, firms)
        ).astype(np.int64)
    else:
        owed_to = np.zeros(firms, dtype=object)
        np.add.at(owed_to, creditors, amounts.astype(object))
        np.add.at(owed_to, debtors, -amounts.astype(object))
    return SetOff(
        setoff=_frozen(setoff),
        remainder=_frozen(amounts - setoff),
        total=total,
        cleared=exact_total(pair_setoff),
        net_internal_debt=int(owed_to[owed_to > 0].sum()),
        pairs=int(starts.size),
        pairs_on_cycles=int(on_cycle.sum()),
    )


def _solve(tails: Int64Array, heads: Int64Array, capacity: Int64Array) -> Int64Array:
    """Set-off per arc of a graph whose arcs all lie on cycles.

    The solver works in 64-bit integers.  When the capacities add up past that, each
    strongly connected component (a set-off never crosses one) is solved on its own;
    a component still too large is solved with its capacities halved ``k`` times,
    the flow scaled back up (a circulation times 2^k is still one, and within the
    capacities), then the residual solved exactly, or as far as 64 bits allow.  The
    result is always a valid set-off, though not necessarily the largest.
    """
    if exact_total(capacity) <= MAX_MINOR:
        return _solve_exact(tails, heads, capacity)
    nodes, tail, head = _compacted(tails, heads)
    arc_label = _tarjan(tail, head, nodes)[tail]
    flow = np.zeros(capacity.size, dtype=np.int64)
    for label in np.unique(arc_label).tolist():
        arcs = np.flatnonzero(arc_label == label)
        flow[arcs] = _solve_large(tails[arcs], heads[arcs], capacity[arcs])
    return flow


def _solve_large(tails: Int64Array, heads: Int64Array, capacity: Int64Array) -> Int64Array:
    """A valid set-off of one component, its capacities possibly past 64 bits in sum."""
    total = exact_total(capacity)
    if total <= MAX_MINOR:
        return _solve_exact(tails, heads, capacity)
    shift = (total // MAX_MINOR).bit_length()
    scaled = _solve_exact(tails, heads, capacity >> shift)
    flow = scaled << shift
    residual = capacity - flow
    if exact_total(residual) > MAX_MINOR:  # what is left is clipped to fit 64 bits
        residual = np.minimum(residual, MAX_MINOR // residual.size)
    return flow + _solve_exact(tails, heads, residual)


def _solve_exact(tails: Int64Array, heads: Int64Array, capacity: Int64Array) -> Int64Array:
    """The largest set-off per arc, capacities summing to at most 64 bits.

    A set-off keeps every net position, so the set-offs form a circulation; the
    largest is the min-cost circulation with unit cost −1 and the amounts as
    capacities.  It is the complement of DESIGN's remainder flow (flow =
    amount − set-off) and measured a little faster with OR-Tools' cost scaling.
    """
    _, tail, head = _compacted(tails, heads)
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        tail,
        head,
        capacity,
        np.full(capacity.size, -1, dtype=np.int64),
    )
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise TahatorError(f"the min-cost flow solver stopped with status {status!r}")
    flow: Int64Array = np.asarray(solver.flows(arcs), dtype=np.int64)
    return flow


def arcs_on_cycles(tails: Int64Array, heads: Int64Array) -> BoolArray:
    """Which arcs ``tails[i] → heads[i]`` lie inside a strongly connected component.

    First trims, in NumPy, arcs into a node with no way out or out of a node with
    no way in (the bulk of a trade-credit network); then finds the components of
    what is left (``_inside_components``).
    """
    on_cycle = np.zeros(tails.size, dtype=bool)
    if tails.size == 0:
        return on_cycle
    firms = int(max(tails.max(), heads.max())) + 1
    left = np.arange(tails.size)
    tail, head = tails, heads
    for _ in range(32):  # long chains are left to the component search, which is linear
        out_degree = np.bincount(tail, minlength=firms)
        in_degree = np.bincount(head, minlength=firms)
        keep = np.flatnonzero(np.logical_and(out_degree[head], in_degree[tail]))
        removed = left.size - keep.size
        left, tail, head = left[keep], tail[keep], head[keep]
        if removed * 100 < left.size:
            break
    if left.size:
        on_cycle[left] = _inside_components(tail, head)
    return on_cycle


SMALL_GRAPH = 2_000
"""Arcs below which Tarjan's algorithm, in Python, is quicker than searches in NumPy."""
MAX_LEVELS = 256
"""Breadth-first levels searched in NumPy before a long path is left to Tarjan."""


def _inside_components(tails: Int64Array, heads: Int64Array) -> BoolArray:
    """Which arcs join two nodes of one strongly connected component.

    What trimming leaves of a trade-credit network is mostly one large component.
    It is found as the nodes both reachable from and reaching its busiest node, by
    two breadth-first searches a level at a time in NumPy (about a dozen levels);
    the arcs outside it go round again, and a small or deep rest goes to Tarjan.
    """
    nodes, tail, head = _compacted(tails, heads)
    if tails.size < SMALL_GRAPH:
        return _same_label(_tarjan(tail, head, nodes), tail, head)
    out_degree = np.bincount(tail, minlength=nodes)
    in_degree = np.bincount(head, minlength=nodes)
    pivot = int(np.argmax(out_degree * in_degree))
    forward = _reached(pivot, tail, head, out_degree, None)
    component = None if forward is None else _reached(pivot, head, tail, in_degree, forward)
    if component is None:  # too deep for level-by-level search
        return _same_label(_tarjan(tail, head, nodes), tail, head)
    in_component = component[tail]
    inside = in_component & component[head]
    rest = np.flatnonzero(~in_component & ~component[head])
    if rest.size:
        inside[rest] = arcs_on_cycles(tail[rest], head[rest])
    return inside


def _same_label(labels: Int64Array, tail: Int64Array, head: Int64Array) -> BoolArray:
    same: BoolArray = labels[tail] == labels[head]
    return same


def _reached(
    start: int,
    tail: Int64Array,
    head: Int64Array,
    degree: Int64Array,
    within: BoolArray | None,
) -> BoolArray | None:
    """The nodes reachable from ``start`` along arcs ``tail → head`` (``degree`` is the
    out-degree), through nodes ``within`` only; ``None`` past ``MAX_LEVELS`` levels."""
    order = np.argsort(tail, kind="stable")
    targets = head[order]
    first = np.zeros(degree.size + 1, dtype=np.int64)
    np.cumsum(degree, out=first[1:])
    seen = np.zeros(degree.size, dtype=bool) if within is None else ~within
    seen[start] = True
    frontier = np.array([start], dtype=np.int64)
    slot = np.empty(degree.size, dtype=np.int64)  # to keep one of repeated nodes
    for _ in range(MAX_LEVELS):
        counts = degree[frontier]
        total = int(counts.sum())
        if not total:
            if within is not None:
                seen &= within
            return seen
        # The arcs out of every frontier node, as one run of positions in ``targets``.
        ends = np.cumsum(counts)
        positions = np.repeat(first[frontier] - ends + counts, counts)
        positions += np.arange(total)
        reached = targets[positions]
        reached = reached[~seen[reached]]
        seen[reached] = True
        # Each node once: of the positions written for a node, one stays.
        at = np.arange(reached.size)
        slot[reached] = at
        frontier = reached[slot[reached] == at]
    return None


def _compacted(tails: Int64Array, heads: Int64Array) -> tuple[int, Int64Array, Int64Array]:
    """The nodes renumbered ``0 … n-1`` in order of number: ``n``, tails and heads.

    As ``np.unique(…, return_inverse=True)`` numbers them, through a table when the
    numbers are small, which needs no sort.
    """
    top = int(max(tails.max(), heads.max())) + 1 if tails.size else 0
    if top > 8 * tails.size + 1024:
        _, compact = np.unique(np.r_[tails, heads], return_inverse=True)
        return int(compact.max()) + 1, compact[: tails.size], compact[tails.size :]
    present = np.zeros(top, dtype=bool)
    present[tails] = True
    present[heads] = True
    number = np.cumsum(present) - 1
    return int(number[-1]) + 1 if top else 0, number[tails], number[heads]


def strong_components(tails: Int64Array, heads: Int64Array) -> Int64Array:
    """Component label of each node (compacted in sorted order of node id), by Tarjan."""
    nodes, tail, head = _compacted(tails, heads)
    return _tarjan(tail, head, nodes)


def _tarjan(tail: Int64Array, head: Int64Array, n: int) -> Int64Array:
    """Component label of each of the nodes ``0 … n-1`` of arcs ``tail → head``."""
    order = np.argsort(tail, kind="stable")
    starts: list[int] = np.searchsorted(tail[order], np.arange(n + 1)).tolist()
    targets: list[int] = head[order].tolist()

    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    label = [-1] * n
    stack: list[int] = []
    counter = 0
    components = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, starts[root])]
        while work:
            v, i = work[-1]
            end = starts[v + 1]
            descended = False
            while i < end:
                w = targets[i]
                i += 1
                if index[w] == -1:
                    work[-1] = (v, i)
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, starts[w]))
                    descended = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if descended:
                continue
            work.pop()
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    label[w] = components
                    if w == v:
                        break
                components += 1
            if work:
                parent = work[-1][0]
                if low[v] < low[parent]:
                    low[parent] = low[v]
    return np.asarray(label, dtype=np.int64)


def _frozen(array: Int64Array) -> Int64Array:
    array.flags.writeable = False
    return array
