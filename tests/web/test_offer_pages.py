"""Barter offers in the web UI: a trader posts, changes and withdraws its firm's offers
(CSRF-protected forms, field errors that change nothing), lists page and sort, and a
proposed ring's page names its firms, goods and the day to answer by."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from tahator.io.policy import load_policy
from tahator.services import market
from tahator.services.common import business_today
from tahator.services.offers import list_offers
from tahator.store.database import transaction
from tahator.store.schema import Offer
from tests.api.conftest import House
from tests.web.conftest import browser, token
from tests.web.test_proposal_page import proposed

LATER = (date.today() + timedelta(days=60)).isoformat()


def offer_form(**changes: str) -> dict[str, str]:
    form = {
        "offer_id": "RICE-1",
        "gives_hs": "10063010",
        "description": "Basmati rice",
        "quantity": "200000",
        "unit": "kg",
        "value": "100000.50",
        "currency": "USD",
        "wants_hs": "2711, 3004",
        "valid_until": LATER,
    }
    return form | changes


def count(house: House) -> int:
    with transaction(house.engine) as session:
        return int(session.scalar(select(func.count()).select_from(Offer)) or 0)


def test_a_trader_posts_an_offer_for_its_own_firm(house: House) -> None:
    trader = browser(house, "trader")
    page = trader.get("/market")
    assert page.status_code == 200
    assert 'action="/market/offers"' in page.text
    posted = trader.post("/market/offers", data=offer_form(csrf_token=token(trader, "/market")))
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == "/market/offers/RICE-1?done=posted"
    with transaction(house.engine) as session:
        (offer,) = list_offers(session, offer_id="RICE-1")
    assert offer.firm == "PK-1"  # its own firm, whatever the form says
    assert offer.wants_hs == ("2711", "3004")
    assert offer.value.minor == 10000050
    shown = trader.get(posted.headers["location"])
    assert "Offer posted." in shown.text
    assert "PK-1 Trading" in shown.text
    assert "100,000.50 USD" in shown.text


def test_an_offer_without_an_id_gets_one(house: House) -> None:
    trader = browser(house, "trader")
    form = offer_form(offer_id="", csrf_token=token(trader, "/market"))
    posted = trader.post("/market/offers", data=form)
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"].startswith("/market/offers/OF-")


def test_bad_input_names_the_fields_and_stores_nothing(house: House) -> None:
    trader = browser(house, "trader")
    before = count(house)
    form = offer_form(
        gives_hs="rice",
        value="-5",
        valid_until="2026-02-30",
        wants_hs="",
        csrf_token=token(trader, "/market"),
    )
    answer = trader.post("/market/offers", data=form)
    assert answer.status_code == 422
    assert 'id="err-gives_hs"' in answer.text
    assert 'id="err-value"' in answer.text
    assert 'id="err-valid_until"' in answer.text
    assert 'id="err-wants_hs"' in answer.text
    assert "is not an HS code" in answer.text
    assert 'value="Basmati rice"' in answer.text  # what was typed stays in the form
    assert count(house) == before


def test_an_amount_finer_than_the_currency_is_refused(house: House) -> None:
    trader = browser(house, "trader")
    form = offer_form(value="100.505", csrf_token=token(trader, "/market"))
    answer = trader.post("/market/offers", data=form)
    assert answer.status_code == 422
    assert 'id="err-value"' in answer.text
    assert count(house) == 0


def test_a_past_validity_is_refused(house: House) -> None:
    trader = browser(house, "trader")
    form = offer_form(valid_until="2020-01-01", csrf_token=token(trader, "/market"))
    answer = trader.post("/market/offers", data=form)
    assert answer.status_code == 422
    assert "must be today or later" in answer.text
    assert count(house) == 0


def test_a_form_without_its_csrf_token_is_refused(house: House) -> None:
    trader = browser(house, "trader")
    assert trader.post("/market/offers", data=offer_form()).status_code == 403
    assert count(house) == 0


def post(house: House, who: str, **changes: str) -> str:
    client = browser(house, who)
    form = offer_form(csrf_token=token(client, "/market"), **changes)
    answer = client.post("/market/offers", data=form)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0].rsplit("/", 1)[1]


def test_a_trader_edits_its_open_offer(house: House) -> None:
    offer = post(house, "trader")
    trader = browser(house, "trader")
    page = trader.get(f"/market/offers/{offer}")
    assert f'action="/market/offers/{offer}/edit"' in page.text
    form = offer_form(quantity="150000", value="90000", csrf_token=token(trader, "/market"))
    edited = trader.post(f"/market/offers/{offer}/edit", data=form)
    assert edited.status_code == 303, edited.text
    with transaction(house.engine) as session:
        (view,) = list_offers(session, offer_id=offer)
    assert (view.quantity, view.value.minor) == ("150000", 9000000)
    bad = trader.post(
        f"/market/offers/{offer}/edit",
        data=offer_form(quantity="lots", csrf_token=token(trader, "/market")),
    )
    assert bad.status_code == 422
    assert 'id="err-quantity"' in bad.text
    with transaction(house.engine) as session:
        assert list_offers(session, offer_id=offer)[0].quantity == "150000"


def test_withdrawing_asks_first_then_withdraws(house: House) -> None:
    offer = post(house, "trader")
    trader = browser(house, "trader")
    csrf = token(trader, "/market")
    asked = trader.post(f"/market/offers/{offer}/withdraw", data={"csrf_token": csrf})
    assert asked.status_code == 200
    assert 'id="confirm-withdraw"' in asked.text
    with transaction(house.engine) as session:
        assert list_offers(session, offer_id=offer)[0].status == "open"
    done = trader.post(
        f"/market/offers/{offer}/withdraw", data={"csrf_token": csrf, "confirm": "yes"}
    )
    assert done.status_code == 303
    with transaction(house.engine) as session:
        assert list_offers(session, offer_id=offer)[0].status == "withdrawn"
    # A withdrawn offer changes no more and no matching run takes it.
    again = trader.post(
        f"/market/offers/{offer}/edit", data=offer_form(csrf_token=csrf, quantity="1")
    )
    assert again.status_code == 422
    with transaction(house.engine) as session:
        policy = load_policy()
        run = market.match(session, policy, "test", as_of=business_today(policy.zone))
        assert run.offers == 0


def test_another_firms_offer_is_not_found(house: House) -> None:
    offer = post(house, "trader")
    other = browser(house, "trader2")
    csrf = token(other, "/market")
    assert other.get(f"/market/offers/{offer}").status_code == 404
    edit = other.post(f"/market/offers/{offer}/edit", data=offer_form(csrf_token=csrf))
    assert edit.status_code == 404
    gone = other.post(
        f"/market/offers/{offer}/withdraw", data={"csrf_token": csrf, "confirm": "yes"}
    )
    assert gone.status_code == 404
    assert offer not in other.get("/market").text
    with transaction(house.engine) as session:
        assert list_offers(session, offer_id=offer)[0].status == "open"
    # Others who do not trade may look but not change it.
    auditor = browser(house, "auditor")
    assert auditor.get(f"/market/offers/{offer}").status_code == 200
    assert (
        auditor.post(
            f"/market/offers/{offer}/withdraw",
            data={"csrf_token": token(auditor, "/market"), "confirm": "yes"},
        ).status_code
        == 403
    )


def test_an_operator_sees_every_offer_and_posts_for_a_firm(house: House) -> None:
    post(house, "trader")
    post(house, "trader2", offer_id="LPG-1", gives_hs="27111900", wants_hs="1006")
    operator = browser(house, "operator")
    page = operator.get("/market")
    assert "RICE-1" in page.text
    assert "LPG-1" in page.text
    assert "IR-2 Trading" in page.text
    missing = operator.post(
        "/market/offers",
        data=offer_form(offer_id="X-1", csrf_token=token(operator, "/market")),
    )
    assert missing.status_code == 422
    assert 'id="err-firm"' in missing.text
    made = operator.post(
        "/market/offers",
        data=offer_form(offer_id="X-1", firm="PK-2", csrf_token=token(operator, "/market")),
    )
    assert made.status_code == 303, made.text


def test_offers_page_sort_and_search(house: House) -> None:
    operator = browser(house, "operator")
    csrf = token(operator, "/market")
    for n in range(30):
        form = offer_form(offer_id=f"B-{n:02}", firm="PK-2" if n % 2 else "IR-1", csrf_token=csrf)
        assert operator.post("/market/offers", data=form).status_code == 303
    first = operator.get("/market?o_size=25").text
    assert "B-00" in first
    assert "B-29" not in first
    assert "Rows 1–25 of 30" in first
    second = operator.get("/market?o_size=25&o_page=2").text
    assert "B-29" in second
    assert "B-00" not in second
    backwards = operator.get("/market?o_sort=-id").text
    assert backwards.index("B-29") < backwards.index("B-28")
    found = operator.get("/market?o_q=ir-1 trad").text  # case-insensitive, by name
    assert "B-00" in found
    assert "B-01" not in found
    by_id = operator.get("/market?o_q=b-07").text
    assert "B-07" in by_id
    assert "B-08" not in by_id


def test_a_proposal_names_its_firms_goods_and_answer_deadline(house: House, tmp_path: Path) -> None:
    proposal = proposed(house, tmp_path)
    trader = browser(house, "trader")
    page = trader.get(f"/market/proposals/{proposal}")
    assert page.status_code == 200
    for name in ("PK-1 Trading", "IR-1 Trading", "PK-2 Trading"):
        assert name in page.text
    assert "Basmati rice" in page.text
    assert "200,000 kg" in page.text
    assert "100,000.00 USD" in page.text
    assert 'id="answer-by"' in page.text
    assert 'datetime="2026-12-31"' in page.text
    # Accepting asks first; only the confirmed answer counts.
    csrf = token(trader, f"/market/proposals/{proposal}")
    asked = trader.post(f"/market/proposals/{proposal}/accept", data={"csrf_token": csrf})
    assert asked.status_code == 200
    assert "Yes, accept the ring" in asked.text
    with transaction(house.engine) as session:
        legs = market.show_proposal(session, proposal).legs
    assert all(leg.answer == "pending" for leg in legs)
    # The market's list names the ring's firms, searchable by name.
    listed = trader.get("/market?p_q=ir-1 trading").text
    assert f'href="/market/proposals/{proposal}"' in listed
    assert f'href="/market/proposals/{proposal}"' not in trader.get("/market?p_q=nobody").text


def test_the_pages_render_in_persian_and_urdu(house: House, tmp_path: Path) -> None:
    proposal = proposed(house, tmp_path)
    offer = post(house, "trader", offer_id="RICE-9")
    for language in ("fa", "ur"):
        operator = browser(house, "operator")
        operator.headers["Accept-Language"] = language
        for path in ("/market", f"/market/offers/{offer}", f"/market/proposals/{proposal}"):
            page = operator.get(path)
            assert page.status_code == 200, (language, path)
            assert f'<html lang="{language}" dir="rtl">' in page.text
        trader = browser(house, "trader")
        trader.headers["Accept-Language"] = language
        assert trader.get(f"/market/proposals/{proposal}").status_code == 200


def test_persian_digits_in_an_offer_are_read(house: House) -> None:
    trader = browser(house, "trader")
    trader.headers["Accept-Language"] = "fa"
    form = offer_form(
        offer_id="FA-1",
        quantity="۲۰۰۰",
        value="۱۲۳۴۵.۶۷",
        gives_hs="۱۰۰۶۳۰۱۰",
        wants_hs="۲۷۱۱ ۳۰۰۴",
        csrf_token=token(trader, "/market"),
    )
    posted = trader.post("/market/offers", data=form)
    assert posted.status_code == 303, posted.text
    with transaction(house.engine) as session:
        (offer,) = list_offers(session, offer_id="FA-1")
    assert (offer.quantity, offer.value.minor, offer.gives_hs) == ("2000", 1234567, "10063010")
    assert offer.wants_hs == ("2711", "3004")


def test_a_firm_held_by_compliance_is_told_why_and_nothing_is_stored(house: House) -> None:
    from tahator.store.schema import Firm

    with transaction(house.engine) as session:
        firm = session.get(Firm, "PK-1")
        assert firm is not None
        firm.screening = "blocked"
    trader = browser(house, "trader")
    answer = trader.post("/market/offers", data=offer_form(csrf_token=token(trader, "/market")))
    assert answer.status_code == 422
    assert 'id="err-firm"' in answer.text
    assert "compliance review" in answer.text
    assert count(house) == 0
