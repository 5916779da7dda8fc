"""The identifier and name rules (issue 18 item 7): what ids and names may contain."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tahator.domain.identifiers import (
    IDENTIFIER_RULE,
    hidden_problem,
    identifier_problem,
    name_problem,
    normalize_identifier,
)
from tahator.io.firms import firm_record, read_firms
from tahator.io.obligations import obligation_record
from tahator.io.offers import OfferRecord, RejectedOffer, parse_offer

HOSTILE_IDS = {
    "NUL": "PK\x000001",
    "right-to-left override": "PK-\u202e1000",
    "zero-width space": "PK\u200b-0001",
    "zero-width joiner": "PK\u200d-0001",
    "byte-order mark": "\ufeffPK-0001",
    "Cyrillic look-alike": "\u0420\u041a-0001",  # РК-0001
    "path": "../../etc/passwd",
    "URL syntax": "PK-SLASH/1?x=1#y",
    "HTML": "<script>alert(1)</script>",
    "formula": "=HYPERLINK(1)",
    "space": "PK 0001",
    "tab": "PK\t0001",
}
GOOD_IDS = ("PK-0001", "IR-CONS.1", "PK-CONS-1", "RING-3-1", "INV-00001", "OF_7", "a", "9.x")


@pytest.mark.parametrize("text", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_the_ids_the_review_registered_are_refused_naming_the_rule(text: str) -> None:
    problem = identifier_problem(text, 64)
    assert problem is not None
    assert problem.startswith(IDENTIFIER_RULE) or problem.startswith("must start with")


@pytest.mark.parametrize("text", GOOD_IDS)
def test_plain_ids_are_accepted(text: str) -> None:
    assert identifier_problem(text, 64) is None
    assert normalize_identifier(text) == text


def test_the_refusal_names_the_character_so_that_it_shows() -> None:
    assert identifier_problem("\u0420\u041a-0001", 64) == (
        f"{IDENTIFIER_RULE} (found U+0420 CYRILLIC CAPITAL LETTER ER)"
    )
    assert (
        identifier_problem("PK\x00", 64)
        == f"{IDENTIFIER_RULE} (found U+0000 (a control character))"
    )
    assert identifier_problem("PK-SLASH/1", 64) == f"{IDENTIFIER_RULE} (found '/')"


def test_start_dots_and_length() -> None:
    assert identifier_problem(".hidden", 64) == "must start with a letter or a digit"
    assert identifier_problem("-1", 64) == "must start with a letter or a digit"
    assert identifier_problem("a..b", 64) == "must not contain '..'"
    assert identifier_problem("", 64) == "must be 1 to 64 characters"
    assert identifier_problem("   ", 64) == "must be 1 to 64 characters"
    assert identifier_problem("x" * 64, 64) is None
    assert identifier_problem("x" * 65, 64) == "must be 1 to 64 characters"
    assert identifier_problem("x" * 100, 100) is None


def test_ids_are_nfkc_normalized_before_the_check() -> None:
    full_width = "\uff30\uff2b-\uff10\uff10\uff10\uff11"  # ＰＫ-０００１
    assert normalize_identifier(full_width) == "PK-0001"
    assert identifier_problem(full_width, 64) is None
    assert normalize_identifier("  PK-1 ") == "PK-1"
    # NFKC turns the one-dot leader into a dot: the rule sees what is stored
    assert identifier_problem("a\u2024\u2024b", 64) == "must not contain '..'"


PERSIAN = "فرش\u200cهای کاشان"  # with the zero-width non-joiner Persian spelling needs
URDU = "سیالکوٹ سرجیکل"


@pytest.mark.parametrize(
    "name", [PERSIAN, URDU, "Kashan Carpets فرش کاشان\u200f Ltd", "Acme & Sons"]
)
def test_names_keep_their_scripts(name: str) -> None:
    assert name_problem(name, 300) is None


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("Acme\u202eLtd", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Acme\u2066Ltd", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("Acme\u202aLtd", "U+202A LEFT-TO-RIGHT EMBEDDING"),
        ("Acme\u200bLtd", "U+200B ZERO WIDTH SPACE"),
        ("Acme\u200dLtd", "U+200D ZERO WIDTH JOINER"),
        ("Acme\ufeffLtd", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("Acme\x00Ltd", "U+0000 (a control character)"),
        ("Acme\nLtd", "U+000A (a control character)"),
        ("Acme\ud800", "U+D800 (a lone surrogate)"),
    ],
)
def test_names_refuse_characters_that_hide_or_reorder_text(name: str, found: str) -> None:
    problem = name_problem(name, 300)
    assert problem is not None
    assert problem.endswith(f"(found {found})")
    assert hidden_problem(name) == problem


def test_name_length() -> None:
    assert name_problem("", 300) == "must be 1 to 300 characters"
    assert name_problem("n" * 301, 300) == "must be 1 to 300 characters"


def test_file_rows_name_the_field_and_keep_the_stored_form(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text(
        "id,name,country,tax_id\n"
        "PK-SLASH/1?x=1#y,Slash,PK,4100001-1\n"
        "PK-2,Two\u202e,PK,4100002-2\n"
        "\uff30\uff2b-3,Three,PK,4100003-3\n"
        "PK-4,Four,PK,4100004-4\n",
        encoding="utf-8",
    )
    read = read_firms(path)
    assert [r.id for r in read.records] == ["PK-3", "PK-4"]
    assert [(p.line, p.field) for p in read.problems] == [(2, "id"), (3, "name")]
    assert str(read.problems[0]) == f"{path}:2: id: {IDENTIFIER_RULE} (found '/')"


def test_aliases_follow_the_name_rule() -> None:
    problems: list = []
    record = firm_record(
        "request", 2, ("PK-1", "One", "PK", "1"), ("O\u202ene",), (False, False, False), problems
    )
    assert record is None
    assert [p.field for p in problems] == ["aliases"]


DIGITS = {"USD": 2, "PKR": 2}


def test_offers_and_obligations_follow_the_rule() -> None:
    fields = {
        "id": "../../etc/passwd",
        "firm": "PK-1",
        "gives_hs": "10063010",
        "description": "Rice\u202e",
        "quantity": "1",
        "unit": "k\x00g",
        "value": "1.00",
        "currency": "USD",
        "wants_hs": "2711",
        "valid_until": "2026-12-31",
    }
    rejected = parse_offer(fields, DIGITS, "offers.csv", 2)
    assert isinstance(rejected, RejectedOffer)
    assert [p.field for p in rejected.problems] == ["id", "unit", "description"]
    good = parse_offer(
        fields | {"id": "\uff2f-1", "description": "برنج", "unit": "kg"}, DIGITS, "x", 2
    )
    assert isinstance(good, OfferRecord)
    assert good.id == "O-1"
    problems: list = []
    fields6 = ("INV/1", "PK-1", "IR-1", "1.00", "USD", "2026-06-30")
    assert obligation_record("request", 2, fields6, DIGITS, problems) is None
    assert [(p.field, p.message) for p in problems] == [
        ("reference", f"{IDENTIFIER_RULE} (found '/')")
    ]
    record = obligation_record("r", 2, ("INV-1", *fields6[1:]), DIGITS, problems)
    assert record is not None
    assert (record.reference, record.due_date) == ("INV-1", date(2026, 6, 30))
