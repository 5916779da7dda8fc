"""Barter rings: the best set of disjoint cycles in a compatibility graph (DESIGN §3.3).

Vertices are offers; an arc o → p says o's goods meet what p wants, with the
value o gives as its weight.  A ring is a directed cycle of at most ``cap``
offers, each giving its goods to the next; the best rings are vertex-disjoint
and exchange the most value.  Beyond rings of two this is NP-hard (Abraham,
Blum and Sandholm, 2007), so it is solved exactly by integer programming with
HiGHS.

Both are solved ``guided``: the LP relaxation first, then the integer program
over only the columns whose reduced cost lets them appear in a packing as good as
the LP bound rounds to (reduced-cost fixing, exact); if that packing reaches the
bound it is proven optimal, else the search widens to what could still beat it.

Four formulations are offered (``auto`` picks cycles up to cap 3; at cap 4 column
generation up to 1,000 offers, falling back to PIEF when its dive cannot prove a
packing; PIEF beyond):

``half-cycle``
    Every cycle is cut, at its lowest vertex s and a vertex t halfway round, into
    two half-cycles: s → … → t of at most ⌈cap/2⌉ arcs and t → … → s of at most
    ⌊cap/2⌋, every vertex but s above s.  One binary per half-cycle; at every
    (s, t) as many first halves as second halves are chosen; every vertex is the
    start or an inner vertex of at most one chosen half.  The half-cycles are
    paths of half the length, far fewer than cycles, with the same LP bound
    (Delorme, García, Gondzio, Kalcsics, Manlove, Pettersson, Trimble, 2023).
``cycle``
    The plain cycle formulation: every cycle up to the cap, one binary each,
    every vertex in at most one chosen cycle.  Kept as the baseline.
``picef``
    The position-indexed edge formulation (Dickerson et al., 2016), in
    ``domain.picef``: one binary per arc, copy and position; it grows with arcs,
    not cycles.
``column-generation``
    The cycle formulation's LP over only the cycles it needs, priced exactly,
    then a dive to a packing at its bound, in ``domain.ring_pricing``.

The marketplace's rules live here too: which offers may trade (``compatibility``,
an HS code's shape, the corridor's directions) and the names of the offers' and
proposals' states.  What a bound ring makes is in ``domain.rings``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Direction, Policy, Rules

Formulation = Literal["auto", "half-cycle", "cycle", "picef", "column-generation"]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Packing:
    """Chosen rings and what the solver proved about them."""

    cycles: tuple[tuple[int, ...], ...]
    """Each ring as its vertices in order, starting at its lowest vertex."""
    objective: float
    """The total weight of the arcs in the chosen rings."""
    bound: float
    """No packing is worth more than this (equals ``objective`` when optimal)."""
    optimal: bool
    seconds: float
    variables: int
    """Binaries in the model: half-cycles or cycles."""

    @property
    def gap(self) -> float:
        """Relative distance between the best packing found and the bound."""
        return 0.0 if self.optimal or not self.bound else (self.bound - self.objective) / self.bound


def best_rings(
    vertices: int,
    tails: IntArray,
    heads: IntArray,
    weights: FloatArray,
    cap: int = 3,
    *,
    time_limit: float | None = None,
    formulation: Formulation = "auto",
    guided: bool = True,
) -> Packing:
    """The disjoint cycles of at most ``cap`` arcs with the largest total arc weight.

    Arcs must be distinct and without self-loops; weights finite, not negative.  With a
    ``time_limit`` (seconds) the best packing found is returned with the proven
    bound.
    """
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    if not tails.shape == heads.shape == weights.shape:
        raise ValueError("tails, heads and weights must have one length")
    if cap < 2:
        raise ValueError("a ring needs at least two offers (cap >= 2)")
    if tails.size and (
        min(tails.min(), heads.min()) < 0 or max(tails.max(), heads.max()) >= vertices
    ):
        raise ValueError("arc ends must be vertices 0 … vertices-1")
    if np.any(tails == heads):
        raise ValueError("an offer cannot trade with itself")
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ValueError("arc weights must be finite and not negative")
    if np.unique(tails * vertices + heads).size != tails.size:
        raise ValueError("arcs must be distinct")
    started = time.perf_counter()
    bound = float("inf")
    if formulation == "auto":
        # Cycles outnumber half-cycles only beyond three arcs (measured: 41,100
        # cycles and 46,955 halves at cap 3; 1.49 million and 407,115 at cap 4).
        # Beyond, PIEF (its LP by interior point) beat half-cycles: MD-00001 at
        # cap 4 0.19 s against 1.1 s, at cap 5 0.8 s against 6.2 s; the dense
        # 300-pair pool at cap 4 proven in 140 s against 278 s.  Column generation
        # comes first at cap 4 (its pricing is exact and dense, up to MOST_PRICED_OFFERS
        # offers): the dense pool proven in seconds, with ~10,000 of 1.5 million cycles.
        # At cap 3 the cycles are few enough to take at once (a 2,000-offer market's
        # LP took 145 s by column generation).
        from tahator.domain.ring_pricing import MOST_PRICED_OFFERS

        priced = cap == 4 and vertices <= MOST_PRICED_OFFERS
        formulation = "column-generation" if priced else "cycle" if cap <= 3 else "picef"
    weigh = _arc_weights(vertices, tails, heads, weights)
    if formulation == "column-generation":
        from tahator.domain.ring_pricing import priced_rings

        packed = priced_rings(vertices, tails, heads, weights, cap, time_limit)
        if packed.optimal:
            return _packing(packed.rings, packed.bound, True, started, packed.columns, weigh)
        # The dive found no packing at the LP's bound: search exhaustively, under
        # whatever bound column generation proved.
        bound = packed.bound
        formulation = "cycle" if cap <= 3 else "picef"
        if time_limit is not None:
            time_limit = max(time_limit - (time.perf_counter() - started), 0.01)
    if formulation == "cycle":
        blocks = [
            paths[weigh.has(paths[:, -1], paths[:, 0])]
            for paths in (
                _paths_above_start(vertices, tails, heads, k - 1) for k in range(2, cap + 1)
            )
        ]
        values = np.concatenate([weigh.cycle(b) for b in blocks]) if blocks else np.zeros(0)
        counted = blocks
        result = _solve(vertices, counted, values, None, time_limit, guided=guided)
        rows = [row for b in blocks for row in b.tolist()]
        chosen = [rows[i] for i in result[0]]
        count = len(rows)
    elif formulation == "half-cycle":
        firsts, seconds = _half_cycles(vertices, tails, heads, cap)
        halves = firsts + seconds
        values = np.concatenate([weigh.path(b) for b in halves])
        counted = [b[:, :-1] for b in halves]  # a half counts its start and inner vertices
        # Link each first half s → t with the second halves t → s.
        first_keys = np.concatenate([b[:, 0] * vertices + b[:, -1] for b in firsts])
        second_keys = np.concatenate([b[:, -1] * vertices + b[:, 0] for b in seconds])
        keys, link = np.unique(np.r_[first_keys, second_keys], return_inverse=True)
        signs = np.r_[np.ones(first_keys.size), -np.ones(second_keys.size)]
        result = _solve(
            vertices, counted, values, (link, signs, keys.size), time_limit, guided=guided
        )
        rows = [row for b in halves for row in b.tolist()]
        split = int(first_keys.size)
        backs = {(rows[i][-1], rows[i][0]): rows[i] for i in result[0] if i >= split}
        chosen = [
            rows[i][:-1] + backs[rows[i][0], rows[i][-1]][:-1] for i in result[0] if i < split
        ]
        count = len(rows)
    elif formulation == "picef":
        from tahator.domain.picef import picef_rings

        chosen, bound, optimal, count = picef_rings(
            vertices, tails, heads, weights, cap, time_limit, guided=guided
        )
        result = ([], 0.0, bound, optimal)
    else:
        raise ValueError(f"unknown formulation {formulation!r}")
    _, _, found_bound, optimal = result
    bound = min(bound, found_bound)
    if not optimal and tails.size:
        # Every vertex receives at most one arc of a packing: when the time limit
        # stopped the solver before it had a bound, that still bounds the packing.
        best_in = np.zeros(vertices)
        np.maximum.at(best_in, heads, weights)
        bound = min(bound, float(best_in.sum()))
    return _packing(chosen, bound, optimal, started, count, weigh)


def _packing(
    chosen: Sequence[Sequence[int]],
    bound: float,
    optimal: bool,
    started: float,
    count: int,
    weigh: _ArcWeights,
) -> Packing:
    cycles = tuple(sorted(tuple(_from_lowest(list(c))) for c in chosen))
    total = float(sum(weigh.cycle(np.array([c])).sum() for c in cycles)) if cycles else 0.0
    return Packing(
        cycles=cycles,
        objective=total,
        bound=max(bound, total),
        optimal=optimal,
        seconds=time.perf_counter() - started,
        variables=count,
    )


def _from_lowest(cycle: list[int]) -> list[int]:
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]


@dataclass(frozen=True)
class _ArcWeights:
    """Vectorized look-up of arc weights by sorted arc keys."""

    vertices: int
    keys: IntArray
    weights: FloatArray

    def _find(self, tails: IntArray, heads: IntArray) -> tuple[IntArray, NDArray[np.bool_]]:
        wanted = tails * self.vertices + heads
        where = np.minimum(np.searchsorted(self.keys, wanted), max(self.keys.size - 1, 0))
        return where, self.keys[where] == wanted if self.keys.size else np.zeros(wanted.size, bool)

    def has(self, tails: IntArray, heads: IntArray) -> NDArray[np.bool_]:
        return self._find(tails, heads)[1]

    def path(self, paths: IntArray) -> FloatArray:
        total = np.zeros(paths.shape[0])
        for column in range(paths.shape[1] - 1):
            where, _ = self._find(paths[:, column], paths[:, column + 1])
            total += self.weights[where]
        return total

    def cycle(self, cycles: IntArray) -> FloatArray:
        closed = np.concatenate([cycles, cycles[:, :1]], axis=1)
        return self.path(closed)


def _arc_weights(
    vertices: int, tails: IntArray, heads: IntArray, weights: FloatArray
) -> _ArcWeights:
    keys = tails * vertices + heads
    order = np.argsort(keys)
    return _ArcWeights(vertices, keys[order], weights[order])


def _adjacency(vertices: int, tails: IntArray, heads: IntArray) -> tuple[IntArray, IntArray]:
    order = np.lexsort((heads, tails))
    starts = np.searchsorted(tails[order], np.arange(vertices + 1))
    return starts.astype(np.int64), heads[order]


def _paths_above_start(vertices: int, tails: IntArray, heads: IntArray, length: int) -> IntArray:
    """Simple paths of exactly ``length`` arcs whose every later vertex is above the first."""
    starts, targets = _adjacency(vertices, tails, heads)
    keep = heads > tails
    paths = np.stack([tails[keep], heads[keep]], axis=1)
    for _ in range(length - 1):
        last = paths[:, -1]
        degree = starts[last + 1] - starts[last]
        rows = np.repeat(np.arange(paths.shape[0]), degree)
        offsets = np.arange(rows.size) - np.repeat(np.cumsum(degree) - degree, degree)
        following = targets[starts[last][rows] + offsets]
        extended = np.concatenate([paths[rows], following[:, None]], axis=1)
        fine = following > extended[:, 0]
        for column in range(1, extended.shape[1] - 1):
            fine &= following != extended[:, column]
        paths = extended[fine]
    return paths


def _half_cycles(
    vertices: int, tails: IntArray, heads: IntArray, cap: int
) -> tuple[list[IntArray], list[IntArray]]:
    """First halves s → … → t (≤ ⌈cap/2⌉ arcs) and second halves t → … → s (≤ ⌊cap/2⌋),
    s below every other vertex, keeping only (s, t) that have both halves."""
    firsts = [_paths_above_start(vertices, tails, heads, k) for k in range(1, (cap + 1) // 2 + 1)]
    # Second halves are first halves of the reversed graph, read backwards.
    seconds = [
        _paths_above_start(vertices, heads, tails, k)[:, ::-1] for k in range(1, cap // 2 + 1)
    ]
    opening = np.concatenate([b[:, 0] * vertices + b[:, -1] for b in firsts])
    closing = np.concatenate([b[:, -1] * vertices + b[:, 0] for b in seconds])
    both = np.intersect1d(opening, closing)
    firsts = [b[np.isin(b[:, 0] * vertices + b[:, -1], both)] for b in firsts]
    seconds = [b[np.isin(b[:, -1] * vertices + b[:, 0], both)] for b in seconds]
    return firsts, seconds


def enumerate_cycles(
    vertices: int, tails: IntArray, heads: IntArray, cap: int
) -> list[tuple[int, ...]]:
    """Every simple cycle of at most ``cap`` arcs, as vertices from its lowest one."""
    starts, targets = _adjacency(vertices, np.asarray(tails, np.int64), np.asarray(heads, np.int64))
    out = [targets[starts[v] : starts[v + 1]].tolist() for v in range(vertices)]
    cycles: list[tuple[int, ...]] = []
    for root in range(vertices):
        stack = [(root, [root])]
        while stack:
            vertex, path = stack.pop()
            for following in out[vertex]:
                if following == root and len(path) >= 2:
                    cycles.append(tuple(path))
                elif following > root and following not in path and len(path) < cap:
                    stack.append((following, [*path, following]))
    return cycles


def _solve(
    vertices: int,
    counted: list[IntArray],
    values: FloatArray,
    links: tuple[IntArray, FloatArray, int] | None,
    time_limit: float | None,
    *,
    guided: bool = True,
) -> tuple[list[int], float, float, bool]:
    """Maximize Σ values·x over binaries x, one per row of the ``counted`` blocks (the
    vertices each column uses), each vertex used at most once, and each link's
    signed sum zero (``links``: link of each column, its sign, how many links).
    Returns chosen columns, objective, bound, optimal.

    ``guided`` first solves the LP relaxation, whose value bounds every packing,
    then the integer program restricted to the columns the LP uses.  When that
    packing reaches the bound it is optimal and the full search is skipped;
    otherwise the full integer program runs as usual.
    """
    from scipy.sparse import csr_array

    columns = int(values.size)
    if columns == 0:
        return [], 0.0, 0.0, True
    vertex_rows = np.concatenate([block.reshape(-1) for block in counted])
    vertex_cols = np.concatenate(
        [np.repeat(np.arange(block.shape[0]), block.shape[1]) for block in counted]
    )
    offsets = np.cumsum([0] + [block.shape[0] for block in counted[:-1]])
    vertex_cols = vertex_cols + np.repeat(offsets, [block.size for block in counted])
    vertex_matrix = csr_array(
        (np.ones(vertex_rows.size), (vertex_rows, vertex_cols)), shape=(vertices, columns)
    )
    link_matrix = None
    if links is not None:
        link_of, signs, count = links
        link_matrix = csr_array((signs, (link_of, np.arange(columns))), shape=(count, columns))
    return solve_packing(vertex_matrix, link_matrix, values, time_limit, guided=guided)


def solve_packing(
    vertex_matrix: Any,
    link_matrix: Any,
    values: FloatArray,
    time_limit: float | None,
    *,
    guided: bool = True,
    interior: bool = False,
) -> tuple[list[int], float, float, bool]:
    """Maximize Σ values·x over binaries x with ``vertex_matrix``·x ≤ 1 and
    ``link_matrix``·x = 0 (sparse, or None): the engine behind every formulation.
    Returns chosen columns, objective, bound, optimal; ``guided`` as in ``_solve``;
    ``interior`` solves the LP by interior point (with crossover, so the reduced costs
    are a basis's)."""
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    started = time.perf_counter()
    columns = int(values.size)
    vertices = int(vertex_matrix.shape[0])
    if columns == 0:
        return [], 0.0, 0.0, True
    integral_values = bool(np.all(values == np.round(values)))
    # HiGHS works best with objective coefficients near 1: money in cents (10^7
    # a ring) slowed a 2,000-offer market 30-fold.  Packings are scored afterwards
    # from the exact weights, so the scale only steers the search.
    scale = 1.0 / float(values.max()) if values.size and values.max() > 0 else 1.0
    cost = -np.asarray(values, dtype=np.float64) * scale
    # Stop only when no better packing can exist: within half a unit for integer
    # weights, a hair for real ones.
    absolute_gap = 0.5 * scale if integral_values else 1e-9

    def integer_program(
        keep: NDArray[np.int64] | None, limit: float | None
    ) -> tuple[list[int], float, float, bool]:
        matrix, links_in, c = vertex_matrix, link_matrix, cost
        if keep is not None:
            matrix, c = vertex_matrix[:, keep], cost[keep]
            links_in = None if link_matrix is None else link_matrix[:, keep]
        constraints = [LinearConstraint(matrix, -np.inf, 1)]
        if links_in is not None:
            constraints.append(LinearConstraint(links_in, 0, 0))
        options: dict[str, float | bool] = {
            "disp": False,
            "mip_rel_gap": 0.0,
            "mip_abs_gap": absolute_gap,
        }
        if limit is not None:
            options["time_limit"] = max(limit, 0.01)
        with warnings.catch_warnings():  # SciPy warns that it passes mip_abs_gap through
            warnings.simplefilter("ignore", RuntimeWarning)
            result = milp(
                c=c,
                constraints=constraints,
                integrality=np.ones(c.size),
                bounds=Bounds(0, 1),
                options=options,
            )
        if result.x is None:
            bound = (
                -result.mip_dual_bound / scale
                if result.mip_dual_bound is not None
                else float("inf")
            )
            return [], 0.0, float(bound), False
        chosen = np.flatnonzero(result.x > 0.5)
        if keep is not None:
            chosen = keep[chosen]
        objective = float(values[chosen].sum())
        bound = (
            -float(result.mip_dual_bound) / scale
            if result.mip_dual_bound is not None
            else objective
        )
        return chosen.tolist(), objective, bound, bool(result.status == 0)

    if guided:
        relaxed = linprog(
            cost,
            options={} if time_limit is None else {"time_limit": time_limit},
            A_ub=vertex_matrix,
            b_ub=np.ones(vertices),
            A_eq=link_matrix,
            b_eq=None if link_matrix is None else np.zeros(link_matrix.shape[0]),
            bounds=(0, 1),
            method="highs-ipm" if interior else "highs",
        )
        if relaxed.status == 0:
            # Reduced-cost fixing: a packing worth at least ``target`` uses only
            # columns whose reduced cost is within ``bound − target``; any other
            # column is 0 in it.  So the integer program over those columns alone
            # is exact for every packing worth ``target`` or more.
            bound = float(-relaxed.fun) / scale
            reduced = (cost - vertex_matrix.T @ relaxed.ineqlin.marginals) / scale
            if link_matrix is not None:
                reduced = reduced - (link_matrix.T @ relaxed.eqlin.marginals) / scale
            target = float(np.floor(bound + 1e-6)) if integral_values else bound
            for _ in range(2):
                keep = np.flatnonzero(reduced <= bound - target + 1e-7 * max(1.0, abs(bound)))
                if 2 * keep.size > columns:
                    break  # hardly smaller than the whole: search the whole at once
                remaining = (
                    None if time_limit is None else time_limit - (time.perf_counter() - started)
                )
                chosen, objective, _, proven = integer_program(keep, remaining)
                if proven and objective >= target - 1e-9 * max(1.0, abs(target)):
                    return chosen, objective, objective, True
                if not proven:
                    break
                # No packing reaches the target: the best is at most the one found,
                # so widen the columns to everything that could still beat it.
                target = objective
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - started)
    return integer_program(None, remaining)


