"""A border-market sale as submitted by an officer: parse its fields to typed values.

The CLI's options and the API's body carry a sale as text; ``sale_record`` turns it
into a ``SaleRecord`` and names every field it cannot parse.  What needs the
database or the trade policy (the market, its opening days and goods list, the
resident's registration, a repeated reference, the quotas) the service checks,
reporting its problems after these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from tahator.domain.border import parse_national_id
from tahator.domain.corridor import day_problem
from tahator.domain.errors import Problem
from tahator.domain.money import positive_amount

MAX_REFERENCE = 100


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """A sale at ``market`` to the resident with national id ``resident`` of goods
    of HS ``hs`` worth ``value``, on ``date``."""

    market: str
    resident: str
    """The national id's digits, as registered (no dashes, no country)."""
    hs: str
    value: int
    """Minor units of ``currency``."""
    currency: str
    date: dt.date
    reference: str | None = None
    """The receipt number: a retried sale is recorded once."""


def sale_record(
    *,
    market: str,
    resident: str,
    hs: str,
    value: str,
    currency: str,
    on: dt.date,
    reference: str | None,
    digits: Mapping[str, int],
) -> tuple[SaleRecord, list[Problem]]:
    """The record of a sale's fields (as text), with the problems of those that do
    not parse.

    The record always comes back, even with problems (its unparsed fields then hold
    the text or 0), because the service checks the record's market before reporting
    them, and must never record such a record.  A national id that does not parse is
    reported alone.  ``digits`` holds the corridor's currencies and their minor-unit
    digits.
    """
    currency = currency.upper()
    try:
        _, national_id = parse_national_id(resident)
    except ValueError as error:
        record = SaleRecord(market, resident, hs, 0, currency, on, reference)
        return record, [Problem(str(error), field="resident")]
    problems: list[Problem] = []
    if (problem := day_problem(on)) is not None:
        problems.append(Problem(problem, field="date"))
    if reference is not None and not 0 < len(reference) <= MAX_REFERENCE:
        problems.append(Problem(f"must be 1 to {MAX_REFERENCE} characters", field="reference"))
    amount = positive_amount(value, currency, digits, problems)
    return SaleRecord(market, national_id, hs, amount, currency, on, reference), problems
