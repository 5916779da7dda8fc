"""The barter order's rules for an application (DESIGN §4): every rule refusing, and allowing.

The baseline is a valid application under the shipped PK-IR policy's amended order; each
test breaks one rule and expects exactly that problem, or shows the case the rule lets
through.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tahator.domain.barter import Applicant, Party, application_problems
from tahator.domain.errors import Problem
from tahator.domain.policy import Policy, Rules
from tests.unit.test_barter import (
    APPLICANT,
    APPLICATION,
    HOME_FIRM,
    LPG,
    PARTNER_FIRM,
    POLICY,
    RICE,
    RULES,
    RULES_2023,
    the_one,
)


def check(
    *,
    policy: Policy = POLICY,
    rules: Rules = RULES,
    applicant: Applicant | None = APPLICANT,
    counterparty: Party | None = PARTNER_FIRM,
    **changes: Any,
) -> list[Problem]:
    """``application_problems`` for the baseline with ``changes`` to the application,
    under the amended order unless ``rules`` says otherwise."""
    application = dataclasses.replace(APPLICATION, **changes)
    return application_problems(policy, rules, application, applicant, counterparty)


def alone(party: Party) -> Applicant:
    return Applicant(id=party.id, members=(party,))


def firm(**changes: Any) -> Party:
    return dataclasses.replace(HOME_FIRM, **changes)


# -- application_problems ---------------------------------------------------------------------


def test_baseline_is_valid() -> None:
    assert check() == []


# the applicant


def test_unknown_applicant_refused() -> None:
    the_one(check(applicant=None), "applicant", "unknown firm or consortium 'PK-1'")


def test_applicant_of_another_country_refused() -> None:
    problem = the_one(check(applicant=alone(firm(country="IR"))), "applicant", "not a firm of PK")
    assert problem.message == "PK-1 is not a firm of PK"


def test_applicant_of_the_home_country_allowed() -> None:
    assert check(applicant=alone(firm(country="PK"))) == []


@pytest.mark.parametrize("status", ["blocked", "suspended", "closed"])
def test_applicant_not_active_refused(status: str) -> None:
    the_one(check(applicant=alone(firm(status=status))), "applicant", f"is {status}, not active")


def test_active_applicant_allowed() -> None:
    assert check(applicant=alone(firm(status="active"))) == []


def test_applicant_not_an_active_taxpayer_refused() -> None:
    problems = check(applicant=alone(firm(active_taxpayer=False)))
    the_one(problems, "applicant", "not on the FBR's active-taxpayer list")


def test_active_taxpayer_not_required_by_policy_allowed() -> None:
    policy = dataclasses.replace(POLICY, require_active_taxpayer=False)
    assert check(policy=policy, applicant=alone(firm(active_taxpayer=False))) == []


def test_applicant_not_psw_subscribed_refused() -> None:
    problems = check(applicant=alone(firm(psw_subscribed=False)))
    the_one(problems, "applicant", "not subscribed to the Pakistan Single Window")


def test_psw_subscription_not_required_by_policy_allowed() -> None:
    policy = dataclasses.replace(POLICY, require_psw_subscription=False)
    assert check(policy=policy, applicant=alone(firm(psw_subscribed=False))) == []


STATE_ENTERPRISE = firm(
    id="PK-SOE", state_enterprise=True, active_taxpayer=False, psw_subscribed=False
)


def test_state_enterprise_without_the_flags_eligible() -> None:
    assert POLICY.state_enterprises_eligible
    assert check(applicant=alone(STATE_ENTERPRISE), applicant_id="PK-SOE") == []


def test_state_enterprise_not_eligible_as_such_when_the_policy_says_so() -> None:
    policy = dataclasses.replace(POLICY, state_enterprises_eligible=False)
    problems = check(policy=policy, applicant=alone(STATE_ENTERPRISE), applicant_id="PK-SOE")
    assert [p.field for p in problems] == ["applicant", "applicant"]
    assert "active-taxpayer list" in problems[0].message
    assert "Pakistan Single Window" in problems[1].message


def test_state_enterprise_with_the_flags_eligible_when_the_policy_says_false() -> None:
    policy = dataclasses.replace(POLICY, state_enterprises_eligible=False)
    soe = dataclasses.replace(STATE_ENTERPRISE, active_taxpayer=True, psw_subscribed=True)
    assert check(policy=policy, applicant=alone(soe), applicant_id="PK-SOE") == []


def test_state_enterprise_must_still_be_home_and_active() -> None:
    foreign = dataclasses.replace(STATE_ENTERPRISE, country="AF")
    the_one(check(applicant=alone(foreign)), "applicant", "not a firm of PK")
    blocked = dataclasses.replace(STATE_ENTERPRISE, status="blocked")
    the_one(check(applicant=alone(blocked)), "applicant", "is blocked, not active")


# consortia

MEMBER_2 = firm(id="PK-2")
MEMBER_3 = firm(id="PK-3")


def consortium(*members: Party) -> Applicant:
    return Applicant(id="CONS-1", members=members, consortium=True)


def test_consortium_of_eligible_members_allowed() -> None:
    assert check(applicant=consortium(HOME_FIRM, MEMBER_2, MEMBER_3), applicant_id="CONS-1") == []


@pytest.mark.parametrize("position", [0, 1, 2])
def test_consortium_with_one_ineligible_member_refused(position: int) -> None:
    members = [HOME_FIRM, MEMBER_2, MEMBER_3]
    bad = dataclasses.replace(members[position], psw_subscribed=False)
    members[position] = bad
    problems = check(applicant=consortium(*members), applicant_id="CONS-1")
    problem = the_one(problems, "applicant", f"{bad.id} (member of CONS-1)")
    assert "Pakistan Single Window" in problem.message


def test_consortium_checks_every_member() -> None:
    members = (
        firm(id="PK-A", status="blocked"),
        HOME_FIRM,
        firm(id="PK-B", active_taxpayer=False),
        firm(id="PK-C", country="AF"),
    )
    problems = check(applicant=consortium(*members), applicant_id="CONS-1")
    assert [p.field for p in problems] == ["applicant"] * 4
    assert problems[0].message == "the members of CONS-1 are not of one country"
    assert problems[1].message == "PK-A (member of CONS-1) is blocked, not active"
    assert problems[2].message.startswith("PK-B (member of CONS-1) is not on the FBR's")
    assert problems[3].message == "PK-C (member of CONS-1) is not a firm of PK"


def test_consortium_refused_when_the_version_disallows_consortia() -> None:
    problems = check(rules=RULES_2023, applicant=consortium(HOME_FIRM, MEMBER_2))
    problem = the_one(problems, "applicant", "does not allow consortia")
    assert problem.message == "the 2023 order does not allow consortia"


def test_single_firm_allowed_when_the_version_disallows_consortia() -> None:
    assert check(rules=RULES_2023) == []


# the undertaking for the foreign partner


def test_undertaking_required_under_the_amended_order() -> None:
    problem = the_one(check(undertaking=False), "undertaking", "required")
    assert problem.message == (
        "an undertaking for the foreign partner is required under the 2025-10 order"
    )


def test_undertaking_not_required_under_the_2023_order() -> None:
    assert check(rules=RULES_2023, undertaking=False) == []


# partner country and counterparty


def test_partner_country_outside_the_order_refused() -> None:
    chinese = dataclasses.replace(PARTNER_FIRM, country="CN")
    problems = check(partner_country="CN", counterparty=chinese)
    problem = the_one(problems, "partner_country", "'CN' is not a partner country")
    assert "(AF, IR, RU)" in problem.message


@pytest.mark.parametrize("country", ["AF", "IR", "RU"])
def test_partner_countries_of_the_order_allowed(country: str) -> None:
    counterparty = dataclasses.replace(PARTNER_FIRM, country=country)
    assert check(partner_country=country, counterparty=counterparty) == []


def test_unknown_counterparty_refused() -> None:
    the_one(check(counterparty=None), "counterparty", "unknown firm 'IR-1'")


def test_counterparty_of_another_country_refused() -> None:
    afghan = dataclasses.replace(PARTNER_FIRM, country="AF")
    problem = the_one(check(counterparty=afghan), "counterparty", "firm of AF, not of IR")
    assert problem.message == "IR-1 is a firm of AF, not of IR"


def test_counterparty_not_active_refused() -> None:
    blocked = dataclasses.replace(PARTNER_FIRM, status="blocked")
    the_one(check(counterparty=blocked), "counterparty", "IR-1 is blocked, not active")


def test_counterparty_needs_no_pakistani_flags() -> None:
    assert not PARTNER_FIRM.active_taxpayer
    assert not PARTNER_FIRM.psw_subscribed
    assert check(counterparty=PARTNER_FIRM) == []


# lines of goods


def test_no_import_line_refused() -> None:
    the_one(check(imports=()), "imports", "at least one import line")


def test_no_export_line_refused() -> None:
    the_one(check(exports=()), "exports", "at least one export line")


@pytest.mark.parametrize("side", ["imports", "exports"])
def test_a_rings_application_may_list_one_side(side: str) -> None:
    assert check(proposal=4, **{side: ()}) == []


def test_a_rings_application_needs_some_line() -> None:
    the_one(check(proposal=4, imports=(), exports=()), "imports", "at least one import or export")


def test_several_lines_each_way_allowed() -> None:
    assert check(imports=(LPG, LPG), exports=(RICE, RICE, RICE)) == []


@pytest.mark.parametrize(
    ("hs", "prefix"), [("22030000", "2203"), ("02031100", "0203"), ("220830", "2208")]
)
def test_prohibited_import_refused(hs: str, prefix: str) -> None:
    line = dataclasses.replace(LPG, hs=hs)
    problem = the_one(check(imports=(line,)), "imports[1].hs", "prohibited for import")
    assert problem.message == f"HS {hs} is prohibited for import (HS {prefix})"


@pytest.mark.parametrize("hs", ["22030000", "02031100", "220830"])
def test_same_code_allowed_on_export(hs: str) -> None:
    assert check(exports=(dataclasses.replace(RICE, hs=hs),)) == []


def test_prohibited_line_is_numbered() -> None:
    beer = dataclasses.replace(LPG, hs="22030000")
    the_one(check(imports=(LPG, LPG, beer)), "imports[3].hs", "prohibited for import")


@pytest.mark.parametrize(
    "hs", ["27A1", "123", "", "2711 1900", "27111900000", "2711.19", "２７１１"]
)
@pytest.mark.parametrize("direction", ["imports", "exports"])
def test_bad_hs_text_refused(direction: str, hs: str) -> None:
    base = LPG if direction == "imports" else RICE
    problems = check(**{direction: (dataclasses.replace(base, hs=hs),)})
    the_one(problems, f"{direction}[1].hs", "is not an HS code (4 to 10 digits)")


@pytest.mark.parametrize("hs", ["271119", "2711190000"])
def test_hs_of_6_to_10_digits_allowed(hs: str) -> None:
    assert check(imports=(dataclasses.replace(LPG, hs=hs),)) == []


def test_hs_shorter_than_the_subheading_refused() -> None:
    problems = check(imports=(dataclasses.replace(LPG, hs="2711"),))
    problem = the_one(problems, "imports[1].hs", "at least 6 digits")
    assert "the 2025-10 order matches declarations" in problem.message


@pytest.mark.parametrize("field", ["valid_from", "valid_until"])
@pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31), date(9999, 12, 31)])
def test_contract_dates_out_of_range_refused(field: str, day: date) -> None:
    changes = {field: day}
    if field == "valid_from":
        changes["valid_until"] = max(day, APPLICATION.valid_until)
    problems = [p for p in check(**changes) if p.field == field and "accepted" in p.message]
    the_one(problems, field, "outside the accepted dates, 2000-01-01 to 2100-12-31")


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal("-1"), Decimal("-0.001")])
def test_non_positive_quantity_refused(quantity: Decimal) -> None:
    line = dataclasses.replace(RICE, quantity=quantity)
    the_one(check(exports=(RICE, line)), "exports[2].quantity", "must be positive")


@pytest.mark.parametrize("value", [0, -1, -30_000_000])
def test_non_positive_value_refused(value: int) -> None:
    line = dataclasses.replace(LPG, value=value)
    the_one(check(imports=(line,)), "imports[1].value", "must be positive")


def test_smallest_positive_quantity_and_value_allowed() -> None:
    line = dataclasses.replace(LPG, quantity=Decimal("0.001"), value=1)
    assert check(imports=(line,), exports=(line,)) == []


@pytest.mark.parametrize("unit", ["", " ", "\t"])
def test_empty_unit_refused(unit: str) -> None:
    line = dataclasses.replace(LPG, unit=unit)
    the_one(check(imports=(line,)), "imports[1].unit", "must be 1 to 20 characters")


def test_origin_not_declared_refused() -> None:
    the_one(check(origin_declared=False), "origin_declared", "originate in the partner country")


def test_contract_ending_before_it_starts_refused() -> None:
    problems = check(valid_from=date(2026, 1, 1), valid_until=date(2025, 12, 31))
    problem = the_one(problems, "valid_until", "expires (2025-12-31) before it starts")
    assert "(2026-01-01)" in problem.message


def test_contract_valid_for_a_single_day_allowed() -> None:
    assert check(valid_from=date(2026, 1, 1), valid_until=date(2026, 1, 1)) == []


def test_every_broken_rule_reported_at_once() -> None:
    bad_line = dataclasses.replace(LPG, hs="22030000", quantity=Decimal(0), unit="", value=0)
    problems = check(
        applicant=None,
        counterparty=None,
        partner_country="CN",
        imports=(bad_line,),
        exports=(),
        origin_declared=False,
        valid_from=date(2026, 1, 2),
        valid_until=date(2026, 1, 1),
    )
    assert [p.field for p in problems] == [
        "applicant",
        "partner_country",
        "counterparty",
        "imports[1].hs",
        "imports[1].quantity",
        "imports[1].unit",
        "imports[1].value",
        "exports",
        "origin_declared",
        "valid_until",
    ]
