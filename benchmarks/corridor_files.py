"""Turn an mtcs network (debtor,creditor,amount) into a corridor's import files.

Firms are generated for the network's nodes: even numbers Pakistani, odd Iranian,
each with a valid tax id; amounts are read as US cents.  Used by the store
benchmark; also handy to load any mtcs-format network into a clearing house:

    python benchmarks/corridor_files.py NETWORK.csv OUT_FOLDER
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from tahator.demo import tax_id
from tahator.io.tables import write_csv_atomically


def write_corridor(network: Path, folder: Path) -> tuple[Path, Path]:
    rows = np.loadtxt(network, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    debtors, creditors, amounts = rows[:, 0].tolist(), rows[:, 1].tolist(), rows[:, 2].tolist()
    nodes = sorted(set(debtors) | set(creditors))
    country = {n: "PK" if n % 2 == 0 else "IR" for n in nodes}
    firms_path, obligations_path = folder / "firms.csv", folder / "obligations.csv"
    write_csv_atomically(
        firms_path,
        ("id", "name", "country", "tax_id"),
        [
            [f"F{n}" for n in nodes],
            [f"Firm {n}" for n in nodes],
            [country[n] for n in nodes],
            [tax_id(country[n], n) for n in nodes],
        ],
    )
    start = date(2026, 1, 1)
    write_csv_atomically(
        obligations_path,
        ("id", "debtor", "creditor", "amount", "currency", "due_date"),
        [
            [f"O{i}" for i in range(len(amounts))],
            [f"F{d}" for d in debtors],
            [f"F{c}" for c in creditors],
            [f"{a // 100}.{a % 100:02d}" for a in amounts],
            ["USD"] * len(amounts),
            [(start + timedelta(days=i % 300)).isoformat() for i in range(len(amounts))],
        ],
    )
    return firms_path, obligations_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", type=Path)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    write_corridor(args.network, args.folder)


if __name__ == "__main__":
    main()
