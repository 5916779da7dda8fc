"""The one formatting module: amounts and JSON documents from typed results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

import pytest

from tahator.domain.money import Amount
from tahator.formatting import OMIT_EMPTY, amount, jsonable, money


class Colour(StrEnum):
    GREEN = "green"


@dataclass(frozen=True)
class Result:
    total: Amount
    day: date
    at: datetime
    colour: Colour
    firms: tuple[str, ...]
    blocked: tuple[str, ...] = field(default=(), metadata=OMIT_EMPTY)


def test_amounts_format_at_their_currency_precision() -> None:
    assert amount(Amount(-123456, "USD", 2)) == "-1234.56"
    assert amount(Amount(5, "IRR", 0)) == "5"
    assert money(Amount(7, "PKR", 2)) == "0.07 PKR"
    assert amount(None) == ""


def test_adding_amounts_of_two_currencies_is_refused() -> None:
    assert Amount(1, "USD", 2) + Amount(2, "USD", 2) == Amount(3, "USD", 2)
    with pytest.raises(ValueError, match="cannot add"):
        Amount(1, "USD", 2) + Amount(1, "PKR", 2)


def test_a_result_becomes_a_json_document_keyed_by_field() -> None:
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    result = Result(Amount(10**20, "USD", 2), date(2026, 1, 2), at, Colour.GREEN, ("a",))
    assert jsonable(result) == {
        "total": "1000000000000000000.00",
        "day": "2026-01-02",
        "at": "2026-01-02T03:04:00+00:00",
        "colour": "green",
        "firms": ["a"],
    }
    assert jsonable([Result(Amount(0, "USD", 2), date(2026, 1, 2), at, Colour.GREEN, (), ("x",))])[
        0
    ]["blocked"] == ["x"]
