"""The production deployment in ``deploy/`` works as written: each systemd unit's
commands run here, with ``/opt/tahator`` read as this checkout and the units' state and
backup folders as temporary ones, on SQLite and on PostgreSQL; the container file builds
where a builder runs, else its sources, command and health check are checked here.

Nothing skips: a command the units name that this checkout lacks fails, saying so.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tahator.store import migrate
from tahator.store.database import make_engine
from tests.e2e.conftest import free_port
from tests.integration.conftest import database_url, drop_postgres, fresh_postgres  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
TAHATOR = ROOT / ".venv" / "bin" / "tahator"
PREFIX = "/opt/tahator"
SERVICES = ("tahator-migrate", "tahator-api", "tahator-worker", "tahator-backup")
HARDENING = {
    "User": "tahator",
    "Group": "tahator",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "EnvironmentFile": "/etc/tahator/tahator.env",
    "WorkingDirectory": "/var/lib/tahator",
}
PASSWORD = "correct horse battery"
CREATE_OPERATOR = ("users", "create", "ops", "--role", "operator", "--password-stdin")


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file as systemd reads it: sections of ``(key, value)`` in order, a key
    repeated as often as it is given (``Environment=``), continued lines joined."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        assert current is not None, f"{path}: {line!r} before any section"
        key, separator, value = line.partition("=")
        assert separator, f"{path}: {line!r} is not KEY=VALUE"
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [value for name, value in unit.get(section, []) if name == key]


def one(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"[{section}] {key}= given {len(found)} times"
    return found[0]


@dataclass
class Place:
    """Where the units' paths lead on this machine."""

    state: Path
    cache: Path
    backups: Path
    run: Path

    def local(self, text: str) -> str:
        for unit_path, here in (
            (PREFIX, ROOT),
            ("/var/lib/tahator", self.state),
            ("/var/cache/tahator", self.cache),
            ("/var/backups/tahator", self.backups),
            ("/run/tahator-api", self.run),
        ):
            text = text.replace(unit_path, str(here))
        return text


@pytest.fixture
def place(tmp_path: Path) -> Place:
    made = Place(*(tmp_path / name for name in ("state", "cache", "backups", "run")))
    for folder in (made.state, made.cache, made.backups, made.run):
        folder.mkdir()
    return made


def expand(word: str, environment: dict[str, str]) -> list[str]:
    """systemd's expansion in ExecStart: ``${NAME}`` is one word, a lone ``$NAME`` word
    splits on white space, ``$$`` is ``$``."""
    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
        return environment.get(word[1:], "").split()
    expanded = re.sub(
        r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: environment.get(m.group(1), ""), word
    )
    return [expanded.replace("$$", "$")]


def command(
    name: str, place: Place, database: str, **settings: str
) -> tuple[list[str], dict[str, str], Path]:
    """The unit's ExecStart as this machine runs it, its environment and folder: the
    unit's ``Environment=``, then what the env file would say (the database), then
    ``settings``."""
    unit = parse_unit(UNITS / f"{name}.service")
    environment = dict(os.environ)
    environment.pop("TAHATOR_DATABASE_URL", None)
    for assignment in values(unit, "Service", "Environment"):
        for item in shlex.split(assignment):
            key, _, value = item.partition("=")
            environment[key] = place.local(value)
    environment["TAHATOR_DATABASE_URL"] = database
    environment.update(settings)
    words = shlex.split(one(unit, "Service", "ExecStart").lstrip("-+!@:"))
    argv = [place.local(piece) for word in words for piece in expand(word, environment)]
    folder = Path(place.local(one(unit, "Service", "WorkingDirectory")))
    return argv, environment, folder


