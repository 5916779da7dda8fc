"""The marketplace's rules: HS codes, which goods may cross between which countries,
which offers may trade (``compatibility``), a matching run's parameters, the states'
words, and offer rows read from a file."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tahator.domain.errors import InputError
from tahator.domain.matching import (
    MAX_CAP,
    Answer,
    OfferStatus,
    ProposalStatus,
    allowed,
    check_run,
    compatibility,
    is_hs,
)
from tahator.domain.money import Amount
from tahator.domain.policy import Direction
from tahator.io.offers import OfferRecord, RejectedOffer, parse_offer, read_offers
from tahator.io.policy import load_policy


@dataclass(frozen=True)
class Goods:
    firm: str
    gives_hs: str
    wants_hs: str


PAKISTAN = load_policy()
RULES = PAKISTAN.rules("2025-10")
COUNTRIES = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "CN-1": "CN"}


def test_an_hs_code_is_four_to_ten_ascii_digits_and_a_wanted_prefix_two() -> None:
    for code in ("1006", "1006301000"):
        assert is_hs(code)
    assert is_hs("10", 2)
    for code in ("100", "10063010001", "12AB", "١٠٠٦", " 1006", ""):  # ١٠٠٦: not ASCII
        assert not is_hs(code)
    assert not is_hs("10", 4)


def test_goods_may_cross_only_between_home_and_a_partner_unless_prohibited() -> None:
    assert allowed(PAKISTAN, RULES, "PK", "PK", "02031100")  # within a country: always
    assert allowed(PAKISTAN, RULES, "IR", "IR", "02031100")
    assert allowed(PAKISTAN, RULES, "IR", "PK", "27111900")
    assert not allowed(PAKISTAN, RULES, "IR", "PK", "02031100")  # pork may not enter Pakistan
    assert allowed(PAKISTAN, RULES, "PK", "IR", "02031100")  # but may leave it
    assert not allowed(PAKISTAN, RULES, "IR", "RU", "27111900")  # two partners: not this corridor
    assert not allowed(PAKISTAN, RULES, "PK", "CN", "10063010")  # not a partner
    no_rice_out = replace(RULES, prohibited={Direction.IMPORT: (), Direction.EXPORT: ("1006",)})
    assert not allowed(PAKISTAN, no_rice_out, "PK", "IR", "10063010")
    assert allowed(PAKISTAN, no_rice_out, "IR", "PK", "10063010")


def test_compatibility_draws_an_arc_where_goods_meet_a_want_within_the_tolerance() -> None:
    offers = [
        Goods("PK-1", "10063010", "2711"),  # rice for LPG
        Goods("IR-1", "27111900", "1006|3004"),  # LPG for rice or medicines
        Goods("PK-2", "30049099", "10"),  # medicines for any cereal
        Goods("PK-1", "10059000", "27"),  # maize, the same firm as offer 0
    ]
    values = [100_000, 103_000, 100_000, 100_000]
    tails, heads = compatibility(offers, COUNTRIES, values, PAKISTAN, RULES, Decimal("0.05"))
    arcs = set(zip(tails.tolist(), heads.tolist(), strict=True))
    # 0 → 1 (rice for LPG), 1 → 0 and 1 → 3 (LPG for cereals: 27 prefix), 2 → 1 (medicines);
    # 0 → 2 (rice for a cereal, within Pakistan); never a firm to itself (0 ↔ 3).
    assert arcs == {(0, 1), (1, 0), (1, 3), (2, 1), (0, 2), (3, 2)}
    assert tails.dtype == heads.dtype == np.int64
    # Within 1 %: LPG (103,000) is too far from what the others give.
    tails, heads = compatibility(offers, COUNTRIES, values, PAKISTAN, RULES, Decimal("0.01"))
    assert set(zip(tails.tolist(), heads.tolist(), strict=True)) == {(0, 2), (3, 2)}


def test_compatibility_leaves_out_what_the_corridor_forbids() -> None:
    offers = [Goods("IR-1", "02031100", "1005"), Goods("PK-1", "10059000", "0203")]
    tails, _ = compatibility(offers, COUNTRIES, [500, 500], PAKISTAN, RULES, Decimal(0))
    assert tails.tolist() == [1]  # maize may go to Iran, pork may not come back
    tails, heads = compatibility([], COUNTRIES, [], PAKISTAN, RULES, Decimal(0))
    assert tails.size == heads.size == 0


def test_a_matching_run_s_parameters_are_checked() -> None:
    check_run(2, Decimal("0.05"), 1.0)
    check_run(MAX_CAP, Decimal(0))
    for cap in (1, MAX_CAP + 1):
        with pytest.raises(InputError, match=f"cap {cap} must be 2 to 6"):
            check_run(cap)
    for tolerance in ("1", "-0.1", "0.0000001", "NaN"):
        with pytest.raises(InputError, match="tolerance"):
            check_run(3, Decimal(tolerance))
    with pytest.raises(InputError, match="time limit must be positive"):
        check_run(3, None, 0.0)


def test_states_are_the_stored_words() -> None:
    assert [s.value for s in OfferStatus] == ["open", "proposed", "bound", "withdrawn"]
    assert [s.value for s in ProposalStatus] == ["proposed", "binding", "declined"]
    assert [s.value for s in Answer] == ["pending", "accepted", "declined"]
    assert ProposalStatus.BINDING == "binding"


# ---------------------------------------------------------------- readers


DIGITS = {"USD": 2, "IRR": 0}
FIELDS = {
    "id": " O1 ",
    "firm": "PK-1 ",
    "gives_hs": "10063010",
    "description": " Basmati rice",
    "quantity": "200000",
    "unit": "kg",
    "value": "100000.50",
    "currency": "usd",
    "wants_hs": "2711| 3004 |",
    "valid_until": "2026-12-31",
}


def test_an_offer_row_becomes_a_typed_record() -> None:
    record = parse_offer(FIELDS, DIGITS, "offers.csv", 2)
    assert record == OfferRecord(
        id="O1",
        firm="PK-1",
        gives_hs="10063010",
        description="Basmati rice",
        quantity=Decimal("200000"),
        unit="kg",
        value=Amount(10_000_050, "USD", 2),
        wants_hs=("2711", "3004"),
        valid_until=date(2026, 12, 31),
        file="offers.csv",
        line=2,
    )


def test_an_offer_row_names_every_field_that_is_wrong() -> None:
    wrong = FIELDS | {
        "id": "",
        "gives_hs": "12AB",
        "wants_hs": "",
        "quantity": "-1",
        "unit": "",
        "value": "1.5",
        "currency": "IRR",
        "valid_until": "someday",
    }
    rejected = parse_offer(wrong, DIGITS, "offers.csv", 7)
    assert isinstance(rejected, RejectedOffer)
    assert (rejected.id, rejected.firm, rejected.line) == ("", "PK-1", 7)
    problems = rejected.problems
    assert [str(p) for p in problems][:3] == [
        "offers.csv:7: id: must be 1 to 100 characters",
        "offers.csv:7: gives_hs: '12AB' is not an HS code",
        "offers.csv:7: wants_hs: '' is not HS prefixes separated by |",
    ]
    assert [p.field for p in problems] == [
        "id",
        "gives_hs",
        "wants_hs",
        "quantity",
        "unit",
        "value",
        "valid_until",
    ]
    assert str(problems[-2]) == "offers.csv:7: value: '1.5' has more than 0 fraction digits"
    rejected = parse_offer(FIELDS | {"currency": "EUR", "value": "x"}, DIGITS, "f", 2)
    assert isinstance(rejected, RejectedOffer)
    assert [str(p) for p in rejected.problems] == [
        "f:2: currency: 'EUR' is not a corridor currency"
    ]
    rejected = parse_offer(FIELDS | {"value": "0.00"}, DIGITS, "f", 2)
    assert isinstance(rejected, RejectedOffer)
    assert [str(p) for p in rejected.problems] == ["f:2: value: must be positive"]


def test_read_offers_gives_each_row_an_offer_or_what_is_wrong_with_it() -> None:
    data = (
        b"id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs,valid_until\n"
        b"O1,PK-1,12AB,Rice,1,t,100.00,USD,2711,2026-12-31\n"
        b"O2,PK-1,1006,Rice,1,t,100.00,USD,2711,2026-12-31\n"
    )
    rejected, offer = read_offers(Path("o.csv"), DIGITS, data=data)
    assert isinstance(rejected, RejectedOffer)
    assert [str(p) for p in rejected.problems] == ["o.csv:2: gives_hs: '12AB' is not an HS code"]
    assert isinstance(offer, OfferRecord)
    assert (offer.id, offer.file, offer.line) == ("O2", "o.csv", 3)
