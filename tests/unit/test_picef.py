"""PIEF (``domain.picef``) against the cycle formulation: the same optimum on seeded
random graphs at caps 2–5, with unit, integer and real weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tahator.domain.matching import best_rings
from tahator.domain.picef import picef_model


def random_graph(seed: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vertices = int(rng.integers(2, 13))
    mask = rng.random((vertices, vertices)) < rng.uniform(0.1, 0.5)
    np.fill_diagonal(mask, False)
    tails, heads = np.nonzero(mask)
    kind = seed % 3
    if kind == 0:
        weights = np.ones(tails.size)
    elif kind == 1:
        weights = rng.integers(1, 21, tails.size).astype(np.float64)
    else:
        weights = np.round(rng.uniform(0.001, 10.0, tails.size), 3)
    return vertices, tails.astype(np.int64), heads.astype(np.int64), weights


@pytest.mark.parametrize("cap", [2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(12))
def test_picef_has_the_cycle_formulations_optimum(seed: int, cap: int) -> None:
    vertices, tails, heads, weights = random_graph(seed * 7 + cap)
    cycle = best_rings(vertices, tails, heads, weights, cap, formulation="cycle")
    for guided in (True, False):
        picef = best_rings(vertices, tails, heads, weights, cap, formulation="picef", guided=guided)
        assert picef.optimal
        assert cycle.optimal
        assert picef.objective == pytest.approx(cycle.objective, rel=1e-9, abs=1e-9)
        arcs = set(zip(tails.tolist(), heads.tolist(), strict=True))
        used = [v for ring in picef.cycles for v in ring]
        assert len(used) == len(set(used))
        for ring in picef.cycles:
            assert 2 <= len(ring) <= cap
            assert all((ring[i], ring[(i + 1) % len(ring)]) in arcs for i in range(len(ring)))


def test_picef_keeps_only_arcs_that_can_close_a_ring() -> None:
    # 0 → 1 → 2 → 3 → 0 is a 4-ring: at cap 3 nothing can close, so no columns at all.
    tails, heads = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0])
    _, _, values, _, _ = picef_model(4, tails, heads, np.ones(4), 3)
    assert values.size == 0
    _, _, values, _, _ = picef_model(4, tails, heads, np.ones(4), 4)
    assert values.size == 4  # each arc once, in copy 0, at its own position
    packing = best_rings(4, tails, heads, np.ones(4), 4, formulation="picef")
    assert packing.cycles == ((0, 1, 2, 3),)
    assert math.isclose(packing.objective, 4)


def test_picef_stopped_by_a_time_limit_reports_a_bound() -> None:
    vertices, tails, heads, weights = random_graph(5)
    packing = best_rings(vertices, tails, heads, weights, 4, formulation="picef", time_limit=0.001)
    assert packing.bound >= packing.objective - 1e-9
    assert packing.gap >= 0.0 or packing.bound == math.inf
