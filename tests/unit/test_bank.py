"""Bank identifiers: IBANs and BICs of the holder's country, ISO 11649 creditor
references and end-to-end ids that name exactly one instruction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from tahator.domain import bank
from tahator.domain.errors import InputError


@given(st.integers(1, 10**7 - 1), st.integers(1, 10**9 - 1))
def test_a_creditor_reference_is_valid_and_names_its_instruction(
    run: int, instruction: int
) -> None:
    reference = bank.creditor_reference(run, instruction)
    assert iso11649.is_valid(reference)
    assert len(reference) <= 25
    assert bank.instruction_of_reference(reference) == (run, instruction)
    assert bank.instruction_of_end_to_end_id(bank.end_to_end_id(run, instruction)) == (
        run,
        instruction,
    )


def test_a_mistyped_or_respelled_reference_names_nothing() -> None:
    reference = bank.creditor_reference(1, 65)
    assert reference == "RF53TAH1C65"
    assert bank.instruction_of_reference("RF53TAH1C66") is None  # check digits catch it
    assert bank.instruction_of_reference("RF۵۳TAH۱C۶۵") is None  # not as files carry it
    assert bank.instruction_of_end_to_end_id("TAH-١-٢١٧") is None
    assert bank.instruction_of_end_to_end_id("TAH-001-217") is None
    assert bank.instruction_of_end_to_end_id("TAH-1-217") == (1, 217)


def test_references_are_found_in_free_text_whole_or_in_groups_of_four() -> None:
    assert bank.references_in("invoice 7, RF53 TAH1 C65 thanks") == ["RF53TAH1C65"]
    assert bank.references_in("rf53tah1c65") == ["RF53TAH1C65"]
    assert bank.references_in("RF53TAH1C66 and nothing else") == []


@pytest.mark.parametrize(
    ("text", "country", "reason"),
    [
        ("PK36SCBL0000001123456703", "PK", "checksum"),
        ("PK36SCBL000000112345670", "PK", "length"),
        ("IR260620000000000123456789", "PK", "an IBAN of IR"),
        ("", "PK", "required"),
        ("not an iban", "IR", "not a valid IBAN"),
    ],
)
def test_a_bad_iban_is_refused_with_the_reason(text: str, country: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        bank.iban(text, country)


def test_ibans_and_bics_of_both_countries() -> None:
    assert bank.iban("pk36 scbl 0000 0011 2345 6702", "PK") == "PK36SCBL0000001123456702"
    assert bank.iban("IR260620000000000123456789", "IR") == "IR260620000000000123456789"
    assert bank.bic("scblpkkx", "PK") == "SCBLPKKX"
    assert bank.bic("", "PK") is None
    with pytest.raises(InputError, match="not PK"):
        bank.bic("BKMTIRTH", "PK")
