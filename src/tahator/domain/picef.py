"""The position-indexed edge formulation of ring packing (PIEF; Dickerson, Manlove,
Plaut, Sandholm and Trimble, "Position-indexed formulations for kidney exchange", 2016).

Instead of one binary per cycle, one binary per arc, per copy of the graph and per
position.  Copy ``l`` holds the rings whose lowest vertex is ``l``: its vertices are
``l`` and those above it; a ring in it leaves ``l`` at position 1 and uses its k-th
arc at position k, at most ``cap``.  Flow is conserved at every vertex of every copy
from one position to the next, and every vertex receives at most once over all copies
and positions, so an integer solution is a set of disjoint rings.  The model grows
with arcs × vertices × cap, not with the number of cycles, which is what lets long
rings on dense graphs fit (the ``.ndds`` chains of kidney instances are not
modelled: the engine has no non-directed donors, and barter has none).

An arc is kept in copy ``l`` at position k only when a walk of k−1 arcs through
vertices above ``l`` reaches its tail and its head can return to ``l`` in the
arcs left (the paper's reduced graph); the rest could never carry flow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tahator.domain.matching import FloatArray, IntArray, solve_packing


def picef_model(
    vertices: int, tails: IntArray, heads: IntArray, weights: FloatArray, cap: int
) -> tuple[Any, Any, FloatArray, IntArray, IntArray]:
    """The model's capacity rows (vertex × column), flow rows (signed), column values,
    and each column's arc tail and head."""
    from scipy.sparse import csr_array

    n = vertices
    forward = csr_array((np.ones(tails.size, bool), (tails, heads)), shape=(n, n))
    backward = forward.T.tocsr()
    column_tail, column_head, column_weight, column_copy, column_position = [], [], [], [], []
    for low in range(n):
        inside = (tails >= low) & (heads >= low)
        if not np.any(inside & (tails == low)) or not np.any(inside & (heads == low)):
            continue  # no ring has ``low`` as its lowest vertex
        above = np.arange(n) > low
        # reach[k]: vertices above ``low`` at the end of a walk of exactly k arcs from it.
        reach = [np.zeros(n, bool)]
        reach[0][low] = True
        for _ in range(cap - 1):
            reach.append((forward.T @ reach[-1]).astype(bool) & above)
        # back[k]: vertices above ``low`` that return to it in at most k arcs.
        back = [np.zeros(n, bool)]
        home = np.zeros(n, bool)
        home[low] = True
        step = home
        for _ in range(cap - 1):
            step = (backward.T @ step).astype(bool) & above
            back.append(back[-1] | step)
        t, h, w = tails[inside], heads[inside], weights[inside]
        for position in range(1, cap + 1):
            starts = reach[position - 1][t]
            ends = (h == low) if position > 1 else np.zeros(t.size, bool)
            ends |= back[cap - position][h]
            keep = np.flatnonzero(starts & ends)
            column_tail.append(t[keep])
            column_head.append(h[keep])
            column_weight.append(w[keep])
            column_copy.append(np.full(keep.size, low, np.int64))
            column_position.append(np.full(keep.size, position, np.int64))
    if not column_tail:
        empty = np.zeros(0, np.int64)
        zero = csr_array((n, 0))
        return zero, None, np.zeros(0), empty, empty
    ct, ch = np.concatenate(column_tail), np.concatenate(column_head)
    cw = np.concatenate(column_weight)
    copy, place = np.concatenate(column_copy), np.concatenate(column_position)
    columns = np.arange(ct.size)
    capacity = csr_array((np.ones(ct.size), (ch, columns)), shape=(n, ct.size))
    # Flow at (copy, position, vertex): arcs arriving there at position k equal arcs
    # leaving it at k+1; arriving back at the copy's own vertex ends the ring.
    into = ch != copy
    into_key = (copy[into] * cap + place[into]) * n + ch[into]
    out = place > 1
    out_key = (copy[out] * cap + place[out] - 1) * n + ct[out]
    keys, row = np.unique(np.r_[into_key, out_key], return_inverse=True)
    flow = csr_array(
        (
            np.r_[np.ones(into_key.size), -np.ones(out_key.size)],
            (row, np.r_[columns[into], columns[out]]),
        ),
        shape=(keys.size, ct.size),
    )
    return capacity, flow, cw, ct, ch


def picef_rings(
    vertices: int,
    tails: IntArray,
    heads: IntArray,
    weights: FloatArray,
    cap: int,
    time_limit: float | None,
    *,
    guided: bool = True,
) -> tuple[list[list[int]], float, bool, int]:
    """The best rings by PIEF: each ring's vertices, the bound, optimal, and how many
    binaries the model had."""
    capacity, flow, values, ct, ch = picef_model(vertices, tails, heads, weights, cap)
    # Dual simplex stalls on PIEF's degenerate flow rows: the dense 300-pair pool's
    # cap-4 LP ran past 15 minutes by simplex and took 71 s by interior point.
    chosen, _, bound, optimal = solve_packing(
        capacity, flow, values, time_limit, guided=guided, interior=True
    )
    following = dict(zip(ct[chosen].tolist(), ch[chosen].tolist(), strict=True))
    rings: list[list[int]] = []
    while following:
        start, vertex = following.popitem()
        ring = [start]
        while vertex != start:
            ring.append(vertex)
            vertex = following.pop(vertex)
        rings.append(ring)
    return rings, bound, optimal, int(values.size)
