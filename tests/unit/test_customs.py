"""Customs selectivity as data (``domain.customs``): the shipped rules, their refusals,
the seeded selection and the order of phases."""

from __future__ import annotations

import copy
import json
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from tahator.domain.customs import (
    DRAWS,
    NO_CUSTOMS,
    Kind,
    Lane,
    LaneFacts,
    Phase,
    draw,
    facts_data,
    facts_of,
    parse_customs,
    phase_problem,
    random_lane,
    rules_of,
    select_lane,
)
from tahator.domain.errors import InputError
from tahator.domain.policy import parse_policy
from tests.unit.test_policy import SHIPPED, shipped_data

RULES = SHIPPED.customs.rules
LOW_RISK = LaneFacts(
    direction="export", hs=("10063010",), origin="PK", expected_origins=frozenset({"PK"})
)
SEEDS = [f"{number:032x}" for number in range(10_000)]


def customs_data() -> dict[str, Any]:
    return copy.deepcopy(shipped_data()["customs"])


def problems_of(data: Any) -> list[tuple[str | None, str]]:
    _, problems = parse_customs(data, "test.toml")
    assert all(p.file == "test.toml" for p in problems)
    return [(p.field, p.message) for p in problems]


# -- the shipped section -----------------------------------------------------------------------


def test_the_shipped_crossings_rules_and_targets() -> None:
    customs = SHIPPED.customs
    assert [(c.code, c.name) for c in customs.crossings] == [
        ("TFN", "Taftan–Mirjaveh"),
        ("GBD", "Gabd–Rimdan"),
        ("MND", "Mand–Pishin"),
    ]
    assert {c.kind for c in RULES.criteria} == set(Kind)
    assert RULES.thresholds == {Lane.BLUE: 20, Lane.YELLOW: 40, Lane.RED: 70}
    assert RULES.random == {
        Lane.RED: Decimal("0.03"),
        Lane.YELLOW: Decimal("0.07"),
        Lane.BLUE: Decimal("0.05"),
    }
    assert customs.target_hours == {Lane.GREEN: 4, Lane.BLUE: 4, Lane.YELLOW: 24, Lane.RED: 48}
    assert len(RULES.digest) == 64


def test_the_section_round_trips_and_its_digest_follows_the_rules() -> None:
    again, problems = parse_customs(SHIPPED.customs.as_dict())
    assert problems == []
    assert again == SHIPPED.customs
    data = customs_data()
    data["criteria"][0]["weight"] = 51
    changed, _ = parse_customs(data)
    assert changed.rules.digest != RULES.digest


def test_a_policy_without_customs_has_no_crossings() -> None:
    data = shipped_data()
    del data["customs"]
    policy = parse_policy(data)
    assert policy.customs is NO_CUSTOMS
    assert "customs" not in policy.as_dict()


def test_every_bad_field_is_named() -> None:
    data = customs_data()
    data["crossings"][1]["code"] = "tfn"
    data["crossings"][2]["code"] = "TFN"
    data["crossings"][2]["name"] = " "
    data["criteria"][0]["kind"] = "astrology"
    data["criteria"][1]["hs"] = ["27x"]
    data["criteria"][2]["direction"] = "sideways"
    data["criteria"][3]["weight"] = -5
    data["criteria"][4]["id"] = "price-band"
    data["criteria"][5]["description"] = ""
    data["criteria"][6]["share"] = "0.1234567"
    data["thresholds"]["red"] = 10
    data["random"]["blue"] = "0.95"
    data["target_hours"]["red"] = "48"
    assert problems_of(data) == [
        ("customs.crossings[2].code", "must be 2 to 20 capital letters and digits, not 'tfn'"),
        ("customs.crossings[3].code", "'TFN' appears twice"),
        ("customs.crossings[3].name", "must be a non-empty string"),
        (
            "customs.criteria[1].kind",
            "must be one of price_band, hs, first_declaration, screening, "
            "earlier_discrepancy, plan_deviation, origin, not 'astrology'",
        ),
        ("customs.criteria[2].hs", "must list HS codes or prefixes (2 to 10 digits)"),
        ("customs.criteria[3].direction", "must be 'import' or 'export', not 'sideways'"),
        ("customs.criteria[4].weight", "must be a whole number from 0 to 1000, not -5"),
        ("customs.criteria[5].id", "'price-band' appears twice"),
        ("customs.criteria[6].description", "must say what the criterion catches"),
        (
            "customs.criteria[7].share",
            'must be a share from "0" to "1" with at most 6 decimals, not \'0.1234567\'',
        ),
        ("customs.thresholds", "must grow: blue ≤ yellow ≤ red"),
        ("customs.random", "the random shares must add up to 1 at most"),
        ("customs.target_hours.red", "must be a whole number from 1 to 720, not '48'"),
    ]


