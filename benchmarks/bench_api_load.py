"""API load benchmark: `tahator serve --workers 2` on loopback, driven by a bounded load
generator (threads, one keep-alive ``http.client`` connection each; every phase stops
by itself after its duration or its request budget).

(a) Reads (``GET /api/v1/obligations?limit=50``) and batch posts (20 obligations per
    ``POST /api/v1/obligations/batch``, each with an Idempotency-Key) at 1, 10 and 50
    concurrent clients, on SQLite and PostgreSQL: throughput, p50, p99, errors.
(b) PostgreSQL: 50 clients, half posting batches and half reading, for ``--soak``
    seconds while a clearing run happens; one post in ten is sent twice with its key
    (a client's retry).  Afterwards ``ledger verify`` must pass and every posted
    obligation must be stored exactly once (counted).  Then once more with each client
    paced (``--pace READS POSTS``, requests a second per client; 4 and 0.4 by default,
    i.e. 100 reads and 10 batches of 20 obligations a second in all), every request
    timed from when it was due.  Back to back, 50 clients measure the most the machine
    serves, and a request's latency is then the queue in front of it (Little's law:
    50 clients / throughput); paced, they measure the latency a client sees at a
    stated load.
(c) The ledger's write rate during (b) (journal lines per second) against pgbench's
    TPC-B-like rate on the same server (``pgbench -i -s 10`` into a scratch
    database, ``pgbench -c 10 -T 20``).

    .venv/bin/python benchmarks/bench_api_load.py [--phase 10] [--soak 60] [--json FILE]

Not part of ``make test``.  The load generator shares the machine with the server and
the database (2 cores here), so the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TAHATOR = str(ROOT / ".venv" / "bin" / "tahator")
POSTGRES = os.environ.get(
    "TAHATOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FIRMS = 200
BATCH = 20
SEEDED = 1_000
PASSWORD = "load test password"


# --- the house --------------------------------------------------------------------


def prepare(url: str, work: Path) -> str:
    """Migrate, seed, register firms and an operator; return the operator's token."""
    from tahator.demo import tax_id
    from tahator.io.firms import read_firms
    from tahator.io.obligations import read_obligations
    from tahator.services import corridor, firms, obligations, users
    from tahator.store import migrate
    from tahator.store.database import make_engine, transaction

    lines = ["id,name,country,tax_id,active_taxpayer,psw_subscribed"]
    for n in range(1, FIRMS + 1):
        country = "PK" if n % 2 else "IR"
        lines.append(f"F{n},Firm {n},{country},{tax_id(country, n)},true,true")
    path = work / "firms.csv"
    path.write_text("\n".join(lines) + "\n")
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
        read = read_firms(path)
        firms.import_firms(
            session, read.records, "bench", source=read.source, problems=read.problems
        )
        rows = read_obligations(seed_obligations(work), corridor.load(session).digits)
        obligations.import_obligations(
            session, rows.records, "bench", source=rows.source, problems=rows.problems
        )
        users.create_user(session, "load", "operator", PASSWORD, "bench")
    with transaction(engine) as session:
        token, _ = users.issue_token(session, users.authenticate(session, "load", PASSWORD))
    engine.dispose()
    return token


def seed_obligations(work: Path) -> Path:
    """Obligations stored before the load, so every read returns a full page."""
    rng = random.Random(0)
    lines = ["id,debtor,creditor,amount,currency,due_date"]
    for n in range(SEEDED):
        debtor, creditor = rng.sample(range(1, FIRMS + 1), 2)
        lines.append(f"S{n},F{debtor},F{creditor},{rng.randint(100, 500_000)}.00,USD,2026-12-31")
    path = work / "obligations.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def postgres_database() -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"tahator_load_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False), drop


