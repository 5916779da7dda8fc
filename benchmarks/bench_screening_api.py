"""Screening 10,000 names in one API request, against the same names screened in-process.

    .venv/bin/python benchmarks/bench_screening_api.py [--count 10000] [--repeat 3]
        [--db FILE] [--workers 2] [--mixes generated common ...]

Starts ``tahator serve --workers 2`` on a free loopback port, on a scratch copy of the
demo database (``tahator demo --no-serve``: the full UN list; built in a temporary
folder unless ``--db`` names one), signs in as the demo operator and posts each mix of
names in one ``POST /api/v1/screen`` request, ``--repeat`` times.  Which worker
answered is read from the workers' CPU time (``/proc``), so a worker's first request
(which may build the index) is told from the later ones.  Each mix is also screened
in-process (``screen()`` on the index of the same database, as the CLI does) and the
ratio API / in-process printed.

Mixes of ``--count`` names each:

* ``generated`` — bench_screening.py's timing names: listed names changed as clerks
  write them and unlisted look-alikes, half with a fresh typo;
* ``common`` — names made only of the list's most common words ("Mohammad Ali
  Hassan Ahmad Abdul Rahman"), 3 to 6 words;
* ``long`` — two generated names joined;
* ``persian`` — the generated names rendered in Persian script;
* ``many-hits`` — listed names that resemble many entries (the primary names with
  the most hits), with variants and typos.

Not part of ``make test``; the client shares the machine (2 cores) with the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

import bench_screening as generator  # noqa: E402
from tahator.domain.party_facts import screened_name_problem  # noqa: E402
from tahator.domain.screening import ListEntry, Query, screen  # noqa: E402

TAHATOR = str(ROOT / ".venv" / "bin" / "tahator")
USER, PASSWORD = "demo-operator", "tahator-demo-2025"
MIXES = ("generated", "common", "long", "persian", "many-hits")


# --- the names --------------------------------------------------------------------


def generated_names(entries: list[ListEntry], count: int, seed: int) -> list[str]:
    """bench_screening.py's timing set: half listed names changed, half look-alikes,
    half of all with a fresh typo."""
    rng = random.Random(seed)
    names = [n for n, _, _ in generator.positives(entries, count // 2, rng)]
    names += [n for n, _ in generator.negatives(entries, count - len(names), rng)]
    return [generator.typo(n, rng) if rng.random() < 0.5 else n for n in names]


def common_names(entries: list[ListEntry], count: int, seed: int) -> list[str]:
    """Names made only of the 40 Latin words most common in listed persons' names."""
    rng = random.Random(seed)
    counts = Counter(
        w
        for e in entries
        if e.kind == "individual"
        for n in e.names
        for w in set(n.name.casefold().split())
        if w.isascii() and w.isalpha() and len(w) >= 3
    )
    common = [w.title() for w, _ in counts.most_common(40)]
    return [" ".join(rng.choices(common, k=rng.randint(3, 6))) for _ in range(count)]


def long_names(entries: list[ListEntry], count: int, seed: int) -> list[str]:
    """Two generated names joined, as a clerk writes a person and a firm on one line."""
    rng = random.Random(seed)
    pool = generated_names(entries, count, seed)
    return [f"{rng.choice(pool)} {rng.choice(pool)}" for _ in range(count)]


def persian_names(entries: list[ListEntry], count: int, seed: int) -> list[str]:
    """The generated names in Persian script (those with no Latin letters to render,
    such as names already in Persian, are kept as they are)."""
    rng = random.Random(seed)
    return [generator.persian(n, rng) or n for n in generated_names(entries, count, seed)]


def many_hit_names(entries: list[ListEntry], count: int, seed: int, index: Any) -> list[str]:
    """The listed primary names with the most hits against the list, with variants
    and typos."""
    rng = random.Random(seed)
    primaries = sorted({e.name for e in entries})
    found = screen(index, primaries, limit=1000)
    ranked = sorted(zip(primaries, found, strict=True), key=lambda p: -len(p[1]))
    pool = [name for name, hits in ranked[:200]]
    names = []
    for _ in range(count):
        name = rng.choice(pool)
        change = rng.random()
        if change < 0.3:
            name = generator.variant(name, rng)
        elif change < 0.6:
            name = generator.typo(name, rng)
        names.append(name)
    return names