def test_missing_tables_are_named_and_parse_policy_reports_them() -> None:
    assert problems_of({}) == [
        ("customs.crossings", "must be a non-empty list of [[customs.crossings]] tables"),
        ("customs.thresholds", "must be a table: the least score for blue, yellow and red"),
        ("customs.thresholds.blue", "must be a whole number from 1 to 100000, not None"),
        ("customs.thresholds.yellow", "must be a whole number from 1 to 100000, not None"),
        ("customs.thresholds.red", "must be a whole number from 1 to 100000, not None"),
        ("customs.random", "must be a table: the minimum random share of blue, yellow and red"),
        (
            "customs.random.blue",
            'must be a share from "0" to "1" with at most 6 decimals, not None',
        ),
        (
            "customs.random.yellow",
            'must be a share from "0" to "1" with at most 6 decimals, not None',
        ),
        ("customs.random.red", 'must be a share from "0" to "1" with at most 6 decimals, not None'),
        ("customs.target_hours", "must be a table: hours from arrival to release per lane"),
        ("customs.target_hours.green", "must be a whole number from 1 to 720, not None"),
        ("customs.target_hours.blue", "must be a whole number from 1 to 720, not None"),
        ("customs.target_hours.yellow", "must be a whole number from 1 to 720, not None"),
        ("customs.target_hours.red", "must be a whole number from 1 to 720, not None"),
    ]
    data = shipped_data()
    data["customs"]["crossings"] = "TFN"
    with pytest.raises(InputError) as caught:
        parse_policy(data, "pk-ir.toml")
    assert [str(p) for p in caught.value.problems] == [
        "pk-ir.toml: customs.crossings: must be a non-empty list of [[customs.crossings]] tables"
    ]
    assert problems_of("yes") == [("customs.", "must be a table")]


# -- selection ---------------------------------------------------------------------------------


def test_selection_is_reproducible_from_the_seed() -> None:
    facts = LaneFacts(direction="import", hs=("27111900",), first_declaration=True)
    for seed in SEEDS[:200]:
        assert select_lane(RULES, facts, seed) == select_lane(RULES, facts, seed)
    choice = select_lane(RULES, facts, "00" * 16)
    assert choice.hits == ("fuel", "first-declaration")
    assert choice.score == 55
    assert choice.draw == draw("00" * 16)
    assert 0 <= choice.draw < DRAWS


def test_low_risk_consignments_get_the_random_rates() -> None:
    """Scored green, a consignment goes to a stricter lane only by the draw, at the
    policy's minimum random rates."""
    lanes = Counter(select_lane(RULES, LOW_RISK, seed).lane for seed in SEEDS)
    for lane in (Lane.RED, Lane.YELLOW, Lane.BLUE):
        assert abs(lanes[lane] / len(SEEDS) - float(RULES.random[lane])) < 0.01, lanes
    first_thousand = Counter(select_lane(RULES, LOW_RISK, seed).lane for seed in SEEDS[:1000])
    assert abs(first_thousand[Lane.RED] / 1000 - 0.03) <= 0.02


def test_a_price_band_outlier_is_never_green() -> None:
    facts = LaneFacts(direction="export", hs=("10063010",), price_flagged=True)
    choices = [select_lane(RULES, facts, seed) for seed in SEEDS]
    assert all(c.lane is not Lane.GREEN for c in choices)
    assert all(c.lane.rank >= Lane.YELLOW.rank for c in choices)
    assert all(c.hits == ("price-band",) for c in choices)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: c.update(weight=0), id="weight-zero"),
        pytest.param(lambda c: c.update(direction="import"), id="other-direction"),
        pytest.param(lambda c: c.update(kind="hs", hs=["99"]), id="no-price-criterion"),
    ],
)
def test_a_price_band_outlier_is_never_green_whatever_the_weights(change: Any) -> None:
    """The floor is code, not data: a policy that weighs the flag lightly, or not at
    all, still checks a flagged consignment's documents."""
    data = customs_data()
    [criterion] = [c for c in data["criteria"] if c["kind"] == "price_band"]
    change(criterion)
    customs, problems = parse_customs(data, "test.toml")
    assert problems == []
    facts = LaneFacts(direction="export", hs=("10063010",), price_flagged=True)
    choices = [select_lane(customs.rules, facts, seed) for seed in SEEDS[:2000]]
    assert all(c.lane.rank >= Lane.YELLOW.rank for c in choices)
    assert not any(c.random and c.lane is Lane.YELLOW for c in choices)
    assert {c.lane for c in choices} == {Lane.YELLOW, Lane.RED}
    # The floor is the flag's alone: unflagged, the same rules leave most green.
    unflagged = Counter(select_lane(customs.rules, LOW_RISK, seed).lane for seed in SEEDS[:2000])
    assert unflagged[Lane.GREEN] > 1500


def test_the_draw_never_lowers_a_lane() -> None:
    facts = LaneFacts(
        direction="import", hs=("87032319",), screening_hit=True, earlier_discrepancy=True
    )
    choices = [select_lane(RULES, facts, seed) for seed in SEEDS[:2000]]
    assert {c.lane for c in choices} == {Lane.RED}
    assert not any(c.random for c in choices)
    assert choices[0].hits == ("high-duty", "screening", "earlier-discrepancy")


