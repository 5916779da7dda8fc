"""``tahator clear`` end to end: files in, files and summaries out, bad input refused."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED_DATA, Cli, absent_in_ci, write

REFERENCE = SHARED_DATA / "mtcs" / "synthetic_network_01.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_ring_of_three_is_set_off_and_written_in_input_order(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "debtor,creditor,amount\nA,B,100\nB,C,100\nC,A,50\nC,D,7\n")
    code, out, _ = cli("clear", source, "-o", tmp_path / "s.csv", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["total"] == "257"
    assert summary["cleared"] == "150"
    assert summary["remainder"] == "107"
    assert summary["obligations"] == 4
    assert summary["firms"] == 4
    assert summary["cleared_share"] == pytest.approx(150 / 257, abs=1e-6)
    assert summary["net_internal_debt"] == "50"  # net, C is owed 43 and D 7
    assert (tmp_path / "s.csv").read_text() == (
        "id,debtor,creditor,amount,setoff,remainder\n"
        "1,A,B,100,50,50\n2,B,C,100,50,50\n3,C,A,50,50,0\n4,C,D,7,0,7\n"
    )


def test_the_summary_is_readable_without_json(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "debtor,creditor,amount\nA,B,1000000\nB,A,2500000\n")
    code, out, _ = cli("clear", source)
    assert code == 0
    assert "3,500,000" in out  # thousands separators
    assert "set off" in out


def test_decimal_amounts_are_exact_and_written_as_in_the_input(cli: Cli, tmp_path: Path) -> None:
    source = write(
        tmp_path / "o.csv",
        "id,debtor,creditor,amount\nx1,PK-1,IR-1,10.05\nx2,IR-1,PK-1,0.10\nx3,IR-1,PK-2,3\n",
    )
    code, out, _ = cli("clear", source, "-o", tmp_path / "s.csv", "--json")
    assert code == 0
    assert json.loads(out)["cleared"] == "0.20"
    rows = read_rows(tmp_path / "s.csv")
    assert [r["id"] for r in rows] == ["x1", "x2", "x3"]
    assert [r["amount"] for r in rows] == ["10.05", "0.10", "3"]
    assert [(r["setoff"], r["remainder"]) for r in rows] == [
        ("0.10", "9.95"),
        ("0.10", "0.00"),
        ("0.00", "3"),
    ]


def test_parallel_obligations_are_set_off_earliest_due_first(cli: Cli, tmp_path: Path) -> None:
    source = write(
        tmp_path / "o.csv",
        "id,debtor,creditor,amount,due_date\n"
        "late,A,B,60,2026-03-01\nearly,A,B,40,2026-01-15\nback,B,A,70,2026-02-01\n",
    )
    code, _, _ = cli("clear", source, "-o", tmp_path / "s.csv")
    assert code == 0
    setoff = {r["id"]: r["setoff"] for r in read_rows(tmp_path / "s.csv")}
    assert setoff == {"early": "40", "late": "30", "back": "70"}


@absent_in_ci(REFERENCE.exists(), f"the shared reference data at {REFERENCE}")
def test_reference_network_gives_the_reference_result(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("clear", REFERENCE, "-o", tmp_path / "s.csv", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["obligations"] == 100_471
    assert summary["firms"] == 28_975
    assert summary["total"] == "61202827278"
    assert summary["cleared"] == "535494678"
    assert summary["pairs_on_cycles"] == 27_544
    rows = read_rows(tmp_path / "s.csv")
    assert len(rows) == 100_471
    assert sum(int(r["setoff"]) for r in rows) == 535_494_678
    assert all(int(r["setoff"]) + int(r["remainder"]) == int(r["amount"]) for r in rows)


def network_text(edges: list[tuple[int, int, int]], line_end: str = "\n", prefix: str = "") -> str:
    lines = ["debtor,creditor,amount"]
    lines += [f"{prefix}{d},{prefix}{c},{a}" for d, c, a in edges]
    return line_end.join(lines) + line_end


edges = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(0, 10**6)).filter(
        lambda e: e[0] != e[1]
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edges=edges)
def test_fast_and_general_readers_agree(cli: Cli, tmp_path: Path, edges) -> None:
    """The NumPy path for integer files and the general CSV path give the same file."""
    fast = write(tmp_path / "fast.csv", network_text(edges))
    general = write(tmp_path / "general.csv", network_text(edges, line_end="\r\n"))
    named = write(tmp_path / "named.csv", network_text(edges, prefix="f"))
    outputs = []
    for source in (fast, general, named):
        code, out, err = cli("clear", source, "-o", tmp_path / f"{source.stem}.out", "--json")
        assert code == 0, err
        outputs.append(json.loads(out))
    assert outputs[0]["cleared"] == outputs[1]["cleared"] == outputs[2]["cleared"]
    fast_rows = read_rows(tmp_path / "fast.out")
    general_rows = read_rows(tmp_path / "general.out")
    assert fast_rows == general_rows
    named_rows = read_rows(tmp_path / "named.out")
    assert [r["setoff"] for r in named_rows] == [r["setoff"] for r in fast_rows]


def test_names_that_need_quoting_survive(cli: Cli, tmp_path: Path) -> None:
    source = write(
        tmp_path / "o.csv",
        'debtor,creditor,amount\n"Khan, Sons & Co",Ghalibaf Trading,5\n'
        'Ghalibaf Trading,"Khan, Sons & Co",""\n',
    )
    code, _, err = cli("clear", source, "-o", tmp_path / "s.csv")
    assert code == 2  # the empty amount
    source = write(
        tmp_path / "o.csv",
        'debtor,creditor,amount\n"Khan, Sons & Co",Ghalibaf Trading,5\n'
        'Ghalibaf Trading,"Khan, Sons & Co",3\n',
    )
    code, _, err = cli("clear", source, "-o", tmp_path / "s.csv")
    assert code == 0, err
    rows = read_rows(tmp_path / "s.csv")
    assert rows[0]["debtor"] == "Khan, Sons & Co"
    assert [r["setoff"] for r in rows] == ["3", "3"]


BAD_FILES = {
    "missing column": (b"debtor,amount\nA,1\n", ":1: missing column 'creditor'"),
    "bad number": (b"debtor,creditor,amount\nA,B,1\nB,A,12x\n", ":3: amount: '12x' is not"),
    "negative": (b"debtor,creditor,amount\nA,B,-5\n", ":2: amount: '-5' is negative"),
    "self": (b"debtor,creditor,amount\nA,B,1\nC,C,2\n", ":3: debtor and creditor are both 'C'"),
    "empty": (b"", ":1: the file is empty"),
    "header only": (b"debtor,creditor,amount\n", ":1: the file has a header but no rows"),
    "undecodable": (b"debtor,creditor,amount\nA,B,1\n\xff,B,2\n", ":3: byte 0xff is not UTF-8"),
    "too many digits": (b"debtor,creditor,amount\nA,B,1.001\n", ":2: amount: '1.001' has more"),
    "short row": (b"debtor,creditor,amount\nA,B,1\nA,B\n", ":3: expected 3 fields, found 2"),
    "duplicate id": (b"id,debtor,creditor,amount\n1,A,B,1\n1,B,A,1\n", ":3: id: '1' appears"),
    "empty firm": (b"debtor,creditor,amount\n,B,1\n", ":2: debtor: is empty"),
    "too large": (b"debtor,creditor,amount\nA,B,99999999999999999999\n", ":2: amount: "),
    "bad date": (
        b"debtor,creditor,amount,due_date\nA,B,1,2026-02-30\n",
        ":2: due_date: '2026-02-30' is not a date",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_write_nothing(cli: Cli, tmp_path: Path, case: str) -> None:
    content, message = BAD_FILES[case]
    source = write(tmp_path / "bad.csv", content)
    output = tmp_path / "s.csv"
    code, out, err = cli("clear", source, "-o", output, "--scale", "2")
    assert code == 2
    assert f"{source}{message}" in err, err
    assert out == ""
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left behind either


def test_every_bad_row_is_listed_by_line(cli: Cli, tmp_path: Path) -> None:
    rows = "".join(f"A,B,{'x' if i % 2 else i}\n" for i in range(60))
    source = write(tmp_path / "bad.csv", "debtor,creditor,amount\n" + rows)
    code, _, err = cli("clear", source)
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"{source}:3: amount: 'x'")
    assert len(lines) == 21
    assert lines[-1].endswith("… and 10 more problems")


def test_a_failed_run_leaves_an_earlier_output_untouched(cli: Cli, tmp_path: Path) -> None:
    output = write(tmp_path / "s.csv", "earlier result\n")
    source = write(tmp_path / "bad.csv", "debtor,creditor,amount\nA,B,oops\n")
    code, _, _ = cli("clear", source, "-o", output)
    assert code == 2
    assert output.read_text() == "earlier result\n"


def test_scale_zero_refuses_fractions(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "debtor,creditor,amount\nA,B,1.5\n")
    code, _, err = cli("clear", source, "--scale", "0")
    assert code == 2
    assert "'1.5' has more than --scale 0 fraction digits" in err


PARTICIPANTS = "id,country\nPK-1,PK\nPK-2,PK\nIR-1,IR\nIR-2,IR\n"
CORRIDOR = (
    "debtor,creditor,amount\n"
    "PK-1,IR-1,300.00\n"  # Pakistan imports 300
    "IR-2,PK-2,100.00\n"  # and exports 100
    "PK-2,PK-1,40.00\n"  # a domestic debt
)


def test_settlement_through_clearing_accounts(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", CORRIDOR)
    participants = write(tmp_path / "p.csv", PARTICIPANTS)
    code, out, err = cli(
        "clear",
        source,
        "--participants",
        participants,
        "--credit-line",
        "IR=50",
        "--settlement",
        tmp_path / "settle.csv",
        "--json",
    )
    assert code == 0, err
    settlement = json.loads(out)["settlement"]
    accounts = {a["country"]: a for a in settlement["accounts"]}
    assert accounts["PK"]["collected"] == "300.00"
    assert accounts["PK"]["paid_out"] == "100.00"
    assert accounts["PK"]["retained"] == "200.00"
    assert accounts["IR"]["collected"] == "100.00"
    assert accounts["IR"]["paid_out"] == "150.00"  # 100 collected + 50 credit line
    assert accounts["IR"]["credit_drawn"] == "50.00"
    assert accounts["IR"]["unpaid"] == "150.00"
    assert settlement["imbalances"] == [
        {"debtor_country": "PK", "creditor_country": "IR", "amount": "200.00"}
    ]
    assert settlement["domestic"] == "40.00"
    rows = read_rows(tmp_path / "settle.csv")
    assert {(r["firm"], r["kind"], r["owed"], r["amount"], r["unpaid"]) for r in rows} == {
        ("PK-1", "collection", "300.00", "300.00", "0.00"),
        ("IR-2", "collection", "100.00", "100.00", "0.00"),
        ("PK-2", "payout", "100.00", "100.00", "0.00"),
        ("IR-1", "payout", "300.00", "150.00", "150.00"),
    }


def test_a_percentage_credit_line_is_a_share_of_gross_payments(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", CORRIDOR)
    participants = write(tmp_path / "p.csv", PARTICIPANTS)
    code, out, _ = cli(
        "clear", source, "--participants", participants, "--credit-line", "IR=20%", "--json"
    )
    assert code == 0
    accounts = {a["country"]: a for a in json.loads(out)["settlement"]["accounts"]}
    assert accounts["IR"]["credit_line"] == "20.00"  # 20 % of the 100 it collected


@pytest.mark.parametrize(
    ("participants", "args", "message"),
    [
        ("id,country\nPK-1,PK\n", (), "3 firms have no country"),
        ("id,country\nPK-1,Pakistan\n", (), ":2: country: 'Pakistan' is not a country code"),
        (PARTICIPANTS, ("--credit-line", "IR"), "--credit-line: credit line 'IR' must look like"),
        (PARTICIPANTS, ("--credit-line", "IR=-5%"), "is negative"),
    ],
)
def test_bad_participants_and_credit_lines(
    cli: Cli, tmp_path: Path, participants: str, args: tuple[str, ...], message: str
) -> None:
    source = write(tmp_path / "o.csv", CORRIDOR)
    people = write(tmp_path / "p.csv", participants)
    code, _, err = cli(
        "clear", source, "--participants", people, *args, "--settlement", tmp_path / "s.csv"
    )
    assert code == 2
    assert message in err
    assert not (tmp_path / "s.csv").exists()


def test_settlement_needs_participants(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", CORRIDOR)
    code, _, err = cli("clear", source, "--settlement", tmp_path / "s.csv")
    assert code == 2
    assert "--settlement needs --participants" in err


def test_the_installed_command_runs_as_a_process(tmp_path: Path) -> None:
    """The console script (with its fast exit) prints everything before leaving."""
    source = write(tmp_path / "o.csv", "debtor,creditor,amount\nA,B,5\nB,A,5\n")
    command = Path(sys.executable).parent / "tahator"
    done = subprocess.run(
        [str(command), "clear", str(source), "--json"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["cleared"] == "10"
    bad = write(tmp_path / "bad.csv", "debtor,creditor,amount\nA,A,5\n")
    done = subprocess.run(
        [str(command), "clear", str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"{bad}:2: debtor and creditor are both 'A'"


def test_the_command_line_loads_no_database_code_until_it_needs_it() -> None:
    """``tahator clear`` competes with a bare NumPy script on whole-process time:
    SQLAlchemy (0.12 s to import) must stay out of its way."""
    probe = (
        "import sys, tahator.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'scipy'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unwritable_output_is_refused_clearly(cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "debtor,creditor,amount\nA,B,5\nB,A,5\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    code, _, err = cli("clear", source, "-o", folder)
    assert code == 2
    assert err.strip() == f"{folder}: cannot write here: Is a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "o.csv"]


def test_totals_past_64_bits_set_off_exactly(cli: Cli, tmp_path: Path) -> None:
    """Each amount fits 64 bits, their total does not: the set-off is still exact."""
    big = 9_000_000_000_000_000_000
    rows = f"debtor,creditor,amount\nA,B,{big}\nB,C,{big}\nC,A,5000000000000000000\n"
    source = write(tmp_path / "big.csv", rows.encode())
    output = tmp_path / "s.csv"
    code, out, err = cli("clear", source, "-o", output)
    assert code == 0, err
    assert "23,000,000,000,000,000,000" in out
    assert output.read_text().splitlines()[1:] == [
        f"1,A,B,{big},5000000000000000000,4000000000000000000",
        f"2,B,C,{big},5000000000000000000,4000000000000000000",
        "3,C,A,5000000000000000000,5000000000000000000,0",
    ]
