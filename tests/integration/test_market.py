"""The barter marketplace on a real database: offers, matching runs, proposals that bind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError
from tahator.domain.policy import Direction
from tahator.formatting import amount, jsonable
from tahator.io.offers import read_offers
from tahator.io.policy import load_policy
from tahator.services import barter, corridor, ledger, market, obligations
from tahator.services.market import MatchingRunView
from tahator.services.offers import OffersImported, import_offers, list_offers
from tahator.store.database import transaction
from tahator.store.schema import MatchingRun, Proposal
from tests.integration.conftest import firms_file, import_firms_file

POLICY = load_policy()
FIRMS = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR"}
HEADER = "id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs,valid_until\n"
RING = (
    "O1,PK-1,10063010,Basmati rice,200000,kg,100000.00,USD,2711,2026-12-31\n"
    "O2,IR-1,27111900,LPG,160,t,98000.00,USD,3004,2026-12-31\n"
    "O3,PK-2,30049099,Medicines,2000,kg,101000.00,USD,1006,2026-12-31\n"
)
DAY = date(2026, 11, 23)


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
    return engine


def import_offer_file(session: Session, path: Path, actor: str) -> OffersImported:
    """Read the offers CSV at ``path`` and register its offers, as the CLI does."""
    read = read_offers(path, corridor.load(session).digits)
    return import_offers(session, read, actor, source=path.name)


def offers(engine: Engine, tmp_path: Path, rows: str) -> OffersImported:
    path = tmp_path / "offers.csv"
    path.write_text(HEADER + rows)
    with transaction(engine) as session:
        return import_offer_file(session, path, "trader")


def run_match(engine: Engine, **options: object) -> MatchingRunView:
    with transaction(engine) as session:
        return market.match(session, POLICY, "operator", as_of=DAY, **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Paper:
    """What an application says: who applies, with whom, where from, and its goods."""

    applicant: str
    counterparty: str
    partner_country: str
    lines: tuple[tuple[Direction, str, str], ...]
    """(direction, HS code, value in the line's currency)."""


def paperwork(session: Session, applications: tuple[int, ...]) -> list[Paper]:
    papers = []
    for application in applications:
        detail = barter.show(session, POLICY, application)
        lines = tuple((g.direction, g.hs, amount(g.value)) for g in detail.lines)
        papers.append(Paper(detail.applicant, detail.counterparty, detail.partner_country, lines))
    return papers


def bind(engine: Engine, proposal: int) -> market.BoundProposal:
    """Every firm of the proposal accepts; the last acceptance binds it."""
    with transaction(engine) as session:
        firms = [leg.firm for leg in market.show_proposal(session, proposal).legs]
    for firm in dict.fromkeys(firms):
        with transaction(engine) as session:
            answered = market.accept(session, POLICY, proposal, firm, DAY, "t")
    assert isinstance(answered, market.BoundProposal)
    return answered


def test_a_ring_of_three_binds_into_applications_and_obligations(
    house: Engine, tmp_path: Path
) -> None:
    assert offers(house, tmp_path, RING) == OffersImported(rows=3, created=3, unchanged=0)
    assert offers(house, tmp_path, RING).created == 0  # importing again changes nothing
    run = run_match(house)
    assert run.rings == 1
    assert run.optimal is True
    assert amount(run.value) == "299000.00"
    proposal = run.proposals[0]
    with transaction(house) as session:
        view = market.show_proposal(session, proposal)
        assert [(leg.firm, leg.gives_to) for leg in view.legs] == [
            ("PK-1", "PK-2"),
            ("PK-2", "IR-1"),
            ("IR-1", "PK-1"),
        ]
        assert {o.status for o in list_offers(session)} == {"proposed"}
    for firm in ("PK-1", "IR-1"):
        with transaction(house) as session:
            assert market.accept(session, POLICY, proposal, firm, DAY, "t").state == "proposed"
    with transaction(house) as session, pytest.raises(InputError, match="already accepted"):
        market.accept(session, POLICY, proposal, "PK-1", DAY, "t")
    with transaction(house) as session:
        bound = market.accept(session, POLICY, proposal, "PK-2", DAY, "t")
    assert isinstance(bound, market.BoundProposal)
    assert bound.state == "binding"
    assert bound.obligations == ("RING-1-1", "RING-1-2")
    with transaction(house) as session:
        papers = paperwork(session, bound.applications)
        owed = {o["id"]: o for o in jsonable(obligations.list_obligations(session))}
        assert {o.status for o in list_offers(session)} == {"bound"}
        assert ledger.verify(session).breaks == ()
    # PK-1's rice went to PK-2 within Pakistan: on no application.  PK-1 imports
    # IR-1's LPG (of Iranian origin); PK-2 exports its medicines to IR-1 and imports
    # nothing (the rice it received came from PK-1).
    assert papers == [
        Paper("PK-1", "IR-1", "IR", ((Direction.IMPORT, "27111900", "98000.00"),)),
        Paper("PK-2", "IR-1", "IR", ((Direction.EXPORT, "30049099", "101000.00"),)),
    ]
    with transaction(house) as session:
        for application in bound.applications:
            detail = barter.show(session, POLICY, application)
            assert (detail.state, detail.ring, detail.undertaking) == ("submitted", proposal, True)
            assert (detail.valid_from, detail.valid_until) == (DAY, date(2026, 12, 31))
    # Barter covers 98,000 of each leg; each firm owes its supplier the rest.
    assert (owed["RING-1-1"]["debtor"], owed["RING-1-1"]["creditor"]) == ("PK-2", "PK-1")
    assert owed["RING-1-1"]["amount"] == "2000.00"
    assert (owed["RING-1-2"]["debtor"], owed["RING-1-2"]["creditor"]) == ("IR-1", "PK-2")
    assert owed["RING-1-2"]["amount"] == "3000.00"


def test_a_declined_proposal_frees_its_offers(house: Engine, tmp_path: Path) -> None:
    offers(house, tmp_path, RING)
    first = run_match(house).proposals[0]
    with transaction(house) as session:
        declined = market.decline(session, first, "IR-1", DAY, "t")
    assert declined.state == "declined"
    with transaction(house) as session:
        assert {o.status for o in list_offers(session)} == {"open"}
        with pytest.raises(InputError, match="is declined"):
            market.accept(session, POLICY, first, "PK-1", DAY, "t")
    again = run_match(house)
    assert again.rings == 1  # the same ring, proposed anew
    assert again.proposals != (first,)


def test_rings_respect_the_tolerance_the_cap_and_the_policy(house: Engine, tmp_path: Path) -> None:
    offers(house, tmp_path, RING)
    assert run_match(house, tolerance=Decimal("0.01")).rings == 0  # 98,000 vs 101,000
    assert run_match(house, cap=2).rings == 0  # no pair wants each other's goods
    # Pork may not go to Pakistan: the ring through it is not drawn.
    pork = "P1,IR-2,02031100,Pork,10,t,50000.00,USD,1005,2026-12-31\n"
    maize = "P2,PK-3,10059000,Maize,10,t,50000.00,USD,0203,2026-12-31\n"
    offers(house, tmp_path, pork + maize)
    assert run_match(house, cap=2).rings == 0


def test_bad_offers_are_refused_whole(house: Engine, tmp_path: Path) -> None:
    bad = (
        "B1,PK-1,1006,Rice,1,t,100.00,USD,2711,2026-12-31\n"
        "B2,NOBODY,27111900,LPG,1,t,100.00,USD,1006,2026-12-31\n"
        "B3,PK-1,12AB,Rice,1,t,100.00,USD,2711,2026-12-31\n"
        "B4,PK-1,10063010,Rice,-1,t,100.00,USD,2711,2026-12-31\n"
        "B5,PK-1,10063010,Rice,1,t,0,USD,2711,2026-12-31\n"
        "B6,PK-1,10063010,Rice,1,t,100.00,EUR,2711,2026-12-31\n"
        "B7,PK-1,10063010,Rice,1,t,100.00,USD,,2026-12-31\n"
        "B8,PK-1,10063010,Rice,1,t,100.00,USD,2711,someday\n"
    )
    with pytest.raises(InputError) as caught:
        offers(house, tmp_path, bad)
    assert [p.field for p in caught.value.problems] == [
        "firm",
        "gives_hs",
        "quantity",
        "value",
        "currency",
        "wants_hs",
        "valid_until",
    ]
    with transaction(house) as session:
        assert list_offers(session) == []
    with pytest.raises(InputError, match="cap 9 must be 2 to 6"):
        run_match(house, cap=9)
    with pytest.raises(InputError, match="tolerance"):
        run_match(house, tolerance=Decimal("1.5"))


def test_a_row_that_is_not_an_offer_is_still_checked_against_the_register(
    house: Engine, tmp_path: Path
) -> None:
    offers(house, tmp_path, RING)
    bad = (
        ",NOBODY,12AB,Rice,1,t,100.00,USD,2711,2026-12-31\n"
        "O1,PK-1,10063010,Basmati rice,200000,kg,100000.00,XXX,2711,2026-12-31\n"
        "N1,PK-1,1006,Rice,x,t,1.00,USD,2711,2026-12-31\n"
        "N1,PK-1,1006,Rice,1,t,1.00,USD,2711,2026-12-31\n"
    )
    with pytest.raises(InputError) as caught:
        offers(house, tmp_path, bad)
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (2, "id", "must be 1 to 100 characters"),
        (2, "firm", "unknown firm 'NOBODY'"),
        (2, "gives_hs", "'12AB' is not an HS code"),
        (3, "currency", "'XXX' is not a corridor currency"),
        (3, "id", "offer 'O1' is already registered with different content"),
        (4, "quantity", "'x' is not a positive quantity"),
        (5, "id", "offer 'N1' appears twice with different content"),
    ]


