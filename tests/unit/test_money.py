"""Money as integer minor units: parsing, formatting and rounding at the edges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tahator.domain.errors import Problem
from tahator.domain.money import (
    MAX_MINOR,
    format_amount,
    fraction_digits,
    parse_amount,
    positive_amount,
    share,
)

scales = st.integers(0, 8)
minors = st.integers(0, MAX_MINOR)


@settings(max_examples=500, deadline=None)
@given(minors, scales)
def test_format_then_parse_round_trips(minor: int, scale: int) -> None:
    text = format_amount(minor, scale)
    assert fraction_digits(text) == scale
    assert parse_amount(text, scale) == minor


@st.composite
def decimal_texts(draw: st.DrawFn, scale: int) -> str:
    """Plain decimals with at most ``scale`` fraction digits: '12', '012.5', '.25', '3.'."""
    whole = draw(st.text("0123456789", max_size=19))
    fraction = draw(st.text("0123456789", max_size=scale))
    if not whole and not fraction:
        whole = "0"
    if not whole:
        return f".{fraction}"
    point = "." if fraction or draw(st.booleans()) else ""
    return f"{whole}{point}{fraction}"


@settings(max_examples=500, deadline=None)
@given(scales.flatmap(lambda scale: st.tuples(st.just(scale), decimal_texts(scale))))
def test_parse_then_format_round_trips(case: tuple[int, str]) -> None:
    scale, text = case
    value = Decimal(text)
    if value.scaleb(scale) > MAX_MINOR:
        with pytest.raises(ValueError, match="too large"):
            parse_amount(text, scale)
        return
    minor = parse_amount(text, scale)
    assert minor == value.scaleb(scale)
    formatted = format_amount(minor, scale)
    assert Decimal(formatted) == value
    assert fraction_digits(formatted) == scale
    assert parse_amount(formatted, scale) == minor
    assert format_amount(parse_amount(formatted, scale), scale) == formatted


@settings(max_examples=500, deadline=None)
@given(st.text("0123456789.-+e ,", max_size=12), scales)
def test_parse_accepts_only_exact_plain_decimals(text: str, scale: int) -> None:
    try:
        minor = parse_amount(text, scale)
    except ValueError:
        return
    assert all(character in "0123456789.," for character in text)
    assert 0 <= minor <= MAX_MINOR
    assert minor == Decimal(text.replace(",", "")).scaleb(scale)  # grouping commas


@pytest.mark.parametrize(
    ("text", "scale", "minor"),
    [
        ("0", 2, 0),
        ("12", 2, 1200),
        ("12.3", 2, 1230),
        ("12.34", 2, 1234),
        ("012.34", 2, 1234),
        ("12.", 2, 1200),
        (".5", 2, 50),
        ("7", 0, 7),
        ("92233720368547758.07", 2, MAX_MINOR),
        (str(MAX_MINOR), 0, MAX_MINOR),
        ("1,000", 2, 100000),
        ("\u0663", 0, 3),  # ARABIC-INDIC DIGIT THREE
        ("\u06f3", 0, 3),  # EXTENDED ARABIC-INDIC DIGIT THREE
    ],
)
def test_parse_examples(text: str, scale: int, minor: int) -> None:
    assert parse_amount(text, scale) == minor


@pytest.mark.parametrize(
    ("text", "scale", "message"),
    [
        ("-1", 2, "negative"),
        (" -1", 2, "negative"),
        ("-0", 0, "minus sign"),
        ("1e5", 2, "not a decimal"),
        ("abc", 2, "not a decimal"),
        ("", 2, "not a decimal"),
        (".", 2, "not a decimal"),
        (" 1", 2, "not a decimal"),
        ("1 ", 2, "not a decimal"),
        ("+1", 2, "not a decimal"),
        ("1,00", 2, "not grouped"),
        ("1,0,0", 2, "not grouped"),
        ("1,000.0,0", 2, "commas may only group"),
        ("1.2.3", 2, "not a decimal"),
        ("\uff11", 0, "not a decimal"),  # FULLWIDTH DIGIT ONE
        ("1.234", 2, "more than 2 fraction digits"),
        ("1.0", 0, "more than 0 fraction digits"),
        ("92233720368547758.08", 2, "too large"),
        (str(MAX_MINOR + 1), 0, "too large"),
        ("1" + "0" * 30, 0, "too large"),
    ],
)
def test_parse_refuses(text: str, scale: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_amount(text, scale)


@settings(max_examples=200, deadline=None)
@given(st.integers(MAX_MINOR + 1, 10**40), scales)
def test_parse_refuses_anything_beyond_64_bits(minor: int, scale: int) -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_amount(format_amount(minor, scale), scale)


def test_format_examples() -> None:
    assert format_amount(0, 2) == "0.00"
    assert format_amount(5, 2) == "0.05"
    assert format_amount(-5, 2) == "-0.05"
    assert format_amount(123456, 3) == "123.456"
    assert format_amount(123456, 0) == "123456"
    assert format_amount(MAX_MINOR, 2) == "92233720368547758.07"


def test_fraction_digits_and_share() -> None:
    assert fraction_digits("12") == 0
    assert fraction_digits("12.") == 0
    assert fraction_digits("12.340") == 3
    assert fraction_digits(".5") == 1
    assert share(1, 4) == 0.25
    assert share(5, 0) == 0.0


@pytest.mark.parametrize(
    ("value", "currency", "minor", "problems"),
    [
        ("12", "USD", 1200, []),
        ("0.01", "PKR", 1, []),
        ("0", "USD", 0, ["value: must be positive"]),
        ("-1", "USD", 0, ["value: '-1' is negative"]),
        ("1.555", "IRR", 0, ["value: '1.555' has more than 2 fraction digits"]),
        ("ten", "PKR", 0, ["value: 'ten' is not a decimal number"]),
        ("1", "EUR", 0, ["currency: 'EUR' is not a corridor currency"]),
    ],
)
def test_a_positive_amount_in_a_corridor_currency(
    value: str, currency: str, minor: int, problems: list[str]
) -> None:
    found: list[Problem] = []
    assert positive_amount(value, currency, {"USD": 2, "PKR": 2, "IRR": 2}, found) == minor
    assert [str(problem) for problem in found] == problems
