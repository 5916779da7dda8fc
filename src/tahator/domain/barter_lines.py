"""Goods declarations against an authorization's plan: which line, how much, in what order.

A declaration is counted against one authorized line of its direction whose HS
code shares the order's subheading digits (``Rules.hs_digits``) with it; what is
declared against a line, in value (unit of account) and quantity, may exceed the
line's plan by at most the version's tolerance.  Under ``import_first`` no export
comes before an import, and exports may not exceed imports by more than the
tolerance, counted by the declarations' dates (not the order they were entered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from tahator.domain.errors import Problem
from tahator.domain.money import format_amount
from tahator.domain.policy import Direction, Rules, Sequencing

EXACT = 200
"""Decimal precision for sums and products of quantities (each at most 25 digits): exact."""


@dataclass(frozen=True)
class PlannedLine:
    """An authorized line of goods, and what has been declared against it so far."""

    position: int
    hs: str
    description: str
    quantity: Decimal
    unit: str
    value_unit: int
    """Planned value, minor units of the unit of account."""
    declared_quantity: Decimal = Decimal(0)
    declared_value: int = 0
    """Declared so far, minor units of the unit of account."""


@dataclass(frozen=True)
class Goods:
    """What a declaration declares: ``quantity`` ``unit`` of HS ``hs``, worth ``value_unit``."""

    direction: Direction
    hs: str
    quantity: Decimal
    unit: str
    value_unit: int


def within(planned: Decimal | int, declared: Decimal | int, tolerance: Decimal) -> bool:
    """Whether ``declared`` exceeds ``planned`` by at most ``tolerance`` of it (exactly)."""
    numerator, denominator = tolerance.as_integer_ratio()
    with localcontext() as context:
        context.prec = EXACT
        return declared * denominator <= planned * (denominator + numerator)


def percent(share: Decimal) -> str:
    """A share as a percentage without trailing zeros (``Decimal("0.05")``: ``"5"``)."""
    text = format(share * 100, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _named(line: PlannedLine) -> str:
    return f"{line.position}. HS {line.hs} {line.description}".rstrip()


def match_line(
    rules: Rules, lines: Sequence[PlannedLine], goods: Goods, unit_of_account: str, digits: int
) -> tuple[int | None, list[Problem]]:
    """The position of the authorized line (of the goods' direction) the goods count
    against, or the problems saying why none can: no line of their subheading, of
    their unit, or with room left within the tolerance."""
    way = goods.direction
    authorized = "; ".join(_named(line) for line in lines) or "none"
    prefix = goods.hs[: rules.hs_digits]
    same_hs = [line for line in lines if line.hs[: rules.hs_digits] == prefix]
    if not same_hs:
        return None, [
            Problem(
                f"HS {goods.hs} matches no authorized {way} line; authorized: {authorized}",
                field="hs",
            )
        ]
    same_unit = [line for line in same_hs if line.unit == goods.unit]
    if not same_unit:
        units = "; ".join(f"{_named(line)} in {line.unit}" for line in same_hs)
        return None, [
            Problem(
                f"HS {goods.hs} is declared in {goods.unit}, its authorized {way} line "
                f"in another unit: {units}",
                field="unit",
            )
        ]
    problems = []
    for line in same_unit:
        value = line.declared_value + goods.value_unit
        with localcontext() as context:
            context.prec = EXACT
            quantity = line.declared_quantity + goods.quantity
        fits_value = within(line.value_unit, value, rules.tolerance)
        fits_quantity = within(line.quantity, quantity, rules.tolerance)
        if fits_value and fits_quantity:
            return line.position, []
        beyond = f"beyond the {rules.version} order's tolerance of {percent(rules.tolerance)} %"
        if not fits_value:
            problems.append(
                Problem(
                    f"HS {goods.hs} would bring {way} line {_named(line)} to "
                    f"{format_amount(value, digits)} {unit_of_account} against "
                    f"{format_amount(line.value_unit, digits)} planned, {beyond}",
                    field="value",
                )
            )
        if not fits_quantity:
            problems.append(
                Problem(
                    f"HS {goods.hs} would bring {way} line {_named(line)} to {quantity} "
                    f"{line.unit} against {line.quantity} planned, {beyond}",
                    field="quantity",
                )
            )
    return None, problems


def sequencing_problems(
    rules: Rules,
    direction: Direction,
    imported: int,
    exported: int,
    planned_import: int,
    unit_of_account: str,
    digits: int,
) -> list[Problem]:
    """Why an export of ``exported`` (so far, this one included) may not follow
    ``imported`` under ``import_first``; an application that plans no import (a
    ring's export leg) is exempt."""
    if (
        direction != Direction.EXPORT
        or rules.sequencing != Sequencing.IMPORT_FIRST
        or planned_import == 0
    ):
        return []
    if imported == 0:
        return [
            Problem(
                f"under the {rules.version} order imports come first: "
                "declare an import before any export",
                field="direction",
            )
        ]
    if within(imported, exported, rules.tolerance):
        return []
    return [
        Problem(
            f"under the {rules.version} order imports come first: exports of "
            f"{format_amount(exported, digits)} {unit_of_account} would exceed the "
            f"{format_amount(imported, digits)} imported by more than "
            f"{percent(rules.tolerance)} %",
            field="value",
        )
    ]


@dataclass(frozen=True)
class Dated:
    """A declaration as the order of goods sees it: which way, on what day, how much."""

    direction: Direction
    on: date
    value_unit: int


def dated_sequencing_problems(
    rules: Rules,
    goods: Dated,
    declared: Sequence[Dated],
    planned_import: int,
    unit_of_account: str,
    digits: int,
) -> list[Problem]:
    """``sequencing_problems`` by the goods' dates: an export counts only the imports
    dated on or before its day, and it is checked on its day and on each later
    export's (an export back-dated before imports entered earlier cannot slip in)."""
    if goods.direction != Direction.EXPORT:
        return []
    everything = [*declared, goods]
    later = {d.on for d in declared if d.direction == Direction.EXPORT and d.on > goods.on}
    for day in sorted({goods.on} | later):
        imported = sum(
            d.value_unit for d in everything if d.direction == Direction.IMPORT and d.on <= day
        )
        exported = sum(
            d.value_unit for d in everything if d.direction == Direction.EXPORT and d.on <= day
        )
        problems = sequencing_problems(
            rules, Direction.EXPORT, imported, exported, planned_import, unit_of_account, digits
        )
        if problems:
            return [
                Problem(f"{p.message} (counting goods dated up to {day})", p.file, p.line, p.field)
                for p in problems
            ]
    return []