def test_a_ring_whose_firm_is_ineligible_cannot_bind(house: Engine, tmp_path: Path) -> None:
    (tmp_path / "late.csv").write_text("id,name,country,tax_id\nPK-9,Unlisted,PK,4109999-9\n")
    with transaction(house) as session:
        import_firms_file(session, tmp_path / "late.csv", "t")
    offers(house, tmp_path, RING.replace("PK-2,", "PK-9,"))
    proposal = run_match(house).proposals[0]
    for firm in ("PK-1", "IR-1"):
        with transaction(house) as session:
            market.accept(session, POLICY, proposal, firm, DAY, "t")
    with transaction(house) as session, pytest.raises(InputError, match="active-taxpayer"):
        market.accept(session, POLICY, proposal, "PK-9", DAY, "t")
    with transaction(house) as session:
        assert market.show_proposal(session, proposal).state == "proposed"


def test_a_firm_with_two_offers_in_one_ring_accepts_once(house: Engine, tmp_path: Path) -> None:
    # PK-1 swaps rice with IR-1 and maize with IR-2: the best ring of four passes
    # through PK-1 twice.
    rows = (
        "A1,PK-1,10063010,Rice,1,t,100000.00,USD,2711,2026-12-31\n"
        "A2,PK-1,10059000,Maize,1,t,100000.00,USD,2713,2026-12-31\n"
        "I1,IR-1,27111900,LPG,1,t,100000.00,USD,1005,2026-12-31\n"
        "I2,IR-2,27132000,Bitumen,1,t,100000.00,USD,1006,2026-12-31\n"
    )
    offers(house, tmp_path, rows)
    run = run_match(house, cap=4)
    assert run.rings == 1
    proposal = run.proposals[0]
    for firm in ("PK-1", "IR-1"):
        with transaction(house) as session:
            market.accept(session, POLICY, proposal, firm, DAY, "t")
    with transaction(house) as session:
        bound = market.accept(session, POLICY, proposal, "IR-2", DAY, "t")
    assert isinstance(bound, market.BoundProposal)
    # PK-1 trades rice for IR-2's bitumen and maize for IR-1's LPG: one application
    # with each partner, both ways.
    with transaction(house) as session:
        papers = sorted(paperwork(session, bound.applications), key=lambda p: p.counterparty)
    assert papers == [
        Paper(
            "PK-1",
            "IR-1",
            "IR",
            (
                (Direction.IMPORT, "27111900", "100000.00"),
                (Direction.EXPORT, "10059000", "100000.00"),
            ),
        ),
        Paper(
            "PK-1",
            "IR-2",
            "IR",
            (
                (Direction.IMPORT, "27132000", "100000.00"),
                (Direction.EXPORT, "10063010", "100000.00"),
            ),
        ),
    ]