class Server:
    def __init__(self, url: str, log: Path, workers: int = 2) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [TAHATOR, "--db", url, "serve", "--port", str(self.port), "--workers", str(workers)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/openapi.json")
                if connection.getresponse().status == 200:
                    connection.close()
                    time.sleep(1)  # let the second worker come up too
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("tahator serve did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# --- the load ---------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    posted: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: int | str, ok: bool) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                key = f"{kind} {status}"
                self.statuses[key] = self.statuses.get(key, 0) + 1


def batch_body(prefix: str, rng: random.Random) -> bytes:
    items = []
    for i in range(BATCH):
        debtor, creditor = rng.sample(range(1, FIRMS + 1), 2)
        items.append(
            {
                "reference": f"{prefix}-{i}",
                "debtor": f"F{debtor}",
                "creditor": f"F{creditor}",
                "amount": f"{rng.randint(100, 500_000)}.{rng.randint(0, 99):02d}",
                "currency": "USD",
                "due_date": "2026-12-31",
            }
        )
    return json.dumps({"obligations": items}).encode()


def client(
    port: int,
    token: str,
    role: str,
    stop_at: float,  # time.perf_counter()
    budget: list[int],
    tally: Tally,
    seed: int,
    retry_share: float,
    rate: float | None = None,
) -> None:
    """One client on one keep-alive connection: back to back (closed loop), or with
    ``rate`` requests a second on a fixed schedule (open loop), each timed from when it
    was due, so a slow server is charged for the requests it kept waiting (no
    coordinated omission)."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    interval = 1 / rate if rate else 0.0
    due = time.perf_counter() + rng.uniform(0, interval)
    n = 0
    # A paced client stops before a request due after the window, not after sending it.
    while (due if interval else time.perf_counter()) < stop_at:
        with tally.lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        n += 1
        if interval:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        kind = role if role != "mixed" else rng.choice(["read", "post"])
        sends = 1
        if kind == "read":
            method, path, body, extra = "GET", "/api/v1/obligations?limit=50", None, {}
        else:
            prefix = f"L{seed}-{n}-{uuid.uuid4().hex[:6]}"
            method, path, body = "POST", "/api/v1/obligations/batch", batch_body(prefix, rng)
            extra = {"Idempotency-Key": prefix}
            sends = 2 if rng.random() < retry_share else 1
        for attempt in range(sends):
            started = due if interval and not attempt else time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers | extra)
                response = connection.getresponse()
                response.read()
                status: int | str = response.status
                ok = 200 <= response.status < 300
                if attempt and response.getheader("Idempotent-Replayed") != "true":
                    ok, status = False, "retry-not-replayed"
            except (OSError, http.client.HTTPException) as error:
                status, ok = type(error).__name__, False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            tally.add(kind if not attempt else "retry", time.perf_counter() - started, status, ok)
            if kind == "post" and ok and not attempt:
                with tally.lock:
                    tally.posted.add(prefix)
        due += interval
    connection.close()


def drive(
    port: int,
    token: str,
    roles: list[str],
    seconds: float,
    budget: int,
    retry_share: float = 0.0,
    during: Callable[[], None] | None = None,
    pace: dict[str, float] | None = None,
) -> tuple[Tally, float]:
    """``roles`` clients for ``seconds``; ``pace`` gives a role's requests per second per
    client (open loop), a role without one runs back to back."""
    tally = Tally()
    stop_at = time.perf_counter() + seconds
    remaining = [budget]
    threads = [
        threading.Thread(
            target=client,
            args=(port, token, role, stop_at, remaining, tally, i + 1, retry_share),
            kwargs={"rate": (pace or {}).get(role)},
            daemon=True,
        )
        for i, role in enumerate(roles)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    for thread in threads:
        thread.join(seconds + 60)
    return tally, time.perf_counter() - started


def figures(tally: Tally, elapsed: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, values in sorted(tally.latencies.items()):
        ordered = sorted(values)
        out[kind] = {
            "requests": len(values),
            "per_second": round(len(values) / elapsed, 1),
            "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
            "errors": tally.errors.get(kind, 0),
        }
    if tally.statuses:
        out["error_statuses"] = tally.statuses
    return out


# --- checks afterwards ------------------------------------------------------------


def stored_counts(url: str, prefixes: set[str]) -> dict[str, int]:
    from sqlalchemy import func, select

    from tahator.store.database import make_engine, reading
    from tahator.store.schema import JournalLine, Obligation

    engine = make_engine(url)
    with reading(engine) as session:
        references = session.scalars(select(Obligation.reference)).all()
        lines = session.scalar(select(func.count()).select_from(JournalLine)) or 0
    engine.dispose()
    per_prefix: dict[str, int] = {}
    for reference in references:
        prefix = reference.rsplit("-", 1)[0]
        per_prefix[prefix] = per_prefix.get(prefix, 0) + 1
    return {
        "obligations": len(references),
        "journal_lines": lines,
        "posted_batches": len(prefixes),
        "batches_stored_exactly_once": sum(per_prefix.get(p) == BATCH for p in prefixes),
        "batches_missing_or_partial": sum(per_prefix.get(p) != BATCH for p in prefixes),
    }


def journal_lines(url: str) -> int:
    return stored_counts(url, set())["journal_lines"]


def tahator(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TAHATOR, "--db", url, *args], capture_output=True, text=True, check=False
    )


def pgbench_rate(seconds: int) -> dict[str, Any]:
    """pgbench's TPC-B-like transactions per second on the same server."""
    from sqlalchemy.engine import make_url

    if shutil.which("pgbench") is None:
        return {"error": "pgbench is not installed"}
    url, drop = postgres_database()
    parsed = make_url(url)
    target = [
        *("-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)),
        *("-U", parsed.username or "postgres"),
    ]
    try:
        subprocess.run(
            ["pgbench", "-i", "-s", "10", "-q", *target, parsed.database or ""],
            check=True,
            capture_output=True,
        )
        done = subprocess.run(
            ["pgbench", "-c", "10", "-j", "2", "-T", str(seconds), *target, parsed.database or ""],
            check=True,
            capture_output=True,
            text=True,
        )
        tps = re.search(r"tps = ([\d.]+)", done.stdout)
        latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
        return {
            "tps": float(tps.group(1)) if tps else None,
            "latency_ms": float(latency.group(1)) if latency else None,
            "clients": 10,
            "seconds": seconds,
            "scale": 10,
        }
    finally:
        drop()


# --- main -------------------------------------------------------------------------


def run_database(
    kind: str,
    url: str,
    work: Path,
    phase: float,
    budget: int,
    clients_list: list[int],
    roles: list[str],
) -> dict[str, Any]:
    token = prepare(url, work)
    server = Server(url, work / f"serve-{kind}.log")
    results: dict[str, Any] = {}
    try:
        for clients in clients_list:
            for role in roles:
                tally, elapsed = drive(server.port, token, [role] * clients, phase, budget)
                results[f"{role} x{clients}"] = figures(tally, elapsed)[role] | {
                    "errors": sum(tally.errors.values())
                }
                print(kind, role, clients, results[f"{role} x{clients}"], flush=True)
    finally:
        server.stop()
    return results


def soak(
    url: str, work: Path, seconds: float, pace: dict[str, float] | None = None
) -> dict[str, Any]:
    token = prepare(url, work)
    server = Server(url, work / "serve-soak.log")
    run: dict[str, Any] = {}

    def clearing_meanwhile() -> None:
        time.sleep(seconds / 3)
        started = time.perf_counter()
        done = tahator(url, "clearing", "run", "--json")
        run["seconds"] = round(time.perf_counter() - started, 2)
        run["exit"] = done.returncode
        if done.returncode == 0:
            summary = json.loads(done.stdout)
            run.update({k: summary[k] for k in ("run_id", "obligations", "cleared", "total")})
        else:
            run["stderr"] = done.stderr[-500:]

    lines_before = journal_lines(url)
    try:
        tally, elapsed = drive(
            server.port,
            token,
            ["post"] * 25 + ["read"] * 25,
            seconds,
            10**9,
            retry_share=0.1,
            during=clearing_meanwhile,
            pace=pace,
        )
    finally:
        server.stop()
    counts = stored_counts(url, tally.posted)
    verify = tahator(url, "ledger", "verify")
    audit = tahator(url, "audit", "verify")
    written = counts["journal_lines"] - lines_before
    return {
        "seconds": round(elapsed, 1),
        "pace_per_client": pace or "closed loop: each client sends as soon as answered",
        "load": figures(tally, elapsed),
        "clearing_run": run,
        "ledger_verify": verify.returncode == 0,
        "audit_verify": audit.returncode == 0,
        "counts": counts,
        "journal_lines_per_second": round(written / elapsed, 1),
        "obligations_per_second": round(counts["obligations"] / elapsed, 1),
        "batch_transactions_per_second": round(
            figures(tally, elapsed).get("post", {}).get("per_second", 0.0), 1
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", type=float, default=10.0, help="seconds per (a) phase")
    parser.add_argument("--budget", type=int, default=20_000, help="requests per (a) phase")
    parser.add_argument("--soak", type=float, default=60.0, help="seconds of (b)")
    parser.add_argument(
        "--pace",
        type=float,
        nargs=2,
        metavar=("READS", "POSTS"),
        default=[4.0, 0.4],
        help="(b) once more with each client paced: reads and batch posts a second per client",
    )
    parser.add_argument("--no-pace", dest="pace", action="store_const", const=None)
    parser.add_argument("--pgbench", type=int, default=20, help="seconds of pgbench")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--only", choices=["a", "b", "c"], action="append")
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], action="append", help="(a) on these"
    )
    parser.add_argument("--role", choices=["read", "post"], action="append", help="(a) phases")
    parser.add_argument("--clients", type=int, action="append", help="(a) client counts")
    args = parser.parse_args()
    only = set(args.only or ["a", "b", "c"])
    databases = set(args.database or ["sqlite", "postgresql"])
    phases = (args.clients or [1, 10, 50], args.role or ["read", "post"])
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory(prefix="tahator-load-") as folder:
        work = Path(folder)
        if "a" in only and "sqlite" in databases:
            (work / "sqlite").mkdir()
            sqlite_url = f"sqlite:///{work / 'sqlite' / 'house.db'}"
            results["a_sqlite"] = run_database(
                "sqlite", sqlite_url, work / "sqlite", args.phase, args.budget, *phases
            )
        if "a" in only and "postgresql" in databases:
            url, drop = postgres_database()
            (work / "pg").mkdir()
            try:
                results["a_postgresql"] = run_database(
                    "postgresql", url, work / "pg", args.phase, args.budget, *phases
                )
            finally:
                drop()
        if "b" in only or "c" in only:
            url, drop = postgres_database()
            (work / "soak").mkdir()
            try:
                results["b_soak_postgresql"] = soak(url, work / "soak", args.soak)
                print("soak", json.dumps(results["b_soak_postgresql"], indent=1), flush=True)
            finally:
                drop()
        if "b" in only and args.pace:
            reads, posts = args.pace
            url, drop = postgres_database()
            (work / "paced").mkdir()
            try:
                results["b_paced_postgresql"] = soak(
                    url, work / "paced", args.soak, {"read": reads, "post": posts}
                )
                print("paced", json.dumps(results["b_paced_postgresql"], indent=1), flush=True)
            finally:
                drop()
        if "c" in only:
            bench = pgbench_rate(args.pgbench)
            results["c_pgbench"] = bench
            soaked = results.get("b_soak_postgresql", {})
            if bench.get("tps") and soaked:
                results["c_ratio"] = {
                    "journal_lines_per_s_over_pgbench_tps": round(
                        soaked["journal_lines_per_second"] / bench["tps"], 3
                    ),
                    "batch_tx_per_s_over_pgbench_tps": round(
                        soaked["batch_transactions_per_second"] / bench["tps"], 3
                    ),
                }
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()
