"""Column generation and diving (``domain.ring_pricing``): exact pricing against every
cycle, the cycle formulation's optimum on seeded random graphs, the shared PrefLib
instances, and the fall-back when the LP's bound cannot be met."""

from __future__ import annotations

import numpy as np
import pytest

from tahator.domain.matching import best_rings, enumerate_cycles
from tahator.domain.ring_pricing import priced_cycles, priced_rings, weights_of
from tahator.io.kidney import read_kep
from tests.conftest import SHARED_DATA, absent_in_ci
from tests.unit.test_picef import random_graph

KIDNEY = SHARED_DATA / "kidney"


def reduced_weights(
    vertices: int, tails: np.ndarray, heads: np.ndarray, duals: np.ndarray
) -> np.ndarray:
    reduced = np.full((vertices, vertices), -np.inf)
    reduced[tails, heads] = 1.0 - duals[heads]
    return reduced


def cycle_gain(reduced: np.ndarray, cycle: tuple[int, ...]) -> float:
    return float(sum(reduced[a, b] for a, b in zip(cycle, (*cycle[1:], cycle[0]), strict=True)))


@pytest.mark.parametrize("cap", [2, 3, 4])
@pytest.mark.parametrize("seed", range(10))
def test_pricing_finds_every_cycle_above_a_threshold_and_the_best(seed: int, cap: int) -> None:
    vertices, tails, heads, _ = random_graph(seed * 5 + cap)
    rng = np.random.default_rng(seed)
    reduced = reduced_weights(vertices, tails, heads, rng.uniform(0, 1.2, vertices))
    every = {c: cycle_gain(reduced, c) for c in enumerate_cycles(vertices, tails, heads, cap)}
    least = -0.5
    cycles, gains = priced_cycles(reduced, cap, least, best=False)
    found = {tuple(int(v) for v in row if v >= 0): g for row, g in zip(cycles, gains, strict=True)}
    assert found.keys() == {c for c, g in every.items() if g >= least}
    for cycle, gain in found.items():
        assert gain == pytest.approx(every[cycle])
    _, best = priced_cycles(reduced, cap, -np.inf, best=True)
    assert best.max(initial=-np.inf) == pytest.approx(max(every.values(), default=-np.inf))


@pytest.mark.parametrize("seed", range(15))
def test_column_generation_has_the_cycle_formulations_optimum(seed: int) -> None:
    vertices, tails, heads, weights = random_graph(seed * 11 + 4)
    cycle = best_rings(vertices, tails, heads, weights, 4, formulation="cycle")
    ours = best_rings(vertices, tails, heads, weights, 4)  # auto: column generation first
    assert ours.optimal
    assert cycle.optimal
    assert ours.objective == pytest.approx(cycle.objective, rel=1e-9, abs=1e-9)
    used = [v for ring in ours.cycles for v in ring]
    assert len(used) == len(set(used))
    arcs = set(zip(tails.tolist(), heads.tolist(), strict=True))
    for ring in ours.cycles:
        assert 2 <= len(ring) <= 4
        assert all((ring[i], ring[(i + 1) % len(ring)]) in arcs for i in range(len(ring)))


@absent_in_ci(KIDNEY.is_dir(), f"the reference instances at {KIDNEY}")
@pytest.mark.parametrize(
    ("name", "cap", "best"),
    [
        ("MD-00001-00000100.input", 3, 37),
        ("MD-00001-00000100.input", 4, 39),
        ("100-random-weights.input", 3, 19.196092),
        ("100-random-weights.input", 4, 21.643523),
    ],
)
def test_shared_instances_are_proven_by_column_generation(name: str, cap: int, best: float) -> None:
    kep = read_kep(KIDNEY / name)
    priced = priced_rings(kep.vertices, kep.tails, kep.heads, kep.weights, cap)
    assert priced.optimal
    assert priced.bound == pytest.approx(best, abs=1e-6)
    packing = best_rings(
        kep.vertices, kep.tails, kep.heads, kep.weights, cap, formulation="column-generation"
    )
    assert packing.optimal
    assert packing.objective == pytest.approx(best, abs=1e-6)
    if cap == 4:  # the LP needs a small share of the cycles
        assert priced.columns < len(enumerate_cycles(kep.vertices, kep.tails, kep.heads, cap)) / 2


def pentagon() -> tuple[np.ndarray, np.ndarray]:
    """Five offers in a ring of two-way trades and nothing else: the LP takes every
    2-cycle at one half (value 5), while any packing holds two of them (value 4)."""
    tails = np.array([0, 1, 1, 2, 2, 3, 3, 4, 4, 0])
    heads = np.array([1, 0, 2, 1, 3, 2, 4, 3, 0, 4])
    return tails, heads


