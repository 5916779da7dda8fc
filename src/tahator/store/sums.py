"""Sums of money that are exact at any size, on every database.

SQLite's ``SUM`` of integers raises "integer overflow" past 2**63 − 1, so one
firm's large figures could stop every balance and report.  ``exact_sum(column)``
is ``SUM`` that never overflows and answers a Python ``int``:

- PostgreSQL's ``sum`` of a ``bigint`` is already ``numeric`` (exact at any size).
- On SQLite each value is split into its high and low 32 bits (``x >> 32`` is an
  arithmetic shift, ``x & 0xFFFFFFFF`` the low bits as a non-negative number, and
  ``x == (x >> 32) * 2**32 + (x & 0xFFFFFFFF)``); each part's native ``SUM`` cannot
  overflow below two thousand million rows.  Where the recombined total fits 64
  bits SQLite computes it; otherwise it answers the two parts as text
  (``"high:low"``), which the column type recombines in Python.

Like ``SUM``, it is ``NULL`` (``None``) over no rows.  In SQL, compare it only with
``!= 0`` or ``= 0`` (``HAVING exact_sum(x) != 0``): a total that does not fit 64
bits is text there, never equal to 0, and so never wrongly taken for zero.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_LOW_BITS = 32
_LOW_MASK = 2**_LOW_BITS - 1
# Recombined in SQL only when |high| < 2**30 and low < 2**61: then
# high * 2**32 + low lies within ±(2**62 + 2**61), inside 64 bits.
_HIGH_BOUND = 2**30
_LOW_BOUND = 2**61


class ExactInteger(TypeDecorator[int]):
    """What ``exact_sum`` answers, made a Python ``int`` whatever the driver gave."""

    impl = BigInteger
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return exact_int(value)


def exact_int(value: int | str | Decimal | None) -> int | None:
    """A sum as the database answered it (an integer, a ``Decimal``, or SQLite's
    ``"high:low"`` text) as a Python ``int``."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str) and ":" in value:
        high, low = value.split(":")
        return (int(high) << _LOW_BITS) + int(low)
    whole = Decimal(value)
    if whole != whole.to_integral_value():
        raise ValueError(f"a sum of money {value!r} is not a whole number of minor units")
    return int(whole)


class exact_sum(FunctionElement[int]):  # noqa: N801  (an SQL function, named like func.sum)
    """``SUM(column)``, exact at any size; the result is a Python ``int``."""

    type = ExactInteger()
    inherit_cache = True
    name = "exact_sum"


@compiles(exact_sum)
def _sum(element: exact_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(exact_sum, "sqlite")
def _sqlite_sum(element: exact_sum, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    # SQLite computes each distinct aggregate once, however often it is written.
    high = f"sum(({value}) >> {_LOW_BITS})"
    low = f"sum(({value}) & {_LOW_MASK})"
    return (
        f"CASE WHEN abs({high}) < {_HIGH_BOUND} AND {low} < {_LOW_BOUND} "
        f"THEN {high} * {_LOW_MASK + 1} + {low} "
        f"ELSE CAST({high} AS TEXT) || ':' || CAST({low} AS TEXT) END"
    )
