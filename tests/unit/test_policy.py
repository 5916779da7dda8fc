"""The corridor policy as data: the shipped PK-IR file, ``parse_policy``'s refusals, ``as_dict``."""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import tahator
from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Direction, Policy, PriceBand, parse_policy

POLICY_FILE = Path(tahator.__file__).resolve().parent / "policies" / "pk-ir.toml"


def shipped_data() -> dict[str, Any]:
    """The parsed TOML of the shipped policy, fresh each call (tests mutate it)."""
    with POLICY_FILE.open("rb") as file:
        return tomllib.load(file)


SHIPPED = parse_policy(shipped_data(), str(POLICY_FILE))


def refusal(data: dict[str, Any]) -> list[Problem]:
    """The problems ``parse_policy`` reports for ``data`` (it must refuse it)."""
    with pytest.raises(InputError) as caught:
        parse_policy(data, "test.toml")
    problems = caught.value.problems
    assert problems
    assert all(p.file == "test.toml" for p in problems)
    return problems


def mutated(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = shipped_data()
    change(data)
    return data


def fields(problems: list[Problem]) -> set[str | None]:
    return {p.field for p in problems}


def messages(problems: list[Problem], field: str) -> str:
    return " | ".join(p.message for p in problems if p.field == field)


# -- the shipped policy -----------------------------------------------------------------------


def test_shipped_policy_parses() -> None:
    assert isinstance(SHIPPED, Policy)
    assert SHIPPED.corridor == "PK-IR"
    assert SHIPPED.home_country == "PK"
    assert SHIPPED.zone == "Asia/Karachi"
    assert SHIPPED.source.startswith("SRO 642(I)/2023")


def test_shipped_partners_are_afghanistan_iran_russia() -> None:
    assert SHIPPED.partners == frozenset({"AF", "IR", "RU"})


def test_shipped_eligibility_and_consortium() -> None:
    assert SHIPPED.require_active_taxpayer
    assert SHIPPED.require_psw_subscription
    assert SHIPPED.state_enterprises_eligible
    assert SHIPPED.consortium_liability == "joint_and_several"
    assert SHIPPED.every_member_eligible
    assert SHIPPED.consortium_one_country
    assert SHIPPED.reconciliation == "quarterly"


@pytest.mark.parametrize(
    ("hs", "prefix"),
    [
        ("0203", "0203"),
        ("02031100", "0203"),  # pork carcasses
        ("02032900", "0203"),
        ("22030000", "2203"),  # beer
        ("22042100", "2204"),  # wine
        ("22051000", "2205"),
        ("22060010", "2206"),
        ("22071000", "2207"),  # ethanol
        ("22089000", "2208"),  # spirits
    ],
)
def test_shipped_import_prohibitions(hs: str, prefix: str) -> None:
    for rules in SHIPPED.versions:
        assert rules.prohibited_prefix(Direction.IMPORT, hs) == prefix


@pytest.mark.parametrize(
    "hs",
    [
        "22029900",  # non-alcoholic beverages: chapter 22 but not 2203..2208
        "22011000",  # water
        "22090000",  # vinegar
        "10063010",  # rice
        "27111900",  # LPG
        "02013000",  # bovine meat
        "02041000",  # sheep meat
        "020",  # shorter than any prohibited prefix
    ],
)
def test_shipped_import_allowed(hs: str) -> None:
    for rules in SHIPPED.versions:
        assert rules.prohibited_prefix(Direction.IMPORT, hs) is None
        assert rules.goods_problem(Direction.IMPORT, hs) is None


@pytest.mark.parametrize("hs", ["02031100", "22030000", "22089000", "10063010"])
def test_shipped_exports_have_no_prohibitions(hs: str) -> None:
    for rules in SHIPPED.versions:
        assert rules.prohibited[Direction.EXPORT] == ()
        assert rules.prohibited_prefix(Direction.EXPORT, hs) is None


def test_shipped_price_bands() -> None:
    assert len(SHIPPED.price_bands) == 10
    assert SHIPPED.band_for("10063010") == PriceBand("1006", "kg", Decimal("0.30"), Decimal("1.50"))
    assert SHIPPED.band_for("27111900") == PriceBand("2711", "t", Decimal("300.00"), Decimal("900"))
    assert SHIPPED.band_for("72081000") == PriceBand("72", "t", Decimal("350"), Decimal("1500"))
    assert SHIPPED.band_for("84713000") is None


def test_band_for_picks_the_longest_matching_prefix() -> None:
    flat = PriceBand("7208", "t", Decimal("400.00"), Decimal("800.00"))
    # Put the narrower band first and last: the order of the file must not matter.
    for bands in ((flat, *SHIPPED.price_bands), (*SHIPPED.price_bands, flat)):
        policy = dataclasses.replace(SHIPPED, price_bands=bands)
        assert policy.band_for("72081000") == flat
        assert policy.band_for("7208") == flat
        chapter = policy.band_for("72101100")
        assert chapter is not None
        assert chapter.hs == "72"
        assert policy.band_for("7309") is None


# -- parse_policy refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("balancing", {"balancing.reconciliation"}),
        (
            "eligibility",
            {
                "eligibility.require_active_taxpayer",
                "eligibility.require_psw_subscription",
                "eligibility.state_enterprises_eligible",
            },
        ),
        ("partners", {"partners.allowed"}),
        ("versions", {"versions"}),
        (
            "consortium",
            {"consortium.liability", "consortium.every_member_eligible", "consortium.one_country"},
        ),
        ("corridor", {"corridor.id", "corridor.name", "corridor.home_country", "corridor.zone"}),
    ],
)
def test_missing_section_names_each_field(section: str, expected: set[str]) -> None:
    problems = refusal(mutated(lambda d: d.pop(section)))
    assert fields(problems) == expected
    assert all(p.message == "is missing" for p in problems)
    assert len(problems) == len(expected)  # each missing field once


