"""CSV files of plain integers, read and written in NumPy without a Python loop per row.

``tahator clear`` spends most of its time on files of this shape (the published
``mtcs`` networks are ``debtor,creditor,amount`` integers).  A file qualifies only
when every field is a canonical non-negative integer: ASCII digits, no sign, no
blank, no leading zero, at most 18 digits.  Such a field and its integer are the
same text both ways, so writing an integer back reproduces the field byte for byte,
and a row can be rebuilt from its numbers instead of kept as a string.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # numpy.typing is for the type checker: no need to load it to run
    from numpy.typing import NDArray

    Int64Array = NDArray[np.int64]

MAX_DIGITS = 18
"""Longer fields may not fit 64 bits; the general reader takes those."""
_DIGITS_AND_BREAKS = b"0123456789,\n"
_BREAK_TO_COMMA = bytes.maketrans(b"\n", b",")
_COMMA, _NEWLINE, _RETURN, _ZERO = ord(","), ord("\n"), ord("\r"), ord("0")


def parse_integer_rows(
    data: bytes, start: int, width: int, block: int = 1 << 18
) -> Int64Array | None:
    """The rows of ``data`` from offset ``start`` (lines of ``width`` comma-separated
    fields, with ``\n`` or ``\r\n`` line ends) as an ``(rows, width)`` array; ``None``
    unless every field is a canonical integer and every row has ``width`` fields.

    The text is taken ``block`` bytes (whole lines) at a time: the temporaries stay
    small and are reused, where whole-file ones would cost a fresh page each.
    """
    body = data
    end = len(body)
    while end > start and body[end - 1] in b"\r\n":  # trailing blank lines
        end -= 1
    if end <= start:
        return None
    rows = body.count(b"\n", start, end) + 1
    values = np.empty((rows, width), dtype=np.int64)
    row = 0
    while start < end:
        stop = body.find(b"\n", min(start + block, end), end)
        stop = end if stop < 0 else stop
        cut = stop - 1 if body[stop - 1] == _RETURN else stop  # the \r of a \r\n
        lines = _parse_lines(body[start:cut], width)
        if lines is None or row + lines.shape[0] > rows:
            return None
        values[row : row + lines.shape[0]] = lines
        row += lines.shape[0]
        start = stop + 1
    return values if row == rows else None


def _parse_lines(text: bytes, width: int) -> Int64Array | None:
    """``parse_integer_rows`` of whole lines, the last without its line break."""
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n")  # a lone \r is left for the check below
    if text.translate(None, _DIGITS_AND_BREAKS):
        return None
    text += b"\n"
    codes = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(codes < _ZERO)  # a comma or a line break ends each field
    if ends.size % width:
        return None
    kinds = codes[ends].reshape(-1, width)
    if not ((kinds[:, :-1] == _COMMA).all() and (kinds[:, -1] == _NEWLINE).all()):
        return None
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    if lengths.min() < 1 or lengths.max() > MAX_DIGITS:
        return None
    if np.any((codes[starts] == _ZERO) & (lengths > 1)):
        return None  # a leading zero: "007" is a name, not the number 7
    values = np.fromstring(text.translate(_BREAK_TO_COMMA), dtype=np.int64, sep=",")
    return values.reshape(-1, width)


def all_distinct(values: Int64Array) -> bool:
    """Whether no value of a column of non-negative integers repeats."""
    if values.size < 2:
        return True
    top = int(values.max())
    if top < 4 * values.size:  # small numbers: a count per number, no sort
        return int(np.bincount(values, minlength=top + 1).max()) == 1
    return bool(np.unique(values).size == values.size)


def number_by_appearance(values: Int64Array) -> tuple[Int64Array, Int64Array]:
    """The distinct ``values`` (non-negative) in order of first appearance, and each
    value's position among them."""
    top = int(values.max()) if values.size else -1
    if top < 4 * values.size + 1024:
        # Numbers of firms are mostly small: a table indexed by number replaces sorting.
        first = np.full(top + 1, values.size, dtype=np.int64)
        np.minimum.at(first, values, np.arange(values.size))
        present = np.flatnonzero(first < values.size)
        distinct = present[np.argsort(first[present], kind="stable")]
        rank = np.empty(top + 1, dtype=np.int64)
        rank[distinct] = np.arange(distinct.size)
        return distinct, rank[values]
    numbers, first_at, index = np.unique(values, return_index=True, return_inverse=True)
    appearance = np.argsort(first_at, kind="stable")
    order = np.empty_like(appearance)
    order[appearance] = np.arange(appearance.size)
    return numbers[appearance], order[index]


def _pair_table(zero: list[int]) -> NDArray[np.uint16]:
    """Two ASCII digits per entry, at ``2 * n + more``: ``n`` (0–99) as the leading
    pair of a number (no leading zero; ``zero`` for 0) when ``more`` is 0, as an inner
    pair (always two digits) when ``more`` is 1.  Byte 0 marks a cell left out."""
    lead = [zero] + [
        [0, _ZERO + n] if n < 10 else [_ZERO + n // 10, _ZERO + n % 10] for n in range(1, 100)
    ]
    inner = [[_ZERO + n // 10, _ZERO + n % 10] for n in range(100)]
    cells = [byte for n in range(100) for byte in (*lead[n], *inner[n])]
    return np.array(cells, dtype=np.uint8).view(np.uint16)


_LAST_PAIR = _pair_table([0, _ZERO])  # a number's last pair: 0 is written "0"
_OTHER_PAIR = _pair_table([0, 0])  # any other pair: nothing left of the number
_SEPARATOR = np.array([0, _COMMA], dtype=np.uint8).view(np.uint16)[0]
_LINE_END = np.array([0, _NEWLINE], dtype=np.uint8).view(np.uint16)[0]


def format_integer_rows(columns: Sequence[Int64Array], block: int = 1 << 15) -> Iterator[bytes]:
    """CSV lines of columns of non-negative integers, ``block`` rows at a time.

    Each block is laid out as a matrix of byte pairs, every number right-aligned in a
    slot as wide as the column's widest, two digits at a time from a table; the bytes
    left blank (0) are then squeezed out, leaving the lines as ``str(n)`` would.
    """
    count = columns[0].size if columns else 0
    last = len(columns) - 1
    for low in range(0, count, block):
        parts = [column[low : low + block] for column in columns]
        tops = [int(part.max()) for part in parts]
        pairs = [(len(str(top)) + 1) // 2 for top in tops]
        cells = np.zeros((parts[0].size, sum(pairs) + len(parts)), dtype=np.uint16)
        at = 0
        for index, (part, top, slot) in enumerate(zip(parts, tops, pairs, strict=True)):
            # Unsigned division by a constant is fast, 32-bit fastest.
            rest: NDArray[Any] = part.astype(np.uint32 if top < 2**32 else np.uint64)
            for pair in range(slot - 1, -1, -1):
                above = rest // 100
                code = rest - above * 100
                code += code
                code += above != 0
                table = _LAST_PAIR if pair == slot - 1 else _OTHER_PAIR
                cells[:, at + pair] = table.take(code)
                rest = above
            cells[:, at + slot] = _LINE_END if index == last else _SEPARATOR
            at += slot + 1
        yield cells.tobytes().translate(None, b"\0")  # quicker than a boolean mask
