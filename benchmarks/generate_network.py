"""A seeded generator of trade-credit networks shaped like the mtcsPy synthetic ones.

``../shared/data/mtcs/synthetic_network_01.csv`` (Bottazzi, Ngo, Tsutsumi, 2024) has
about 0.29 firms per obligation, a heavy-tailed out-degree (median 2, max ~400), a
heavier in-degree (two firms in three are never a creditor; max ~5,000), no repeated
debtor-creditor pair, and log-normal amounts (median ~26,000, 90th percentile
~550,000).  This generator reproduces those marginals so that benchmarks can run on
networks of any size; about 13 % of its arcs fall inside strongly connected
components (27 % in the reference).

    python benchmarks/generate_network.py 285000 -o var/bench/network-285k.csv --seed 1 [--crlf]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def generate(obligations: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Debtor, creditor and amount columns (int64) of a network with ``obligations`` rows."""
    rng = np.random.default_rng(seed)
    firms = max(3, round(obligations * 0.288))
    # Zipf-like weights over a random order of firms; creditors are a third of firms.
    out_weight = rng.permutation(1.0 / np.arange(1, firms + 1) ** 0.6)
    creditor_pool = rng.choice(firms, size=max(2, firms // 3), replace=False)
    in_rank = 1.0 / np.arange(1, creditor_pool.size + 1) ** 0.9
    in_weight = np.zeros(firms)
    in_weight[creditor_pool] = rng.permutation(in_rank)
    out_p = out_weight / out_weight.sum()
    in_p = in_weight / in_weight.sum()

    debtors = np.empty(0, dtype=np.int64)
    creditors = np.empty(0, dtype=np.int64)
    while debtors.size < obligations:
        want = int((obligations - debtors.size) * 1.3) + 16
        d = rng.choice(firms, size=want, p=out_p)
        c = rng.choice(firms, size=want, p=in_p)
        keep = d != c
        debtors = np.concatenate([debtors, d[keep]])
        creditors = np.concatenate([creditors, c[keep]])
        # One obligation per ordered pair, in order of first appearance.
        _, first = np.unique(debtors * firms + creditors, return_index=True)
        first.sort()
        debtors, creditors = debtors[first], creditors[first]
    debtors, creditors = debtors[:obligations], creditors[:obligations]
    amounts = np.maximum(100, np.round(rng.lognormal(np.log(26_000), 2.37, obligations)))
    amounts = np.minimum(amounts, 1e9).astype(np.int64)
    order = np.lexsort((creditors, debtors))
    return debtors[order], creditors[order], amounts[order]


def write_csv(
    path: Path,
    debtors: np.ndarray,
    creditors: np.ndarray,
    amounts: np.ndarray,
    line_end: str = "\n",
) -> None:
    """The network as ``debtor,creditor,amount``; ``line_end="\r\n"`` writes it as the
    published mtcs files are written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = np.column_stack([debtors, creditors, amounts])
    np.savetxt(
        path,
        rows,
        fmt="%d",
        delimiter=",",
        newline=line_end,
        header="debtor,creditor,amount",
        comments="",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("obligations", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crlf", action="store_true", help="CRLF line ends, as the mtcs files")
    args = parser.parse_args()
    line_end = "\r\n" if args.crlf else "\n"
    write_csv(args.output, *generate(args.obligations, args.seed), line_end=line_end)


if __name__ == "__main__":
    main()
