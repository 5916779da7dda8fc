"""Reading CSV files into columns, fast, with every problem named by file and line.

A file is decoded strictly as UTF-8 (a byte-order mark is allowed), its header
names its columns, and each row must have one field per column.  Files without
quotes or blank lines — nearly all machine-written ones — are split with ``str``
methods, which is several times faster than the ``csv`` module on large files;
anything else goes through ``csv`` with the same result.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TextIO

from tahator.domain.errors import InputError, Problem
from tahator.domain.local_text import Calendar
from tahator.i18n import _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list)."""
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_STARTS_FORMULA = re.compile(r"^[=+\-@\t\r]", re.MULTILINE)
_CELL_STARTS_FORMULA = re.compile(r"(?:^|,)[=+\-@\t\r]", re.MULTILINE)

MAX_PROBLEMS = 20
"""Problems listed before the rest are only counted."""
MAX_FILE_BYTES = 256 * 1024 * 1024
"""A larger file is refused before it is read (millions of rows fit well below it)."""


@dataclass(frozen=True)
class Table:
    """The columns of a CSV file, by header name, and where each row came from."""

    path: str
    columns: dict[str, list[str]]
    first_line: int
    """Line of the first row when rows are contiguous (``lines`` is ``None``)."""
    lines: list[int] | None
    """Line of each row when blank lines or quoted newlines break contiguity."""
    plain: bool = False
    """No field holds a comma, quote or line break, so rows can be joined unquoted."""
    header: tuple[str, ...] = ()
    """Every column of the file, in order."""
    raw_rows: list[str] | None = None
    """The rows as written, when ``plain``: output can reuse them instead of rejoining."""

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def line(self, row: int) -> int:
        """The file line on which row ``row`` (from 0) starts."""
        return self.first_line + row if self.lines is None else self.lines[row]

    def problem(self, row: int, message: str, field: str | None = None) -> Problem:
        return Problem(message, self.path, self.line(row), field)


class Problems:
    """Collects problems; reports the first ``MAX_PROBLEMS`` by line and counts the rest."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.found.append(problem)

    def raise_if_any(self) -> None:
        if not self.found:
            return
        ordered = sorted(self.found, key=lambda problem: problem.line or 0)
        problems = ordered[:MAX_PROBLEMS]
        if len(ordered) > MAX_PROBLEMS:
            more = len(ordered) - MAX_PROBLEMS
            problems.append(Problem(f"… and {more} more problems", problems[-1].file))
        raise InputError(problems)


def read_table(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    data: bytes | None = None,
) -> Table:
    """Read the CSV file at ``path``: its ``required`` columns and any ``optional`` ones.

    Other columns are ignored.  ``data``, if given, is the file's content already
    read.  Raises ``InputError`` for an unreadable, undecodable or empty file, a
    header without a required column, a row with the wrong number of fields, or
    no rows at all.
    """
    name = str(path)
    too_large = Problem(f"larger than {MAX_FILE_BYTES} bytes; split the file", name)
    if data is None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InputError([too_large])
            data = path.read_bytes()
        except OSError as error:
            raise InputError([Problem(f"cannot read the file: {error.strerror}", name)]) from error
    if len(data) > MAX_FILE_BYTES:
        raise InputError([too_large])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            [Problem(f"byte 0x{data[error.start]:02x} is not UTF-8 text", name, line)]
        ) from error
    if not text.strip():
        raise InputError(
            [Problem(f"the file is empty; expected a header {','.join(required)}", name, 1)]
        )
    lines = text.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.strip())
    import csv  # loaded when a file is read this way, not by every importer

    header = [field.strip().lower() for field in next(csv.reader([lines[header_at]]))]
    problems = Problems()
    for column in required:
        if column not in header:
            problems.add(
                Problem(
                    f"missing column {column!r} (header: {','.join(header)})", name, header_at + 1
                )
            )
    for column in {c for c in header if header.count(c) > 1}:
        problems.add(Problem(f"column {column!r} appears twice", name, header_at + 1))
    problems.raise_if_any()

    body = lines[header_at + 1 :]
    while body and not body[-1].strip():
        body.pop()
    if not body:
        raise InputError([Problem("the file has a header but no rows", name, header_at + 1)])
    width = len(header)
    wanted = [c for c in (*required, *optional) if c in header]
    first_line = header_at + 2
    if '"' not in text and set(map(str.count, body, repeat(","))) == {width - 1}:
        fields = ",".join(body).split(",")
        columns = {c: fields[header.index(c) :: width] for c in wanted}
        return Table(name, columns, first_line, None, True, tuple(header), body)

    # The general path: quotes, blank lines, or rows of the wrong width.
    reader = csv.reader(io.StringIO("\n".join(body)))
    rows: list[list[str]] = []
    row_lines: list[int] = []
    start = 1
    try:
        for row in reader:
            line = first_line + start - 1
            start = reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                problems.add(Problem(f"expected {width} fields, found {len(row)}", name, line))
                continue
            rows.append(row)
            row_lines.append(line)
    except csv.Error as error:  # a field over the csv module's limit, say
        line = first_line + start - 1
        raise InputError([Problem(f"not readable as CSV: {error}", name, line)]) from error
    problems.raise_if_any()
    columns = {c: [row[header.index(c)] for row in rows] for c in wanted}
    return Table(name, columns, first_line, row_lines, header=tuple(header))


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as it may be written to a CSV or XLSX file without a spreadsheet taking
    it for a formula: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading single quote (OWASP, "CSV Injection"), so
    ``=1+2`` is written ``'=1+2`` and shown as the text it is.

    A cell that is a plain decimal number (``-12.50``, ``+3``) is data and stays as it
    is: a spreadsheet reads it as that number and evaluates nothing.  Every CSV and
    XLSX writer of the package passes its text cells through here (``write_csv``,
    ``spreadsheet_row``).
    """
    if cell[:1] in FORMULA_STARTS and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def spreadsheet_row(values: Iterable[object]) -> list[object]:
    """A row for an XLSX sheet: text cells made safe (``spreadsheet_safe``), numbers,
    dates and empty cells as they are."""
    return [spreadsheet_safe(v) if isinstance(v, str) else v for v in values]