# --- the marketplace's rules ---------------------------------------------------------


class OfferStatus(StrEnum):
    """Where an offer stands: free to match, in a proposed ring, in a bound one, or
    withdrawn by its firm (no longer matched)."""

    OPEN = "open"
    PROPOSED = "proposed"
    BOUND = "bound"
    WITHDRAWN = "withdrawn"


class ProposalStatus(StrEnum):
    """A proposed ring waits for every firm's answer; it binds or falls through."""

    PROPOSED = "proposed"
    BINDING = "binding"
    DECLINED = "declined"


class Answer(StrEnum):
    """A firm's answer to its place (its leg) in a proposed ring."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


MAX_CAP = 6
"""Most offers in a ring that a matching run searches."""


def check_run(cap: int, tolerance: Decimal | None = None, time_limit: float | None = None) -> None:
    """Refuse (``InputError``) a matching run's ring size, value tolerance or time limit
    outside what the matching searches."""
    if not 2 <= cap <= MAX_CAP:
        raise InputError([Problem(f"cap {cap} must be 2 to {MAX_CAP}", field="cap")])
    if tolerance is not None and not (
        tolerance.is_finite() and 0 <= tolerance < 1 and tolerance == round(tolerance, 6)
    ):
        message = f"tolerance {tolerance} must be 0 to below 1, to 6 decimals"
        raise InputError([Problem(message, field="tolerance")])
    if time_limit is not None and not time_limit > 0:
        raise InputError([Problem("the time limit must be positive", field="time_limit")])


def is_hs(text: str, low: int = 4) -> bool:
    """Whether ``text`` is an HS code (or, with ``low=2``, a prefix): ``low`` to 10 digits."""
    return text.isascii() and text.isdigit() and low <= len(text) <= 10


def allowed(policy: Policy, rules: Rules, giver: str, receiver: str, hs: str) -> bool:
    """Whether goods ``hs`` may go from a firm of country ``giver`` to one of ``receiver``."""
    if giver == receiver:
        return True
    home = policy.home_country
    if giver == home and receiver in policy.partners:
        return rules.goods_problem(Direction.EXPORT, hs) is None
    if receiver == home and giver in policy.partners:
        return rules.goods_problem(Direction.IMPORT, hs) is None
    return False


class Offered(Protocol):
    """What matching reads of an offer: its firm, its goods and the prefixes it wants
    (separated by ``|``)."""

    @property
    def firm(self) -> str: ...

    @property
    def gives_hs(self) -> str: ...

    @property
    def wants_hs(self) -> str: ...


def compatibility(
    offers: Sequence[Offered],
    countries: Mapping[str, str],
    values: Sequence[int],
    policy: Policy,
    rules: Rules,
    tolerance: Decimal,
) -> tuple[IntArray, IntArray]:
    """Arcs o → p: o's goods meet a prefix p wants, another firm, an allowed direction,
    and p receives within ``tolerance`` of the value it gives.

    ``countries`` holds each firm's country, ``values`` each offer's value in one
    currency (the unit of account's minor units).
    """
    numerator, denominator = tolerance.as_integer_ratio()
    by_prefix: dict[str, list[int]] = {}
    for index, offer in enumerate(offers):
        for prefix in offer.wants_hs.split("|"):
            by_prefix.setdefault(prefix, []).append(index)
    tails, heads = [], []
    for o, offer in enumerate(offers):
        receivers: set[int] = set()
        for length in range(2, len(offer.gives_hs) + 1):
            receivers.update(by_prefix.get(offer.gives_hs[:length], ()))
        for p in sorted(receivers):
            other = offers[p]
            if other.firm == offer.firm:
                continue
            if abs(values[o] - values[p]) * denominator > numerator * values[p]:
                continue
            if not allowed(
                policy, rules, countries[offer.firm], countries[other.firm], offer.gives_hs
            ):
                continue
            tails.append(o)
            heads.append(p)
    return np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64)
