"""The files of ``tahator clear``: obligations and participants in, set-offs and
settlement instructions out.

Reads ``debtor,creditor,amount`` (optionally ``id`` and ``due_date``, Gregorian, or
``due_date_sh``, Solar Hijri; or ``due_date`` in the calendar given) into arrays,
fast: a file of plain integers is parsed in NumPy; anything else goes through the
general CSV reader, which names every bad row.  ``id,country`` gives each firm's
country.  The writers put one row per obligation (what was set off, what remains)
and one row per settlement instruction.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from tahator.domain.clearing import SetOff
from tahator.domain.errors import InputError, Problem
from tahator.domain.local_text import SOLAR_HIJRI_SUFFIX, Calendar
from tahator.domain.money import format_amount, fraction_digits, parse_amount
from tahator.io.integer_csv import (
    all_distinct,
    format_integer_rows,
    number_by_appearance,
    parse_integer_rows,
)
from tahator.io.tables import (
    Problems,
    Table,
    atomic_output,
    may_start_formula,
    read_table,
    write_csv,
)

if TYPE_CHECKING:
    from tahator.domain.clearing import Int64Array
    from tahator.domain.settlement import Settlement

SETOFF_HEADER = ("id", "debtor", "creditor", "amount", "setoff", "remainder")
SETTLEMENT_HEADER = ("firm", "country", "kind", "owed", "amount", "unpaid")


@dataclass(frozen=True)
class ObligationFile:
    """Obligations read from a file, as arrays, with what is needed to write them back."""

    label: str
    header: tuple[str, ...]
    columns: dict[str, list[str]]
    """Columns as written; a file read by the integer fast path has none."""
    raw_rows: list[str] | None
    """The rows as written, when no field needs CSV quoting."""
    firm_names: list[str] | None
    """Each firm's name, by index; ``None`` when firms are numbers (``firm_numbers``)."""
    debtors: Int64Array
    creditors: Int64Array
    amounts: Int64Array
    digits: int
    """Fraction digits of the amounts: the precision the file is cleared and written in."""
    priority: Int64Array | None
    firm_numbers: Int64Array | None = None
    """Each firm's number, by index, in a file of integers only."""
    integers: Int64Array | None = None
    """The rows as integers (``rows × columns``) in a file of canonical integers only:
    each field is its integer written out, so the rows can be rewritten from these."""

    @property
    def count(self) -> int:
        return int(self.amounts.size)

    @property
    def firm_count(self) -> int:
        numbers = self.firm_numbers
        return int(numbers.size) if numbers is not None else len(self.firm_names or ())

    @property
    def firms(self) -> list[str]:
        """Each firm's name, by index."""
        if self.firm_numbers is not None:
            return list(map(str, self.firm_numbers.tolist()))
        return self.firm_names or []

    def ids(self) -> list[str]:
        """Each obligation's id: as given, or its number from 1 in file order."""
        if "id" in self.columns:
            return self.columns["id"]
        if self.integers is not None and self.header[0] == "id":
            return list(map(str, self.integers[:, 0].tolist()))
        return list(map(str, range(1, self.count + 1)))

    def texts(self, column: str) -> list[str]:
        """The ``debtor``, ``creditor`` or ``amount`` column as written."""
        if column in self.columns:
            return self.columns[column]
        if column == "amount":  # the fast path reads only canonical integers
            return list(map(str, self.amounts.tolist()))
        firms = self.firms
        index = self.debtors if column == "debtor" else self.creditors
        return [firms[i] for i in index.tolist()]


@dataclass(frozen=True)
class Participants:
    """Each firm's country, read from ``source``."""

    source: str
    countries: Mapping[str, str]


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cycle collector off while a large file is parsed and cleared.

    Parsing allocates millions of small objects and frees none: the collector
    would walk them all repeatedly for nothing.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


OBLIGATION_COLUMNS = ("debtor", "creditor", "amount")
_NUMERIC_HEADERS = (OBLIGATION_COLUMNS, ("id", *OBLIGATION_COLUMNS))


def read_obligations(
    path: Path, scale: int, calendar: Calendar = Calendar.GREGORIAN
) -> ObligationFile:
    """Read and validate an obligations file; ``InputError`` lists every bad row.
    ``due_date`` is read in ``calendar``; a ``due_date_sh`` column in Solar Hijri."""
    label = str(path)
    if not 0 <= scale <= 18:
        raise InputError([Problem(f"scale {scale} must be between 0 and 18", label)])
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(f"cannot read the file: {error.strerror}", label)]) from error
    return _read_numeric(label, data) or _read_general(label, data, scale, calendar)


