"""Set-off benchmark: exactness on the reference network, speed against peers.

1. ``../shared/data/mtcs/synthetic_network_01.csv``: ``tahator clear`` must give the
   reference result of ``../shared/data/README.md``.
2. Solve time of Tahator's set-off against NetworkX ``min_cost_flow`` (the method of
   the reference Python implementation, mtcsPy) on the same graph, same process.
3. The whole ``tahator clear`` process (CSV in, CSV out) on a generated network of
   285,000 obligations against ``bare_ortools.py`` (NumPy ``loadtxt`` + OR-Tools
   on the whole graph): medians of 5 runs, alternating, and peak memory.

    .venv/bin/python benchmarks/bench_clear.py [--obligations 285000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = ROOT.parent / "shared" / "data" / "mtcs" / "synthetic_network_01.csv"
REFERENCE_TOTAL = 61_202_827_278
REFERENCE_SETOFF = 535_494_678
TAHATOR = ROOT / ".venv" / "bin" / "tahator"

sys.path.insert(0, str(HERE))
from generate_network import generate, write_csv  # noqa: E402


def run(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak resident memory (bytes) and stdout of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        err = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed: {err}")
    return seconds, usage.ru_maxrss * 1024, out


def check_reference(work: Path) -> dict[str, object]:
    _, _, out = run([str(TAHATOR), "clear", str(REFERENCE), "-o", str(work / "ref.csv"), "--json"])
    summary = json.loads(out)
    ok = int(summary["total"]) == REFERENCE_TOTAL and int(summary["cleared"]) == REFERENCE_SETOFF
    print(
        f"reference network: total {summary['total']}, set-off {summary['cleared']} "
        f"({'equals' if ok else 'DIFFERS FROM'} the reference {REFERENCE_SETOFF})"
    )
    if not ok:
        raise SystemExit(1)
    return {"total": summary["total"], "cleared": summary["cleared"], "equal": ok}


def against_networkx() -> dict[str, float]:
    import networkx as nx

    from tahator.domain.clearing import max_setoff

    rows = np.loadtxt(REFERENCE, delimiter=",", skiprows=1, dtype=np.int64)
    debtors, creditors, amounts = rows[:, 0], rows[:, 1], rows[:, 2]
    started = time.perf_counter()
    ours = max_setoff(debtors, creditors, amounts)
    tahator_seconds = time.perf_counter() - started

    # mtcsPy's method: the remainder as a min-cost flow on the whole graph.
    graph = nx.DiGraph()
    net = np.zeros(int(max(debtors.max(), creditors.max())) + 1, dtype=np.int64)
    np.add.at(net, debtors, amounts)
    np.add.at(net, creditors, -amounts)
    for firm, supply in enumerate(net.tolist()):
        graph.add_node(firm, demand=-supply)
    for d, c, a in zip(debtors.tolist(), creditors.tolist(), amounts.tolist(), strict=True):
        graph.add_edge(d, c, capacity=a, weight=1)
    started = time.perf_counter()
    flow = nx.min_cost_flow(graph)
    networkx_seconds = time.perf_counter() - started
    remainder = sum(sum(targets.values()) for targets in flow.values())
    if int(amounts.sum()) - remainder != ours.cleared:
        raise SystemExit(f"NetworkX set-off {int(amounts.sum()) - remainder} != {ours.cleared}")
    ratio = networkx_seconds / tahator_seconds
    print(
        f"solve on the reference network: Tahator {tahator_seconds:.3f} s, "
        f"NetworkX min_cost_flow {networkx_seconds:.2f} s: {ratio:.0f}x faster (target >= 50x)"
    )
    return {"tahator_s": tahator_seconds, "networkx_s": networkx_seconds, "ratio": ratio}


def whole_process(work: Path, obligations: int, runs: int) -> dict[str, float]:
    network = work / f"network-{obligations}.csv"
    if not network.exists():
        write_csv(network, *generate(obligations, seed=1))
    ours_cmd = [str(TAHATOR), "clear", str(network), "-o", str(work / "setoffs.csv"), "--json"]
    bare_cmd = [sys.executable, str(HERE / "bare_ortools.py"), str(network)]
    run(ours_cmd), run(bare_cmd)  # warm the page cache
    ours, bare = [], []
    for _ in range(runs):
        ours.append(run(ours_cmd))
        bare.append(run(bare_cmd))
    if int(json.loads(ours[0][2])["cleared"]) != int(bare[0][2]):
        raise SystemExit("tahator clear and the bare script disagree")
    ours_s = statistics.median(r[0] for r in ours)
    bare_s = statistics.median(r[0] for r in bare)
    peak = max(r[1] for r in ours)
    print(
        f"whole process, {obligations:,} obligations: tahator clear {ours_s:.3f} s, bare "
        f"NumPy + OR-Tools script {bare_s:.3f} s: ratio {ours_s / bare_s:.2f} (target <= 1.0); "
        f"peak memory {peak / 2**20:.0f} MiB (target < 1024)"
    )
    return {
        "tahator_s": ours_s,
        "bare_s": bare_s,
        "ratio": ours_s / bare_s,
        "peak_mib": peak / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=285_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = {
        "reference": check_reference(args.work),
        "networkx": against_networkx(),
        "whole_process": whole_process(args.work, args.obligations, args.runs),
    }
    (args.work / "clear.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