def test_a_bound_no_packing_meets_falls_back_to_an_exhaustive_search() -> None:
    tails, heads = pentagon()
    priced = priced_rings(5, tails, heads, np.ones(10), 4)
    assert not priced.optimal
    assert priced.rings == ()
    assert priced.bound == pytest.approx(5)
    packing = best_rings(5, tails, heads, np.ones(10), 4)
    assert packing.optimal
    assert packing.objective == 4
    assert len(packing.cycles) == 2


def test_a_time_limit_leaves_a_valid_bound() -> None:
    vertices, tails, heads, weights = random_graph(5 * 11 + 4)
    exact = best_rings(vertices, tails, heads, weights, 4, formulation="cycle")
    stopped = priced_rings(vertices, tails, heads, weights, 4, time_limit=0.0)
    assert not stopped.optimal
    assert stopped.bound >= exact.objective - 1e-9


def test_the_solver_writes_nothing_to_standard_output(capfd: pytest.CaptureFixture[str]) -> None:
    # A command's --json output must stay JSON: HiGHS prints a banner unless told not to.
    tails, heads = pentagon()
    priced_rings(5, tails, heads, np.ones(10), 4)
    assert capfd.readouterr().out == ""


def money_graph(rng: np.random.Generator) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Cents from 1 to 10^7 on one graph: small values the LP's tolerance could hide."""
    vertices = int(rng.integers(8, 16))
    mask = rng.random((vertices, vertices)) < 0.35
    np.fill_diagonal(mask, False)
    tails, heads = np.nonzero(mask)
    weights = rng.integers(1, 60, tails.size).astype(np.float64)
    big = rng.random(tails.size) < 0.05
    weights[big] = rng.integers(1, 10**7, int(big.sum()))
    if tails.size and rng.random() < 0.5:
        weights[0] = 1e7
    return vertices, tails.astype(np.int64), heads.astype(np.int64), weights


def exact_optimum(vertices: int, tails: np.ndarray, heads: np.ndarray, weights: np.ndarray) -> int:
    """The best packing of integer weights at cap 4 by CP-SAT, in exact integers."""
    from ortools.sat.python import cp_model

    weight = dict(
        zip(zip(tails.tolist(), heads.tolist(), strict=True), weights.tolist(), strict=True)
    )
    model = cp_model.CpModel()
    uses: list[list[cp_model.IntVar]] = [[] for _ in range(vertices)]
    terms = []
    for cycle in enumerate_cycles(vertices, tails, heads, 4):
        chosen = model.new_bool_var("")
        value = sum(int(weight[a, b]) for a, b in zip(cycle, (*cycle[1:], cycle[0]), strict=True))
        terms.append(value * chosen)
        for v in cycle:
            uses[v].append(chosen)
    for used in uses:
        model.add_at_most_one(used)
    model.maximize(sum(terms))
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value)


def test_a_proven_packing_of_money_weights_is_the_optimum() -> None:
    # Found by review: the dive took packings a few cents below its bound as proven.
    rng = np.random.default_rng(1)
    proven = 0
    for _ in range(300):
        vertices, tails, heads, weights = money_graph(rng)
        if not tails.size:
            continue
        priced = priced_rings(vertices, tails, heads, weights, 4)
        exact = exact_optimum(vertices, tails, heads, weights)
        assert priced.bound >= exact
        if priced.optimal:
            proven += 1
            assert priced.bound == exact
            assert weights_of(tails, heads, weights, priced.rings) == exact
    assert proven > 150  # the dive still proves most


def test_cycles_too_light_for_the_solver_still_count_in_the_bound() -> None:
    # One ring of 2·10^9 and ten of 20: the light ones price below the LP's tolerance.
    tails = np.array([0, 1, *range(2, 22)])
    heads = np.array([1, 0, *(v + 1 if v % 2 == 0 else v - 1 for v in range(2, 22))])
    weights = np.array([1e9, 1e9, *([10.0] * 20)])
    priced = priced_rings(22, tails, heads, weights, 4)
    assert priced.bound >= 2e9 + 200
    packing = best_rings(22, tails, heads, weights, 4)
    assert packing.optimal
    assert packing.objective == 2e9 + 200


def test_column_generation_refuses_more_offers_than_it_prices() -> None:
    tails, heads = pentagon()
    with pytest.raises(ValueError, match="offers"):
        best_rings(5_000, tails, heads, np.ones(10), 4, formulation="column-generation")
