"""Coverage-guided fuzzing (atheris, libFuzzer) of the readers of untrusted files: the UN
sanctions list (XML), the CSV tables of firms, obligations and offers, and barter
applications (JSON).

Hypothesis (``tests/reliability/test_hostile_fuzz.py``) fuzzes these in ``make test``
with inputs shaped like real files; atheris adds byte-level mutation steered by
coverage, finding what no one thought to write a strategy for.  Each target accepts
any bytes and must end in a result or ``InputError``: anything else is a crash that
libFuzzer reports with the input that caused it.

    .venv/bin/uv run --frozen --group fuzz python fuzz/fuzz_parsers.py TARGET \\
        [-max_total_time=120] [-seed=1] [CORPUS_DIR ...]

TARGET is one of xml, csv, json.  Not part of ``make test``: a run is open-ended.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import atheris

# Only the project's own code: instrumenting what it imports (NumPy, SQLAlchemy, asyncio)
# slows start-up and spreads coverage feedback over code that is not under test.
with atheris.instrument_imports(include=["tahator"]):
    from tahator.domain.errors import InputError
    from tahator.io import application, firms, obligations
    from tahator.io.offers import OFFER_COLUMNS
    from tahator.io.tables import read_table
    from tahator.io.un_list import parse_un

DIGITS = {"USD": 2, "PKR": 2, "IRR": 0, "AFN": 2, "RUB": 2}
TABLES = [
    ([*firms.FIRM_COLUMNS], [*firms.FIRM_OPTIONAL]),
    ([*obligations.OBLIGATION_COLUMNS], []),
    ([*OFFER_COLUMNS], []),
]
_scratch = Path(tempfile.mkdtemp(prefix="tahator-fuzz-")) / "application.json"


def fuzz_xml(data: bytes) -> None:
    with suppress(InputError):  # a clear refusal is fine; any other exception is a crash
        parse_un(data, "fuzz.xml")


def fuzz_csv(data: bytes) -> None:
    # The first byte picks the table, so one corpus exercises all three headers.
    if not data:
        return
    required, optional = TABLES[data[0] % len(TABLES)]
    with suppress(InputError):
        read_table(Path("fuzz.csv"), required, optional, data=data[1:])


def fuzz_json(data: bytes) -> None:
    _scratch.write_bytes(data)
    with suppress(InputError):
        application.parse_application(application.read_document(_scratch), DIGITS, "fuzz.json")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "xml": fuzz_xml,
    "csv": fuzz_csv,
    "json": fuzz_json,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: fuzz_parsers.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
