"""Best rings by column generation and diving: the cycle formulation without its
millions of columns.

The cycle formulation has one column per cycle: 1.5 million at cap 4 on a dense
300-offer pool, 7.5 million on a Saidman pool of the same size.  Column generation
(as in Abraham, Blum and Sandholm's barter-exchange clearing, 2007) keeps only the
few thousand its LP needs.  The restricted LP is solved; its duals π price every
cycle — a cycle's reduced weight is the sum over its arcs of the arc's weight less
π of the arc's head — and the best cycles of positive reduced weight join it,
until none is left.  The LP is then optimal over all cycles, and

    every packing ≤ Σ π + (most cycles a packing holds) × (largest reduced weight, if > 0)

bounds every packing whatever the solver's tolerances.  Pricing is exact: for each
lowest offer s, the best 2- and 3-cycle through each offer after s, and the best
4-cycle through each third offer b, joined from two 2-arc halves s → a → b and
b → c → s (the two best of each half, so that a ≠ c).

Then a dive.  The fractional cycle the LP uses most is fixed, its offers leave
pricing, and the LP is re-solved warm and re-priced; a fix that pulls the LP below
the target (the bound, rounded down for integer weights) is undone and the next
candidate tried.  When the LP turns integral at the target, its packing is optimal,
proven by the first bound.  Kidney-exchange LPs are famously tight, so the dive
usually succeeds at once; when it cannot (the integer optimum lies below the LP),
the caller falls back to a formulation that searches exhaustively.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from tahator.domain.matching import FloatArray, IntArray

MOST_PRICED_OFFERS = 1_000
"""Beyond this many offers dense pricing costs more than it saves (a round took 4.5 s
at 1,200 offers, and a dive runs one or two rounds per ring)."""

_TRIES = 5
"""Candidates tried at each step of the dive before it gives up."""

_TOLERANCE = 1e-7
"""HiGHS's primal and dual feasibility tolerance, in units of the largest weight: a
cycle gaining less joins no LP."""

_LEAST = -float(np.finfo(np.float64).max)
"""Every priced cycle that exists (an arc that does not is −inf)."""


@dataclass(frozen=True)
class PricedPacking:
    rings: tuple[tuple[int, ...], ...]
    """Empty when not proven optimal: the dive gives a packing only at its bound."""
    bound: float
    optimal: bool
    columns: int
    """Cycles the LP generated: the model's size, against every cycle up to the cap."""


def priced_cycles(
    reduced: FloatArray, cap: int, least: float, *, best: bool
) -> tuple[IntArray, FloatArray]:
    """Cycles of at most ``cap`` (2 to 4) arcs whose reduced weight is at least ``least``,
    each from its lowest vertex, padded with −1 to ``cap`` columns, and their reduced
    weights.  ``reduced`` holds each arc's reduced weight, −inf where there is no arc.
    ``best`` keeps, for each lowest vertex s, only the best 2-cycle and 3-cycle through
    each second vertex and the best 4-cycle through each third vertex: enough to price."""
    n = reduced.shape[0]
    arcs = np.isfinite(reduced)
    found: list[IntArray] = []
    values: list[FloatArray] = []

    def keep(value: FloatArray, *positions: IntArray) -> None:
        cycles = np.full((value.size, cap), -1, dtype=np.int64)
        for column, vertices in enumerate(positions):
            cycles[:, column] = vertices
        found.append(cycles)
        values.append(value)

    for s in range(n - 1):
        outs = np.flatnonzero(arcs[s, s + 1 :]) + s + 1
        ins = np.flatnonzero(arcs[s + 1 :, s]) + s + 1
        if outs.size == 0 or ins.size == 0:
            continue
        leave, back = reduced[s, outs], reduced[ins, s]
        low = np.full(1, s, dtype=np.int64)
        both, at_out, at_in = np.intersect1d(outs, ins, assume_unique=True, return_indices=True)
        two = leave[at_out] + back[at_in]
        chosen = np.flatnonzero(two >= least)
        if chosen.size:
            keep(two[chosen], np.repeat(low, chosen.size), both[chosen])
        if cap < 3:
            continue
        three = leave[:, None] + reduced[np.ix_(outs, ins)] + back[None, :]
        if best:
            j = np.argmax(three, axis=1)
            value = three[np.arange(outs.size), j]
            i = np.flatnonzero(value >= least)
            j, value = j[i], value[i]
        else:
            i, j = np.nonzero(three >= least)
            value = three[i, j]
        if i.size:
            keep(value, np.repeat(low, i.size), outs[i], ins[j])
        if cap < 4:
            continue
        middle = np.arange(s + 1, n)
        first = leave[:, None] + reduced[np.ix_(outs, middle)]  # s → a → b: a × b
        second = reduced[np.ix_(middle, ins)] + back[None, :]  # b → c → s: b × c
        if best:
            a, b, c, value = _best_joined(first, second, outs, ins)
        else:
            a, b, c, value = _all_joined(first, second, least)
        chosen = np.flatnonzero((outs[a] != ins[c]) & (value >= least))
        if chosen.size:
            a, b, c = outs[a[chosen]], middle[b[chosen]], ins[c[chosen]]
            keep(value[chosen], np.repeat(low, chosen.size), a, b, c)
    if not found:
        return np.zeros((0, cap), dtype=np.int64), np.zeros(0)
    return np.concatenate(found), np.concatenate(values)


