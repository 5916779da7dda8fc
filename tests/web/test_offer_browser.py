"""A trader posts a barter offer and withdraws it in Chromium, in Persian: the form, its
confirmation step and the pages work without JavaScript tricks and change what they say."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tahator.services.offers import list_offers
from tahator.store.database import transaction
from tests.web.test_browser import (  # noqa: F401  (fixtures, skip rule)
    Server,
    chromium,
    pytestmark,
    server,
    visit,
)


def test_a_trader_posts_and_withdraws_an_offer_in_persian(
    visit: Any,  # noqa: F811
    server: Server,  # noqa: F811
) -> None:
    trader = visit("trader")
    trader.page.click("button[name=language][value=fa]")
    trader.page.wait_for_load_state("networkidle")
    trader.go("/market")
    assert trader.page.get_attribute("html", "lang") == "fa"
    trader.page.click("#new-offer summary")
    trader.page.fill("#f-offer_id", "WEB-FA-1")
    trader.page.fill("#f-valid_until", (date.today() + timedelta(days=30)).isoformat())
    trader.page.fill("#f-gives_hs", "۱۰۰۶۳۰۱۰")
    trader.page.fill("#f-description", "برنج باسماتی")
    trader.page.fill("#f-quantity", "۱۰۰")
    trader.page.fill("#f-unit", "t")
    trader.page.fill("#f-value", "۵۰۰۰۰")
    trader.page.select_option("#f-currency", "USD")
    trader.page.fill("#f-wants_hs", "2711")
    trader.page.click("#post-offer")
    trader.page.wait_for_url("**/market/offers/WEB-FA-1?done=posted")
    assert "برنج باسماتی" in trader.page.inner_text("main")
    trader.shot("offer-posted-fa")
    with transaction(server.engine) as session:
        (offer,) = list_offers(session, offer_id="WEB-FA-1")
    assert (offer.firm, offer.value.minor, offer.quantity) == ("PK-1", 5000000, "100")
    trader.page.click("#withdraw-offer")
    trader.page.locator("#confirm-withdraw").wait_for()
    with transaction(server.engine) as session:
        assert list_offers(session, offer_id="WEB-FA-1")[0].status == "open"
    trader.page.click("#withdraw-confirmed")
    trader.page.wait_for_url("**/market/offers/WEB-FA-1?done=withdrawn")
    with transaction(server.engine) as session:
        assert list_offers(session, offer_id="WEB-FA-1")[0].status == "withdrawn"
    assert trader.page.locator("#withdraw-offer").count() == 0
