"""A second generator of obligation networks, written from a published model rather
than fitted to the project's reference network: directed preferential attachment.

The graph follows B. Bollobás, C. Borgs, J. Chayes and O. Riordan, "Directed
scale-free graphs", Proc. 14th ACM-SIAM Symposium on Discrete Algorithms (SODA
2003), pp. 132–139.  Starting from one arc, each step adds one arc:

- with probability α, a new firm v and an arc v → w to an existing firm w;
- with probability β, an arc v → w between existing firms;
- with probability γ = 1 − α − β, a new firm w and an arc v → w from an existing v;

where an existing w is chosen with probability proportional to d_in(w) + δ_in and an
existing v proportional to d_out(v) + δ_out.  Read an arc v → w as "v owes w" (a
buyer's debt to its supplier).  The defaults α = 0.41, β = 0.54, γ = 0.05,
δ_in = 0.2, δ_out = 0 are the ones NetworkX's ``scale_free_graph`` uses for this
model; they give in- and out-degree tails of exponent about 2.1 and 2.7.

The model makes self-loops and repeated pairs; a firm cannot owe itself and the
mtcs networks hold one obligation per ordered pair, so both are dropped (steps run
until the network has the obligations asked for).  Amounts are log-normal
(μ = ln 20,000, σ = 2 by default: a common model of invoice sizes, not fitted to any
file), rounded to whole units and at least 1.  Firm numbers are shuffled, rows are
written in the order the arcs were made, with CRLF line ends as in the published
mtcs files.

    python benchmarks/generate_network_ba.py 285000 -o var/bench/ba-285k.csv --seed 1
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from generate_network import write_csv


def generate(
    obligations: int,
    seed: int = 1,
    alpha: float = 0.41,
    beta: float = 0.54,
    delta_in: float = 0.2,
    delta_out: float = 0.0,
    median: float = 20_000.0,
    sigma: float = 2.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Debtor, creditor and amount columns (int64) with ``obligations`` rows."""
    rng = random.Random(seed)
    # Preferential choice as in the paper's proof: a uniformly random arc's head is a
    # firm drawn in proportion to its in-degree; a uniformly random firm covers δ.
    tails, heads = [0], [1]
    firms = 2
    pairs = {(0, 1)}
    while len(pairs) < obligations:
        arcs = len(tails)
        step = rng.random()
        if step < alpha:
            v, w = firms, _pick(rng, heads, arcs, firms, delta_in)
            firms += 1
        elif step < alpha + beta:
            v = _pick(rng, tails, arcs, firms, delta_out)
            w = _pick(rng, heads, arcs, firms, delta_in)
        else:
            v, w = _pick(rng, tails, arcs, firms, delta_out), firms
            firms += 1
        tails.append(v)
        heads.append(w)
        if v != w and (v, w) not in pairs:
            pairs.add((v, w))
    seen: set[tuple[int, int]] = set()
    debtors, creditors = [], []
    for v, w in zip(tails, heads, strict=True):
        if v != w and (v, w) not in seen:
            seen.add((v, w))
            debtors.append(v)
            creditors.append(w)
    numbers = np.random.default_rng(seed).permutation(firms)
    amounts = np.random.default_rng(seed + 1).lognormal(np.log(median), sigma, len(debtors))
    return (
        numbers[np.array(debtors, dtype=np.int64)],
        numbers[np.array(creditors, dtype=np.int64)],
        np.maximum(1, np.round(np.minimum(amounts, 1e12))).astype(np.int64),
    )


def _pick(rng: random.Random, ends: list[int], arcs: int, firms: int, delta: float) -> int:
    """A firm drawn with probability (degree + δ) / (arcs + δ · firms)."""
    if rng.random() * (arcs + delta * firms) < arcs:
        return ends[rng.randrange(arcs)]
    return rng.randrange(firms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("obligations", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--alpha", type=float, default=0.41, help="new debtor's share of steps")
    parser.add_argument("--beta", type=float, default=0.54, help="arcs between existing firms")
    parser.add_argument("--delta-in", type=float, default=0.2)
    parser.add_argument("--delta-out", type=float, default=0.0)
    args = parser.parse_args()
    columns = generate(
        args.obligations,
        args.seed,
        alpha=args.alpha,
        beta=args.beta,
        delta_in=args.delta_in,
        delta_out=args.delta_out,
    )
    write_csv(args.output, *columns, line_end="\r\n")  # as the published mtcs files


if __name__ == "__main__":
    main()
