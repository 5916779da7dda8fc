"""What a bound ring makes: its obligations, and barter applications for only the
goods that cross the border, with their true origin."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tahator.domain.rings import RingApplication, RingDebt, ring_applications, ring_debts


def test_a_ring_s_debts_are_what_each_firm_received_beyond_the_smallest_leg() -> None:
    debts = ring_debts(["PK-1", "PK-2", "IR-1"], [10_000_000, 10_100_000, 9_800_000])
    # PK-2 received PK-1's 100,000 (owes 2,000); IR-1 received PK-2's 101,000 (owes 3,000);
    # PK-1 received IR-1's 98,000, the smallest: nothing.
    assert debts == (
        RingDebt(1, "PK-2", "PK-1", 200_000),
        RingDebt(2, "IR-1", "PK-2", 300_000),
    )
    assert ring_debts(["A", "B"], [5, 5]) == ()
    with pytest.raises(ValueError, match="one value for each"):
        ring_debts(["A", "B"], [5])


def applications(*legs: str) -> tuple[RingApplication, ...]:
    """The applications of a ring given as "FIRM" legs whose country is the prefix."""
    return ring_applications(legs, [leg.split("-")[0] for leg in legs], "PK")


def test_a_domestic_leg_is_on_no_application_and_origins_are_true() -> None:
    # PK-A gives to PK-B, PK-B to IR-C, IR-C to PK-A.  PK-A receives IR-C's goods:
    # its import, of Iranian origin; PK-B's goods go to IR-C: its export.  PK-A's own
    # goods went to PK-B, within Pakistan, so PK-A exports nothing on paper, and PK-B
    # imports nothing (what it received came from PK-A).
    assert applications("PK-A", "PK-B", "IR-C") == (
        RingApplication("PK-A", "IR-C", "IR", imports=(2,), exports=()),
        RingApplication("PK-B", "IR-C", "IR", imports=(), exports=(1,)),
    )
    # The same ring read from another leg makes the same paperwork.
    assert applications("IR-C", "PK-A", "PK-B") == (
        RingApplication("PK-A", "IR-C", "IR", imports=(0,), exports=()),
        RingApplication("PK-B", "IR-C", "IR", imports=(), exports=(2,)),
    )


def test_a_ring_of_two_across_the_border_is_one_two_sided_application() -> None:
    assert applications("PK-A", "IR-B") == (
        RingApplication("PK-A", "IR-B", "IR", imports=(1,), exports=(0,)),
    )
    assert applications("IR-B", "PK-A") == (
        RingApplication("PK-A", "IR-B", "IR", imports=(0,), exports=(1,)),
    )


def test_a_home_firm_between_two_foreign_firms_files_two_one_sided_applications() -> None:
    # PK-A → IR-B → AF-C → PK-A: PK-A exports to IR-B and imports from AF-C, of Afghan
    # origin; IR-B and AF-C trade with each other under their own countries' rules.
    assert applications("PK-A", "IR-B", "AF-C") == (
        RingApplication("PK-A", "AF-C", "AF", imports=(2,), exports=()),
        RingApplication("PK-A", "IR-B", "IR", imports=(), exports=(0,)),
    )
    # Two Iranian firms: still two partners, so two applications.
    assert applications("PK-A", "IR-B", "IR-C") == (
        RingApplication("PK-A", "IR-C", "IR", imports=(2,), exports=()),
        RingApplication("PK-A", "IR-B", "IR", imports=(), exports=(0,)),
    )


def test_rings_of_four() -> None:
    # PK → IR → PK → IR: each Pakistani firm buys from one Iranian firm and sells to
    # the other.
    assert applications("PK-A", "IR-B", "PK-C", "IR-D") == (
        RingApplication("PK-A", "IR-D", "IR", imports=(3,), exports=()),
        RingApplication("PK-A", "IR-B", "IR", imports=(), exports=(0,)),
        RingApplication("PK-C", "IR-B", "IR", imports=(1,), exports=()),
        RingApplication("PK-C", "IR-D", "IR", imports=(), exports=(2,)),
    )
    # PK → PK → PK → IR: only the ends of the domestic chain touch the border.
    assert applications("PK-A", "PK-B", "PK-C", "IR-D") == (
        RingApplication("PK-A", "IR-D", "IR", imports=(3,), exports=()),
        RingApplication("PK-C", "IR-D", "IR", imports=(), exports=(2,)),
    )
    # PK → IR → IR → IR: one Pakistani firm, two Iranian partners.
    assert applications("PK-A", "IR-B", "IR-C", "IR-D") == (
        RingApplication("PK-A", "IR-D", "IR", imports=(3,), exports=()),
        RingApplication("PK-A", "IR-B", "IR", imports=(), exports=(0,)),
    )


def test_a_firm_twice_in_a_ring_files_one_application_per_partner() -> None:
    # PK-A gives rice to IR-B, which gives LPG to PK-A, which gives maize to IR-B,
    # which gives bitumen to PK-A: one application, both lines each way.
    assert applications("PK-A", "IR-B", "PK-A", "IR-B") == (
        RingApplication("PK-A", "IR-B", "IR", imports=(3, 1), exports=(0, 2)),
    )
    # PK-A trades once with IR-B and once with IR-C, each both ways.
    assert applications("PK-A", "IR-B", "PK-A", "IR-C") == (
        RingApplication("PK-A", "IR-C", "IR", imports=(3,), exports=(2,)),
        RingApplication("PK-A", "IR-B", "IR", imports=(1,), exports=(0,)),
    )


def test_rings_without_a_border_or_without_a_home_firm_make_no_application() -> None:
    assert applications("PK-A", "PK-B") == ()
    assert applications("PK-A", "PK-B", "PK-C") == ()
    assert applications("IR-A", "IR-B") == ()
    assert applications("IR-A", "AF-B", "RU-C", "AE-D") == ()


def test_a_foreign_firm_of_a_country_outside_the_order_is_still_named() -> None:
    # The goods cross the border all the same: the application says where from, and
    # the barter rules (not this) refuse a country the order does not cover.
    assert applications("PK-A", "AE-B") == (
        RingApplication("PK-A", "AE-B", "AE", imports=(1,), exports=(0,)),
    )
    assert applications("PK-A", "PK-B", "AE-C") == (
        RingApplication("PK-A", "AE-C", "AE", imports=(2,), exports=()),
        RingApplication("PK-B", "AE-C", "AE", imports=(), exports=(1,)),
    )


def test_a_ring_needs_a_country_for_each_leg() -> None:
    with pytest.raises(ValueError, match="a country for each"):
        ring_applications(["PK-A", "IR-B"], ["PK"], "PK")
    with pytest.raises(ValueError, match="two legs"):
        ring_applications(["PK-A"], ["PK"], "PK")


@given(st.lists(st.sampled_from(["PK", "IR", "AF"]), min_size=2, max_size=6))
def test_every_border_crossing_is_on_exactly_one_application(countries: list[str]) -> None:
    firms = [f"{country}-{position}" for position, country in enumerate(countries)]
    made = ring_applications(firms, countries, "PK")
    count = len(firms)
    imported = [(leg, a.applicant) for a in made for leg in a.imports]
    exported = [(leg, a.partner) for a in made for leg in a.exports]
    # Goods crossing into Pakistan: leg i foreign, its customer at home.
    assert sorted(imported) == sorted(
        (i, firms[(i + 1) % count])
        for i in range(count)
        if countries[i] != "PK" and countries[(i + 1) % count] == "PK"
    )
    # Goods leaving Pakistan: leg i at home, its customer foreign.
    assert sorted(exported) == sorted(
        (i, firms[(i + 1) % count])
        for i in range(count)
        if countries[i] == "PK" and countries[(i + 1) % count] != "PK"
    )
    for application in made:
        assert application.applicant.startswith("PK-")
        assert application.partner_country == application.partner.split("-")[0] != "PK"
        assert application.imports or application.exports
        assert all(firms[leg] == application.partner for leg in application.imports)
        assert all(firms[leg] == application.applicant for leg in application.exports)
    assert len({(a.applicant, a.partner) for a in made}) == len(made)