def test_a_ring_of_two_across_the_border_is_one_two_sided_application(
    house: Engine, tmp_path: Path
) -> None:
    rows = (
        "S1,PK-1,10063010,Basmati rice,200000,kg,100000.00,USD,2711,2028-01-31\n"
        "S2,IR-1,27111900,LPG,160,t,99000.00,USD,1006,2028-01-31\n"
    )
    offers(house, tmp_path, rows)
    run = run_match(house, cap=2)
    assert run.rings == 1
    bound = bind(house, run.proposals[0])
    assert bound.obligations == ("RING-1-1",)  # IR-1 received 100,000 for its 99,000
    with transaction(house) as session:
        assert paperwork(session, bound.applications) == [
            Paper(
                "PK-1",
                "IR-1",
                "IR",
                (
                    (Direction.IMPORT, "27111900", "99000.00"),
                    (Direction.EXPORT, "10063010", "100000.00"),
                ),
            )
        ]
        detail = barter.show(session, POLICY, bound.applications[0])
    # The offers outlast a year: the contract runs a year from the binding.
    assert (detail.valid_from, detail.valid_until) == (DAY, date(2027, 11, 23))
    assert (detail.ring, detail.undertaking) == (run.proposals[0], True)


def test_a_ring_within_pakistan_makes_obligations_only(house: Engine, tmp_path: Path) -> None:
    rows = (
        "D1,PK-1,10063010,Basmati rice,1,t,100000.00,USD,1005,2026-12-31\n"
        "D2,PK-3,10059000,Maize,1,t,102000.00,USD,3004,2026-12-31\n"
        "D3,PK-2,30049099,Medicines,1,kg,101000.00,USD,1006,2026-12-31\n"
    )
    offers(house, tmp_path, rows)
    run = run_match(house)
    assert run.rings == 1
    bound = bind(house, run.proposals[0])
    assert bound.applications == ()
    with transaction(house) as session:
        assert barter.list_authorizations(session) == []
        owed = {o["id"]: o for o in jsonable(obligations.list_obligations(session))}
    assert {(o["debtor"], o["creditor"], o["amount"]) for o in owed.values()} == {
        ("PK-3", "PK-2", "1000.00"),  # PK-1 → PK-2 → PK-3 → PK-1; barter covers 100,000
        ("PK-1", "PK-3", "2000.00"),
    }