def make_mixes(
    entries: list[ListEntry], index: Any, count: int, seed: int, wanted: list[str]
) -> dict[str, list[str]]:
    makers = {
        "generated": lambda: generated_names(entries, count, seed),
        "common": lambda: common_names(entries, count, seed),
        "long": lambda: long_names(entries, count, seed),
        "persian": lambda: persian_names(entries, count, seed),
        "many-hits": lambda: many_hit_names(entries, count, seed, index),
    }
    # a generated variant can lose every letter (a name of titles only): the API refuses
    # those as nothing to screen, so they are no request
    return {
        mix: [n for n in makers[mix]() if screened_name_problem(n) is None][:count]
        for mix in wanted
    }


# --- the server -------------------------------------------------------------------


def demo_database(work: Path, un_list: Path) -> Path:
    """The demo database with the full UN list and the demo logins."""
    if not un_list.exists():
        raise SystemExit(f"{un_list}: no such file (the UN list; give --list)")
    path = work / "demo.db"
    url = f"sqlite:///{path}"
    for command in (["demo", "--no-serve", "--json"], ["lists", "import", "un", str(un_list)]):
        subprocess.run([TAHATOR, "--db", url, *command], check=True, stdout=subprocess.DEVNULL)
    from tahator.store.database import make_engine
    from tahator.web.demo import ensure_logins

    engine = make_engine(url)
    ensure_logins(engine)
    engine.dispose()
    return path


SYLLABLES = (
    "ka",
    "ro",
    "vi",
    "sha",
    "lin",
    "ov",
    "ev",
    "ko",
    "ma",
    "ter",
    "zan",
    "ber",
    "gu",
    "ta",
    "ni",
    "po",
    "dre",
    "shen",
    "yu",
    "li",
    "ang",
    "sky",
    "nov",
    "ich",
)


def large_list(entries: list[ListEntry], size: int, seed: int = 1) -> Any:
    """A made-up list of ``size`` persons with 3 aliases each (OpenSanctions'
    consolidated sanctions list is about 50,000 entities): a given name of the UN
    list's and one to three surnames from 60,000 made of syllables."""
    from tahator.domain.screening import ListedName, ParsedList

    rng = random.Random(seed)
    given = sorted(
        {w for e in entries if e.kind == "individual" for w in e.name.split()[:1] if w.isalpha()}
    )
    surnames = sorted(
        {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))).title() for _ in range(60_000)}
    )

    def name() -> str:
        return " ".join([rng.choice(given), *rng.choices(surnames, k=rng.randint(1, 3))])

    made = tuple(
        ListEntry(
            reference=f"LARGE-{n}",
            kind="individual",
            name=name(),
            list_type="Large",
            aliases=tuple(ListedName(name(), "a.k.a.") for _ in range(3)),
            list_name="LARGE",
        )
        for n in range(size)
    )
    return ParsedList("large", None, made, "made up", f"large-{size}-{seed}", "LARGE")


