"""Monthly figures that too few firms make up: the setting and the rule (``withhold``)."""

from __future__ import annotations

import pytest

from tahator.domain.border import parse_trade_policy
from tahator.domain.errors import InputError
from tahator.services.stats import Components, withhold
from tests.unit.test_border_target import shipped


def test_the_minimum_number_of_firms_is_three_unless_the_markets_file_says() -> None:
    data = shipped()
    assert parse_trade_policy(data).target.min_firms == 3
    del data["target"]["min_firms"]
    assert parse_trade_policy(data).target.min_firms == 3  # the default
    data["target"]["min_firms"] = 5
    assert parse_trade_policy(data).target.min_firms == 5


@pytest.mark.parametrize("bad", [0, -1, 1001, "3", True])
def test_a_bad_minimum_is_refused_by_name(bad: object) -> None:
    data = shipped()
    data["target"]["min_firms"] = bad
    with pytest.raises(InputError) as refused:
        parse_trade_policy(data, "m.toml")
    assert [p.field for p in refused.value.problems] == ["target.min_firms"]


def test_a_month_some_but_too_few_firms_make_up_is_withheld() -> None:
    parts = Components(
        official_trade={1: 1000, 2: 1000},
        barter={1: 100, 2: 200},
        set_off={1: 50, 2: 70},
        border_sales={1: 5},
        barter_firms={1: 1, 2: 3},
        set_off_firms={1: 3, 2: 2},
    )
    shown = withhold(parts, 3)
    assert shown.barter == {1: 0, 2: 200}
    assert shown.set_off == {1: 50, 2: 0}
    assert shown.withheld == {("barter", 1), ("set_off", 2)}
    assert shown.official_trade == parts.official_trade
    assert shown.border_sales == parts.border_sales
    assert withhold(parts, 1).withheld == frozenset()
    nobody = Components({1: 10}, {}, {}, {}, barter_firms={}, set_off_firms={})
    assert withhold(nobody, 3).withheld == frozenset()  # nothing to single out