def run(
    name: str, place: Place, database: str, *extra: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    argv, environment, folder = command(name, place, database, **settings)
    return subprocess.run(
        [*argv, *extra],
        env=environment,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def has_command(*words: str) -> bool:
    """Whether this checkout's ``tahator`` has the command ``words``."""
    done = subprocess.run([TAHATOR, *words, "--help"], capture_output=True, text=True, check=False)
    return done.returncode == 0


# ---------------------------------------------------------------- the unit files


def test_each_service_runs_hardened_as_tahator_from_the_env_file() -> None:
    for name in SERVICES:
        unit = parse_unit(UNITS / f"{name}.service")
        for key, expected in HARDENING.items():
            assert one(unit, "Service", key) == expected, f"{name}: {key}"
        executable = one(unit, "Service", "ExecStart").split()[0]
        assert executable.startswith(f"{PREFIX}/"), executable
        here = ROOT / executable.removeprefix(f"{PREFIX}/")
        assert os.access(here, os.X_OK), f"{name}: {here} is not executable here"
        assert one(unit, "Unit", "Description")


def test_migrations_run_before_the_api_and_the_worker_which_need_them() -> None:
    migrate_unit = parse_unit(UNITS / "tahator-migrate.service")
    assert one(migrate_unit, "Service", "Type") == "oneshot"
    assert one(migrate_unit, "Service", "ExecStart").endswith("tahator db upgrade")
    before = one(migrate_unit, "Unit", "Before").split()
    assert {"tahator-api.service", "tahator-worker.service"} <= set(before)
    for name in ("tahator-api", "tahator-worker"):
        unit = parse_unit(UNITS / f"{name}.service")
        assert "tahator-migrate.service" in one(unit, "Unit", "Requires").split(), name
        assert "tahator-migrate.service" in one(unit, "Unit", "After").split(), name
        assert one(unit, "Service", "Restart") == "on-failure", name
        assert one(unit, "Install", "WantedBy") == "multi-user.target", name


def test_the_api_serves_behind_the_proxy_on_the_loopback_only() -> None:
    api = one(parse_unit(UNITS / "tahator-api.service"), "Service", "ExecStart").split()
    assert api[1:4] == ["serve", "--host", "127.0.0.1"]
    assert "--proxy-headers" in api
    assert api[api.index("--forwarded-allow-ips") + 1] == "127.0.0.1"


def test_both_proxies_replace_the_clients_request_id_with_their_own() -> None:
    """Tahator takes a trusted proxy's X-Request-ID into the audit log: the proxy must
    never pass on a client's."""
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Request-ID $request_id;" in nginx
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    proxies = caddy.count("reverse_proxy 127.0.0.1:8000")
    assert proxies == 2
    assert caddy.count("header_up X-Request-ID {http.request.uuid}") == proxies


def test_backups_run_daily_into_a_folder_the_service_may_write() -> None:
    backup = parse_unit(UNITS / "tahator-backup.service")
    assert one(backup, "Service", "Type") == "oneshot"
    assert "/var/backups/tahator" in one(backup, "Service", "ReadWritePaths").split()
    assert "TAHATOR_BACKUP_DIR=/var/backups/tahator" in values(backup, "Service", "Environment")
    timer = parse_unit(UNITS / "tahator-backup.timer")
    assert one(timer, "Timer", "Unit") == "tahator-backup.service"
    assert one(timer, "Timer", "OnCalendar")
    assert one(timer, "Timer", "Persistent") == "true"
    assert one(timer, "Install", "WantedBy") == "timers.target"


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """``systemd-analyze verify`` (where systemd is installed) with the paths of this
    checkout: no unknown key, no missing command, not even a warning."""
    analyze = shutil.which("systemd-analyze")
    names = [path.name for path in sorted(UNITS.iterdir())]
    assert set(names) == {f"{name}.service" for name in SERVICES} | {"tahator-backup.timer"}
    if analyze is None:
        return  # not a systemd machine: the parse above is the check
    for name in names:
        text = (UNITS / name).read_text().replace(PREFIX, str(ROOT))
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / name) for name in names)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


# ---------------------------------------------------------------- the units' commands


