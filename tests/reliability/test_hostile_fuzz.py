"""Hostile input, fuzzed: the CSV importers (firms, obligations, offers) and the barter
application reader end every input in success or ``InputError`` (a clear error),
never another exception, and a refused import writes nothing.  Names carrying HTML
or SQL are stored verbatim and shown harmlessly; oversized files are refused."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError
from tahator.io import firms as io_firms
from tahator.io import obligations as io_obligations
from tahator.io import tables
from tahator.io.application import read_application
from tahator.io.offers import OFFER_COLUMNS, read_offers
from tahator.services import corridor, offers
from tahator.store import migrate
from tahator.store.database import make_engine, reading, transaction
from tahator.store.schema import AuditRecord, Firm, JournalLine, Obligation, Offer
from tests.conftest import Cli, write
from tests.integration.conftest import firms_file, import_firms_file, import_obligations_file
from tests.integration.test_barter import application as valid_application

FIRMS = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR"}
HOSTILE = [
    "<script>alert(1)</script>",
    "'; DROP TABLE firms; --",
    '" OR 1=1 --',
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "\u202etxt.exe",
    "\x00",
    "=cmd|' /C calc'!A0",
]
# Values a field might hold: valid ones, and the kinds of wrong ones files really carry.
FIELD = st.one_of(
    st.sampled_from(
        [
            *FIRMS,
            "PK",
            "IR",
            "USD",
            "PKR",
            "IRR",
            "EUR",
            "1.00",
            "250000.50",
            "-1",
            "0",
            "1e5",
            "NaN",
            "Infinity",
            "9" * 30,
            "0.0000001",
            "2026-06-30",
            "2026-02-30",
            "30/06/2026",
            "10063010",
            "2711",
            "2711|1006",
            "true",
            "no",
            "",
            " ",
            "1234567-8",
            *HOSTILE,
        ]
    ),
    st.text(max_size=30),
)


def import_offers(session: Session, path: Path, actor: str, *, data: bytes) -> object:
    """Read the offers file, then register its offers."""
    read = read_offers(path, corridor.load(session).digits, data=data)
    return offers.import_offers(session, read, actor, source=path.name)


HEADERS = {
    "firms": [*io_firms.FIRM_COLUMNS, *io_firms.FIRM_OPTIONAL],
    "obligations": list(io_obligations.OBLIGATION_COLUMNS),
    "offers": list(OFFER_COLUMNS),
}
IMPORTERS: dict[str, Callable[..., Any]] = {
    "firms": import_firms_file,
    "obligations": import_obligations_file,
    "offers": import_offers,
}


@st.composite
def csv_files(draw: st.DrawFn, kind: str) -> bytes:
    """A CSV file: mostly a plausible header with fuzzed fields, sometimes raw bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    header = list(HEADERS[kind])
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 5)) == 0:
        header = header[: draw(st.integers(0, len(header)))] + draw(st.lists(FIELD, max_size=2))
    rows = draw(
        st.lists(
            st.lists(FIELD, min_size=max(len(header) - 1, 0), max_size=len(header) + 1),
            min_size=0,
            max_size=6,
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A SQLite clearing house with four firms, shared by every example."""
    folder = tmp_path_factory.mktemp("fuzz")
    engine = make_engine(f"sqlite:///{folder / 'house.db'}")
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
        import_firms_file(session, firms_file(folder / "firms.csv", FIRMS), "test")
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> tuple[int, ...]:
    with reading(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Firm, Obligation, Offer, JournalLine, AuditRecord)
        )


FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_fuzzed_csv_imports_succeed_or_fail_clearly_and_a_failure_writes_nothing(
    engine: Engine, kind: str
) -> None:
    @FUZZ
    @given(data=csv_files(kind))
    def check(data: bytes) -> None:
        before = snapshot(engine)
        problems = None
        try:
            with transaction(engine) as session:
                IMPORTERS[kind](session, Path(f"{kind}.csv"), "fuzz", data=data)
        except InputError as error:  # any other exception fails the test
            problems = error.problems
        if problems is not None:
            assert problems, "an InputError names at least one problem"
            assert all(str(p) for p in problems)
            assert snapshot(engine) == before, "a refused import wrote something"

    check()


UN_SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tahator" / "data" / "un-sample.xml"
XML_FRAGMENTS = [
    "<!DOCTYPE x [<!ENTITY a 'aaaa'>]>",
    '<!ENTITY e SYSTEM "file:///etc/passwd">',
    "&e;",
    "&amp;",
    "&#0;",
    "<![CDATA[<INDIVIDUAL>]]>",
    "</INDIVIDUALS>",
    "<INDIVIDUAL>",
    '<?xml version="1.0" encoding="UTF-16"?>',
    "\x00",
    "\ufeff",
    *HOSTILE,
]


@st.composite
def list_files(draw: st.DrawFn) -> bytes:
    """The sample UN list with fields replaced or removed, fragments of hostile XML
    spliced in, or cut short; or any bytes at all."""
    import xml.etree.ElementTree as ElementTree

    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    root = ElementTree.fromstring(UN_SAMPLE.read_bytes())
    elements = list(root.iter())
    for _ in range(draw(st.integers(0, 6))):
        element = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["text", "drop", "empty"]))
        if action == "text":
            element.text = draw(FIELD)
        elif action == "empty":
            element.text = None
        else:
            for parent in root.iter():
                if element in list(parent):
                    parent.remove(element)
                    break
    data = ElementTree.tostring(root, encoding="utf-8")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        fragment = draw(st.sampled_from(XML_FRAGMENTS)).encode("utf-8", "surrogatepass")
        data = data[:at] + fragment + data[at:]
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


def test_fuzzed_sanctions_lists_import_or_fail_clearly_and_a_failure_writes_nothing(
    engine: Engine,
) -> None:
    from tahator.io.un_list import read_list
    from tahator.services import list_imports
    from tahator.store.schema import SanctionsEntry, SanctionsList

    def lists() -> tuple[int, int, int]:
        with reading(engine) as session:
            return (
                session.scalar(select(func.count()).select_from(SanctionsList)) or 0,
                session.scalar(select(func.count()).select_from(SanctionsEntry)) or 0,
                session.scalar(select(func.count()).select_from(AuditRecord)) or 0,
            )

    outcomes = {"imported": 0, "refused": 0}

    @FUZZ
    @given(data=list_files())
    def check(data: bytes) -> None:
        before = lists()
        problems = None
        try:
            with transaction(engine) as session:
                parsed = read_list("un", Path("list.xml"), data=data)
                list_imports.import_list(session, parsed, "fuzz")
        except InputError as error:  # any other exception fails the test
            problems = error.problems
        outcomes["imported" if problems is None else "refused"] += 1
        if problems is not None:
            assert problems, "an InputError names at least one problem"
            assert all(str(p) for p in problems)
            assert lists() == before, "a refused list wrote something"

    check()
    # Both ends were reached: the fuzzing is not all refusals, nor all successes.
    assert outcomes["imported"] > 0, outcomes
    assert outcomes["refused"] > 0, outcomes


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | FIELD,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@st.composite
def applications(draw: st.DrawFn) -> bytes:
    """A barter application with fields replaced, removed or added; or any JSON; or bytes."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=200))
    if choice == 1:
        return json.dumps(draw(JSON_VALUES)).encode()
    data: dict[str, Any] = valid_application()
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from([*data, "imports.0", "exports.0", "reference", "x"]))
        value = draw(JSON_VALUES)
        if key.endswith(".0"):
            lines = data.get(key.split(".")[0])
            line = dict(valid_application()["imports"][0])
            if isinstance(lines, list) and lines and isinstance(lines[0], dict):
                line = dict(lines[0])
            line[draw(st.sampled_from(sorted(line) or ["hs"]))] = value
            data[key.split(".")[0]] = [line]
        elif draw(st.booleans()):
            data[key] = value
        else:
            data.pop(key, None)
    return json.dumps(data).encode()


def test_fuzzed_barter_applications_parse_or_fail_clearly(tmp_path: Path) -> None:
    digits = {"USD": 2, "PKR": 2, "IRR": 0, "AFN": 2, "RUB": 2}
    path = tmp_path / "application.json"

    @FUZZ
    @given(data=applications())
    def check(data: bytes) -> None:
        path.write_bytes(data)
        problems = None
        try:
            read_application(path, digits)
        except InputError as error:  # any other exception fails the test
            problems = error.problems
        assert problems is None or problems

    check()


def test_an_import_file_beyond_the_limit_is_refused_before_it_is_read(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    monkeypatch.setattr(tables, "MAX_FILE_BYTES", 1000)
    big = firms_file(tmp_path / "firms.csv", {f"PK-{n}": "PK" for n in range(1, 40)})
    assert big.stat().st_size > 1000
    code, _, err = cli("--db", url, "firms", "import", big)
    assert code == 2
    assert "larger than 1000 bytes" in err
    code, out, _ = cli("--db", url, "firms", "list", "--json")
    assert json.loads(out) == []


def test_names_with_html_or_sql_are_stored_verbatim_and_shown_harmlessly(
    cli: Cli, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from tahator.asgi import create_app
    from tests.reliability.server import prepare

    url = f"sqlite:///{tmp_path / 'house.db'}"
    token = prepare(url, tmp_path)
    evil = {
        "PK-9": "<script>alert('x')</script>",
        "PK-8": "Robert'); DROP TABLE firms;--",
    }
    lines = ["id,name,country,tax_id"]
    from tahator.demo import tax_id

    for n, (firm, name) in enumerate(sorted(evil.items()), start=20):
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"{firm},{quoted},PK,{tax_id('PK', n)}")
    code, _, err = cli(
        "--db", url, "firms", "import", write(tmp_path / "evil.csv", "\n".join(lines))
    )
    assert code == 0, err
    code, out, _ = cli("--db", url, "firms", "list", "--json")
    names = {f["id"]: f["name"] for f in json.loads(out)}
    assert {k: names[k] for k in evil} == evil  # stored verbatim; the firms table is intact
    assert len(names) == len(FIRMS) + 2
    code, out, _ = cli("--db", url, "firms", "list")
    assert code == 0
    assert "<script>" in out  # the terminal shows it as text (Rich markup is not run)
    app = create_app(url)
    with TestClient(app) as client:
        response = client.get("/api/v1/firms", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        shown = {f["id"]: f["name"] for f in response.json()["items"]}
        assert {k: shown[k] for k in evil} == evil
    app.state.engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/nowhere", 404),
        ("delete", "/api/v1/obligations", 405),
        ("put", "/api/v1/auth/token", 405),
        ("get", "/api/v1/obligations", 401),
    ],
)
def test_secure_headers_on_errors_too(tmp_path: Path, method: str, path: str, status: int) -> None:
    from fastapi.testclient import TestClient

    from tahator.asgi import SECURITY_HEADERS, create_app

    url = f"sqlite:///{tmp_path / 'house.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(url)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.request(method, path)
    app.state.engine.dispose()
    assert response.status_code == status
    # The API answers problem documents; a page outside it, an HTML error page.
    expected = "application/problem+json" if path.startswith("/api/") else "text/html"
    assert response.headers["content-type"].startswith(expected)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_an_unexpected_error_is_a_logged_500_problem_with_the_secure_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from tahator.asgi import SECURITY_HEADERS, create_app
    from tahator.services import users

    def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    url = f"sqlite:///{tmp_path / 'house.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setattr(users, "principal_for", bug)
    app = create_app(url)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/obligations", headers={"Authorization": "Bearer x"})
    app.state.engine.dispose()
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "a bug" not in response.text  # nothing of the internals shown
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["Cache-Control"] == "no-store"
