"""Sanctions screening in the domain: normalization, scoring bands, the UN list format."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tahator.domain.errors import InputError
from tahator.domain.names import matching_names, normalize
from tahator.domain.screening import (
    Identifier,
    Index,
    ListedName,
    ListEntry,
    Query,
    Thresholds,
    build_index,
    screen,
    worst_band,
)
from tahator.io.un_list import PARSERS, parse_un
from tests.conftest import SHARED_DATA, absent_in_ci

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tahator" / "data" / "un-sample.xml"
UN_LIST = SHARED_DATA / "sanctions" / "un-consolidated-2018-10-29.xml"


def words(name: str) -> tuple[str, ...]:
    return normalize(name).words


def same(*names: str) -> None:
    forms = {words(n) for n in names}
    assert len(forms) == 1, forms


# --- normalization: each variant family ----------------------------------------------


def test_q_gh_kh_fold_together() -> None:
    same("Qalibaf", "Ghalibaf", "Khalibaf", "QALIBAF")


def test_ou_u_oo_fold_together() -> None:
    same("Mousavi", "Musavi", "Moosavi")
    same("Noor", "Nur", "Nour")


def test_ee_i_and_y_i_fold_together() -> None:
    same("Sadeeq", "Sadiq")
    same("Yazdi", "Iazdi")
    same("Sayyad", "Saiad")


def test_mohammad_variants_fold_together() -> None:
    same("Mohammad Reza", "Muhammad Reza", "Mohammed Reza", "Mohamed Reza", "Mohd Reza")


def test_the_arabic_article_is_dropped_however_written() -> None:
    same("al-Houthi", "el-Houthi", "Houthi", "Al Houthi")


def test_zadeh_and_zade_fold_together_joined_or_apart() -> None:
    same("Mousavizadeh", "Musavizade", "Mousavi-Zadeh", "Mousavi Zade")


def test_abdul_rahman_is_one_spelling() -> None:
    same("Abdul Rahman", "Abdulrahman", "Abd al-Rahman", "Abdel Rahman", "Abdurrahman")
    same("Abdullah", "Abdallah", "Abd Allah")


def test_rahman_rehman_and_hossein_hussain_fold_together() -> None:
    same("Rahman", "Rehman")
    same("Hossein", "Hussain", "Hussein", "Husain")


def test_unicode_is_nfkc_casefolded_and_stripped_of_diacritics() -> None:
    same("ＧＨＯＲＢ ＮＯＯＨ", "ghorb nooh", "Ghōrb Nooh")


def test_honorifics_are_dropped() -> None:
    assert words("Haji Mullah Sayed Abdul Rahman") == words("Abdul Rahman")
    assert words("Maulvi Sheikh Hafiz Ali") == words("Ali")
    # a given name that is not a title is kept
    assert "said" in words("Saeed Ahmadi")


def test_legal_forms_and_trade_words_are_dropped_even_misspelt() -> None:
    assert words("Behineh Trading Co.") == ("bahina",)
    assert words("Karachi Rice Mills (Pvt) Ltd") == words("Karachi Rice Mills")
    assert words("Kaveh Cutting Tools Company Limited") == words("Kaveh Cutting Tools")
    assert words("Bashair Tradign Compnay") == words("Bashair")  # one typo
    # a name of nothing but generic words is kept whole
    assert words("Trading Company") != ()


def test_persian_script_matches_latin_on_consonant_skeletons() -> None:
    persian = normalize("شهید صیاد شیرازی")
    latin = normalize("Shahid Sayyade Shirazi")
    assert persian.arabic_script
    assert not latin.arabic_script
    assert persian.skeleton == latin.skeleton
    assert normalize("محمد باقر قالیباف").skeleton == normalize("Mohammad Baqer Ghalibaf").skeleton
    assert normalize("عبدالخالق الحوثي").skeleton == normalize("Abdul Khaliq al-Houthi").skeleton


def test_urdu_letters_transliterate() -> None:
    assert normalize("ٹریڈرز").arabic_script
    assert normalize("پاکستان").skeleton == normalize("Pakistan").skeleton


def test_bracketed_acronyms_are_names_and_remarks_are_not() -> None:
    assert matching_names("SHAHID HEMMAT INDUSTRIAL GROUP (SHIG)") == [
        "SHAHID HEMMAT INDUSTRIAL GROUP",
        "SHIG",
    ]
    assert matching_names("El Para (combat name)") == ["El Para"]
    assert matching_names("AL-HARAMAIN FOUNDATION (PAKISTAN)") == ["AL-HARAMAIN FOUNDATION"]


# --- scoring ------------------------------------------------------------------------


def entry(reference: str, name: str, *aliases: tuple[str, str], kind: str = "entity") -> ListEntry:
    return ListEntry(
        reference,
        kind,
        name,
        "Iran",
        tuple(ListedName(a, q) for a, q in aliases),
        countries=("Iran (Islamic Republic of)",),
    )


@pytest.fixture(scope="module")
def index() -> Index:
    return build_index(
        [
            entry("IRe.070", "SHAHID SAYYADE SHIRAZI INDUSTRIES (SSSI)"),
            entry("IRe.034", "KAVEH CUTTING TOOLS COMPANY"),
            entry("IRe.024", "GHORB NOOH"),
            entry("IRe.009", "BEHINEH TRADING CO."),
            entry(
                "TAi.002",
                "MOHAMMAD HASSAN AKHUND",
                ("Mohamed Hassan", "Good"),
                kind="individual",
            ),
            entry("IRi.099", "MOHAMMAD BAQER QALIBAF", ("Baqer", "Low"), kind="individual"),
            *(entry(f"X.{n}", f"{first} {last}") for n, (first, last) in enumerate(FILLER)),
        ]
    )


FILLER = [
    (first, f"Family{chr(97 + n % 26)}{chr(97 + n // 26)}")
    for n, first in enumerate(["Mohammad", "Ali", "Hassan", "Reza", "Ahmad"] * 30)
]
"""Common given names with rare family names, so that the words' weights are as on a
real list: given names common, family names rare."""


def best(index: Index, name: str) -> tuple[str, float, str] | None:
    hits = screen(index, [name], min_score=0)[0]
    return (hits[0].reference, hits[0].score, hits[0].band) if hits else None


def test_thresholds_make_bands() -> None:
    limits = Thresholds(review=70, match=90)
    assert [limits.band(s) for s in (0, 69.9, 70, 89.9, 90, 100)] == [
        "clear",
        "clear",
        "review",
        "review",
        "match",
        "match",
    ]
    assert Thresholds().review < Thresholds().match


def test_exact_variant_and_reordered_names_match(index: Index) -> None:
    for name in (
        "Shahid Sayyade Shirazi Industries",
        "Shahid Sayyad Shirazi Industries (Pvt) Ltd",
        "Shirazi Shahid Sayyade Industries",
        "SSSI",
        "Qorb Nuh",
        "Mohammed Baqer Ghalibaf",
        "Ghalibaf Mohammad Baqer",
    ):
        found = best(index, name)
        assert found is not None, name
        assert found[2] == "match", (name, found)


def test_a_dropped_word_or_a_typo_needs_review_at_least(index: Index) -> None:
    for name, reference in (
        ("Sayyade Shirazi Industries", "IRe.070"),
        ("Kaveh Cuting Tools", "IRe.034"),
        ("Mohammad Hassan Akhond", "TAi.002"),
    ):
        found = best(index, name)
        assert found is not None, name
        assert (found[0], found[2] != "clear") == (reference, True), found


def test_names_sharing_words_are_clear(index: Index) -> None:
    for name in (
        "Shirazi Dates Export Co",
        "Mohammad Hassan Traders",
        "Kaveh Rice Mills (Pvt) Ltd",
        "Ali Karimi",
    ):
        hits = screen(index, [name])[0]
        assert worst_band(hits) == "clear", (name, [(h.reference, h.score) for h in hits])


def test_persian_script_name_hits_the_latin_listing(index: Index) -> None:
    found = best(index, "شهید صیاد شیرازی صنایع")
    assert found is not None
    assert found[0] == "IRe.070"
    assert found[2] != "clear"


def test_a_low_quality_alias_alone_never_matches(index: Index) -> None:
    hits = screen(index, ["Baqer"], min_score=0)[0]
    assert all(h.band != "match" for h in hits)


def test_hits_are_explained_and_ranked(index: Index) -> None:
    hits = screen(index, [Query("Shahid Sayad Shirazi Industries", "IR")], min_score=0)[0]
    top = hits[0]
    assert top.reference == "IRe.070"
    assert top.matched_name == "SHAHID SAYYADE SHIRAZI INDUSTRIES (SSSI)"
    assert (top.normalized_query, top.normalized_matched) == (
        "shahid saiad shirazi industrias",
        "shahid saiada shirazi industrias",
    )
    assert "score 97.5: match" in top.explanation.casefold()
    assert "matches all 4 words" in top.explanation
    assert top.country_match is True
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_empty_and_junk_queries_have_no_hits(index: Index) -> None:
    assert screen(index, ["", "   ", "Co. Ltd", "!!!", "12345"]) == [[], [], [], [], []]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=5))
def test_screening_never_crashes_on_any_text(names: list[str]) -> None:
    index = _INDEX
    results = screen(index, names, min_score=0)
    assert len(results) == len(names)
    for hits in results:
        assert all(0 <= h.score <= 100 and h.band in ("clear", "review", "match") for h in hits)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), max_size=40))
def test_arabic_script_never_crashes(name: str) -> None:
    form = normalize(name)
    assert all(w for w in form.words)
    screen(_INDEX, [name], min_score=0)


_INDEX = build_index(parse_un(SAMPLE.read_bytes(), "sample").entries)


# --- the UN list format ----------------------------------------------------------------


def test_the_shipped_sample_parses_with_aliases_qualities_and_dates() -> None:
    parsed = PARSERS["un"](SAMPLE.read_bytes(), "sample")
    assert parsed.format == "un"
    assert parsed.generated == "2018-10-29T19:09:49.856-04:00"
    by_ref = {e.reference: e for e in parsed.entries}
    assert len(by_ref) == 21
    sssi = by_ref["IRe.070"]
    assert (sssi.kind, sssi.name, sssi.list_type) == (
        "entity",
        "SHAHID SAYYADE SHIRAZI INDUSTRIES (SSSI)",
        "Iran",
    )
    assert sssi.listed_on is not None
    assert sssi.listed_on.isoformat() == "2010-06-09"
    akhund = by_ref["TAi.002"]
    assert akhund.kind == "individual"
    qualities = {a.quality for e in parsed.entries for a in e.aliases}
    assert {"Good", "Low", "a.k.a."} <= qualities
    assert any(a.quality == "original script" for e in parsed.entries for a in e.aliases)
    assert any(e.updated_on for e in parsed.entries)


@absent_in_ci(UN_LIST.exists(), "shared/data/sanctions")
def test_the_whole_un_list_parses() -> None:
    parsed = parse_un(UN_LIST.read_bytes(), str(UN_LIST))
    assert len(parsed.entries) == 1093
    assert sum(e.kind == "entity" for e in parsed.entries) == 390
    assert sum(e.list_type == "Iran" for e in parsed.entries) == 84
    assert sum(len(e.aliases) for e in parsed.entries) > 2500


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&lol3;</FIRST_NAME>
</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&xxe;</FIRST_NAME>
</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"""
DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST SYSTEM "http://example.com/list.dtd">
<CONSOLIDATED_LIST/>"""


@pytest.mark.parametrize(
    "declaration",
    [
        '<?xml version="1.0" encoding="UTF-4"?>',
        "<?xml version='1.0' encoding='UTF-7'?>",
        '<?xml version="1.0" encoding=""?>',
    ],
)
def test_an_unknown_encoding_is_a_clear_error(declaration: str) -> None:
    # Found by fuzz/fuzz_parsers.py (atheris): LookupError and ValueError, not InputError.
    with pytest.raises(InputError, match="XML"):
        parse_un(f"{declaration}<CONSOLIDATED_LIST/>".encode(), "l.xml")


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, DTD_ONLY])
def test_hostile_xml_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="refused: unsafe XML") as caught:
        parse_un(data, "evil.xml")
    assert str(caught.value).startswith("evil.xml: ")


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(InputError, match=r"bad\.xml:3: not well-formed") as caught:
        parse_un(b"<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n</ENTITIES>", "bad.xml")
    assert caught.value.problems[0].line == 3


def test_records_missing_fields_are_named() -> None:
    data = (
        b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>7</DATAID>"
        b"<FIRST_NAME>A</FIRST_NAME><UN_LIST_TYPE>Iran</UN_LIST_TYPE>"
        b"<LISTED_ON>yesterday</LISTED_ON></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    with pytest.raises(InputError) as caught:
        parse_un(data, "l.xml")
    messages = [str(p) for p in caught.value.problems]
    assert "l.xml: REFERENCE_NUMBER: INDIVIDUAL 1 (DATAID 7): is empty" in messages
    assert any("LISTED_ON" in m and "'yesterday' is not a date" in m for m in messages)


def test_other_roots_and_empty_lists_are_refused() -> None:
    with pytest.raises(InputError, match="not CONSOLIDATED_LIST"):
        parse_un(b"<sdnList/>", "x.xml")
    with pytest.raises(InputError, match="no individuals and no entities"):
        parse_un(b"<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>", "x.xml")


# --- identifiers and countries -----------------------------------------------------------


def listed_person() -> Index:
    return build_index(
        [
            ListEntry(
                "IRi.901",
                "individual",
                "Kambiz Rostamizadeh Tavakoli",
                "Iran",
                nationalities=("IR",),
                identifiers=(Identifier("passport", "H 1234567", "IR"),),
            ),
            entry("IRe.902", "Shahid Bakeri Industrial Group"),
        ]
    )


def test_a_listed_passport_is_a_hit_whatever_the_name() -> None:
    found = screen(
        listed_person(),
        [Query("Reza Ahmadi", identifiers=(Identifier("passport", "h1234-567", "IR"),))],
    )[0]
    assert [h.reference for h in found] == ["IRi.901"]
    hit = found[0]
    assert hit.band == "review"
    assert hit.score == 75.0
    assert hit.name_score == 0.0
    assert "passport number h1234-567 is the listed one's" in hit.explanation
    assert "differs from the listed name 'Kambiz Rostamizadeh Tavakoli'" in hit.explanation


def test_an_identifier_of_another_family_or_country_is_no_hit() -> None:
    index = listed_person()
    other_country = Query("Reza Ahmadi", identifiers=(Identifier("passport", "H1234567", "PK"),))
    other_family = Query("Reza Ahmadi", identifiers=(Identifier("national_id", "H1234567"),))
    assert screen(index, [other_country, other_family, "Reza Ahmadi"]) == [[], [], []]


def test_a_listed_passport_with_the_name_raises_it_to_a_match() -> None:
    query = Query("Kambiz Rostamizadeh", identifiers=(Identifier("passport", "H1234567", "IR"),))
    hit = screen(listed_person(), [query])[0][0]
    assert hit.reference == "IRi.901"
    assert hit.band == "match"
    assert hit.name_score is not None
    assert hit.score > hit.name_score


def test_country_match_reads_nationalities_too() -> None:
    index = listed_person()
    iranian, pakistani = screen(
        index,
        [
            Query("Kambiz Rostamizadeh Tavakoli", country="ir"),
            Query("Kambiz Rostamizadeh Tavakoli", country="PK"),
        ],
    )
    assert iranian[0].country_match is True
    assert pakistani[0].country_match is False
    assert screen(index, ["Kambiz Rostamizadeh Tavakoli"])[0][0].country_match is None
