"""What ``/screen`` accepts besides a name: dates of birth, identifier numbers and
the size of a request are checked as the batch file checks them; a bad one is a
422 naming the field, never a 500."""

from __future__ import annotations

import pytest

from tahator.api.screening import MAX_NAMES, MAX_SCREEN_CHARACTERS, MAX_SCREEN_WORDS
from tests.api.conftest import House
from tests.unit.test_screening import SAMPLE


def screen(house: House, *names: dict[str, object]) -> object:
    return house.client.post(
        "/api/v1/screen", json={"names": list(names)}, headers=house.as_("operator")
    )


def refused(house: House, *names: dict[str, object]) -> list[tuple[str, str]]:
    response = screen(house, *names)
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    return [(e["field"], e["detail"]) for e in response.json()["errors"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("born", "why"),
    [("1990-13-45", "not a real date"), ("1899", "not a year from 1900"), ("2999", "not a year")],
)
def test_a_date_of_birth_that_is_not_real_is_refused(house: House, born: str, why: str) -> None:
    [(field, detail)] = refused(house, {"name": "Ali Reza", "born": born})
    assert field == "body.names.0.born"
    assert why in detail


@pytest.mark.parametrize("number", ["Z<script>", "12_34", "- - -"])
def test_an_identifier_number_of_other_characters_is_refused(house: House, number: str) -> None:
    [(field, detail)] = refused(
        house, {"name": "Ali Reza", "identifiers": [{"kind": "tax", "number": number}]}
    )
    assert field == "body.names.0.identifiers.0.number"
    assert "letters, digits" in detail


def test_a_name_of_too_many_words_is_refused(house: House) -> None:
    [(field, detail)] = refused(house, {"name": "Ali Reza"}, {"name": " ".join(["Ali"] * 25)})
    assert field == "body.names.1.name"
    assert "has 25 words; at most 24" in detail


def test_a_request_of_too_many_characters_is_refused(house: House) -> None:
    name = " ".join(["Abcdefghijklmnopq"] * 24)[:499]
    count = MAX_SCREEN_CHARACTERS // len(name) + 1
    [(field, detail)] = refused(house, *({"name": name} for _ in range(count)))
    assert field == "body.names"
    assert f"at most {MAX_SCREEN_CHARACTERS:,}" in detail


def test_a_request_of_too_many_words_is_refused(house: House) -> None:
    # within the characters and the names, but each name of the most words
    name = " ".join(["ab"] * 24)
    count = MAX_SCREEN_WORDS // 24 + 1
    assert count <= MAX_NAMES
    assert count * len(name) <= MAX_SCREEN_CHARACTERS
    [(field, detail)] = refused(house, *({"name": name} for _ in range(count)))
    assert field == "body.names"
    assert f"at most {MAX_SCREEN_WORDS:,}" in detail


def test_numbers_and_dates_any_script_are_accepted(house: House) -> None:
    imported = house.client.post(
        "/api/v1/lists/un",
        files={"file": ("list.xml", SAMPLE.read_bytes(), "application/xml")},
        headers=house.as_("operator"),
    )
    assert imported.status_code == 201, imported.text
    response = screen(
        house,
        {
            "name": "Ali Reza",
            "born": "1971-03",
            "identifiers": [
                {"kind": "passport", "number": "۹۸۷۶۵۴۳", "country": "ir"},
                {"kind": "national_id", "number": "Б 1234/56.7-8"},
            ],
        },
    )
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["   ", "...", "!!!,,,---", "\u200c\u200d"])
def test_a_name_without_a_letter_is_nothing_to_screen_not_clear(house: House, name: str) -> None:
    [(field, detail)] = refused(house, {"name": "Ali Reza"}, {"name": name})
    assert field.endswith("name")
    assert "nothing to screen" in detail
