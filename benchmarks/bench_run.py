"""Clearing-run benchmark: ``tahator clearing run`` against ``tahator clear``, whole processes.

Two networks, for SQLite and (when a server answers) PostgreSQL:

* ``generated-180k``: 180,000 obligations from ``generate_network.py`` (seed 1), the
  held-out size;
* ``network-01``: ``../shared/data/mtcs/synthetic_network_01.csv`` (100,471 obligations).

Firms for each come from ``corridor_files.py``.  Each network is imported once
(timed, not held to the target); then, ``--runs`` times, alternating: a clearing
run on a fresh copy of the imported database (a file copy for SQLite, ``CREATE
DATABASE … TEMPLATE`` for PostgreSQL) and the stateless ``tahator clear`` of the
same obligations file.  Medians of wall time (and of the child's CPU time, steadier
on a shared machine), the ratio against the target (2x on SQLite, 3x on
PostgreSQL), and that both cleared the same amount.  Beside them, the floor
(``bare_run.py``): the same run's reads and writes by the bare driver on another
fresh copy, in one transaction, with no planning, proof or interpreter, so the
table shows what part of a ratio the rows a run must store already take.  One
table; JSON to ``var/bench/run.json`` (named after ``--work``).

    .venv/bin/python benchmarks/bench_run.py [--runs 3] [--no-postgres] [--only generated-180k]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_store import NETWORK, POSTGRES, TAHATOR  # noqa: E402
from corridor_files import write_corridor  # noqa: E402
from generate_network import generate, write_csv  # noqa: E402

TARGETS = {"sqlite": 2.0, "postgresql": 3.0}


@dataclass(frozen=True)
class Row:
    network: str
    source: str
    obligations: int
    database: str
    import_s: float
    run_s: float
    clear_s: float
    ratio: float
    run_cpu_s: float
    clear_cpu_s: float
    cpu_ratio: float
    target: float
    met: bool
    cleared: str
    before_s: float | None = None
    """The run with ``--before``'s code, alternating with this code's (None: not asked)."""
    before_cpu_s: float | None = None
    floor_s: float = 0.0
    """``bare_run.py``: the run's own reads and writes by the bare driver, timed in process."""