def _read_numeric(label: str, data: bytes) -> ObligationFile | None:
    """The fast path for files of canonical integers only (the ``mtcs`` format).

    Takes a file whose rows hold nothing but non-negative integers without
    leading zeros, up to 18 digits, one per column, with ``\n`` or ``\r\n`` line
    ends, and parses it in NumPy (``tahator.io.integer_csv``).  Returns ``None`` for
    anything else — including every file with a problem — which the general path
    then reads and, if need be, reports on.
    """
    body = data.find(b"\n") + 1  # where the rows begin; not a copy of them
    header = tuple(
        field.strip().lower()
        for field in data[: body or len(data)].decode("utf-8-sig", "replace").split(",")
    )
    if not body or header not in _NUMERIC_HEADERS:
        return None
    values = parse_integer_rows(data, body, len(header))
    if values is None:
        return None
    debtors, creditors, amounts = values[:, -3], values[:, -2], values[:, -1]
    if np.any(debtors == creditors):
        return None
    if len(header) == 4 and not all_distinct(values[:, 0]):
        return None  # duplicate ids: the general path names them
    # Firms numbered in order of first appearance, as the general path does, so that
    # the two paths choose the same optimum where several are equally large.
    numbers, index = number_by_appearance(np.concatenate([debtors, creditors]))
    return ObligationFile(
        label=label,
        header=header,
        columns={},
        raw_rows=None,
        firm_names=None,
        debtors=index[: debtors.size],
        creditors=index[debtors.size :],
        amounts=np.ascontiguousarray(amounts),
        digits=0,
        priority=None,
        firm_numbers=numbers,
        integers=values,
    )


DUE_DATE_SH = "due_date" + SOLAR_HIJRI_SUFFIX


def _read_general(label: str, data: bytes, scale: int, calendar: Calendar) -> ObligationFile:
    table = read_table(Path(label), OBLIGATION_COLUMNS, ("id", "due_date", DUE_DATE_SH), data=data)
    columns = table.columns
    # Firms are named as in the file less surrounding blanks: "A, B" owes B, not " B".
    columns["debtor"] = [firm.strip() for firm in columns["debtor"]]
    columns["creditor"] = [firm.strip() for firm in columns["creditor"]]
    debtors, creditors, texts = columns["debtor"], columns["creditor"], columns["amount"]
    count = table.rows
    problems = Problems()

    if "id" in columns:
        seen: set[str] = set()
        for row, obligation_id in enumerate(columns["id"]):
            if not obligation_id.strip():
                problems.add(table.problem(row, "is empty", "id"))
            elif obligation_id in seen:
                problems.add(table.problem(row, f"{obligation_id!r} appears twice", "id"))
            seen.add(obligation_id)
    if "" in debtors or "" in creditors:
        for row, (debtor, creditor) in enumerate(zip(debtors, creditors, strict=True)):
            for field, value in (("debtor", debtor), ("creditor", creditor)):
                if not value.strip():
                    problems.add(table.problem(row, "is empty", field))

    # Firms numbered in order of first appearance, with C-level loops throughout.
    firms = list(dict.fromkeys(debtors + creditors))
    index = dict(zip(firms, range(len(firms)), strict=True))
    debtor_index = np.fromiter(map(index.__getitem__, debtors), np.int64, count)
    creditor_index = np.fromiter(map(index.__getitem__, creditors), np.int64, count)
    for row in np.flatnonzero(debtor_index == creditor_index).tolist():
        problems.add(table.problem(row, f"debtor and creditor are both {debtors[row]!r}"))

    amounts, digits = _amounts(table, texts, scale, problems)
    priority = None
    if "due_date" in columns and DUE_DATE_SH in columns:
        problems.add(Problem("give due dates in one column: due_date or due_date_sh", label))
    elif DUE_DATE_SH in columns:
        priority = _due_dates(
            table, columns[DUE_DATE_SH], problems, Calendar.SOLAR_HIJRI, DUE_DATE_SH
        )
    elif "due_date" in columns:
        priority = _due_dates(table, columns["due_date"], problems, calendar, "due_date")
    problems.raise_if_any()
    return ObligationFile(
        label=label,
        header=table.header,
        columns=columns,
        raw_rows=table.raw_rows,
        firm_names=firms,
        debtors=debtor_index,
        creditors=creditor_index,
        amounts=amounts,
        digits=digits,
        priority=priority,
    )


def _amounts(
    table: Table, texts: list[str], scale: int, problems: Problems
) -> tuple[Int64Array, int]:
    """Amounts as integers at the finest precision the file uses (≤ ``scale``)."""
    joined = "".join(texts)
    if (
        joined.isascii()
        and joined.isdigit()
        and 0 < min(map(len, texts)) <= max(map(len, texts)) <= 18
    ):
        return np.array(texts, dtype=np.int64), 0  # plain integers that fit 64 bits
    digits = 0
    for text in texts:
        if "." in text:
            digits = max(digits, fraction_digits(text))
    digits = min(digits, scale)
    amounts = np.zeros(len(texts), dtype=np.int64)
    for row, text in enumerate(texts):
        try:
            amounts[row] = parse_amount(text, digits)
        except ValueError as error:
            message = str(error)
            if "fraction digits" in message:
                message = f"{text!r} has more than --scale {scale} fraction digits"
            problems.add(table.problem(row, message, "amount"))
    return amounts, digits


