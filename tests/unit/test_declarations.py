"""The goods declaration's fields, parsed at the edge (``io.declarations``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tahator.domain.policy import Direction
from tahator.io.declarations import DeclarationRecord, declaration_record

DIGITS = {"USD": 2, "PKR": 2, "IRR": 0}
DAY = date(2025, 11, 10)


def parse(
    reference: str | None = None, digits: dict[str, int] = DIGITS, **fields: str
) -> tuple[DeclarationRecord | None, list[str]]:
    text = {
        "direction": "import",
        "hs": "27111900",
        "quantity": "500",
        "unit": "t",
        "value": "300000",
        "currency": "USD",
    } | fields
    record, problems = declaration_record(**text, on=DAY, reference=reference, digits=digits)
    return record, [str(problem) for problem in problems]


def test_a_declaration_parses_to_typed_values() -> None:
    record, problems = parse(
        reference="GD-1", quantity=" 12.5 ", unit=" t ", value="300000.5", currency="usd"
    )
    assert problems == []
    assert record == DeclarationRecord(
        direction=Direction.IMPORT,
        hs="27111900",
        quantity=Decimal("12.5"),
        unit="t",
        value=30000050,
        currency="USD",
        date=DAY,
        reference="GD-1",
    )
    export, _ = parse(direction="export", value="7", currency="IRR")
    assert export is not None
    assert (export.direction, export.value, export.reference) == (Direction.EXPORT, 7, None)


def test_bad_fields_are_named_together_and_the_record_still_comes_back() -> None:
    # The service still checks the policy and answers a repeated reference, so the
    # record comes back; its problems keep it from ever being recorded.
    record, problems = parse(currency="eur", quantity="-3", unit=" ")
    assert problems == [
        "currency: 'EUR' is not a corridor currency",
        "quantity: '-3' is not a positive quantity",
        "unit: must be 1 to 20 characters",
    ]
    assert record is not None
    assert (record.currency, record.value) == ("EUR", 0)
    _, problems = parse(value="1.234", quantity="x" * 41, unit="u" * 21)
    assert problems == [
        "value: '1.234' has more than 2 fraction digits",
        f"quantity: {'x' * 40!r} is not a positive quantity",
        "unit: must be 1 to 20 characters",
    ]
    assert parse(value="0.00")[1] == ["value: must be positive"]


def test_a_bad_reference_or_direction_is_reported_alone() -> None:
    assert parse(reference="", direction="sideways", unit="") == (
        None,
        ["reference: must be 1 to 100 characters"],
    )
    assert parse(reference="G" * 101)[1] == ["reference: must be 1 to 100 characters"]
    assert parse(reference="G" * 100)[1] == []
    assert parse(direction="sideways", value="x") == (
        None,
        ["direction: 'sideways' must be import or export"],
    )


def test_an_hs_code_in_persian_or_arabic_indic_digits_is_read_as_its_digits() -> None:
    for typed in ("۲۷۱۱۱۹۰۰", "٢٧١١١٩٠٠"):
        record, problems = parse(hs=typed, quantity="۵۰۰", value="۳۰۰٬۰۰۰")
        assert problems == []
        assert record is not None
        assert (record.hs, record.quantity, record.value) == ("27111900", Decimal(500), 30000000)
