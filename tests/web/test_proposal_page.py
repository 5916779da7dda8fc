"""A ring's page states the undertaking that accepting it gives for the foreign partners."""

from __future__ import annotations

from pathlib import Path

from tahator.io.policy import load_policy
from tahator.services import barter, market
from tahator.store.database import transaction
from tests.api.conftest import House
from tests.integration.test_market import DAY, RING, import_offer_file
from tests.integration.test_market import HEADER as OFFERS_HEADER
from tests.web.conftest import browser, token


def proposed(house: House, tmp_path: Path) -> int:
    path = tmp_path / "offers.csv"
    path.write_text(OFFERS_HEADER + RING)
    with transaction(house.engine) as session:
        import_offer_file(session, path, "test")
        return market.match(session, load_policy(), "test", as_of=DAY).proposals[0]


def test_accepting_a_ring_states_the_undertaking_for_foreign_partners(
    house: House, tmp_path: Path
) -> None:
    proposal = proposed(house, tmp_path)
    trader = browser(house, "trader")  # PK-1, whose ring runs through IR-1
    page = trader.get(f"/market/proposals/{proposal}")
    assert page.status_code == 200
    assert 'id="undertaking"' in page.text
    assert "undertaking for its foreign partners" in page.text
    answered = trader.post(
        f"/market/proposals/{proposal}/accept",
        data={"csrf_token": token(trader, f"/market/proposals/{proposal}"), "confirm": "yes"},
    )
    assert answered.status_code == 303, answered.text
    # Answered: no button, and no undertaking left to give.
    page = trader.get(f"/market/proposals/{proposal}")
    assert 'id="undertaking"' not in page.text
    assert 'id="accept"' not in page.text
    # A ring binds only when every firm has accepted: nothing is filed yet.
    with transaction(house.engine) as session:
        assert barter.list_authorizations(session) == []
