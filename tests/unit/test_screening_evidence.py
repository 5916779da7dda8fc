"""Facts besides the name: identifiers, dates of birth, nationality and kind raise or
lower a hit, alone (``weigh``) and through ``screen()``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tahator.domain.sanctions_lists import Identifier, ListedName, ListEntry
from tahator.domain.screening import Band, Query, Thresholds, build_index, screen
from tahator.domain.screening_evidence import (
    BIRTH_IN_RANGE,
    BIRTH_YEAR_OFF,
    MAX_LOWER,
    MAX_RAISE,
    OTHER_BIRTH,
    OTHER_BIRTH_DAY,
    OTHER_KIND,
    OTHER_NATIONALITY,
    SAME_BIRTH_DATE,
    SAME_BIRTH_MONTH,
    SAME_BIRTH_YEAR,
    SAME_IDENTIFIER,
    SAME_NATIONALITY,
    SWAPPED_BIRTH_DATE,
    adjusted,
    plain_number,
    weigh,
)
from tahator.io.un_list import parse_un, read_list

DATA = Path(__file__).resolve().parents[2] / "src" / "tahator" / "data"

PERSON = ListEntry(
    reference="T.1",
    kind="individual",
    name="Bahram Qolizadeh Tavakoli",
    list_type="Example",
    born=("1971-03-14",),
    nationalities=("IR",),
    identifiers=(
        Identifier("passport", "Z9876543", "IR"),
        Identifier("national_id", "0035011785", "IR"),
    ),
)
COMPANY = ListEntry(
    reference="T.2",
    kind="entity",
    name="Kavir Zarrin Trading Company",
    list_type="Example",
    aliases=(ListedName("Kavir Zarin Trading Co.", "a.k.a."),),
    nationalities=("IR",),
    identifiers=(Identifier("registration", "10861234565", "IR"),),
)


def q(**facts: object) -> Query:
    return Query("anyone", **facts)  # type: ignore[arg-type]


def points(entry: ListEntry, **facts: object) -> list[tuple[str, float]]:
    return [(e.fact, e.points) for e in weigh(entry, q(**facts))]


# --- identifiers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "placeholder", ["N/A", "n/a", "NA", "none", "Unknown", "nil", "-", "0000", "000-000", "", "A12"]
)
def test_placeholders_and_short_numbers_identify_nothing(placeholder: str) -> None:
    assert plain_number(placeholder) == ""
    listed = ListEntry(
        "T.7",
        "individual",
        "Someone Listed",
        "Example",
        born=("1960",),
        identifiers=(Identifier("passport", placeholder, "IR"),),
    )
    # the same placeholder on both sides is not the listed document, and does not
    # hide a date of birth years away
    facts = weigh(listed, q(born="1990", identifiers=(Identifier("passport", placeholder, "IR"),)))
    assert [(e.fact, e.points) for e in facts] == [("birth", OTHER_BIRTH)]


def test_digits_of_any_script_compare_as_ascii() -> None:
    assert plain_number("۱۲۳۴۵") == plain_number("١٢٣٤٥") == plain_number("12345") == "12345"
    listed = ListEntry(
        "T.8",
        "individual",
        "Someone Listed",
        "Example",
        identifiers=(Identifier("national_id", "0035011785", "IR"),),
    )
    assert points(listed, identifiers=(Identifier("national_id", "۰۰۳۵۰۱۱۷۸۵", "IR"),)) == [
        ("identifier", SAME_IDENTIFIER)
    ]


def test_numbers_compare_without_spaces_dashes_dots_and_case() -> None:
    assert plain_number(" z98-765.43 ") == plain_number("Z9876543") == "z9876543"
    assert plain_number("IMO 9999991") == plain_number("9999991")
    same = weigh(PERSON, q(identifiers=(Identifier("passport", "z98-765 43", "IR"),)))
    assert [(e.fact, e.points) for e in same] == [("identifier", SAME_IDENTIFIER)]
    assert same[0].detail == "passport number z98-765 43 is the listed one's"


def test_a_number_counts_only_within_its_family() -> None:
    # the listed national id's digits given as a passport are compared with the
    # listed passport only, which they are not
    assert points(PERSON, identifiers=(Identifier("passport", "0035011785", "IR"),)) == [
        ("identifier", -10.0)
    ]
    assert points(PERSON, identifiers=(Identifier("national_id", "0035011785"),)) == [
        ("identifier", SAME_IDENTIFIER)
    ]
    # registration and tax numbers are one family: lists and traders confuse them
    assert points(COMPANY, identifiers=(Identifier("tax", "1086-1234-565"),)) == [
        ("identifier", SAME_IDENTIFIER)
    ]


def test_the_same_number_issued_by_another_country_is_not_the_listed_document() -> None:
    assert points(PERSON, identifiers=(Identifier("passport", "Z9876543", "PK"),)) == []


def test_a_different_number_of_the_same_kind_and_country_lowers() -> None:
    other_passport = points(PERSON, identifiers=(Identifier("passport", "K1112223", "IR"),))
    assert other_passport == [("identifier", -10.0)]
    other_id = weigh(PERSON, q(identifiers=(Identifier("national_id", "1234567890", "IR"),)))
    assert [(e.fact, e.points) for e in other_id] == [("identifier", -15.0)]
    assert "not the listed one (0035011785)" in other_id[0].detail
    # the issuing country unknown on one side: half as much
    assert points(PERSON, identifiers=(Identifier("passport", "K1112223"),)) == [
        ("identifier", -5.0)
    ]
    # another country's passport says nothing: people hold two
    assert points(PERSON, identifiers=(Identifier("passport", "K1112223", "PK"),)) == []
    assert points(COMPANY, identifiers=(Identifier("registration", "9999", "IR"),)) == [
        ("identifier", -15.0)
    ]
    # a firm's tax number differs from its registration number anyway: no evidence
    assert points(COMPANY, identifiers=(Identifier("tax", "9999", "IR"),)) == []


def test_a_same_number_among_others_settles_it_and_facts_against_are_not_counted() -> None:
    facts = weigh(
        PERSON,
        q(
            identifiers=(
                Identifier("passport", "K1112223", "IR"),
                Identifier("passport", "Z9876543", "IR"),
            ),
            born="1950",
            nationality="AF",
        ),
    )
    assert [(e.fact, e.points) for e in facts] == [
        ("identifier", SAME_IDENTIFIER),
        ("birth", 0.0),
        ("nationality", 0.0),
    ]
    assert all("not counted" in e.detail for e in facts[1:])


# --- dates of birth ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "born", "expected"),
    [
        ("1971-03-14", "1971-03-14", SAME_BIRTH_DATE),
        ("1971-03-14", "1971-03", SAME_BIRTH_MONTH),
        ("1971-03-14", "1971", SAME_BIRTH_YEAR),
        ("1971", "1971-03-14", SAME_BIRTH_YEAR),
        ("1971-03", "1971-03-02", SAME_BIRTH_MONTH),
        ("1970-1972", "1971-03-14", BIRTH_IN_RANGE),
        ("1971-03-14", "1971-14-03", SWAPPED_BIRTH_DATE),  # day and month swapped
        ("1971-03-14", "14/03/1971", None),  # not ISO: not weighed
        ("1971-03-04", "1971-04-03", SWAPPED_BIRTH_DATE),
        ("1971-03-14", "1971-09-20", OTHER_BIRTH_DAY),
        ("1971-03-14", "1971-03-15", OTHER_BIRTH_DAY),
        ("1971-03-14", "1972-03-14", BIRTH_YEAR_OFF),
        ("1971-03-14", "1975", OTHER_BIRTH),
        ("1960-1965", "1966", BIRTH_YEAR_OFF),
        ("1960-1965", "1980-01-01", OTHER_BIRTH),
    ],
)
def test_dates_of_birth_compare_at_the_precision_both_have(
    listed: str, born: str, expected: float | None
) -> None:
    entry = ListEntry("T.3", "individual", "Someone Listed", "Example", born=(listed,))
    found = points(entry, born=born)
    assert found == ([] if expected is None else [("birth", expected)])


def test_a_full_date_says_more_than_a_year_and_a_range_least() -> None:
    assert SAME_BIRTH_DATE > SAME_BIRTH_MONTH > SAME_BIRTH_YEAR > BIRTH_IN_RANGE > 0
    assert OTHER_BIRTH < BIRTH_YEAR_OFF < OTHER_BIRTH_DAY < 0


def test_any_listed_date_that_agrees_counts() -> None:
    entry = ListEntry("T.4", "individual", "Someone", "Example", born=("1958", "1961-08"))
    facts = weigh(entry, q(born="1961-08-30"))
    assert [(e.fact, e.points) for e in facts] == [("birth", SAME_BIRTH_MONTH)]
    assert facts[0].detail == "born in 1961-08, as listed"
    against = weigh(entry, q(born="1975-01-01"))
    assert against[0].detail == "born 1975-01-01; listed born 1958, 1961-08"


def test_bodies_have_no_birth_to_weigh() -> None:
    body = ListEntry("T.5", "entity", "Some Body", "Example", born=("1990",))
    assert points(body, born="1950") == []


# --- nationality and kind ----------------------------------------------------------


def test_nationality_supports_or_lowers_mildly() -> None:
    assert points(PERSON, nationality="ir") == [("nationality", SAME_NATIONALITY)]
    lowered = weigh(PERSON, q(nationality="PK"))
    assert [(e.fact, e.points) for e in lowered] == [("nationality", OTHER_NATIONALITY)]
    assert lowered[0].detail == "a national of PK; listed IR"
    assert abs(OTHER_NATIONALITY) < abs(OTHER_BIRTH)


def test_a_firm_against_a_listed_person_or_the_reverse_lowers() -> None:
    assert points(PERSON, kind="entity") == [("kind", OTHER_KIND)]
    assert points(COMPANY, kind="individual") == [("kind", OTHER_KIND)]
    assert points(COMPANY, kind="entity") == []
    assert weigh(PERSON, q(kind="entity"))[0].detail == "a firm screened against a listed person"


def test_raises_together_never_exceed_max_raise() -> None:
    facts = weigh(
        PERSON,
        q(
            identifiers=(Identifier("passport", "Z9876543"),),
            born="1971-03-14",
            nationality="IR",
        ),
    )
    assert [e.fact for e in facts] == ["identifier", "birth", "nationality"]
    assert sum(e.points for e in facts) == MAX_RAISE
    assert all(e.points >= 0 for e in facts)


def test_facts_against_together_take_at_most_max_lower() -> None:
    # born years away, another nationality, a firm: -20 - 6 - 5 claimed, 20 counted
    facts = weigh(PERSON, q(born="1990", nationality="PK", kind="entity"))
    assert [e.fact for e in facts] == ["birth", "nationality", "kind"]
    assert sum(e.points for e in facts) == -MAX_LOWER
    assert "capped" in facts[1].detail
    assert adjusted(60.0, facts) == 60.0 - MAX_LOWER


@pytest.mark.parametrize("name_score", [92.0, 93.5, 96.0, 100.0])
def test_facts_against_never_take_a_matching_name_below_review(name_score: float) -> None:
    review, match = Thresholds().review, Thresholds().match
    assert match <= name_score
    against = q(
        born="1990",
        nationality="PK",
        kind="entity",
        identifiers=(Identifier("passport", "K1112223", "IR"),),
    )
    facts = weigh(PERSON, against, name_score=name_score)
    lowered = -sum(e.points for e in facts)
    assert lowered == min(MAX_LOWER, name_score - review)
    assert name_score - lowered >= review
    # adjusted() applies the same cap to evidence weighed without the name's score
    assert adjusted(name_score, weigh(PERSON, against)) == name_score - lowered
    # a raise still counts on top
    raised = weigh(PERSON, q(born="1971-03-14", nationality="PK"), name_score=name_score)
    assert adjusted(name_score, raised) == min(100.0, name_score + SAME_BIRTH_DATE - 6.0)


def test_a_name_below_match_may_still_be_lowered_below_review() -> None:
    facts = weigh(PERSON, q(born="1990"), name_score=91.9)
    assert adjusted(91.9, facts) == round(91.9 - MAX_LOWER, 1) < Thresholds().review


def test_adjusted_stays_within_0_and_100() -> None:
    assert adjusted(95.0, weigh(PERSON, q(born="1971-03-14", nationality="IR"))) == 100.0
    assert adjusted(10.0, weigh(PERSON, q(born="1990"))) == 0.0
    assert adjusted(80.0, ()) == 80.0


def test_no_facts_no_evidence_and_every_fact_has_words() -> None:
    assert weigh(PERSON, Query("Bahram")) == ()
    assert weigh(ListEntry("T.6", "individual", "X Y", "E"), q(born="1971", nationality="IR")) == ()
    facts = weigh(
        PERSON,
        q(
            born="1960",
            nationality="AF",
            kind="entity",
            identifiers=(Identifier("passport", "K1112223", "IR"),),
        ),
    )
    assert len(facts) == 4
    assert all(len(e.detail.split()) >= 3 for e in facts)


# --- through screen() ----------------------------------------------------------------


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    un = parse_un((DATA / "un-sample.xml").read_bytes())
    ftm = read_list("ftm", DATA / "ftm-sample.jsonl")
    return build_index(un.entries + ftm.entries)


def test_a_same_passport_raises_a_name_just_below_review_into_review(index) -> None:  # type: ignore[no-untyped-def]
    thresholds = Thresholds()
    name_only = screen(index, [Query("Qolizadeh")], min_score=0)[0][0]
    assert name_only.reference == "tx-person-bahram"
    assert thresholds.review - 10 < name_only.score < thresholds.review
    assert screen(index, [Query("Qolizadeh")])[0] == []
    query = Query("Qolizadeh", identifiers=(Identifier("passport", "Z 987 6543"),))
    [hit] = screen(index, [query])[0]
    assert hit.reference == "tx-person-bahram"
    assert hit.band in (Band.REVIEW, Band.MATCH)
    assert hit.name_score == name_only.score
    assert hit.score == min(100.0, round(name_only.score + SAME_IDENTIFIER, 1))
    assert "passport number Z 987 6543 is the listed one's" in hit.explanation


def test_a_different_date_of_birth_lowers_a_name_match_below_review(index) -> None:  # type: ignore[no-untyped-def]
    name_only = screen(index, [Query("Bahram Tavakoli")])[0][0]
    assert name_only.reference == "tx-person-bahram"
    assert name_only.band == Band.REVIEW
    born_elsewhere = Query("Bahram Tavakoli", born="1990-06-01")
    assert screen(index, [born_elsewhere])[0] == []
    [lowered] = screen(index, [born_elsewhere], min_score=0)[0][:1]
    assert lowered.name_score == name_only.score
    assert lowered.score == round(name_only.score + OTHER_BIRTH, 1)
    assert [e.fact for e in lowered.evidence] == ["birth"]
    # the listed name itself is never cleared by a date of birth alone
    [exact] = screen(index, [Query("Bahram Qolizadeh Tavakoli", born="1990-06-01")])[0][:1]
    assert exact.reference == "tx-person-bahram"
    assert exact.band != Band.CLEAR


def test_a_firm_named_as_a_listed_person_still_needs_review(index) -> None:  # type: ignore[no-untyped-def]
    [hit] = screen(index, [Query("Bahram Qolizadeh Tavakoli", kind="entity")])[0][:1]
    assert hit.reference == "tx-person-bahram"
    assert hit.score == 100.0 + OTHER_KIND
    assert hit.band != Band.CLEAR


def test_no_evidence_leaves_the_score_unchanged(index) -> None:  # type: ignore[no-untyped-def]
    plain = screen(index, [Query("Bahram Tavakoli")])[0][0]
    unrelated = screen(
        index,
        [Query("Bahram Tavakoli", identifiers=(Identifier("registration", "123"),))],
    )[0][0]
    for hit in (plain, unrelated):
        assert hit.evidence == ()
        assert hit.name_score is None
        assert hit.score == plain.score


# the listed name a party's own claims must not hide (IRi.001 on the UN list)
GHALIBAF = ListEntry(
    "IRi.001",
    "individual",
    "Mohammad Bagher Ghalibaf",
    "Iran",
    born=("1961-08-23",),
    nationalities=("IR",),
    identifiers=(Identifier("passport", "D9001234", "IR"),),
)
_NEIGHBOURS = ("Mohammad Hassan Akhond", "Ali Reza Tavakoli", "Mohammad Javad Zarif")
CLAIMS = {
    "born": "1975",
    "nationality": "PK",
    "identifiers": (Identifier("passport", "P7654321", "IR"),),
}


@pytest.fixture(scope="module")
def ghalibaf():  # type: ignore[no-untyped-def]
    others = [ListEntry(f"X.{i}", "individual", n, "Iran") for i, n in enumerate(_NEIGHBOURS)]
    return build_index([GHALIBAF, *others])


def test_claims_against_never_clear_the_listed_name_itself(ghalibaf) -> None:  # type: ignore[no-untyped-def]
    # before the cap: 100 - 24 - 6 - 10 = 60, no hit at all
    [hit] = screen(ghalibaf, [Query("Mohammad Bagher Ghalibaf", **CLAIMS)])[0]  # type: ignore[arg-type]
    assert hit.reference == "IRi.001"
    assert hit.name_score == 100.0
    assert hit.score == 100.0 - MAX_LOWER
    assert hit.band == Band.REVIEW
    assert [e.fact for e in hit.evidence] == ["identifier", "birth", "nationality"]


def test_claims_against_never_take_a_name_at_match_below_review(ghalibaf) -> None:  # type: ignore[no-untyped-def]
    name = "Mohammad Bagheri Ghalibof"
    [alone] = screen(ghalibaf, [Query(name)])[0]
    # at match, yet MAX_LOWER alone would take it below review
    assert Thresholds().match <= alone.score < Thresholds().review + MAX_LOWER
    hits = screen(ghalibaf, [Query(name, **CLAIMS)])[0]  # type: ignore[arg-type]
    assert [h.reference for h in hits] == ["IRi.001"]
    assert hits[0].score == Thresholds().review


def test_a_declared_number_raises_a_hit_but_a_different_one_proves_nothing() -> None:
    other = (Identifier("registration", "10861234999", "IR"),)
    assert points(COMPANY, identifiers=other)  # a clerk's number counts against
    assert points(COMPANY, identifiers=other, numbers_only_raise=True) == []
    same = (Identifier("registration", "10861234565", "IR"),)
    assert points(COMPANY, identifiers=same, numbers_only_raise=True) == [
        ("identifier", SAME_IDENTIFIER)
    ]
