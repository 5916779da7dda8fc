"""Verification benchmark: ``tahator ledger verify`` on a corridor of 180,000 obligations.

A network of the held-out size from ``generate_network.py`` (seeded), its firms from
``corridor_files.py``, is imported into a fresh SQLite database (and PostgreSQL when
a server answers); then, whole processes, timed: a clearing run (the baseline), the
proof records it writes included; ``ledger verify`` (the replay of every run and the
balance invariants); ``audit verify``.

    .venv/bin/python benchmarks/bench_verify.py [--obligations 180000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_store import drop, postgres_database, tahator  # noqa: E402
from corridor_files import write_corridor  # noqa: E402
from generate_network import generate, write_csv  # noqa: E402


def measure(url: str, firms: Path, obligations: Path) -> dict[str, float]:
    tahator(url, "db", "upgrade")
    tahator(url, "firms", "import", str(firms))
    imported, _ = tahator(url, "obligations", "import", str(obligations))
    run, _ = tahator(url, "clearing", "run", "--json")
    verify, out = tahator(url, "ledger", "verify")
    assert "ledger verified" in out, out
    chain, _ = tahator(url, "audit", "verify")
    return {"import_s": imported, "run_s": run, "verify_s": verify, "audit_verify_s": chain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=180_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "verify")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    network = args.work / "network.csv"
    write_csv(network, *generate(args.obligations, args.seed))
    firms, obligations = write_corridor(network, args.work)
    results: dict[str, object] = {"obligations": args.obligations}

    def report(name: str, m: dict[str, float]) -> None:
        print(
            f"{name}: {args.obligations:,} obligations; clearing run {m['run_s']:.2f} s, "
            f"ledger verify {m['verify_s']:.2f} s ({m['verify_s'] / m['run_s']:.1f}x the run), "
            f"audit verify {m['audit_verify_s']:.2f} s (import {m['import_s']:.2f} s)"
        )

    sqlite = measure(f"sqlite:///{args.work / 'verify.db'}", firms, obligations)
    report("SQLite", sqlite)
    results["sqlite"] = sqlite
    database = None if args.no_postgres else postgres_database()
    if database is None:
        print("PostgreSQL: skipped")
    else:
        url, admin = database
        try:
            pg = measure(url, firms, obligations)
            report("PostgreSQL", pg)
            results["postgresql"] = pg
        finally:
            drop(url, admin)
    (args.work.parent / "verify.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
