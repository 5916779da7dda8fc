"""FollowTheMoney entity files (OpenSanctions' format): the sample, the nested shape,
and hostile or broken files refused by line number."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tahator.domain.errors import InputError
from tahator.domain.screening import Identifier, Query, build_index, countries_of, screen
from tahator.io import ftm_list, un_list
from tahator.io.ftm_list import parse_ftm
from tahator.io.un_list import PARSERS, read_list

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tahator" / "data" / "ftm-sample.jsonl"


def lines(*entities: Any) -> bytes:
    return "\n".join(
        e if isinstance(e, str) else json.dumps(e, ensure_ascii=False) for e in entities
    ).encode()


def person(entity_id: str = "p1", name: str = "Some Person", **properties: Any) -> dict[str, Any]:
    return {
        "id": entity_id,
        "schema": "Person",
        "target": True,
        "datasets": ["ds"],
        "properties": {"name": [name], **properties},
    }


def refused(data: bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(InputError) as error:
        parse_ftm(data, "list.jsonl")
    return [(p.line, p.message) for p in error.value.problems]


# --- the sample ------------------------------------------------------------------------


def test_the_sample_parses_with_its_facts() -> None:
    parsed = read_list("ftm", SAMPLE)
    assert PARSERS["ftm"] is parse_ftm
    assert (parsed.format, parsed.name, parsed.source) == (
        "ftm",
        "tahator_example",
        "ftm-sample.jsonl",
    )
    assert parsed.generated == "2026-11-30T06:00:00"
    by_id = {e.reference: e for e in parsed.entries}
    # targets only: the associate (target false) and the passport, sanction, address are not
    assert set(by_id) == {
        "tx-person-bahram",
        "tx-company-kavir",
        "tx-person-yasmin",
        "tx-org-tafdan",
        "tx-vessel-orchid",
    }
    bahram = by_id["tx-person-bahram"]
    assert (bahram.kind, bahram.name, bahram.list_name) == (
        "individual",
        "Bahram Qolizadeh Tavakoli",
        "tahator_example",
    )
    assert bahram.list_type == "Example programme (fictitious)"
    assert bahram.listed_on is not None
    assert bahram.listed_on.isoformat() == "2024-02-01"
    assert bahram.born == ("1971-03-14",)
    assert bahram.birth_places == ("Zahedan, Iran",)
    assert bahram.nationalities == ("IR",)
    assert bahram.identifiers == (Identifier("passport", "Z9876543", "IR"),)
    qualities = {a.name: a.quality for a in bahram.aliases}
    assert qualities == {
        "بهرام قلی‌زاده توکلی": "a.k.a.",
        "Bahram Gholizadeh": "a.k.a.",
        "Haji Bahram": "Low",
    }
    kavir = by_id["tx-company-kavir"]
    assert kavir.kind == "entity"
    assert kavir.identifiers == (Identifier("registration", "10861234565", "IR"),)
    assert kavir.nationalities == ("IR",)
    assert kavir.countries == ("Iran",)  # from its address entity
    assert countries_of(kavir) == {"IR"}
    assert "Kavir Zarrin Export Ltd" in {a.name for a in kavir.aliases}  # previousName
    assert by_id["tx-person-yasmin"].identifiers == (Identifier("national_id", "42101-7654321-8"),)
    assert by_id["tx-org-tafdan"].identifiers == (Identifier("tax", "100234567800003", "AE"),)
    assert by_id["tx-vessel-orchid"].identifiers == (Identifier("other", "IMO 9999991"),)


def test_the_caller_names_the_list() -> None:
    parsed = read_list("ftm", SAMPLE, name="  OFAC   SDN ")
    assert parsed.name == "OFAC SDN"
    assert {e.list_name for e in parsed.entries} == {"OFAC SDN"}
    with pytest.raises(InputError, match="1 to 100 printable characters"):
        read_list("ftm", SAMPLE, name=" ")
    # the UN list keeps its name unless told otherwise (read_list as before)
    assert read_list("ftm", SAMPLE, data=SAMPLE.read_bytes()).name == "tahator_example"


def test_the_persian_script_alias_is_found_by_screening() -> None:
    parsed = read_list("ftm", SAMPLE)
    index = build_index(parsed.entries)
    # written without the zero-width non-joiner, as most keyboards type it
    [hits] = screen(index, [Query("بهرام قلی زاده توکلی")])
    assert hits[0].reference == "tx-person-bahram"
    assert hits[0].list == "tahator_example"
    assert hits[0].list_name == "tahator_example: Example programme (fictitious)"
    [company] = screen(index, [Query("شرکت بازرگانی کویر زرین")])
    assert company[0].reference == "tx-company-kavir"


# --- other shapes ------------------------------------------------------------------------


def test_targets_nested_json_carries_its_facts_inside() -> None:
    nested = person(
        "n1",
        "Nested Person",
        sanctions=[{"id": "s1", "schema": "Sanction", "properties": {"program": ["IRAN-EO13902"]}}],
        identification=[
            {
                "id": "i1",
                "schema": "Identification",
                "properties": {"number": ["AB-123"], "type": ["National ID"], "country": ["pk"]},
            }
        ],
    )
    [entry] = parse_ftm(lines(nested)).entries
    assert entry.list_type == "IRAN-EO13902"
    assert entry.identifiers == (Identifier("national_id", "AB-123", "PK"),)


def test_a_file_without_target_flags_screens_every_screened_schema() -> None:
    plain = {"id": "c1", "schema": "Company", "properties": {"name": ["Plain Co"]}}
    address = {"id": "a1", "schema": "Address", "properties": {"full": ["Somewhere"]}}
    parsed = parse_ftm(lines(plain, address), "/tmp/plain.jsonl")
    assert [e.reference for e in parsed.entries] == ["c1"]
    assert parsed.name == ""  # no datasets: never the file's name (the caller names it)


def test_blank_lines_and_a_byte_order_mark_are_fine() -> None:
    data = b"\xef\xbb\xbf" + lines(person()) + b"\n\n   \n"
    assert [e.reference for e in parse_ftm(data).entries] == ["p1"]


# --- bad and hostile files -------------------------------------------------------------


def test_lines_that_are_not_json_objects_are_named() -> None:
    data = lines(person("ok"), "{not json", "[1, 2]", '"text"', person("ok2"))
    assert refused(data) == [
        (2, refused(data)[0][1]),
        (3, "not a JSON object"),
        (4, "not a JSON object"),
    ]
    assert refused(data)[0][1].startswith("not JSON")


def test_missing_and_duplicate_ids_are_named_with_both_lines() -> None:
    data = lines(person("a"), {"schema": "Person", "properties": {}}, person("b"), person("a"))
    assert refused(data) == [
        (2, "has no id (a string of 1 to 60 characters)"),
        (4, "a appears again (first on line 1)"),
    ]


def test_a_target_without_a_name_is_refused() -> None:
    nameless = {"id": "x", "schema": "Company", "target": True, "properties": {"alias": ["A"]}}
    assert refused(lines(person(), nameless)) == [(2, "x: a target with no name")]


def test_properties_must_be_lists() -> None:
    bad = {"id": "x", "schema": "Person", "properties": {"name": "Not A List"}}
    assert refused(lines(bad)) == [(1, "x: properties must map names to lists")]


def test_a_file_without_targets_is_refused() -> None:
    associate = person()
    associate["target"] = False
    passport = {"id": "pp", "schema": "Passport", "properties": {"holder": ["p1"]}}
    problems = refused(lines(associate, passport))
    assert len(problems) == 1
    assert problems[0][1].startswith("no targets of the screened")
    assert refused(b"")[0][1].startswith("no targets")


def test_bytes_over_the_size_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ftm_list, "MAX_BYTES", 100)
    problems = refused(lines(person(), person("p2"), person("p3")))
    assert problems[0][1].endswith("at most 100 are read")


@pytest.mark.parametrize("list_format", ["un", "ftm"])
def test_a_file_over_the_size_is_refused_before_it_is_read(
    tmp_path: Path, list_format: str
) -> None:
    path = tmp_path / "huge.list"
    with path.open("wb") as sparse:  # no disk used, and nothing read: its size says enough
        sparse.truncate(un_list.MAX_BYTES + 1)
    started = time.monotonic()
    with pytest.raises(InputError) as error:
        read_list(list_format, path)
    assert str(error.value) == (
        f"{path}: the file is {un_list.MAX_BYTES + 1:,} bytes; "
        f"at most {un_list.MAX_BYTES:,} are read"
    )
    assert time.monotonic() - started < 0.5  # reading 256 MB would take longer


def test_an_id_over_60_characters_is_refused_by_line() -> None:
    # The store keeps 60: two ids sharing their first 60 characters would merge.
    data = lines(person("x" * 60), person("y" * 60 + "-a"), person("y" * 60 + "-b"))
    assert [(line, message.split(": ")[-1]) for line, message in refused(data)] == [
        (2, "an id must be 1 to 60 printable characters"),
        (3, "an id must be 1 to 60 printable characters"),
    ]


def test_control_characters_and_bidi_overrides_are_taken_out_of_names() -> None:
    hostile = person(
        "h1",
        "Evil\u001b[2J Trading\u0085 Co",
        alias=["\u202eoC gnidarT\u202c", "\u2066Safe\u2069 Name", "قلی\u200cزاده"],
    )
    hostile["datasets"] = ["list\u001b]0;owned\u0007"]
    parsed = parse_ftm(lines(hostile))
    [entry] = parsed.entries
    assert entry.name == "Evil[2J Trading Co"  # the escape taken out, not made a space
    assert [a.name for a in entry.aliases] == ["oC gnidarT", "Safe Name", "قلی\u200cزاده"]
    assert parsed.name == "list]0;owned"
    assert all(c.isprintable() or c == "\u200c" for c in entry.name + parsed.name)
    for bad in ("UN\u001b[31m", "OFAC\u202eNDS", "EU\u2067"):
        with pytest.raises(InputError, match="printable"):
            read_list("ftm", SAMPLE, name=bad)


def test_a_file_naming_no_single_dataset_needs_a_name(tmp_path: Path) -> None:
    nameless = person("a")
    del nameless["datasets"]
    two = person("b")
    two["datasets"] = ["other"]
    for number, data in enumerate((lines(nameless), lines(person("a"), two))):
        path = tmp_path / f"ministry-2026-1{number}.jsonl"  # never named by the file
        path.write_bytes(data)
        with pytest.raises(InputError, match="give the list's name") as error:
            read_list("ftm", path)
        assert error.value.problems[0].field == "name"
        named = read_list("ftm", path, name="MoFA Pakistan")
        assert named.name == "MoFA Pakistan"
        assert {e.list_name for e in named.entries} == {"MoFA Pakistan"}


def test_hostile_inputs_are_problems_not_tracebacks() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert refused(deep.encode())[0][0] == 1
    assert refused(b"\xff\xfe garbage") == [(1, "not UTF-8 text")]
    assert refused(lines(person(), "x") + b"\n\x80")[-1] == (3, "not UTF-8 text")
    huge_name = person(name="A" * 2000)
    assert refused(lines(huge_name)) == [(1, "p1: a name over 1000 characters")]
    many = lines(*["{bad"] * 200)
    problems = refused(many)
    assert len(problems) == ftm_list.MAX_PROBLEMS + 1
    assert problems[-1][1] == "more problems not listed"


def test_read_list_reports_ftm_problems_as_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": 1}\n')
    with pytest.raises(InputError) as error:
        read_list("FTM", path)
    assert str(error.value).startswith(f"{path}:1: has no id")


def test_read_list_takes_control_characters_out_of_any_format(tmp_path: Path) -> None:
    un_sample = SAMPLE.parent / "un-sample.xml"
    hostile = un_sample.read_text().replace("SHAHID SAYYADE", "SHAHID\u009b2J SAYYADE\u202e")
    path = tmp_path / "un.xml"
    path.write_text(hostile)  # XML allows C1 controls; U+009B opens a terminal escape
    by_reference = {e.reference: e for e in read_list("un", path).entries}
    assert by_reference["IRe.070"].name == "SHAHID2J SAYYADE SHIRAZI INDUSTRIES (SSSI)"