def test_the_draw_partitions_its_range_red_yellow_blue_then_the_score() -> None:
    assert random_lane(RULES, 0) is Lane.RED
    assert random_lane(RULES, 29_999) is Lane.RED
    assert random_lane(RULES, 30_000) is Lane.YELLOW
    assert random_lane(RULES, 99_999) is Lane.YELLOW
    assert random_lane(RULES, 100_000) is Lane.BLUE
    assert random_lane(RULES, 149_999) is Lane.BLUE
    assert random_lane(RULES, 150_000) is Lane.GREEN


@pytest.mark.parametrize(
    ("facts", "hit"),
    [
        (LaneFacts(direction="import", plan_deviation=Decimal("0.26")), "plan-deviation"),
        (LaneFacts(direction="import", origin="AE", expected_origins=frozenset({"IR"})), "origin"),
        (LaneFacts(direction="import", hs=("87089900",)), "high-duty"),
    ],
)
def test_each_criterion_hits_on_its_fact(facts: LaneFacts, hit: str) -> None:
    assert select_lane(RULES, facts, "seed").hits == (hit,)


def test_criteria_that_do_not_apply_do_not_hit() -> None:
    quiet = [
        LaneFacts(direction="import", plan_deviation=Decimal("0.25")),  # not beyond the share
        LaneFacts(direction="import", origin="IR", expected_origins=frozenset({"IR"})),
        LaneFacts(direction="import", origin="AE"),  # nothing expected: unknown
        LaneFacts(direction="export", hs=("87089900",)),  # high-duty is for imports
    ]
    for facts in quiet:
        assert select_lane(RULES, facts, "seed").hits == ()


# -- phases --------------------------------------------------------------------------------


def test_phase_columns() -> None:
    assert [p.column for p in Phase] == [
        "lodged_at",
        "arrived_at",
        "lane_at",
        "documents_at",
        "inspected_at",
        "released_at",
        "exited_at",
    ]


def test_what_each_lane_requires_before_release() -> None:
    entered = {Phase.LODGED: 1, Phase.ARRIVED: 2, Phase.LANE: 3}
    assert phase_problem(Phase.RELEASED, Lane.GREEN, entered) is None
    assert phase_problem(Phase.RELEASED, Lane.BLUE, entered) is None
    assert phase_problem(Phase.RELEASED, Lane.YELLOW, entered) == (
        "the yellow lane needs documents before release"
    )
    assert phase_problem(Phase.RELEASED, Lane.RED, entered) == (
        "the red lane needs documents and inspected before release"
    )
    assert (
        phase_problem(Phase.DOCUMENTS, Lane.GREEN, entered)
        == "the green lane has no documents phase"
    )
    assert (
        phase_problem(Phase.INSPECTED, Lane.YELLOW, entered)
        == "the yellow lane has no inspected phase"
    )
    assert phase_problem(Phase.INSPECTED, Lane.RED, entered) == (
        "goods are inspected after their documents are checked"
    )
    checked = entered | {Phase.DOCUMENTS: 4}
    assert phase_problem(Phase.RELEASED, Lane.YELLOW, checked) is None
    assert phase_problem(Phase.INSPECTED, Lane.RED, checked) is None


def test_lodgement_and_arrival_in_either_order_before_the_lane() -> None:
    assert phase_problem(Phase.LANE, None, {}) == (
        "a lane is selected once the consignment is lodged and arrived"
    )
    assert phase_problem(Phase.LANE, None, {Phase.ARRIVED: 1}) == (
        "a lane is selected once the consignment is lodged"
    )
    assert phase_problem(Phase.LODGED, None, {Phase.ARRIVED: 1}) is None
    assert phase_problem(Phase.ARRIVED, None, {Phase.LODGED: 1}) is None
    assert phase_problem(Phase.ARRIVED, None, {Phase.ARRIVED: 1}) == (
        "the arrived phase is already recorded"
    )
    assert phase_problem(Phase.RELEASED, None, {Phase.ARRIVED: 1}) == (
        "the released phase comes after the lane is selected"
    )
    assert phase_problem(Phase.EXITED, Lane.GREEN, {Phase.LANE: 1}) == (
        "a consignment exits after it is released"
    )


def test_the_recorded_facts_and_rules_read_back_the_same() -> None:
    facts = LaneFacts(
        direction="import",
        hs=("27111900", "10063010"),
        price_flagged=True,
        plan_deviation=Decimal("0.3125"),
        origin="AE",
        expected_origins=frozenset({"IR", "PK"}),
    )
    data = facts_data(facts)
    assert json.loads(json.dumps(data)) == data
    assert facts_of(data) == facts
    rules = rules_of(json.loads(json.dumps(RULES.as_dict())))
    assert rules == RULES
    assert rules.digest == RULES.digest