def add_large_list(url: str, size: int) -> None:
    from tahator.services import sanctions_lists
    from tahator.store.database import make_engine, transaction

    engine = make_engine(url)
    with transaction(engine) as session:
        _, index = sanctions_lists.current_index(session)
        assert index is not None
        sanctions_lists.add_version(session, large_list(list(index.entries), size), "bench")
    engine.dispose()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, url: str, log: Path, workers: int, environment: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = log.open("w")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [TAHATOR, "--db", url, "serve", "--port", str(self.port), "--workers", str(workers)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=os.environ | environment,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self.workers = children(self.process.pid) if workers > 1 else [self.process.pid]
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/openapi.json")
                if connection.getresponse().status == 200 and len(self.workers) >= workers:
                    connection.close()
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("tahator serve did not start")
        self.ready = time.perf_counter() - started
        # wait until the workers are idle (an eager index build ends)
        previous = -1.0
        while (total := sum(cpu_seconds(p) for p in self.workers)) != previous:
            previous = total
            time.sleep(0.5)
        self.idle = time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def sign_in(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/api/v1/auth/token",
        body=urllib.parse.urlencode({"username": USER, "password": PASSWORD}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    body = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"sign-in failed: {response.status} {body}")
    return str(body["access_token"])


def post(server: Server, token: str, body: bytes) -> tuple[float, int, int, list[Any]]:
    """(seconds, worker, response bytes, results) of one request on a new connection."""
    before = {p: cpu_seconds(p) for p in server.workers}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    started = time.perf_counter()
    connection.request(
        "POST",
        "/api/v1/screen",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    data = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise SystemExit(f"/screen answered {response.status}: {data[:500]!r}")
    used = {p: cpu_seconds(p) - t for p, t in before.items()}
    worker = server.workers.index(max(used, key=lambda p: used[p]))
    return seconds, worker, len(data), json.loads(data)


# --- the run ----------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", type=Path, help="a demo database (copied, never changed)")
    parser.add_argument(
        "--list", type=Path, default=generator.DEFAULT_LIST, help="the UN list, without --db"
    )
    parser.add_argument("--mixes", nargs="+", choices=MIXES, default=list(MIXES))
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument(
        "--large",
        type=int,
        default=0,
        help="also put a made-up list of this many persons (3 aliases each) in force",
    )
    args = parser.parse_args()

    from tahator.services import sanctions_lists
    from tahator.store.database import make_engine, reading

    work = Path(tempfile.mkdtemp(prefix="tahator-screen-api-"))
    try:
        source = args.db or demo_database(work, args.list)
        database = work / "bench.db"
        with sqlite3.connect(source) as original, sqlite3.connect(database) as copy:
            original.backup(copy)  # with what is still in the WAL
        url = f"sqlite:///{database}"
        environment = {"TAHATOR_CACHE_DIR": str(work / "cache")}
        os.environ.update(environment)
        if args.large:
            add_large_list(url, args.large)
        sanctions_lists._INDEX_CACHE.clear()
        engine = make_engine(url)
        index_seconds = []
        for _ in range(2):  # built (and kept, if large); then as another process finds it
            sanctions_lists._INDEX_CACHE.clear()
            started = time.perf_counter()
            with reading(engine) as session:
                _, index = sanctions_lists.current_index(session)
            index_seconds.append(time.perf_counter() - started)
        engine.dispose()
        assert index is not None
        entries = list(index.entries)
        mixes = make_mixes(entries, index, args.count, args.seed, args.mixes)
        kept = list((work / "cache").glob("*.json"))
        print(
            f"{len(entries)} entries, {len(index.name_entry)} indexed names; index from the "
            f"database built in {index_seconds[0]:.2f} s, "
            + (
                f"restored from the kept file ({kept[0].stat().st_size / 1e6:.0f} MB) in "
                f"{index_seconds[1]:.2f} s"
                if kept
                else f"not kept (small), built again in {index_seconds[1]:.2f} s"
            )
        )

        local: dict[str, tuple[float, int]] = {}
        for mix, names in mixes.items():
            queries = [Query(name, id=str(i)) for i, name in enumerate(names)]
            started = time.perf_counter()
            found = screen(index, queries)
            local[mix] = (time.perf_counter() - started, sum(len(h) for h in found))

        server = Server(url, work / "serve.log", args.workers, environment)
        print(
            f"tahator serve --workers {args.workers}: answering after {server.ready:.1f} s, "
            f"idle after {server.idle:.1f} s"
        )
        rows = []
        try:
            token = sign_in(server.port)
            seen: set[int] = set()
            for mix, names in mixes.items():
                body = json.dumps(
                    {"names": [{"id": str(i), "name": n} for i, n in enumerate(names)]}
                ).encode()
                for attempt in range(args.repeat):
                    seconds, worker, size, results = post(server, token, body)
                    first = worker not in seen
                    seen.add(worker)
                    hits = sum(len(r["hits"]) for r in results)
                    rows.append(
                        {
                            "mix": mix,
                            "request": attempt + 1,
                            "worker": worker,
                            "worker_first": first,
                            "seconds": seconds,
                            "bytes": size,
                            "hits": hits,
                            "screen_seconds": local[mix][0],
                            "screen_hits": local[mix][1],
                        }
                    )
        finally:
            server.stop()

        print(
            f"\n{'mix':<10} {'req':>3} {'worker':>9} {'API s':>7} {'screen() s':>10} "
            f"{'ratio':>6} {'hits':>7} {'MB':>6}"
        )
        for row in rows:
            worker = f"{row['worker']}{' first' if row['worker_first'] else ''}"
            print(
                f"{row['mix']:<10} {row['request']:>3} {worker:>9} {row['seconds']:>7.2f} "
                f"{row['screen_seconds']:>10.2f} {row['seconds'] / row['screen_seconds']:>6.2f} "
                f"{row['hits']:>7} {row['bytes'] / 1e6:>6.1f}"
            )
            if row["hits"] != row["screen_hits"]:
                print(f"  !! API hits {row['hits']} != in-process {row['screen_hits']}")
        worst = max(r["seconds"] for r in rows)
        later = [r["seconds"] for r in rows if not r["worker_first"]]
        print(
            f"\nslowest request {worst:.2f} s; median of the others "
            f"{statistics.median(later) if later else float('nan'):.2f} s"
        )
        if args.json:
            args.json.write_text(json.dumps({"index_seconds": index_seconds, "rows": rows}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
