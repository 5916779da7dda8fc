"""Set-off benchmark: one table of whole-process times against the bare script.

For each network, the whole ``tahator clear FILE -o OUT --json`` process against
``bare_ortools.py FILE`` (NumPy ``loadtxt`` + OR-Tools min-cost flow on the whole
graph, no output file), run alternately in the same run: medians, their ratio, peak
memory of each, and whether both found the same set-off.  Networks:

- ``network 01``: ``../shared/data/mtcs/synthetic_network_01.csv``, published with
  mtcsPy (Bottazzi, Ngo, Tsutsumi 2024); its set-off must equal the reference result
  of ``../shared/data/README.md``;
- ``gen N``: ``generate_network.py`` (seed 1), shaped like network 01, written with
  CRLF line ends as the published files are;
- with ``--full``, also 500,000 and 1,000,000 generated obligations and two networks
  of ``generate_network_ba.py`` (Bollobás et al.'s directed preferential attachment,
  written from the paper): its defaults, and a denser setting whose arcs lie mostly
  on cycles (as in the public 285,000-obligation network of issue 24).

Then the solve alone against NetworkX ``min_cost_flow`` (mtcsPy's method) on
network 01, same graph, same process.  Results go to ``var/bench/clear.json``.

    .venv/bin/python benchmarks/bench_clear.py [--full] [--runs 5] [--networks NAME ...]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = ROOT.parent / "shared" / "data" / "mtcs" / "synthetic_network_01.csv"
REFERENCE_TOTAL = 61_202_827_278
REFERENCE_SETOFF = 535_494_678
TAHATOR = ROOT / ".venv" / "bin" / "tahator"


@dataclass(frozen=True)
class Network:
    name: str
    source: str
    make: Callable[[Path], None] | None
    """Writes the file; ``None`` for a published file."""
    path: Path


@dataclass(frozen=True)
class Row:
    name: str
    source: str
    obligations: int
    firms: int
    on_cycles: float
    total: int
    tahator_s: float
    bare_s: float
    ratio: float
    tahator_peak_mib: float
    bare_peak_mib: float
    setoff: int
    same_setoff: bool
    tahator_runs: list[float]
    bare_runs: list[float]


def networks(work: Path, full: bool) -> list[Network]:
    # Each file is written by its generator in a process of its own: a child process
    # counts its parent's memory at the fork in its peak, so this one stays small.
    def generated(size: int) -> Network:
        def make(target: Path) -> None:
            script = str(HERE / "generate_network.py")
            command = [sys.executable, script, str(size), "-o", str(target), "--crlf"]
            subprocess.run(command, check=True)

        path = work / f"network-{size}-crlf.csv"
        return Network(f"gen {size // 1000}k", "generate_network.py seed 1 (CRLF)", make, path)

    def preferential(size: int, dense: bool) -> Network:
        settings = ["--alpha", "0.2", "--beta", "0.75", "--delta-in", "1", "--delta-out", "1"]
        label = "α .2 β .75 δ 1" if dense else "the paper's defaults"

        def make(target: Path) -> None:
            script = str(HERE / "generate_network_ba.py")
            command = [sys.executable, script, str(size), "-o", str(target)]
            subprocess.run(command + (settings if dense else []), check=True)

        name = f"BA {size // 1000}k" + (" dense" if dense else "")
        path = work / f"ba-{size}{'-dense' if dense else ''}.csv"
        return Network(name, f"generate_network_ba.py seed 1, {label}", make, path)

    chosen = [
        Network("network 01", "mtcsPy synthetic_network_01.csv, shared/data", None, REFERENCE),
        generated(100_000),
        generated(285_000),
    ]
    if full:
        chosen += [
            generated(500_000),
            generated(1_000_000),
            preferential(285_000, dense=False),
            preferential(285_000, dense=True),
        ]
    return chosen


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


def measure(network: Network, work: Path, runs: int) -> Row:
    if network.make is not None and not network.path.exists():
        network.make(network.path)
    ours_cmd = [str(TAHATOR), "clear", str(network.path), "-o", str(work / "setoffs.csv")]
    ours_cmd.append("--json")
    bare_cmd = [sys.executable, str(HERE / "bare_ortools.py"), str(network.path)]
    run(ours_cmd), run(bare_cmd)  # warm the page cache
    ours, bare = [], []
    for turn in range(runs):  # alternate which goes first, so drift hits both alike
        pair = [(ours, ours_cmd), (bare, bare_cmd)]
        for results, command in pair if turn % 2 == 0 else pair[::-1]:
            results.append(run(command))
    summaries = [json.loads(out) for _, _, out in ours]
    setoffs = {int(s["cleared"]) for s in summaries} | {int(out) for _, _, out in bare}
    summary = summaries[0]
    ours_s = statistics.median(r[0] for r in ours)
    bare_s = statistics.median(r[0] for r in bare)
    return Row(
        name=network.name,
        source=network.source,
        obligations=summary["obligations"],
        firms=summary["firms"],
        on_cycles=summary["pairs_on_cycles"] / summary["pairs"],
        total=int(summary["total"]),
        tahator_s=ours_s,
        bare_s=bare_s,
        ratio=ours_s / bare_s,
        tahator_peak_mib=max(r[1] for r in ours) / 2**20,
        bare_peak_mib=max(r[1] for r in bare) / 2**20,
        setoff=int(summary["cleared"]),
        same_setoff=len(setoffs) == 1,
        tahator_runs=[round(r[0], 4) for r in ours],
        bare_runs=[round(r[0], 4) for r in bare],
    )


def print_table(rows: list[Row], runs: int) -> None:
    print(
        f"\nWhole process, medians of {runs} alternating runs; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    header = (
        f"{'network':<16} {'obligations':>11} {'firms':>8} {'cycles':>6} "
        f"{'tahator s':>9} {'bare s':>7} {'ratio':>5} {'peak MiB':>11} {'same':>4}  source"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.name:<16} {r.obligations:>11,} {r.firms:>8,} {r.on_cycles:>6.0%} "
            f"{r.tahator_s:>9.3f} {r.bare_s:>7.3f} {r.ratio:>5.2f} "
            f"{r.tahator_peak_mib:>5.0f}/{r.bare_peak_mib:<5.0f} "
            f"{'yes' if r.same_setoff else 'NO':>4}  {r.source}"
        )
    print("(cycles: share of debtor-creditor pairs on a cycle; peak MiB: tahator/bare)")


def check_reference(row: Row) -> dict[str, object]:
    ok = row.total == REFERENCE_TOTAL and row.setoff == REFERENCE_SETOFF
    print(
        f"reference network: total {row.total:,}, set-off {row.setoff:,} "
        f"({'equals' if ok else 'DIFFERS FROM'} the reference {REFERENCE_SETOFF:,})"
    )
    return {"total": row.total, "cleared": row.setoff, "equal": ok}


def against_networkx() -> dict[str, float]:
    import networkx as nx
    import numpy as np

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add 500k, 1M and the BA networks")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--networks", nargs="*", help="only these (by name, e.g. 'gen 100k')")
    parser.add_argument("--no-networkx", action="store_true", help="skip the NetworkX solve")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # Measure what an installed tahator runs: with PYTHONDONTWRITEBYTECODE set, a source
    # edited since `make install` would otherwise be compiled again in every process.
    compileall.compile_dir(ROOT / "src", quiet=1)
    chosen = networks(args.work, args.full or bool(args.networks))
    if args.networks:
        chosen = [n for n in chosen if n.name in args.networks]
    if not REFERENCE.exists():
        print(f"{REFERENCE} is absent: network 01 left out")
        chosen = [n for n in chosen if n.make is not None]
    rows = [measure(network, args.work, args.runs) for network in chosen]
    print_table(rows, args.runs)
    results: dict[str, object] = {
        "load_average": os.getloadavg(),
        "runs": args.runs,
        "networks": [asdict(row) for row in rows],
    }
    reference = [row for row in rows if row.name == "network 01"]
    if reference:
        results["reference"] = check_reference(reference[0])
    if not args.no_networkx and REFERENCE.exists():
        results["networkx"] = against_networkx()
    (args.work / "clear.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    failed = [row.name for row in rows if not row.same_setoff]
    if failed or (reference and not results["reference"]["equal"]):  # type: ignore[index]
        raise SystemExit(f"set-offs differ: {failed or 'the reference network'}")


if __name__ == "__main__":
    main()
