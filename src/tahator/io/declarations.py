"""A goods declaration as submitted by customs: parse its fields to typed values.

The CLI's options, the API's body and the web's form all carry a declaration as
text; ``declaration_record`` turns it into a ``DeclarationRecord`` and names every
field it cannot parse.  What needs the database or the policy (the authorization's
state and window, the HS code's prohibitions, the sequencing, a repeated
reference) the service checks, reporting its problems after these.  Its date comes
parsed (``domain.corridor.parse_day`` at each edge) and is checked for range here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tahator.domain.barter import MAX_UNIT, parse_quantity
from tahator.domain.corridor import day_problem
from tahator.domain.errors import Problem
from tahator.domain.local_text import latin_digits
from tahator.domain.money import positive_amount
from tahator.domain.policy import Direction

MAX_REFERENCE = 100
REFERENCE_MARKS = "-_./"
"""What a GD number may hold besides letters and digits."""


def reference_problem(reference: str) -> str | None:
    """Why ``reference`` cannot be a goods declaration's (GD) number, or ``None``: 1 to
    ``MAX_REFERENCE`` letters, digits and ``-_./`` (no spaces, control, bidirectional
    or zero-width characters, which would make two numbers look alike)."""
    if not 0 < len(reference) <= MAX_REFERENCE:
        return f"must be 1 to {MAX_REFERENCE} characters"
    wrong = next((c for c in reference if not (c.isalnum() or c in REFERENCE_MARKS)), None)
    if wrong is not None:
        return f"may hold only letters, digits and {' '.join(REFERENCE_MARKS)}, not {wrong!a}"
    return None


@dataclass(frozen=True, slots=True)
class DeclarationRecord:
    """Goods declared against an authorization: ``quantity`` ``unit`` of HS ``hs``
    crossing in ``direction`` on ``date``, assessed at ``value``."""

    direction: Direction
    hs: str
    quantity: Decimal
    unit: str
    value: int
    """Minor units of ``currency``."""
    currency: str
    date: dt.date
    reference: str | None = None
    """The goods declaration's number: declaring it again counts once."""


def declaration_record(
    *,
    direction: str,
    hs: str,
    quantity: str,
    unit: str,
    value: str,
    currency: str,
    on: dt.date,
    reference: str | None,
    digits: Mapping[str, int],
) -> tuple[DeclarationRecord | None, list[Problem]]:
    """The record of a declaration's fields (as text), with the problems of those
    that do not parse.

    A reference that is not a GD number (``reference_problem``) or a direction that
    is neither import nor export
    is reported alone, with no record.  Otherwise a record comes back even when the
    quantity, value, currency or unit is wrong (those fields then hold neutral
    placeholders), because the service still checks the rest, reports everything
    together, and answers a repeated reference with the stored declaration: such a
    record must never be recorded.  ``digits`` holds the corridor's currencies and
    their minor-unit digits.
    """
    if reference is not None and (wrong := reference_problem(reference)) is not None:
        return None, [Problem(wrong, field="reference")]
    try:
        way = Direction(direction)
    except ValueError:
        return None, [Problem(f"{direction!r} must be import or export", field="direction")]
    problems: list[Problem] = []
    currency = currency.upper()
    amount = positive_amount(value, currency, digits, problems)
    try:
        count = parse_quantity(quantity)
    except ValueError as error:
        problems.append(Problem(str(error), field="quantity"))
        count = Decimal(1)
    if not unit.strip() or len(unit) > MAX_UNIT:
        problems.append(Problem(f"must be 1 to {MAX_UNIT} characters", field="unit"))
    if (outside := day_problem(on)) is not None:
        problems.append(Problem(outside, field="date"))
    # An HS code typed on a Persian or Urdu keyboard, as amounts and dates may be.
    record = DeclarationRecord(
        way, latin_digits(hs), count, unit.strip(), amount, currency, on, reference
    )
    return record, problems
