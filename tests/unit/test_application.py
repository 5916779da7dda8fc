"""The JSON form of a barter application (``tahator.io.application``): record and problems."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tahator.domain.barter import Application, GoodsLine
from tahator.domain.errors import InputError, Problem
from tahator.io.application import (
    MAX_APPLICATION_BYTES,
    check_application,
    parse_application,
    read_application,
)
from tests.integration.test_barter import application

DIGITS = {"USD": 2, "PKR": 2, "IRR": 0}


def test_a_valid_application_is_a_record_without_problems() -> None:
    record, problems = check_application(application(reference="PO-1"), DIGITS)
    assert problems == []
    assert record == Application(
        applicant_id="PK-1",
        counterparty_id="IR-1",
        partner_country="IR",
        imports=(GoodsLine("27111900", "LPG", Decimal(500), "t", 30000000, "USD"),),
        exports=(GoodsLine("10063010", "Basmati rice", Decimal(400000), "kg", 29000000, "USD"),),
        valid_from=date(2025, 10, 20),
        valid_until=date(2026, 6, 30),
        origin_declared=True,
        reference="PO-1",
        undertaking=True,
    )


def test_problems_name_the_label_and_the_field() -> None:
    data = application(partner_country=7, origin_declared="yes", reference="")
    data["exports"][0]["currency"] = "EUR"
    _, problems = check_application(data, DIGITS, "form")
    assert problems == [
        Problem("must be a string of 1 to 100 characters", "form", field="reference"),
        Problem("must be true or false", "form", field="origin_declared"),
        Problem("must be a non-empty string", "form", field="partner_country"),
        Problem("'EUR' is not a corridor currency", "form", field="exports[1].currency"),
    ]
    with pytest.raises(InputError) as refused:
        parse_application(data, DIGITS, "form")
    assert refused.value.problems == problems


def test_values_are_minor_units_of_their_currency() -> None:
    data = application()
    data["imports"][0] |= {"currency": "IRR", "value": "12600000000"}
    record = parse_application(data, DIGITS)
    assert record.imports[0].value == 12600000000  # the rial has no minor unit
    data["imports"][0]["value"] = "1.5"
    with pytest.raises(InputError, match=r"imports\[1\]\.value: '1.5' has more than 0"):
        parse_application(data, DIGITS)


def test_a_file_is_read_and_named_in_problems(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(application()))
    assert read_application(path, DIGITS).applicant_id == "PK-1"
    path.write_text(json.dumps(application(valid_from="soon")))
    with pytest.raises(InputError, match=rf"^{path}: valid_from: 'soon' is not a date"):
        read_application(path, DIGITS)
    for content, fragment in (
        ("[]", "must be a JSON object"),
        ("{", "not valid JSON"),
        (" " * (MAX_APPLICATION_BYTES + 1), "larger than"),
    ):
        path.write_text(content)
        with pytest.raises(InputError, match=fragment):
            read_application(path, DIGITS)
    with pytest.raises(InputError, match="cannot read the file"):
        read_application(tmp_path / "missing.json", DIGITS)


def test_an_hs_code_in_persian_digits_is_read_as_its_digits() -> None:
    data = application(reference="PO-1")
    data["imports"][0]["hs"] = "۲۷۱۱۱۹۰۰"
    record, problems = check_application(data, DIGITS)
    assert problems == []
    assert record.imports[0].hs == "27111900"