def test_missing_price_bands_is_allowed() -> None:
    policy = parse_policy(mutated(lambda d: d.pop("price_bands")))
    assert policy.price_bands == ()
    assert policy.band_for("10063010") is None


def test_missing_source_defaults_to_the_file_name() -> None:
    policy = parse_policy(mutated(lambda d: d["corridor"].pop("source")), "elsewhere.toml")
    assert policy.source == "elsewhere.toml"


@pytest.mark.parametrize(
    "field",
    [
        "eligibility.require_active_taxpayer",
        "eligibility.require_psw_subscription",
        "eligibility.state_enterprises_eligible",
        "consortium.every_member_eligible",
        "consortium.one_country",
    ],
)
def test_string_where_bool_expected(field: str) -> None:
    section, key = field.split(".")
    problems = refusal(mutated(lambda d: d[section].__setitem__(key, "true")))
    assert fields(problems) == {field}
    assert "must be true or false" in messages(problems, field)
    assert "'true'" in messages(problems, field)


def test_string_where_list_expected() -> None:
    problems = refusal(mutated(lambda d: d["partners"].__setitem__("allowed", "IR")))
    assert fields(problems) == {"partners.allowed"}
    assert "must be a list" in messages(problems, "partners.allowed")


def test_section_that_is_not_a_table() -> None:
    problems = refusal(mutated(lambda d: d.__setitem__("balancing", "quarterly")))
    assert fields(problems) == {"balancing.reconciliation"}
    assert problems[0].message == "is missing"


@pytest.mark.parametrize("partner", ["ir", "Ir", "IRN", "I", "", 98, None, True])
def test_partner_not_a_two_letter_upper_case_code(partner: object) -> None:
    problems = refusal(mutated(lambda d: d["partners"].__setitem__("allowed", ["AF", partner])))
    assert fields(problems) == {"partners.allowed"}
    assert len(problems) == 1  # only the bad one
    assert "is not a country code" in messages(problems, "partners.allowed")
    assert repr(partner) in messages(problems, "partners.allowed")


def test_partner_with_a_digit_is_refused() -> None:
    refusal(mutated(lambda d: d["partners"].__setitem__("allowed", ["A1"])))


@pytest.mark.parametrize("key", ["hs", "unit", "min", "max"])
def test_price_band_missing_a_key(key: str) -> None:
    problems = refusal(mutated(lambda d: d["price_bands"][2].pop(key)))
    assert fields(problems) == {"price_bands[3]"}
    assert "needs hs, unit, min and max" in messages(problems, "price_bands[3]")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"min": "2.00", "max": "1.00"}, "0 ≤ min ≤ max"),
        ({"min": "-1"}, "0 ≤ min ≤ max"),
        ({"hs": "10x6"}, "numeric hs"),
        ({"hs": ""}, "numeric hs"),
        ({"max": "lots"}, "needs hs, unit, min and max"),
    ],
)
def test_malformed_price_band(change: dict[str, str], fragment: str) -> None:
    problems = refusal(mutated(lambda d: d["price_bands"][0].update(change)))
    assert fields(problems) == {"price_bands[1]"}
    assert fragment in messages(problems, "price_bands[1]")


def test_price_band_that_is_not_a_table() -> None:
    problems = refusal(mutated(lambda d: d["price_bands"].append("1006")))
    assert fields(problems) == {"price_bands[11]"}
    assert "must be a table" in messages(problems, "price_bands[11]")


def test_price_band_with_equal_bounds_is_allowed() -> None:
    policy = parse_policy(mutated(lambda d: d["price_bands"][0].update(min="1.00", max="1.00")))
    assert policy.price_bands[0].low == policy.price_bands[0].high == Decimal("1.00")