def _due_dates(
    table: Table, texts: list[str], problems: Problems, calendar: Calendar, field: str
) -> Int64Array:
    # Not ``parse_day`` per row: a million plain rows parse to ordinals, then the range
    # is checked on the ordinal; ``parse_day`` reads (and words) the others.
    from tahator.domain.corridor import FIRST_DAY, LAST_DAY, parse_day

    first, last = FIRST_DAY.toordinal(), LAST_DAY.toordinal()
    hint = (
        "Solar Hijri dates go in a due_date_sh column, or read the file in that calendar "
        "(--calendar solar-hijri)"
    )
    ordinals = np.zeros(len(texts), dtype=np.int64)
    for row, text in enumerate(texts):
        ordinal = 0
        if calendar is Calendar.GREGORIAN and len(text) == 10 and text.isascii():
            try:
                ordinal = date.fromisoformat(text).toordinal()
            except ValueError:
                ordinal = 0
        if not first <= ordinal <= last:
            try:
                ordinal = parse_day(text, calendar, hint).toordinal()
            except ValueError as error:
                problems.add(table.problem(row, str(error), field))
                continue
        ordinals[row] = ordinal
    return ordinals


def read_participants(path: Path) -> Participants:
    """Each firm's country (ISO 3166 alpha-2) from ``id,country``."""
    table = read_table(path, ("id", "country"))
    problems = Problems()
    countries: dict[str, str] = {}
    for row, (firm, country) in enumerate(
        zip(table.columns["id"], table.columns["country"], strict=True)
    ):
        code = country.strip().upper()
        if len(code) != 2 or not code.isalpha() or not code.isascii():
            problems.add(table.problem(row, f"{country!r} is not a country code", "country"))
        elif countries.get(firm, code) != code:
            problems.add(table.problem(row, f"firm {firm!r} is given two countries", "id"))
        countries[firm] = code
    problems.raise_if_any()
    return Participants(str(path), countries)


def write_setoffs(out: TextIO, obligations: ObligationFile, result: SetOff) -> None:
    """One row per obligation, in input order: what was set off and what remains."""
    if obligations.integers is not None:
        _write_integer_setoffs(out, obligations.integers, result)
        return
    digits = obligations.digits
    # Most obligations are on no cycle: their set-off is zero and their remainder
    # is the amount as written, so only the others are formatted.
    setoff = [format_amount(0, digits)] * obligations.count
    remainder = list(obligations.texts("amount"))
    values = result.setoff.tolist()
    left = result.remainder.tolist()
    for row in np.flatnonzero(result.setoff).tolist():
        setoff[row] = format_amount(values[row], digits)
        remainder[row] = format_amount(left[row], digits)
    if (
        obligations.raw_rows is not None
        and obligations.header in _NUMERIC_HEADERS
        and not may_start_formula(obligations.raw_rows, rows=True)
    ):
        # The rows as written already read [id,]debtor,creditor,amount, and no cell of
        # them needs making safe for spreadsheets (``write_csv`` does that cell by cell).
        leading = [obligations.raw_rows]
        if "id" not in obligations.header:
            leading.insert(0, obligations.ids())
        plain = True
    else:
        leading = [obligations.ids(), *(obligations.texts(c) for c in OBLIGATION_COLUMNS)]
        plain = False
    write_csv(out, SETOFF_HEADER, [*leading, setoff, remainder], plain=plain)


def _write_integer_setoffs(out: TextIO, rows: Int64Array, result: SetOff) -> None:
    """``write_setoffs`` for a file of integers: every cell is an integer written
    out, so the lines are formatted in NumPy (the same bytes as ``str`` gives)."""
    columns = [rows[:, i] for i in range(rows.shape[1])]
    if columns and len(columns) == len(OBLIGATION_COLUMNS):
        columns.insert(0, np.arange(1, rows.shape[0] + 1, dtype=np.int64))
    columns += [result.setoff, result.remainder]
    out.write(",".join(SETOFF_HEADER) + "\n")
    binary = getattr(out, "buffer", None)
    if binary is not None:
        out.flush()
    for lines in format_integer_rows(columns):
        if binary is None:
            out.write(lines.decode("ascii"))
        else:
            binary.write(lines)


def write_settlement(out: TextIO, settlement: Settlement, digits: int) -> None:
    """One row per settlement instruction."""
    rows = settlement.instructions
    write_csv(
        out,
        SETTLEMENT_HEADER,
        [
            [i.firm for i in rows],
            [i.country for i in rows],
            [str(i.kind) for i in rows],
            [format_amount(i.owed, digits) for i in rows],
            [format_amount(i.amount, digits) for i in rows],
            [format_amount(i.unpaid, digits) for i in rows],
        ],
    )


def write_cleared(
    obligations: ObligationFile,
    result: SetOff,
    settlement: Settlement | None,
    output: Path | None,
    settlement_output: Path | None,
) -> None:
    """Write the set-offs to ``output`` and the instructions to ``settlement_output``
    (each if given): both files appear together or neither does.  Each is renamed
    into place only when both are written, and a failure removes what was written."""
    with ExitStack() as outputs:
        if output is not None:
            write_setoffs(outputs.enter_context(atomic_output(output)), obligations, result)
        if settlement_output is not None and settlement is not None:
            write_settlement(
                outputs.enter_context(atomic_output(settlement_output)),
                settlement,
                obligations.digits,
            )