def test_migrate_then_backup_then_restore_as_the_units_run_them(
    database_url: str,  # noqa: F811
    place: Place,
) -> None:
    migrated = run("tahator-migrate", place, database_url)
    assert migrated.returncode == 0, migrated.stderr
    engine = make_engine(database_url)
    try:
        assert migrate.is_current(engine)
    finally:
        engine.dispose()
    # Every (re)start of the API or the worker runs it again: a current database is fine.
    again = run("tahator-migrate", place, database_url)
    assert again.returncode == 0, again.stderr
    made = subprocess.run(
        [TAHATOR, "--db", database_url, *CREATE_OPERATOR],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr

    # Rotation keeps the newest TAHATOR_BACKUP_KEEP and touches no other file.
    older = [place.backups / f"tahator-2020010{day}T000000Z.backup" for day in (1, 2, 3)]
    for path in older:
        path.write_text("an old backup")
    (place.backups / "notes.txt").write_text("the operator's")
    backed = run("tahator-backup", place, database_url, TAHATOR_BACKUP_KEEP="2")
    assert backed.returncode == 0, backed.stderr
    kept = sorted(path.name for path in place.backups.iterdir())
    assert len(kept) == 3, kept
    assert kept[:2] == ["notes.txt", older[-1].name]
    newest = place.backups / kept[2]
    assert re.fullmatch(r"tahator-\d{8}T\d{6}Z\.backup", newest.name)
    assert newest.stat().st_mode & 0o077 == 0, "a backup is readable by its owner only"
    refused = run("tahator-backup", place, database_url, TAHATOR_BACKUP_KEEP="0")
    assert refused.returncode == 2
    assert "TAHATOR_BACKUP_KEEP" in refused.stderr

    # The drill: restore into an empty database; it is current and holds the user.
    if database_url.startswith("sqlite"):
        target, admin = f"sqlite:///{place.state / 'restored.db'}", None
    else:
        target, admin = fresh_postgres()
    try:
        restored = subprocess.run(
            [TAHATOR, "--db", target, "db", "restore", newest],
            capture_output=True,
            text=True,
            check=False,
        )
        assert restored.returncode == 0, restored.stderr
        engine = make_engine(target)
        try:
            assert migrate.is_current(engine)
            with engine.connect() as connection:
                users = connection.execute(text("SELECT username FROM users")).scalars().all()
            assert list(users) == ["ops"]
        finally:
            engine.dispose()
    finally:
        if admin is not None:
            drop_postgres(target, admin)


def test_the_worker_unit_does_the_due_work_and_stops_when_told(
    database_url: str,  # noqa: F811
    place: Place,
) -> None:
    assert has_command("worker"), (
        "deploy/systemd/tahator-worker.service runs `tahator worker`, which this checkout "
        "lacks (issue 22, helper A)"
    )
    assert run("tahator-migrate", place, database_url).returncode == 0
    today = datetime.now(UTC).date().isoformat()  # the corridor's day is this or later
    for _ in range(2):  # the second finds nothing left to do
        once = run("tahator-worker", place, database_url, "--once", "--as-of", today)
        assert once.returncode == 0, once.stderr
    argv, environment, folder = command("tahator-worker", place, database_url)
    worker = subprocess.Popen(
        argv, env=environment, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        time.sleep(3)
        assert worker.poll() is None, worker.communicate()
        worker.send_signal(signal.SIGTERM)  # what `systemctl stop` sends
        _, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    # systemd counts SIGTERM's own exit as a clean stop.
    assert worker.returncode in (0, -signal.SIGTERM), err


@contextmanager
def started(argv: list[str], environment: dict[str, str], folder: Path) -> Iterator[Server]:
    """A server process, its output read into the result after it stops (SIGTERM)."""
    process = subprocess.Popen(
        argv, env=environment, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Server(process)
    try:
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            server.out, server.err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            server.out, server.err = process.communicate()


@dataclass
class Server:
    process: subprocess.Popen[str]
    out: str = ""
    err: str = ""


def answering(base: str, server: Server, path: str = "/openapi.json") -> None:
    """Wait until ``base`` answers ``path``; fail with the server's output if it died."""
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}{path}", timeout=2)
            return
        except httpx.TransportError:
            pass
        if server.process.poll() is not None:
            pytest.fail(f"the server exited: {server.process.communicate()}")
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.3)


def test_the_api_unit_serves_health_behind_the_proxy_without_an_access_log(
    database_url: str,  # noqa: F811
    place: Place,
) -> None:
    assert run("tahator-migrate", place, database_url).returncode == 0
    port = free_port()
    token = "a-scrape-token-from-the-env-file"
    argv, environment, folder = command(
        "tahator-api",
        place,
        database_url,
        TAHATOR_PORT=str(port),
        TAHATOR_WORKERS="2",
        TAHATOR_METRICS_TOKEN=token,
    )
    base = f"http://127.0.0.1:{port}"
    stale = place.run / "counter_999999.db"  # a process of the last start's
    stale.write_text("")
    (place.run / "notes.txt").write_text("not prometheus-client's")
    with started(argv, environment, folder) as server:
        answering(base, server)
        assert not stale.exists(), "serve empties $PROMETHEUS_MULTIPROC_DIR at start"
        assert (place.run / "notes.txt").exists()
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200, (
            f"GET /healthz answered {health.status_code}: the load balancer's check "
            "(deploy/, Containerfile HEALTHCHECK) needs it (issue 22, helper C)"
        )
        assert httpx.get(f"{base}/readyz").status_code == 200
        # Prometheus with the env file's token, from any of the worker processes.
        assert httpx.get(f"{base}/metrics").status_code in (401, 403)
        for _ in range(4):
            scraped = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
            assert scraped.status_code == 200, scraped.text
            assert scraped.headers["content-type"].startswith("text/plain")
        # Behind the TLS proxy (127.0.0.1 here) the session cookie is Secure.
        login = httpx.get(f"{base}/login", headers={"X-Forwarded-Proto": "https"})
        assert "secure" in login.headers["set-cookie"].lower()
        httpx.get(f"{base}/api/v1/firms?secret=hunter2-in-a-query")
    logged = server.out + server.err
    assert "hunter2" not in logged, "a query string reached the logs (uvicorn's access log?)"
    assert '"GET /api/v1/firms' not in logged
    for line in server.err.splitlines():
        if line.startswith("{"):
            assert isinstance(json.loads(line), dict), line


# ---------------------------------------------------------------- the container file


def instructions(path: Path) -> list[tuple[str, str]]:
    """A Containerfile's instructions: (INSTRUCTION, arguments), continuations joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        line = pending + stripped
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def builder() -> list[str] | None:
    """A container builder that works here (a client with its daemon), if any."""
    for tool, probe in (("podman", "info"), ("buildah", "version"), ("docker", "info")):
        path = shutil.which(tool)
        if path and subprocess.run([path, probe], capture_output=True, check=False).returncode == 0:
            return [path, "bud"] if tool == "buildah" else [path, "build"]
    return None


def test_the_container_file_builds_or_its_parts_check_out(place: Place) -> None:
    containerfile = DEPLOY / "Containerfile"
    steps = instructions(containerfile)
    assert steps[0] == ("FROM", "python:3.11-slim-bookworm")
    assert ("EXPOSE", "8000") in steps
    users = [arguments for word, arguments in steps if word == "USER"]
    assert users, "the service runs as a user of its own"
    assert users[-1] not in ("root", "0"), "the service runs as a user of its own"
    runs = " ".join(arguments for word, arguments in steps if word == "RUN")
    assert "uv sync --frozen --no-dev" in runs
    build = builder()
    if build is not None:
        done = subprocess.run(
            [*build, "-f", str(containerfile), "-t", "tahator-deploy-test", str(ROOT)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        return
    print(
        "no container builder runs here (podman, buildah, or docker with its daemon): "
        "the Containerfile's sources, packages, command and health check are checked here"
    )
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for word, arguments in steps:
        if word != "COPY":
            continue
        *sources, _ = shlex.split(arguments)
        for source in sources:
            assert not source.startswith("--"), "no COPY --from: one stage"
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert source not in ignored, f"COPY {source}: excluded by .dockerignore"
    # The system packages WeasyPrint loads exist in the image's Debian (bookworm, as here).
    packages = re.search(r"--no-install-recommends\s+([^&]+)", runs)
    assert packages is not None
    apt_cache = shutil.which("apt-cache")
    for package in packages.group(1).split():
        if apt_cache is not None:
            shown = subprocess.run(
                [apt_cache, "show", package], capture_output=True, text=True, check=False
            )
            assert shown.returncode == 0, f"{package}: no such Debian package"
    # The image's command serves, and its health check passes, here.
    database = f"sqlite:///{place.state / 'image.db'}"
    assert (
        subprocess.run(
            [TAHATOR, "--db", database, "db", "upgrade"], capture_output=True, check=False
        ).returncode
        == 0
    )
    (cmd,) = [json.loads(arguments) for word, arguments in steps if word == "CMD"]
    (check,) = [arguments for word, arguments in steps if word == "HEALTHCHECK"]
    probe = json.loads(check[check.index("CMD ") + 4 :])
    assert cmd[0] == "tahator"
    port = free_port()
    cmd = [str(TAHATOR), *cmd[1:]]
    cmd[cmd.index("--port") + 1] = str(port)
    environment = dict(os.environ, TAHATOR_DATABASE_URL=database)
    for word, arguments in steps:
        if word == "ENV":
            for item in shlex.split(arguments):
                key, _, value = item.partition("=")
                if key.startswith(("TAHATOR_", "PROMETHEUS_")):
                    environment[key] = place.local(value).replace("/tmp/", f"{place.run}/")
    with started(cmd, environment, place.state) as server:
        answering(f"http://127.0.0.1:{port}", server)
        assert probe[0] == "python"
        probed = subprocess.run(
            [sys.executable, *[part.replace(":8000/", f":{port}/") for part in probe[1:]]],
            capture_output=True,
            text=True,
            check=False,
        )
        assert probed.returncode == 0, (
            f"the HEALTHCHECK fails: {probed.stderr.strip().splitlines()[-1:]}"
            " (GET /healthz: issue 22, helper C)"
        )