def test_price_band_with_nan_bound_is_an_input_error() -> None:
    problems = refusal(mutated(lambda d: d["price_bands"][0].update(min="NaN")))
    assert fields(problems) == {"price_bands[1]"}


def test_several_mistakes_are_reported_at_once() -> None:
    def break_everything(d: dict[str, Any]) -> None:
        d.pop("eligibility")
        d["consortium"]["one_country"] = "yes"
        d["versions"][0]["sequencing"] = "export_first"
        d["versions"][1]["window_days"] = 0
        d["versions"][1]["tolerance"] = "1.5"
        d["partners"]["allowed"] = ["IR", "iran"]
        d["versions"][0]["import_prohibited"] = ["0203", "beer"]
        del d["price_bands"][1]["max"]
        d["price_bands"][4].update(min="9", max="1")

    problems = refusal(mutated(break_everything))
    assert fields(problems) == {
        "eligibility.require_active_taxpayer",
        "eligibility.require_psw_subscription",
        "eligibility.state_enterprises_eligible",
        "consortium.one_country",
        "versions[1].sequencing",
        "versions[2].window_days",
        "versions[2].tolerance",
        "partners.allowed",
        "versions[1].import_prohibited",
        "price_bands[2]",
        "price_bands[5]",
    }
    assert len(problems) == 11
    # The message lists every problem, one a line, each naming the file and field.
    text = str(InputError(problems))
    assert len(text.splitlines()) == 11
    assert "test.toml: versions[2].window_days: must be 1 to 3650 days" in text


def test_parse_policy_does_not_modify_its_input() -> None:
    data = shipped_data()
    before = copy.deepcopy(data)
    parse_policy(data)
    assert data == before


# -- as_dict ----------------------------------------------------------------------------------


def test_as_dict_key_values() -> None:
    d = SHIPPED.as_dict()
    assert d["corridor"] == "PK-IR"
    assert d["home_country"] == "PK"
    assert d["partners"] == ["AF", "IR", "RU"]
    assert d["reconciliation"] == "quarterly"
    assert [v["version"] for v in d["versions"]] == ["2023", "2025-10"]
    assert d["versions"][1] | {"prohibited": None, "source": None, "tolerance_source": None} == {
        "version": "2025-10",
        "effective": "2025-10-17",
        "source": None,
        "sequencing": "simultaneous",
        "window_days": 120,
        "tolerance": "0.20",
        "tolerance_source": None,
        "hs_digits": 6,
        "consortium_allowed": True,
        "undertaking_required": True,
        "prohibited": None,
        "allowed": {"import": [], "export": []},
    }
    assert d["versions"][0]["prohibited"]["import"] == [
        "0203",
        "2203",
        "2204",
        "2205",
        "2206",
        "2207",
        "2208",
    ]
    assert d["eligibility"]["require_active_taxpayer"] is True
    assert d["consortium"]["liability"] == "joint_and_several"
    assert d["price_bands"][0] == {"hs": "1006", "unit": "kg", "min": "0.30", "max": "1.50"}
    json.dumps(d)  # plain JSON types only


def as_file(policy: Policy) -> dict[str, Any]:
    """The policy file's content (as TOML would parse it) rebuilt from ``as_dict``."""
    d = json.loads(json.dumps(policy.as_dict()))
    versions = []
    for v in d["versions"]:
        prohibited, allowed = v.pop("prohibited"), v.pop("allowed")
        versions.append(
            v
            | {f"{way}_prohibited": codes for way, codes in prohibited.items()}
            | {f"{way}_allowed": codes for way, codes in allowed.items()}
        )
    return (
        {
            "corridor": {k: d[k] for k in ("name", "home_country", "source", "zone")}
            | {"id": d["corridor"]},
            "partners": {"allowed": d["partners"]},
            "eligibility": d["eligibility"],
            "consortium": d["consortium"],
            "balancing": {"reconciliation": d["reconciliation"]},
            "versions": versions,
            "price_bands": d["price_bands"],
        }
        | ({"customs": d["customs"]} if "customs" in d else {})
        | ({"calendar": d["calendar"]} if "calendar" in d else {})
    )


def test_as_dict_round_trips_through_parse_policy() -> None:
    changed = dataclasses.replace(
        SHIPPED.versions[0],
        allowed={Direction.IMPORT: ("2711",), Direction.EXPORT: ("1006", "0805")},
    )
    for policy in (SHIPPED, dataclasses.replace(SHIPPED, versions=(changed,))):
        assert parse_policy(as_file(policy)) == policy


def test_an_unknown_business_zone_is_named() -> None:
    data = shipped_data()
    data["corridor"]["zone"] = "Asia/Lahore"
    with pytest.raises(InputError) as caught:
        parse_policy(data, "pk-ir.toml")
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("corridor.zone", "'Asia/Lahore' is not an IANA time zone")
    ]
