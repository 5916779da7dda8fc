"""A border-market sale's fields, parsed at the edge (``io.sales``)."""

from __future__ import annotations

from datetime import date

from tahator.io.sales import SaleRecord, sale_record

DIGITS = {"USD": 2, "PKR": 2, "IRR": 0}
DAY = date(2026, 10, 5)


def parse(
    reference: str | None = None, digits: dict[str, int] = DIGITS, **fields: str
) -> tuple[SaleRecord, list[str]]:
    text = {
        "market": "MAND-PISHIN",
        "resident": "54400-1234567-1",
        "hs": "100630",
        "value": "100.00",
        "currency": "USD",
    } | fields
    record, problems = sale_record(**text, on=DAY, reference=reference, digits=digits)
    return record, [str(problem) for problem in problems]


def test_a_sale_parses_to_typed_values() -> None:
    record, problems = parse(reference="R-1", value="28100.5", currency="pkr")
    assert problems == []
    assert record == SaleRecord(
        market="MAND-PISHIN",
        resident="5440012345671",
        hs="100630",
        value=2810050,
        currency="PKR",
        date=DAY,
        reference="R-1",
    )
    iranian, _ = parse(resident=" 0499370899 ", value="7", currency="IRR")
    assert (iranian.resident, iranian.value, iranian.reference) == ("0499370899", 7, None)


def test_bad_fields_are_named_together_and_the_record_still_comes_back() -> None:
    # The service checks the record's market before it reports these, so the
    # record comes back; its problems keep it from ever being recorded.
    record, problems = parse(reference="", currency="eur")
    assert problems == [
        "reference: must be 1 to 100 characters",
        "currency: 'EUR' is not a corridor currency",
    ]
    assert (record.market, record.currency, record.value) == ("MAND-PISHIN", "EUR", 0)
    assert parse(reference="R" * 101, value="1.234")[1] == [
        "reference: must be 1 to 100 characters",
        "value: '1.234' has more than 2 fraction digits",
    ]
    assert parse(reference="R" * 100)[1] == []
    assert parse(value="0.00")[1] == ["value: must be positive"]


def test_a_bad_national_id_is_reported_alone() -> None:
    record, problems = parse(resident="12345", reference="", value="x", currency="eur")
    assert problems == [
        "resident: '12345' is neither a Pakistani CNIC (13 digits) "
        "nor an Iranian national code (10 digits)"
    ]
    assert (record.market, record.resident, record.value) == ("MAND-PISHIN", "12345", 0)