def timed(*args: str, source: Path | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system) of one whole ``tahator`` process, and its
    output; ``source``: a ``src`` folder of other code to run instead (``PYTHONPATH``)."""
    env = None if source is None else {**os.environ, "PYTHONPATH": str(source)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([TAHATOR, *args], capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"tahator {' '.join(args)} failed: {done.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def import_into(url: str, firms: Path, obligations: Path) -> float:
    timed("--db", url, "db", "upgrade")
    timed("--db", url, "firms", "import", str(firms))
    seconds, _, _ = timed("--db", url, "obligations", "import", str(obligations))
    return seconds


@contextmanager
def sqlite_copies(work: Path) -> Iterator[tuple[str, Callable[[int], str]]]:
    base = work / "imported.db"

    def fresh(number: int) -> str:
        # The import left its last pages in the write-ahead log (the CLI exits without
        # closing): fold them into the file, or the copy could lack them.
        with closing(sqlite3.connect(base)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        copy = work / f"run-{number}.db"
        shutil.copy(base, copy)
        return f"sqlite:///{copy}"

    yield f"sqlite:///{base}", fresh


@contextmanager
def postgres_copies() -> Iterator[tuple[str, Callable[[int], str]] | None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    prefix = f"tahator_run_{uuid.uuid4().hex[:8]}"
    made: list[str] = []

    def create(name: str, template: str | None = None) -> str:
        with admin.connect() as connection:
            clause = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        made.append(name)
        return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)

    try:
        base = create(prefix)
    except OperationalError:
        yield None
        return
    try:
        yield base, lambda number: create(f"{prefix}_{number}", template=prefix)
    finally:
        with admin.connect() as connection:
            for name in reversed(made):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(
    name: str,
    source: str,
    database: str,
    copies: tuple[str, Callable[[int], str]],
    files: tuple[Path, Path],
    runs: int,
    before: Path | None,
) -> Row:
    firms, obligations = files
    count = sum(1 for _ in obligations.open()) - 1
    base, fresh = copies
    imported = import_into(base, firms, obligations)
    run_wall, run_cpu, clear_wall, clear_cpu, cleared = [], [], [], [], set()
    before_wall, before_cpu, floor = [], [], []
    for number in range(runs):
        if before is not None:
            wall, cpu, out = timed(
                "--db", fresh(100 + number), "clearing", "run", "--json", source=before
            )
            before_wall.append(wall)
            before_cpu.append(cpu)
            cleared.add(json.loads(out)["cleared"])
        url = fresh(number)
        wall, cpu, out = timed("--db", url, "clearing", "run", "--json")
        run_wall.append(wall)
        run_cpu.append(cpu)
        cleared.add(json.loads(out)["cleared"])
        bare = [sys.executable, str(HERE / "bare_run.py"), url, fresh(200 + number)]
        done = subprocess.run(bare, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"bare_run.py failed: {done.stderr}")
        floor.append(float(done.stdout))
        # As a user runs it: no database, so the quick path without Typer.
        wall, cpu, out = timed("clear", str(obligations), "--json")
        clear_wall.append(wall)
        clear_cpu.append(cpu)
        cleared.add(json.loads(out)["cleared"])
    if len(cleared) != 1:
        raise SystemExit(f"{name} on {database}: the run and tahator clear disagree: {cleared}")
    run, clear = statistics.median(run_wall), statistics.median(clear_wall)
    cpu_run, cpu_clear = statistics.median(run_cpu), statistics.median(clear_cpu)
    target = TARGETS[database]
    return Row(
        name,
        source,
        count,
        database,
        round(imported, 3),
        round(run, 3),
        round(clear, 3),
        round(run / clear, 2),
        round(cpu_run, 3),
        round(cpu_clear, 3),
        round(cpu_run / cpu_clear, 2),
        target,
        run / clear <= target,
        cleared.pop(),
        round(statistics.median(before_wall), 3) if before_wall else None,
        round(statistics.median(before_cpu), 3) if before_cpu else None,
        round(statistics.median(floor), 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--obligations", type=int, default=180_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--network", type=Path, default=NETWORK)
    parser.add_argument("--only", choices=["generated-180k", "network-01"])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--before",
        type=Path,
        help="a src folder of earlier code: its clearing run too, alternating (before/after)",
    )
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "run")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)

    generated = args.work / "generated.csv"
    write_csv(generated, *generate(args.obligations, args.seed))
    networks = {
        "generated-180k": (
            generated,
            f"benchmarks/generate_network.py {args.obligations} obligations, seed {args.seed}",
        ),
        "network-01": (args.network, str(args.network.resolve())),
    }
    rows: list[Row] = []
    for name, (network, source) in networks.items():
        if args.only and name != args.only:
            continue
        folder = args.work / name
        folder.mkdir()
        files = write_corridor(network, folder)
        with sqlite_copies(folder) as copies:
            rows.append(measure(name, source, "sqlite", copies, files, args.runs, args.before))
        if args.no_postgres:
            continue
        with postgres_copies() as pg:
            if pg is None:
                print(f"PostgreSQL: no server at {POSTGRES}; skipped")
            else:
                rows.append(measure(name, source, "postgresql", pg, files, args.runs, args.before))

    header = (
        f"{'network':<15} {'db':<10} {'obligations':>11} {'import s':>9} {'run s':>7} "
        f"{'clear s':>8} {'ratio':>6} {'cpu ratio':>9} {'target':>6}  met  {'floor s':>7} "
        f"{'floor ratio':>11}  cleared"
    )
    print(f"medians of {args.runs} alternating whole-process runs, each on a fresh copy")
    print(
        "floor: the run's reads and writes alone, by the bare driver (bare_run.py), no "
        "planning; floor ratio: floor / clear, below which no run storing these rows can go"
    )
    print(header)
    for r in rows:
        print(
            f"{r.network:<15} {r.database:<10} {r.obligations:>11,} {r.import_s:>9.2f} "
            f"{r.run_s:>7.2f} {r.clear_s:>8.2f} {r.ratio:>5.1f}x {r.cpu_ratio:>8.1f}x "
            f"{r.target:>5.0f}x  {'yes' if r.met else 'NO ':<3}  {r.floor_s:>7.2f} "
            f"{r.floor_s / r.clear_s:>10.1f}x  {r.cleared}"
        )
    for r in rows:
        if r.before_s is not None and r.before_cpu_s is not None:
            print(
                f"{r.network} {r.database}: before {r.before_s:.2f} s "
                f"({r.before_s / r.clear_s:.1f}x clear; CPU {r.before_cpu_s:.2f} s) -> after "
                f"{r.run_s:.2f} s ({r.ratio:.1f}x; CPU {r.run_cpu_s:.2f} s)"
            )
    for name, (_, source) in networks.items():
        print(f"{name}: {source}")
    out = args.work.parent / f"{args.work.name}.json"
    out.write_text(json.dumps({"runs": args.runs, "rows": [asdict(r) for r in rows]}, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
