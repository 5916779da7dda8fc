"""Matching benchmark: the engine against the plain cycle formulation on CP-SAT (the peer).

1. Kidney-exchange instances, caps 3 and 4: ``shared/data/kidney`` (PrefLib, from
   kidney_solver's fixtures), a 300-pair pool from ``generate_saidman.py`` (written
   from Saidman et al. 2006, seed 1) and the project's dense 300-pair instance
   (``generate_kidney.py``, seed 1).  In the same run: Tahator's default
   (``best_rings``, formulation ``auto``: the cycle formulation at cap 3, column
   generation and a dive at cap 4, PIEF if the dive cannot prove), PIEF at cap 3 and
   the peer: every cycle up to the cap, one CP-SAT Boolean each, at most one cycle per
   vertex, maximize the weight (cycles enumerated by the engine's vectorized
   enumerator, counted in the peer's time).  Each line says whether it was proven
   optimal, else the bound and gap when the time limit stopped it.
2. A synthetic Pakistan–Iran market of 2,000 offers (``tahator.demo.build_market``),
   cap 3, 5 % tolerance: proven optimal, and how much more value than greedy
   (best ring first) the exact rings trade.

    .venv/bin/python benchmarks/bench_matching.py [--limit 300] [--skip-cap4] [--no-picef]
        [--no-market] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate_kidney  # noqa: E402
import generate_saidman  # noqa: E402
from tahator.demo import build_corridor, build_market  # noqa: E402
from tahator.domain.matching import (  # noqa: E402
    _arc_weights,
    _paths_above_start,
    best_rings,
    compatibility,
    enumerate_cycles,
)
from tahator.io.kidney import read_kep  # noqa: E402
from tahator.io.policy import load_policy  # noqa: E402

KIDNEY = ROOT.parent / "shared" / "data" / "kidney"


def greedy(
    vertices: int, tails: np.ndarray, heads: np.ndarray, weights: np.ndarray, cap: int
) -> float:
    """Best ring first: every cycle up to the cap by value, taken while disjoint."""
    weight = dict(
        zip(zip(tails.tolist(), heads.tolist(), strict=True), weights.tolist(), strict=True)
    )
    valued = [
        (sum(weight[a, b] for a, b in zip(cycle, (*cycle[1:], cycle[0]), strict=True)), cycle)
        for cycle in enumerate_cycles(vertices, tails, heads, cap)
    ]
    valued.sort(key=lambda item: -item[0])
    used: set[int] = set()
    total = 0.0
    for value, cycle in valued:
        if used.isdisjoint(cycle):
            used.update(cycle)
            total += value
    return total


def cpsat_cycles(
    vertices: int,
    tails: np.ndarray,
    heads: np.ndarray,
    weights: np.ndarray,
    cap: int,
    limit: float,
    most: int,
) -> dict[str, object]:
    """The peer: the plain cycle formulation on CP-SAT (2 workers, the machine's cores)."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    weigh = _arc_weights(vertices, tails, heads, weights)
    blocks = []
    for k in range(2, cap + 1):
        paths = _paths_above_start(vertices, tails, heads, k - 1)
        blocks.append(paths[weigh.has(paths[:, -1], paths[:, 0])])
    count = sum(b.shape[0] for b in blocks)
    if count > most:
        return {"cycles": count, "skipped": True}
    # CP-SAT wants integer coefficients: real weights scaled to 10^6 (the data's
    # precision), unit weights left as they are.
    integral = bool(np.all(weights == np.round(weights)))
    scale = 1 if integral else 1_000_000
    model = cp_model.CpModel()
    uses: list[list[cp_model.IntVar]] = [[] for _ in range(vertices)]
    terms = []
    for block in blocks:
        values = (
            np.round(weigh.cycle(block) * scale).astype(np.int64).tolist() if block.size else []
        )
        for row, value in zip(block.tolist(), values, strict=True):
            chosen = model.new_bool_var("")
            terms.append(value * chosen)
            for v in row:
                uses[v].append(chosen)
    for used in uses:
        if len(used) > 1:
            model.add_at_most_one(used)
    model.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = max(limit - (time.perf_counter() - started), 1.0)
    status = solver.solve(model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {
        "cycles": count,
        "skipped": False,
        "seconds": time.perf_counter() - started,
        "optimal": status == cp_model.OPTIMAL,
        "objective": solver.objective_value / scale if found else None,
        "bound": solver.best_objective_bound / scale if found else None,
    }


def instances() -> list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, vertices, tails, heads, weights) of every kidney instance measured."""
    out = []
    for path in sorted(KIDNEY.glob("*.input")):
        kep = read_kep(path)
        out.append((f"shared/{path.name}", kep.vertices, kep.tails, kep.heads, kep.weights))
    for name, module in (("saidman", generate_saidman), ("dense", generate_kidney)):
        tails, heads = module.generate(300, seed=1)
        path = ROOT / "var" / "bench" / f"{name}-300.input"
        generate_kidney.write(path, 300, tails, heads)
        out.append((f"{name} 300 (seed 1)", 300, tails, heads, np.ones(tails.size)))
    return out


def state(optimal: bool, objective: float | None, bound: float | None) -> str:
    if optimal:
        return f"optimal {objective:g}"
    if objective is None:
        return f"stopped, no packing, bound {bound}"
    if bound is None or not np.isfinite(bound):
        return f"stopped at {objective:g}, no bound"
    gap = (bound - objective) / bound if bound else 0.0
    return f"stopped at {objective:g}, bound {bound:g}, gap {gap:.1%}"


def kidney(limit: float, caps: list[int], picef: bool, most: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name, vertices, tails, heads, weights in instances():
        for cap in caps:
            ours = best_rings(vertices, tails, heads, weights, cap, time_limit=limit)
            row: dict[str, object] = {
                "instance": name,
                "pairs": vertices,
                "arcs": int(tails.size),
                "cap": cap,
                "tahator_s": ours.seconds,
                "tahator_variables": ours.variables,
                "objective": ours.objective,
                "bound": ours.bound,
                "optimal": ours.optimal,
            }
            line = (
                f"{name}, {tails.size} arcs, cap {cap}: Tahator {ours.seconds:.2f} s "
                f"({ours.variables} binaries, {state(ours.optimal, ours.objective, ours.bound)})"
            )
            if picef and cap <= 3:  # beyond, Tahator's default already is PIEF
                other = best_rings(
                    vertices, tails, heads, weights, cap, time_limit=limit, formulation="picef"
                )
                row |= {"picef_s": other.seconds, "picef_optimal": other.optimal}
                line += (
                    f"; PIEF {other.seconds:.2f} s ({other.variables} binaries, "
                    f"{state(other.optimal, other.objective, other.bound)})"
                )
            peer = cpsat_cycles(vertices, tails, heads, weights, cap, limit, most)
            row["peer"] = peer
            if peer["skipped"]:
                line += f"; CP-SAT cycle formulation not built ({peer['cycles']} cycles)"
            else:
                ratio = ours.seconds / float(peer["seconds"])  # type: ignore[arg-type]
                row["ratio"] = ratio
                line += (
                    f"; CP-SAT cycle formulation {peer['seconds']:.2f} s ({peer['cycles']} "
                    f"cycles, {state(bool(peer['optimal']), peer['objective'], peer['bound'])})"  # type: ignore[arg-type]
                    f": {ratio:.2f} of its time"
                )
            print(line, flush=True)
            rows.append(row)
    return rows


def market(offers: int) -> dict[str, object]:
    firms, _ = build_corridor(2025)
    rows = build_market(firms, offers)
    country = {firm.id: firm.country for firm in firms}
    items = [SimpleNamespace(**row) for row in rows]
    values = [round(Decimal(row["value"]) * 100) for row in rows]
    policy = load_policy()
    rules = policy.rules_on(date.today())
    tails, heads = compatibility(items, country, values, policy, rules, rules.tolerance)  # type: ignore[arg-type]
    weights = np.array([values[t] for t in tails.tolist()], dtype=np.float64)
    exact = best_rings(len(rows), tails, heads, weights, 3)
    baseline = greedy(len(rows), tails, heads, weights, 3)
    more = exact.objective / baseline - 1
    print(
        f"market of {offers} offers, {tails.size} compatible pairs, cap 3: "
        f"{'proven optimal' if exact.optimal else 'NOT proven'} in {exact.seconds:.2f} s "
        f"(target < 10 s), {len(exact.cycles)} rings worth {exact.objective / 100:,.2f} USD; "
        f"greedy best-ring-first {baseline / 100:,.2f} USD: exact trades {more:.1%} more"
    )
    return {
        "offers": offers,
        "arcs": int(tails.size),
        "seconds": exact.seconds,
        "optimal": exact.optimal,
        "exact": exact.objective / 100,
        "greedy": baseline / 100,
        "more": more,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=300, help="seconds per solve")
    parser.add_argument("--skip-cap4", action="store_true")
    parser.add_argument("--no-picef", action="store_true", help="leave out the PIEF column")
    parser.add_argument(
        "--peer-max-cycles",
        type=int,
        default=4_000_000,
        help="build the CP-SAT peer only up to this many cycles (its model grows with them)",
    )
    parser.add_argument("--no-market", action="store_true", help="leave out the market")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="for make benchmark: 60 s per solve, the peer only up to 500,000 cycles, no market",
    )
    args = parser.parse_args()
    if args.quick:
        args.limit, args.peer_max_cycles, args.no_market = 60.0, 500_000, True
    print(f"load average at start: {os.getloadavg()}", flush=True)
    # Warm up: the first solve pays SciPy's and OR-Tools' imports, not the instance.
    two = np.array([0, 1])
    best_rings(2, two, two[::-1], np.ones(2), 2)
    best_rings(2, two, two[::-1], np.ones(2), 2, formulation="picef")
    cpsat_cycles(2, two, two[::-1], np.ones(2), 2, 10, 10)
    results = {
        "kidney": kidney(
            args.limit, [3] if args.skip_cap4 else [3, 4], not args.no_picef, args.peer_max_cycles
        ),
        "market": None if args.no_market else market(2000),
        "load_average_at_end": os.getloadavg(),
    }
    out = ROOT / "var" / "bench" / "matching.json"
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
