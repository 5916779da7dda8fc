"""Store benchmark: import throughput and a persisted clearing run against ``tahator clear``.

On the shape of ``../shared/data/mtcs/synthetic_network_01.csv`` (100,471
obligations; firms generated for it by ``corridor_files.py``), for SQLite and,
when a server answers, PostgreSQL:

1. ``tahator obligations import``: obligations per second, whole process (target
   at least 20,000 on SQLite).
2. ``tahator clearing run`` against the stateless ``tahator clear`` on the same
   obligations file: medians of 3 whole-process runs, each run on a fresh copy of
   the imported database (target: at most 5x), and the same amount cleared.

    .venv/bin/python benchmarks/bench_store.py [--network FILE] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TAHATOR = str(ROOT / ".venv" / "bin" / "tahator")
NETWORK = ROOT.parent / "shared" / "data" / "mtcs" / "synthetic_network_01.csv"
POSTGRES = os.environ.get(
    "TAHATOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

sys.path.insert(0, str(HERE))
from corridor_files import write_corridor  # noqa: E402


def tahator(url: str, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [TAHATOR, "--db", url, *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"tahator {' '.join(args)} failed: {done.stderr}")
    return seconds, done.stdout


def postgres_database() -> tuple[str, object] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"tahator_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False), admin


def drop(url: str, admin: object) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    with admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def measure(url: str, firms: Path, obligations: Path, rows: int) -> dict[str, float]:
    tahator(url, "db", "upgrade")
    tahator(url, "firms", "import", str(firms))
    seconds, _ = tahator(url, "obligations", "import", str(obligations))
    return {"import_s": seconds, "per_second": rows / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", type=Path, default=NETWORK)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "store")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    firms, obligations = write_corridor(args.network, args.work)
    rows = sum(1 for _ in obligations.open()) - 1
    results: dict[str, object] = {"obligations": rows}

    base = args.work / "imported.db"
    sqlite = measure(f"sqlite:///{base}", firms, obligations, rows)
    print(
        f"SQLite import: {rows:,} obligations in {sqlite['import_s']:.2f} s = "
        f"{sqlite['per_second']:,.0f}/s (target >= 20,000/s)"
    )
    results["sqlite_import"] = sqlite

    runs, clears, cleared = [], [], set()
    for number in range(args.runs):
        copy = args.work / f"run-{number}.db"
        shutil.copy(base, copy)
        seconds, out = tahator(f"sqlite:///{copy}", "clearing", "run", "--json")
        runs.append(seconds)
        cleared.add(json.loads(out)["cleared"])
        seconds, out = tahator(f"sqlite:///{copy}", "clear", str(obligations), "--json")
        clears.append(seconds)
        cleared.add(json.loads(out)["cleared"])
    if len(cleared) != 1:
        raise SystemExit(f"the persisted and stateless runs disagree: {cleared}")
    run, clear = statistics.median(runs), statistics.median(clears)
    print(
        f"SQLite clearing run {run:.2f} s vs tahator clear {clear:.2f} s: "
        f"{run / clear:.1f}x (target <= 5x); both cleared {cleared.pop()}"
    )
    results["sqlite_run"] = {"run_s": run, "clear_s": clear, "ratio": run / clear}

    database = postgres_database()
    if database is None:
        print(f"PostgreSQL: no server at {POSTGRES}; skipped")
    else:
        url, admin = database
        try:
            pg = measure(url, firms, obligations, rows)
            print(f"PostgreSQL import: {pg['import_s']:.2f} s = {pg['per_second']:,.0f}/s")
            seconds, out = tahator(url, "clearing", "run", "--json")
            print(f"PostgreSQL clearing run {seconds:.2f} s: {seconds / clear:.1f}x tahator clear")
            pg["run_s"], pg["ratio"] = seconds, seconds / clear
            results["postgresql"] = pg
        finally:
            drop(url, admin)
    (args.work.parent / "store.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
