"""The UN list's facts besides names (dates and places of birth, nationalities,
passports and national ids) as ``parse_un`` reads them, and countries as written."""

from __future__ import annotations

from tahator.domain.screening import Identifier
from tahator.io.countries import code_of, country_codes, name_of
from tahator.io.un_list import parse_un
from tests.conftest import SHARED_DATA, absent_in_ci

UN_LIST = SHARED_DATA / "sanctions" / "un-consolidated-2018-10-29.xml"


def test_countries_as_the_list_writes_them() -> None:
    assert country_codes("Iran (Islamic Republic of)") == ("IR",)
    assert country_codes("Pakistani") == ("PK",)
    assert country_codes("United Kingdom of Great Britain and Northern\n   Ireland") == ("GB",)
    assert set(country_codes("Sudan/or South Sudan")) == {"SD", "SS"}
    assert set(country_codes("United States. Also believed to hold Syrian nationality")) == {
        "US",
        "SY",
    }
    assert country_codes("Nigeria") == ("NG",)  # not Niger
    assert country_codes("na") == country_codes("USSR (until 1991)") == ()
    assert code_of("ir") == "IR"
    assert code_of("zz") is None
    assert code_of("Sudan/South Sudan") is None  # two: not one nationality
    assert name_of("kp") == "Democratic People's Republic of Korea"
    assert name_of("IR") == "Iran"
    assert name_of("XX") is None


def un_entries():  # type: ignore[no-untyped-def]
    parsed = parse_un(UN_LIST.read_bytes(), str(UN_LIST))
    return {e.reference: e for e in parsed.entries}


@absent_in_ci(UN_LIST.exists(), "shared/data/sanctions")
def test_the_un_list_carries_births_nationalities_and_documents() -> None:
    entries = un_entries()
    people = [e for e in entries.values() if e.kind == "individual"]
    with_passport = [
        e for e in entries.values() if any(i.kind == "passport" for i in e.identifiers)
    ]
    with_id = [e for e in entries.values() if any(i.kind == "national_id" for i in e.identifiers)]
    assert len(with_passport) == 223
    assert len(with_id) == 101
    assert sum(bool(e.born) for e in people) == 664
    assert sum(bool(e.birth_places) for e in people) == 531
    assert sum(bool(e.nationalities) for e in people) > 550
    # every identifier holds a number, without the words around it
    numbers = [i.number for e in entries.values() for i in e.identifiers]
    assert all(any(c.isdigit() for c in n) for n in numbers)
    assert not any("passport" in n.casefold() or "number" in n.casefold() for n in numbers)


@absent_in_ci(UN_LIST.exists(), "shared/data/sanctions")
def test_spot_checks() -> None:
    entries = un_entries()
    basir = entries["TAi.128"]  # Taliban: passport with its issuing country
    assert basir.born == ("1964",)
    assert basir.nationalities == ("AF",)
    assert Identifier("passport", "D 000974", "AF") in basir.identifiers
    assert "Surkh Rod District, Nangarhar Province, Afghanistan" in basir.birth_places
    soleimani = entries["IRi.039"]  # Iran: exact date, place, passport
    assert soleimani.born == ("1957-03-11",)
    assert soleimani.birth_places == ("Qom, Iran (Islamic Republic of)",)
    assert soleimani.identifiers == (Identifier("passport", "008827", "IR"),)
    maleki = entries["IRi.022"]
    assert Identifier("national_id", "0035011785", "IR") in maleki.identifiers
    # "Libyan Passport No. 96/184442": the number alone
    assert any(i.number == "96/184442" for e in entries.values() for i in e.identifiers)
    # an approximate year allows the years either side; a note's month is read
    assert any(b == "1967-1969" for e in entries.values() for b in e.born)
    assert "1961-08" in entries["CFi.009"].born
    # a body's nationalities: the countries of its addresses
    assert entries["IRe.070"].nationalities == ("IR",)
    # the three-language duplicates of one DPRK passport are one identifier
    for entry in entries.values():
        assert len(entry.identifiers) == len(set(entry.identifiers))