def may_start_formula(values: Iterable[str], *, rows: bool = False) -> bool:
    """Whether any of ``values`` (or a line within one) begins as a formula would: a
    quick test over a whole column before ``spreadsheet_safe`` looks at each cell.
    With ``rows``, each value is a row of comma-separated cells, and any cell counts."""
    pattern = _CELL_STARTS_FORMULA if rows else _STARTS_FORMULA
    return pattern.search("\n".join(values)) is not None


def _safe_columns(columns: Sequence[list[str]]) -> Sequence[list[str]]:
    return [
        [spreadsheet_safe(v) for v in column] if may_start_formula(column) else column
        for column in columns
    ]


def needs_quoting(values: Iterable[str]) -> bool:
    """Whether any of ``values`` holds a character CSV must quote."""
    joined = "".join(values)
    return any(ch in joined for ch in ',"\r\n')


@contextmanager
def atomic_output(path: Path) -> Iterator[TextIO]:
    """A text file that appears at ``path`` whole when the block ends, or not at all.

    It is written beside ``path`` under a temporary name and renamed over it, so a
    reader never sees half a file and a failure leaves no file behind.
    """
    with _replacing(path) as handle, os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        yield out


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (as ``atomic_output`` does text)."""
    with _replacing(path) as handle, os.fdopen(handle, "wb") as out:
        out.write(data)


@contextmanager
def _replacing(path: Path) -> Iterator[int]:
    """A descriptor of a new file beside ``path``, renamed over ``path`` when the block
    (which closes the descriptor) ends; on failure the new file is removed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = _new_file_beside(path)
    except OSError as error:
        raise InputError([Problem(f"cannot write here: {error.strerror}", str(path))]) from error
    try:
        yield handle
        os.chmod(temporary, 0o644)  # mkstemp makes it private; an output file is not
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError([Problem(f"cannot write here: {error.strerror}", str(path))]) from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_file_beside(path: Path) -> tuple[int, str]:
    """A new private file beside ``path``, its descriptor and name: what
    ``tempfile.mkstemp`` gives (created exclusively, mode 0600, closed on exec)
    without importing ``tempfile``, which costs a command like ``tahator clear`` more
    than writing a small file does."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(100):
        name = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_csv_atomically(
    path: Path, header: Sequence[str], columns: Sequence[list[str]], *, plain: bool = False
) -> None:
    """Write rows (given as columns of strings) to ``path`` all at once or not at all.

    ``plain`` promises that no value needs CSV quoting, which spares checking.
    """
    with atomic_output(path) as out:
        write_csv(out, header, columns, plain=plain)


def write_csv(
    out: TextIO, header: Sequence[str], columns: Sequence[list[str]], *, plain: bool = False
) -> None:
    """Write a header and rows (given as columns of strings) to an open file, every cell
    safe for spreadsheets (``spreadsheet_safe``)."""
    out.write(",".join(header) + "\n")
    columns = _safe_columns(columns)
    if not plain and any(needs_quoting(column) for column in columns):
        import csv

        csv.writer(out, lineterminator="\n").writerows(zip(*columns, strict=True))
    elif columns and columns[0]:
        out.write("\n".join(map(",".join, zip(*columns, strict=True))) + "\n")


def date_column(table: Table, plain: str, solar: str, calendar: Calendar) -> tuple[str, Calendar]:
    """Which of a file's two date columns holds its dates, and in which calendar: the
    ``solar`` one (``due_date_sh``) is Solar Hijri, the ``plain`` one in ``calendar``;
    a file with both, or neither, is refused at its header line."""
    if solar in table.header:
        if plain in table.header:
            message = _("give dates in one column: %(plain)s or %(solar)s, not both")
            raise InputError(
                [
                    Problem(
                        message % {"plain": plain, "solar": solar}, table.path, table.first_line - 1
                    )
                ]
            )
        return solar, Calendar.SOLAR_HIJRI
    if plain not in table.header:
        message = _("missing column %(column)s (or %(solar)s) (header: %(header)s)")
        header = ",".join(table.header)
        values = {"column": repr(plain), "solar": solar, "header": header}
        raise InputError([Problem(message % values, table.path, table.first_line - 1)])
    return plain, calendar
