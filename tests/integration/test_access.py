"""The access rule against a database: which firms are parties to which records."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tahator.services import access
from tahator.services.common import now
from tahator.services.users import Principal
from tahator.store.database import transaction
from tahator.store.schema import (
    Authorization,
    Consortium,
    ConsortiumMember,
    Firm,
    MatchingRun,
    Obligation,
    ObligationLiability,
    Offer,
    Proposal,
    ProposalLeg,
)

DAY = date(2026, 1, 5)


def trader(firm: str) -> Principal:
    return Principal(1, f"t-{firm}", "trader", firm)


OPERATOR = Principal(2, "op", "operator", None)


def _firm(firm: str, country: str) -> Firm:
    return Firm(id=firm, name=firm, country=country, tax_id="1", created_at=now(), created_by="t")


def _authorization(applicant: str, counterparty: str, consortium: bool) -> Authorization:
    return Authorization(
        applicant=applicant,
        consortium=consortium,
        counterparty=counterparty,
        partner_country="IR",
        valid_from=DAY,
        valid_until=DAY,
        origin_declared=True,
        state="submitted",
        planned_import=1,
        planned_export=1,
        submitted_at=now(),
        submitted_on=DAY,
        submitted_by="t",
    )


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    """Firms LEAD, MEMBER, OTHER (PK) and FOREIGN (IR); consortium K of LEAD and MEMBER;
    an authorization of K and one of OTHER; an obligation OTHER owes FOREIGN, MEMBER
    jointly liable; an offer of OTHER's and a ring of OTHER and FOREIGN."""
    with transaction(engine) as session:
        session.add_all(
            [_firm(f, "PK") for f in ("LEAD", "MEMBER", "OTHER")] + [_firm("FOREIGN", "IR")]
        )
        session.flush()
        session.add(
            Consortium(id="K", name="K", lead_firm="LEAD", created_at=now(), created_by="t")
        )
        session.flush()
        # The lead is a member too (``firms.create_consortium``); the rule does not rely on it.
        session.add(ConsortiumMember(consortium_id="K", firm_id="MEMBER"))
        consortium = _authorization("K", "FOREIGN", True)
        single = _authorization("OTHER", "FOREIGN", False)
        owed = Obligation(
            reference="R",
            debtor="OTHER",
            creditor="FOREIGN",
            amount=100,
            currency="USD",
            due_date=DAY,
            status="open",
            remaining=100,
            created_at=now(),
            created_by="t",
        )
        session.add_all([consortium, single, owed])
        session.flush()
        session.add(ObligationLiability(obligation_id=owed.id, firm_id="MEMBER"))
        offers = [_offer("O-1", "OTHER"), _offer("O-2", "FOREIGN")]
        session.add_all(offers)
        run = MatchingRun(
            as_of=DAY,
            cap=3,
            tolerance="0.1",
            offers=2,
            arcs=2,
            objective=2,
            bound=2,
            optimal=True,
            seconds="0",
            created_at=now(),
            created_by="t",
        )
        session.add(run)
        session.flush()
        ring = Proposal(run_id=run.id, state="proposed", value=2)
        session.add(ring)
        session.flush()
        session.add_all(
            ProposalLeg(
                proposal_id=ring.id,
                position=i,
                offer_id=o.id,
                firm=o.firm,
                gives=1,
                answer="pending",
            )
            for i, o in enumerate(offers)
        )
        return {
            "consortium": consortium.id,
            "single": single.id,
            "obligation": owed.id,
            "proposal": ring.id,
        }


def _offer(offer_id: str, firm: str) -> Offer:
    return Offer(
        id=offer_id,
        firm=firm,
        gives_hs="1006",
        description="rice",
        quantity="1",
        unit="kg",
        value=1,
        currency="USD",
        wants_hs="2711",
        valid_until=DAY,
        status="proposed",
        created_at=now(),
        created_by="t",
    )


def _authorizations(session: Session, firm: str) -> set[int]:
    query = select(Authorization.id).where(access.authorizations_of(firm))
    return set(session.scalars(query))


def test_a_consortium_s_lead_and_members_are_parties_to_its_authorization(
    engine: Engine, ids: dict[str, int]
) -> None:
    with transaction(engine) as session:
        for firm in ("LEAD", "MEMBER"):
            assert access.sees_authorization(session, trader(firm), ids["consortium"]), firm
            assert not access.sees_authorization(session, trader(firm), ids["single"]), firm
            assert _authorizations(session, firm) == {ids["consortium"]}, firm
            assert access.may_apply_for(session, trader(firm), "K")
            assert access.visible_consortia(session, trader(firm), ["K"]) == {"K"}
        assert _authorizations(session, "FOREIGN") == {ids["consortium"], ids["single"]}
        assert _authorizations(session, "OTHER") == {ids["single"]}
        assert not access.sees_authorization(session, trader("OTHER"), ids["consortium"])
        assert not access.may_apply_for(session, trader("OTHER"), "K")
        assert access.may_apply_for(session, trader("OTHER"), "OTHER")
        assert access.visible_consortia(session, trader("OTHER"), ["K"]) == frozenset()
        assert access.sees_authorization(session, OPERATOR, ids["consortium"])
        assert not access.sees_authorization(session, trader("LEAD"), 999_999)


def test_obligations_offers_and_proposals_have_their_parties(
    engine: Engine, ids: dict[str, int]
) -> None:
    with transaction(engine) as session:
        for firm in ("OTHER", "FOREIGN", "MEMBER"):  # debtor, creditor, jointly liable
            assert access.sees_obligation(session, trader(firm), ids["obligation"]), firm
        assert not access.sees_obligation(session, trader("LEAD"), ids["obligation"])
        assert access.sees_offer(session, trader("OTHER"), "O-1")
        assert not access.sees_offer(session, trader("FOREIGN"), "O-1")
        for firm in ("OTHER", "FOREIGN"):  # any firm in the ring
            assert access.sees_proposal(session, trader(firm), ids["proposal"]), firm
        assert not access.sees_proposal(session, trader("LEAD"), ids["proposal"])
        assert access.visible_proposals(session, trader("LEAD"), [ids["proposal"]]) == set()
        assert access.visible_proposals(session, OPERATOR, [ids["proposal"], 7]) == {
            ids["proposal"],
            7,
        }
        for check, key in (
            (access.sees_obligation, ids["obligation"]),
            (access.sees_proposal, ids["proposal"]),
        ):
            assert check(session, OPERATOR, key)
        assert access.sees_offer(session, OPERATOR, "O-1")
