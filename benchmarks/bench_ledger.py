"""Ledger write rate against pgbench, on the same PostgreSQL server, in one run.

Each round runs, one after the other in this process:

(a) pgbench: ``pgbench -i -s 10`` into a scratch database, then
    ``pgbench -c 10 -j 2 -T SECONDS`` (TPC-B-like transactions a second);
(b) Tahator: ``tahator serve --workers 2`` on a fresh scratch database with a corridor
    and 200 firms (``bench_api_load``'s setup), then 10 clients (pgbench's
    concurrency) posting batches of 20 obligations (``POST /api/v1/obligations/batch``
    with an Idempotency-Key) back to back for SECONDS: journal lines written a second,
    counted in the database before and after;
(c) the same with readers alongside (``GET /api/v1/obligations?limit=50``; the soak's
    shape: as many readers as posters, one post in ten retried with its key).

Rounds alternate pgbench and Tahator, so both see the same machine.  Afterwards every
posted batch must be stored exactly once and ``tahator ledger verify`` and ``tahator
audit verify`` must pass.  The target: journal lines a second at least 0.5 of
pgbench's transactions a second.

    .venv/bin/python benchmarks/bench_ledger.py [--seconds 20] [--rounds 1] \
        [--json var/bench/ledger.json]

Not part of ``make test``.  The data: 200 generated firms (half PK, half IR) and 1,000
generated obligations stored first (``bench_api_load.prepare``, seeded), batches drawn
from a seeded generator.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api_load import (  # the shared helpers, beside this file
    Server,
    drive,
    figures,
    journal_lines,
    pgbench_rate,
    postgres_database,
    prepare,
    stored_counts,
    tahator,
)

TARGET = 0.5
"""Journal lines a second per pgbench transaction a second."""


def tahator_rates(work: Path, seconds: float, posters: int, readers: int) -> dict[str, Any]:
    """Posters alone, then posters with readers, on one fresh database and server."""
    url, drop = postgres_database()
    try:
        token = prepare(url, work)
        server = Server(url, work / "serve.log")
        posted: set[str] = set()
        phases: dict[str, Any] = {}
        try:
            shapes = {
                "write": (["post"] * posters, 0.0),
                "with_readers": (["post"] * posters + ["read"] * readers, 0.1),
            }
            for name, (roles, retry_share) in shapes.items():
                before = journal_lines(url)
                tally, elapsed = drive(server.port, token, roles, seconds, 10**9, retry_share)
                written = journal_lines(url) - before
                load = figures(tally, elapsed)
                posted |= tally.posted
                phases[name] = {
                    "clients": {"post": posters, "read": len(roles) - posters},
                    "seconds": round(elapsed, 1),
                    "journal_lines": written,
                    "journal_lines_per_second": round(written / elapsed, 1),
                    "batch_transactions_per_second": load.get("post", {}).get("per_second", 0),
                    "load": load,
                }
                print("tahator", name, json.dumps(phases[name]), flush=True)
        finally:
            server.stop()
        counts = stored_counts(url, posted)
        phases["checks"] = {
            "counts": counts,
            "every_batch_stored_once": counts["batches_missing_or_partial"] == 0,
            "ledger_verify": tahator(url, "ledger", "verify").returncode == 0,
            "audit_verify": tahator(url, "audit", "verify").returncode == 0,
        }
        print("tahator checks", json.dumps(phases["checks"]), flush=True)
        return phases
    finally:
        drop()


def ratios(pgbench: dict[str, Any], rates: dict[str, Any]) -> dict[str, Any]:
    tps = pgbench.get("tps")
    if not tps:
        return {}
    out: dict[str, Any] = {}
    for name in ("write", "with_readers"):
        lines = rates[name]["journal_lines_per_second"]
        out[name] = {
            "journal_lines_per_s_over_pgbench_tps": round(lines / tps, 3),
            "batch_tx_per_s_over_pgbench_tps": round(
                rates[name]["batch_transactions_per_second"] / tps, 4
            ),
            "meets_target": lines / tps >= TARGET,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="of pgbench and each phase")
    parser.add_argument("--clients", type=int, default=10, help="posters (pgbench's -c)")
    parser.add_argument("--readers", type=int, default=10, help="readers beside them in (c)")
    parser.add_argument("--rounds", type=int, default=1, help="pgbench then Tahator, repeated")
    parser.add_argument("--json", type=Path, default=Path("var/bench/ledger.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()},
        "data": "generated: 200 firms, 1,000 obligations stored first (bench_api_load.prepare)",
        "target": f"journal lines/s >= {TARGET} x pgbench tps",
        "rounds": [],
    }
    with tempfile.TemporaryDirectory(prefix="tahator-ledger-") as folder:
        for n in range(args.rounds):
            bench = pgbench_rate(args.seconds)
            print("pgbench", json.dumps(bench), flush=True)
            work = Path(folder) / f"round{n}"
            work.mkdir()
            rates = tahator_rates(work, args.seconds, args.clients, args.readers)
            round_ = {
                "pgbench": bench,
                "tahator": rates,
                "ratio": ratios(bench, rates),
                "load_after": os.getloadavg(),
            }
            results["rounds"].append(round_)
            tps = bench.get("tps") or 0.0
            for name in ("write", "with_readers"):
                lines = rates[name]["journal_lines_per_second"]
                print(
                    f"round {n + 1} {name:>12}: pgbench {tps:,.0f} tps | Tahator "
                    f"{lines:,.0f} journal lines/s, "
                    f"{rates[name]['batch_transactions_per_second']:.1f} batch tx/s | "
                    f"ratio {lines / tps if tps else 0:.3f} (target {TARGET})",
                    flush=True,
                )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    checks = [r["tahator"]["checks"] for r in results["rounds"]]
    ok = all(
        c["every_batch_stored_once"] and c["ledger_verify"] and c["audit_verify"] for c in checks
    )
    print("checks:", "pass" if ok else "FAIL", "| written to", args.json)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