def test_a_date_out_of_range_is_refused_before_anything_changes(
    house: Engine, tmp_path: Path
) -> None:
    offers(house, tmp_path, RING)
    proposal = run_match(house).proposals[0]
    with transaction(house) as session, pytest.raises(InputError) as accepted:
        market.accept(session, POLICY, proposal, "PK-1", date(9999, 12, 31), "t")
    with transaction(house) as session, pytest.raises(InputError) as declined:
        market.decline(session, proposal, "PK-1", date(1, 1, 1), "t")
    with transaction(house) as session, pytest.raises(InputError) as matched:
        market.match(session, POLICY, "operator", as_of=date(9999, 12, 31))
    for caught in (accepted, declined, matched):
        assert [p.field for p in caught.value.problems] == ["as_of"]
        assert "outside the accepted dates" in caught.value.problems[0].message
    with transaction(house) as session:
        view = market.show_proposal(session, proposal)
    assert view.state == "proposed"
    assert {leg.answer for leg in view.legs} == {"pending"}
    # A run dated after today would match on rules and rates not yet in force.
    with transaction(house) as session, pytest.raises(InputError) as ahead:
        market.match(session, POLICY, "operator", as_of=DAY + timedelta(days=1), today=DAY)
    assert [p.field for p in ahead.value.problems] == ["as_of"]
    assert "after today's business date" in ahead.value.problems[0].message
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(MatchingRun)) == 1


# Only PostgreSQL: SQLite's writer lock is taken at BEGIN, so no one commits in between.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_answer_sees_a_decline_committed_after_it_looked(house: Engine, tmp_path: Path) -> None:
    """The API and the web UI look at a proposal, then answer it in the same transaction;
    the answer must go by the proposal's state when it takes the lock, not by the look."""
    offers(house, tmp_path, RING)
    proposal = run_match(house).proposals[0]
    with transaction(house) as session:
        assert market.show_proposal(session, proposal).state == "proposed"
        # Still in this session's identity map, as anything the look kept would be.
        looked = session.get(Proposal, proposal)
        assert looked is not None
        with transaction(house) as other:  # another firm declines meanwhile
            market.decline(other, proposal, "IR-1", DAY, "t")
        with pytest.raises(InputError, match="is declined"):
            market.accept(session, POLICY, proposal, "PK-1", DAY, "t")