def _best_joined(
    first: FloatArray, second: FloatArray, outs: IntArray, ins: IntArray
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """For each middle vertex b, the best s → a → b → c → s with a ≠ c: among the two
    best first halves and the two best second halves, one pair is distinct."""
    middles = np.arange(first.shape[1])
    a1 = np.argmax(first, axis=0)
    f1 = first[a1, middles]
    first[a1, middles] = -np.inf
    a2 = np.argmax(first, axis=0)
    f2 = first[a2, middles]
    c1 = np.argmax(second, axis=1)
    g1 = second[middles, c1]
    second[middles, c1] = -np.inf
    c2 = np.argmax(second, axis=1)
    g2 = second[middles, c2]
    apart = outs[a1] != ins[c1]
    swap_first = f2 + g1 > f1 + g2  # when a1 = c1: the second-best a, else the second-best c
    a = np.where(apart | ~swap_first, a1, a2)
    c = np.where(apart | swap_first, c1, c2)
    value = np.where(apart, f1 + g1, np.maximum(f1 + g2, f2 + g1))
    return a, middles, c, value


def _all_joined(
    first: FloatArray, second: FloatArray, least: float
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Every s → a → b → c → s of reduced weight at least ``least``: halves that
    could reach it with the best other half, joined on b."""
    fa, fb = np.nonzero(first >= least - second.max(axis=1)[None, :])
    sb, sc = np.nonzero(second >= least - first.max(axis=0)[:, None])
    middles = first.shape[1]
    if fa.size == 0 or sb.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    order = np.argsort(fb, kind="stable")
    fa, fb = fa[order], fb[order]
    firsts = np.bincount(fb, minlength=middles)
    seconds = np.bincount(sb, minlength=middles)
    pairs = firsts * seconds
    b = np.repeat(np.arange(middles), pairs)
    offset = np.arange(b.size) - np.repeat(np.cumsum(pairs) - pairs, pairs)
    a = fa[(np.cumsum(firsts) - firsts)[b] + offset // seconds[b]]
    c = sc[(np.cumsum(seconds) - seconds)[b] + offset % seconds[b]]
    return a, b, c, first[a, b] + second[b, c]


class _Master:
    """The restricted LP: a column per generated cycle, a row per vertex (≤ 1), in HiGHS,
    kept between solves so that each re-solve starts from the last basis."""

    def __init__(self, vertices: int, cap: int, arc_weight: FloatArray) -> None:
        import highspy
        from highspy._core import _Highs

        # The solver without highspy's Python wrapper: the wrapper's constructor sets
        # up callbacks, which prints HiGHS's banner to stdout before output can be
        # turned off (ERGO-Code/HiGHS#2749), into a command's --json output.
        self.highs = _Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.infinity = highspy.kHighsInf
        none = np.zeros(0, dtype=np.int32)
        self.highs.addRows(
            vertices,
            np.full(vertices, -self.infinity),
            np.ones(vertices),
            0,
            none,
            none,
            np.zeros(0),
        )
        self.arc_weight = arc_weight
        self.cycles = np.zeros((0, cap), dtype=np.int64)
        self.values = np.zeros(0)
        self.known: set[bytes] = set()

    def add(self, cycles: IntArray) -> int:
        """Add the cycles not yet in the model; how many were new."""
        new = [row for row in cycles if row.tobytes() not in self.known]
        if not new:
            return 0
        block = np.array(new, dtype=np.int64)
        self.known.update(row.tobytes() for row in block)
        following = np.where(
            np.roll(block, -1, axis=1) >= 0, np.roll(block, -1, axis=1), block[:, :1]
        )
        used = block >= 0
        values = np.where(used, self.arc_weight[np.maximum(block, 0), following], 0.0).sum(axis=1)
        lengths = used.sum(axis=1)
        starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int32)
        rows = block[used].astype(np.int32)
        self.highs.addCols(
            len(new),
            values,
            np.zeros(len(new)),
            np.full(len(new), self.infinity),
            rows.size,
            starts,
            rows,
            np.ones(rows.size),
        )
        self.cycles = np.concatenate([self.cycles, block])
        self.values = np.r_[self.values, values]
        return len(new)

    def solve(self, seconds: float | None) -> tuple[FloatArray, FloatArray, float, bool]:
        """The columns' values, the vertices' duals (≥ 0), the LP's value, and whether
        it was solved to optimality within ``seconds``."""
        import highspy

        self.highs.setOptionValue("time_limit", self.infinity if seconds is None else seconds)
        self.highs.run()
        status = self.highs.getModelStatus()
        solved = status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty)
        solution = self.highs.getSolution()
        # Maximizing, a binding ≤ row's dual is positive; clipped at 0, the bound
        # below stays valid whatever the solver's tolerances left.
        duals = np.maximum(np.asarray(solution.row_dual, dtype=np.float64), 0.0)
        value = float(self.highs.getInfo().objective_function_value)
        return np.asarray(solution.col_value, dtype=np.float64), duals, value, solved

    def fix(self, column: int, fixed: bool) -> None:
        self.highs.changeColBounds(column, 1.0 if fixed else 0.0, self.infinity)


def priced_rings(
    vertices: int,
    tails: IntArray,
    heads: IntArray,
    weights: FloatArray,
    cap: int,
    time_limit: float | None = None,
) -> PricedPacking:
    """The best rings of 3 or 4 arcs at most by column generation and a dive;
    ``optimal`` only when the dive's packing meets the LP's bound."""
    if not 3 <= cap <= 4:
        raise ValueError("column generation prices rings of 3 or 4 offers")
    if vertices > MOST_PRICED_OFFERS:
        raise ValueError(f"column generation prices up to {MOST_PRICED_OFFERS:,} offers")
    started = time.perf_counter()
    # HiGHS works best with costs near 1 (money in cents slowed it 30-fold).
    scale = float(weights.max()) if weights.size and weights.max() > 0 else 1.0
    arc_weight = np.zeros((vertices, vertices))
    arc_weight[tails, heads] = weights / scale
    master = _Master(vertices, cap, arc_weight)
    blocked = np.zeros(vertices, dtype=bool)
    fixed: list[int] = []

    def left() -> float | None:
        return None if time_limit is None else time_limit - (time.perf_counter() - started)

    def out_of_time() -> bool:
        seconds = left()
        return seconds is not None and seconds <= 0

    def relax() -> tuple[FloatArray | None, float, float]:
        """The LP over every cycle clear of the fixed ones' offers: the columns'
        values (None if the time ran out first), the LP's value and a bound on
        every such packing (all scaled)."""
        while True:
            seconds = left()
            x, duals, value, solved = master.solve(None if seconds is None else max(seconds, 0.0))
            reduced = np.full((vertices, vertices), -np.inf)
            reduced[tails, heads] = arc_weight[tails, heads] - duals[heads]
            reduced[blocked, :] = -np.inf
            reduced[:, blocked] = -np.inf
            # The best cycle per position, gaining or not: the largest gain is exact.
            cycles, gains = priced_cycles(reduced, cap, _LEAST, best=True)
            gaining = np.flatnonzero(gains >= _TOLERANCE)
            best = gaining[np.argsort(-gains[gaining])][: 4 * vertices]
            if not solved or out_of_time() or master.add(cycles[best]) == 0:
                # Every packing ≤ Σ π + (cycles it holds) × (largest reduced weight),
                # for any π ≥ 0, however little the solver could see.
                most = int(np.count_nonzero(~blocked)) // 2
                gain = max(float(gains.max(initial=0.0)), 0.0)
                held = float(master.values[fixed].sum())
                bound = held + float(duals[~blocked].sum()) + most * gain
                return (x if solved else None), value, bound

    x, _, bound = relax()
    bound *= scale
    integral = bool(np.all(weights == np.round(weights)))
    # Proven: a packing of integer weights at the bound rounded down, of real
    # weights at the bound, each give or take a billionth for rounding in sums.
    tolerance = 1e-9 * max(1.0, abs(bound))
    target = float(np.floor(bound + tolerance)) if integral else bound - tolerance
    # Steering the dive only (not the proof): an LP within the solver's tolerance
    # of the target keeps a fix.
    slack = _TOLERANCE * scale * max(1, vertices)
    while x is not None and not out_of_time():
        free = np.ones(x.size, dtype=bool)
        free[fixed] = False
        fractional = np.flatnonzero(free & (x > _TOLERANCE) & (x < 1 - _TOLERANCE))
        if fractional.size == 0:
            chosen = np.flatnonzero(x > 0.5)
            rings = tuple(tuple(row[row >= 0].tolist()) for row in master.cycles[chosen])
            offers = [v for ring in rings for v in ring]
            total = float(weights_of(tails, heads, weights, rings))
            if total >= target and len(offers) == len(set(offers)):
                return PricedPacking(rings, total, True, int(master.values.size))
            break  # an integral LP below the target: the dive cannot prove it
        for column in fractional[np.argsort(-x[fractional])][:_TRIES].tolist():
            if out_of_time():
                break
            master.fix(column, True)
            offers = master.cycles[column][master.cycles[column] >= 0]
            blocked[offers] = True
            fixed.append(column)
            tried, value, _ = relax()
            if tried is not None and value * scale >= target - slack:
                x = tried
                break
            master.fix(column, False)
            blocked[offers] = False
            fixed.pop()
        else:
            break  # no candidate keeps the target
    return PricedPacking((), bound, False, int(master.values.size))


def weights_of(
    tails: IntArray, heads: IntArray, weights: FloatArray, rings: tuple[tuple[int, ...], ...]
) -> float:
    """The exact total weight of the rings' arcs."""
    weight = dict(
        zip(zip(tails.tolist(), heads.tolist(), strict=True), weights.tolist(), strict=True)
    )
    return float(
        sum(weight[a, b] for ring in rings for a, b in zip(ring, (*ring[1:], ring[0]), strict=True))
    )
