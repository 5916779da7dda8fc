"""Barter rings (kidney-exchange cycle packing): ``best_rings`` against a brute-force oracle.

The oracle enumerates simple cycles with its own DFS and searches vertex-disjoint subsets
exhaustively, so it shares no code with ``tahator.domain.matching``.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tahator.domain.errors import InputError
from tahator.domain.matching import (
    Packing,
    best_rings,
    enumerate_cycles,
)
from tahator.io.kidney import read_kep
from tahator.services.market import match_kep
from tests.conftest import absent_in_ci

KIDNEY = Path(__file__).resolve().parents[3] / "shared" / "data" / "kidney"
FORMULATIONS = ("cycle", "half-cycle", "auto")

Arcs = dict[tuple[int, int], float]


# ---------------------------------------------------------------- oracle


def oracle_cycles(vertices: int, arcs: Arcs, cap: int) -> set[tuple[int, ...]]:
    """Every simple cycle of 2..cap vertices, starting at its lowest vertex (recursive DFS)."""
    out: dict[int, list[int]] = {v: [] for v in range(vertices)}
    for tail, head in arcs:
        out[tail].append(head)
    found: set[tuple[int, ...]] = set()

    def walk(start: int, path: list[int], on_path: set[int]) -> None:
        for nxt in out[path[-1]]:
            if nxt == start:
                if len(path) >= 2:
                    found.add(tuple(path))
            elif nxt > start and nxt not in on_path and len(path) < cap:
                path.append(nxt)
                on_path.add(nxt)
                walk(start, path, on_path)
                on_path.discard(nxt)
                path.pop()

    for start in range(vertices):
        walk(start, [start], {start})
    return found


def cycle_weight(cycle: tuple[int, ...], arcs: Arcs) -> float:
    return math.fsum(arcs[cycle[i], cycle[(i + 1) % len(cycle)]] for i in range(len(cycle)))


def oracle_optimum(vertices: int, arcs: Arcs, cap: int) -> float:
    """Maximum total weight of vertex-disjoint cycles of at most ``cap`` vertices."""
    by_start: dict[int, list[tuple[int, float]]] = {v: [] for v in range(vertices)}
    for cycle in oracle_cycles(vertices, arcs, cap):
        mask = sum(1 << v for v in cycle)
        by_start[cycle[0]].append((mask, cycle_weight(cycle, arcs)))

    @cache
    def best(vertex: int, used: int) -> float:
        # Vertices below ``vertex`` are decided; ``vertex`` either stays out or starts a cycle.
        if vertex == vertices:
            return 0.0
        value = best(vertex + 1, used)
        if not used >> vertex & 1:
            for mask, weight in by_start[vertex]:
                if not mask & used:
                    value = max(value, weight + best(vertex + 1, used | mask))
        return value

    return best(0, 0)


# ---------------------------------------------------------------- helpers


def as_arrays(arcs: Arcs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = list(arcs)
    tails = np.array([t for t, _ in keys], dtype=np.int64)
    heads = np.array([h for _, h in keys], dtype=np.int64)
    weights = np.array([arcs[k] for k in keys], dtype=np.float64)
    return tails, heads, weights


def check_valid(packing: Packing, vertices: int, arcs: Arcs, cap: int) -> None:
    """The rings are a feasible packing, reported as documented."""
    seen: set[int] = set()
    for cycle in packing.cycles:
        assert isinstance(cycle, tuple)
        assert 2 <= len(cycle) <= cap, cycle
        assert len(set(cycle)) == len(cycle), cycle
        assert all(0 <= v < vertices for v in cycle), cycle
        assert cycle[0] == min(cycle), cycle
        for i, tail in enumerate(cycle):
            assert (tail, cycle[(i + 1) % len(cycle)]) in arcs, cycle
        assert not seen & set(cycle), packing.cycles
        seen |= set(cycle)
    assert list(packing.cycles) == sorted(packing.cycles)
    total = math.fsum(cycle_weight(c, arcs) for c in packing.cycles)
    assert packing.objective == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert packing.bound >= packing.objective - 1e-9
    assert packing.seconds >= 0


def read_input(path: Path) -> tuple[int, Arcs]:
    """Parse a kidney_solver ``.input`` file: ``n m``, m lines ``s t w``, ``-1 -1 -1``."""
    lines = path.read_text().split("\n")
    vertices, count = (int(x) for x in lines[0].split())
    arcs: Arcs = {}
    for line in lines[1:]:
        fields = line.split()
        if not fields:
            continue
        if fields[:2] == ["-1", "-1"]:
            break
        arcs[int(fields[0]), int(fields[1])] = float(fields[2])
    assert len(arcs) == count
    return vertices, arcs


@st.composite
def graphs(draw: st.DrawFn, max_vertices: int = 8) -> tuple[int, Arcs]:
    vertices = draw(st.integers(2, max_vertices))
    pairs = [(i, j) for i in range(vertices) for j in range(vertices) if i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    kind = draw(st.sampled_from(["unit", "integer", "float"]))
    if kind == "unit":
        weights = [1.0] * len(chosen)
    elif kind == "integer":
        weights = draw(
            st.lists(st.integers(1, 20).map(float), min_size=len(chosen), max_size=len(chosen))
        )
    else:
        weights = draw(
            st.lists(
                st.floats(0.001, 10.0).map(lambda w: max(round(w, 3), 0.001)),
                min_size=len(chosen),
                max_size=len(chosen),
            )
        )
    return vertices, dict(zip(chosen, weights, strict=True))


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("guided", [True, False], ids=["guided", "plain"])
@pytest.mark.parametrize("formulation", FORMULATIONS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), cap=st.integers(2, 4))
def test_best_rings_is_a_valid_optimal_packing(
    formulation: str, guided: bool, graph: tuple[int, Arcs], cap: int
) -> None:
    vertices, arcs = graph
    tails, heads, weights = as_arrays(arcs)
    packing = best_rings(
        vertices, tails, heads, weights, cap, formulation=formulation, guided=guided
    )
    check_valid(packing, vertices, arcs, cap)
    assert packing.optimal
    expected = oracle_optimum(vertices, arcs, cap)
    assert packing.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert packing.bound == pytest.approx(packing.objective, rel=1e-9, abs=1e-9)
    assert packing.gap == 0.0


@settings(max_examples=150, deadline=None)
@given(graph=graphs(), cap=st.integers(2, 6))
def test_enumerate_cycles_matches_dfs(graph: tuple[int, Arcs], cap: int) -> None:
    vertices, arcs = graph
    tails, heads, _ = as_arrays(arcs)
    cycles = enumerate_cycles(vertices, tails, heads, cap)
    assert all(isinstance(c, tuple) and c[0] == min(c) for c in cycles)
    assert len(cycles) == len(set(cycles)), "a cycle is listed twice"
    assert set(cycles) == oracle_cycles(vertices, arcs, cap)


def test_oracle_on_a_hand_checked_graph() -> None:
    # Cycles 0<->1 (2+2), 0<->2 (5+5), 0->1->2->0 (2+1+5) and 1->2->3->1 (1+1+1) pairwise
    # share a vertex, so the best packing is the single heaviest cycle: 0<->2, worth 10.
    arcs = {
        (0, 1): 2.0,
        (1, 0): 2.0,
        (1, 2): 1.0,
        (2, 3): 1.0,
        (3, 1): 1.0,
        (0, 2): 5.0,
        (2, 0): 5.0,
    }
    assert oracle_cycles(4, arcs, 3) == {(0, 1), (0, 2), (0, 1, 2), (1, 2, 3)}
    assert oracle_cycles(4, arcs, 2) == {(0, 1), (0, 2)}
    assert oracle_optimum(4, arcs, 3) == 10.0
    arcs[3, 1] = 20.0
    assert oracle_optimum(4, arcs, 3) == 22.0  # now 1->2->3->1 is worth 1+1+20
    for formulation in FORMULATIONS:
        packing = best_rings(4, *as_arrays(arcs), 3, formulation=formulation)
        assert packing.cycles == ((1, 2, 3),)
        assert packing.objective == 22.0


# ---------------------------------------------------------------- edge cases and errors


@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize("vertices", [0, 1, 5])
def test_empty_graph(formulation: str, vertices: int) -> None:
    empty = np.zeros(0, dtype=np.int64)
    packing = best_rings(vertices, empty, empty, np.zeros(0), 3, formulation=formulation)
    assert packing.cycles == ()
    assert packing.objective == 0
    assert packing.optimal
    assert packing.gap == 0.0


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_graph_without_cycles(formulation: str) -> None:
    packing = best_rings(4, [0, 1, 2], [1, 2, 3], [1.0, 1.0, 1.0], 4, formulation=formulation)
    assert packing.cycles == ()
    assert packing.objective == 0
    assert packing.optimal


@pytest.mark.parametrize(
    ("vertices", "tails", "heads", "weights", "kwargs", "message"),
    [
        pytest.param(3, [0, 1], [1, 0], [1.0, 1.0], {"cap": 1}, "cap >= 2", id="cap-1"),
        pytest.param(3, [0, 1], [1, 0], [1.0, 1.0], {"cap": 0}, "cap >= 2", id="cap-0"),
        pytest.param(3, [0, 1, 2], [1, 0, 2], [1.0, 1.0, 1.0], {}, "itself", id="self-loop"),
        pytest.param(3, [0, 1, 0], [1, 0, 1], [1.0, 1.0, 2.0], {}, "distinct", id="duplicate-arc"),
        pytest.param(
            3, [0, 1], [1, 0], [1.0, -0.5], {}, "finite and not negative", id="negative-weight"
        ),
        pytest.param(
            3, [0, 1], [1, 0], [1.0, float("nan")], {}, "finite and not negative", id="nan-weight"
        ),
        pytest.param(
            3, [0, 1], [1, 0], [1.0, float("inf")], {}, "finite and not negative", id="inf-weight"
        ),
        pytest.param(
            3,
            [0, 1],
            [1, 0],
            [1.0, float("-inf")],
            {},
            "finite and not negative",
            id="minus-inf-weight",
        ),
        pytest.param(3, [0, 3], [3, 0], [1.0, 1.0], {}, "vertices 0", id="head-too-big"),
        pytest.param(3, [0, 5], [1, 0], [1.0, 1.0], {}, "vertices 0", id="tail-too-big"),
        pytest.param(3, [0, -1], [1, 0], [1.0, 1.0], {}, "vertices 0", id="negative-tail"),
        pytest.param(3, [0, 1], [1, 0], [1.0], {}, "one length", id="short-weights"),
        pytest.param(3, [0, 1], [1], [1.0, 1.0], {}, "one length", id="short-heads"),
        pytest.param(3, [0], [1, 0], [1.0, 1.0], {}, "one length", id="short-tails"),
        pytest.param(
            3,
            [0, 1],
            [1, 0],
            [1.0, 1.0],
            {"formulation": "chain"},
            "unknown formulation",
            id="formulation",
        ),
    ],
)
def test_bad_input_raises_value_error(
    vertices: int,
    tails: list[int],
    heads: list[int],
    weights: list[float],
    kwargs: dict,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        best_rings(vertices, np.array(tails), np.array(heads), np.array(weights), **kwargs)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_negative_head_raises_value_error(formulation: str) -> None:
    # Arc 1 -> -1 names no vertex; like a negative tail it must be refused.
    with pytest.raises(ValueError, match="vertices 0"):
        best_rings(
            3,
            np.array([0, 1, 1]),
            np.array([1, 0, -1]),
            np.array([1.0, 1.0, 1.0]),
            3,
            formulation=formulation,
        )


# ---------------------------------------------------------------- time limit


@pytest.mark.parametrize("guided", [True, False], ids=["guided", "plain"])
@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_tiny_time_limit_returns_a_valid_packing(formulation: str, guided: bool) -> None:
    rng = np.random.default_rng(20240607)
    vertices, cap = 60, 4
    mask = rng.random((vertices, vertices)) < 0.2
    np.fill_diagonal(mask, False)
    tails, heads = np.nonzero(mask)
    weights = np.round(rng.uniform(0.001, 1.0, tails.size), 3)
    arcs = dict(
        zip(zip(tails.tolist(), heads.tolist(), strict=True), weights.tolist(), strict=True)
    )
    packing = best_rings(
        vertices,
        tails,
        heads,
        weights,
        cap,
        time_limit=0.001,
        formulation=formulation,
        guided=guided,
    )
    check_valid(packing, vertices, arcs, cap)
    assert not math.isnan(packing.bound)
    if packing.optimal:
        assert packing.bound == pytest.approx(packing.objective, rel=1e-9, abs=1e-9)
    else:
        assert packing.gap >= 0.0 or packing.bound == math.inf


# ---------------------------------------------------------------- reference instances

needs_kidney = absent_in_ci(KIDNEY.is_dir(), f"the reference instances at {KIDNEY}")


@needs_kidney
@pytest.mark.parametrize("formulation", ["cycle", "half-cycle"])
@pytest.mark.parametrize(
    ("name", "cap", "expected"),
    [
        ("MD-00001-00000100.input", 2, 32),
        ("MD-00001-00000100.input", 3, 37),
        ("MD-00001-00000100.input", 4, 39),
        ("100-random-weights.input", 2, 12.98246),
        ("100-random-weights.input", 3, 19.196092),
        ("100-random-weights.input", 4, 21.643523),
    ],
)
def test_reference_instances(name: str, cap: int, expected: float, formulation: str) -> None:
    vertices, arcs = read_input(KIDNEY / name)
    packing = best_rings(vertices, *as_arrays(arcs), cap, formulation=formulation)
    check_valid(packing, vertices, arcs, cap)
    assert packing.optimal
    assert packing.objective == pytest.approx(expected, abs=1e-6)
    if name.startswith("MD-"):
        assert sum(len(c) for c in packing.cycles) == expected


# ---------------------------------------------------------------- command line


def tahator(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "tahator"
    return subprocess.run(
        [str(command), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@needs_kidney
def test_cli_match_kep_json(tmp_path: Path) -> None:
    done = tahator(
        "match",
        "--kep",
        KIDNEY / "100-random-weights.input",
        "--cap",
        "3",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"objective", "cycles", "optimal", "bound", "seconds"} <= set(result)
    assert result["objective"] == pytest.approx(19.196092, abs=1e-6)
    assert result["optimal"] is True
    assert result["bound"] >= result["objective"] - 1e-9
    _, arcs = read_input(KIDNEY / "100-random-weights.input")
    cycles = [tuple(c) for c in result["cycles"]]
    used = [v for c in cycles for v in c]
    assert len(used) == len(set(used))
    assert all(2 <= len(c) <= 3 for c in cycles)
    total = math.fsum(cycle_weight(c, arcs) for c in cycles)
    assert total == pytest.approx(19.196092, abs=1e-6)


def test_cli_match_kep_malformed_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.input"
    bad.write_text("2 2\n0 1 1\na b c\n1 0 1\n-1 -1 -1\n")
    done = tahator("match", "--kep", bad, "--cap", "3", "--json", cwd=tmp_path)
    assert done.returncode == 2
    assert ":3:" in done.stderr or "line 3" in done.stderr, done.stderr
    assert "a b c" in done.stderr


def test_read_kep_reads_an_instance_and_names_each_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "good.input"
    good.write_text("3 3\n0 1 1\n1 0 2.5\n1 4 1\n-1 -1 -1\n")
    instance = read_kep(good)
    assert instance.vertices == 5  # the header's 3, widened to the arcs' ends
    assert instance.tails.tolist() == [0, 1, 1]
    assert instance.heads.tolist() == [1, 0, 4]
    assert instance.weights.tolist() == [1.0, 2.5, 1.0]
    result = match_kep(instance, 2)
    assert (result.objective, result.cycles, result.optimal) == (3.5, ((0, 1),), True)
    bad = tmp_path / "bad.input"
    bad.write_text("3 4\n0 1 1\na b c\n1 1 1\n0 1 2\n-1 -1 -1\n")
    with pytest.raises(InputError) as caught:
        read_kep(bad)
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:3: 'a b c' is not 'source target weight'",
        f"{bad}:4: arc 1 -> 1 (1.0) is not allowed",
        f"{bad}:5: arc 0 -> 1 appears twice",
    ]
    short = tmp_path / "short.input"
    short.write_text("2 2\n0 1 1\n-1 -1 -1\n")
    with pytest.raises(InputError, match="the header says 2 arcs, the file has 1"):
        read_kep(short)
    with pytest.raises(InputError, match="cap 7 must be 2 to 6"):
        match_kep(instance, 7)
