"""Ids in links (issue 18 item 7): a firm stored before the identifier rule, with ``/``,
``?`` or ``#`` in its id, has a page its link reaches; the form refuses such ids."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, insert, select

from tahator.domain.identifiers import IDENTIFIER_RULE
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import Firm
from tests.web.conftest import House, browser, token

OLD_IDS = {
    "PK-SLASH/1?x=1#y": "Slash Traders",
    "../../etc/passwd": "Dotted Traders",
    "PK 100%": "Percent Traders",
}


def test_a_stored_id_with_url_syntax_has_a_reachable_page(house: House) -> None:
    with transaction(house.engine) as session:  # as a database from before the rule holds it
        for firm_id, name in OLD_IDS.items():
            session.execute(
                insert(Firm).values(
                    id=firm_id,
                    name=name,
                    country="PK",
                    tax_id="4100099-9",
                    created_at=now(),
                    created_by="test",
                )
            )
    operator = browser(house, "operator")
    listing = operator.get("/firms")
    assert listing.status_code == 200
    links = {
        html.unescape(text): href
        for href, text in re.findall(
            r'<a href="(/firms/[^"]*)" dir="auto">([^<]*)</a>', listing.text
        )
    }
    assert links["PK-SLASH/1?x=1#y"] == "/firms/PK-SLASH%2F1%3Fx%3D1%23y"
    assert links["../../etc/passwd"] == "/firms/..%2F..%2Fetc%2Fpasswd"
    for firm_id, name in OLD_IDS.items():
        page = operator.get(links[firm_id])
        assert page.status_code == 200, (firm_id, page.text)
        assert name in page.text
        assert html.escape(firm_id, quote=False) in page.text


def test_the_form_refuses_a_hostile_id_and_stores_a_wide_one_plainly(house: House) -> None:
    operator = browser(house, "operator")
    form = {"name": "Nine", "country": "PK", "tax_id": "4100009-9"}
    with transaction(house.engine) as session:
        before = session.scalar(select(func.count()).select_from(Firm))
    refused = operator.post("/firms", data=form | {"csrf_token": token(operator), "id": "PK-9/x"})
    assert refused.status_code == 422
    assert 'id="err-id"' in refused.text
    assert IDENTIFIER_RULE in html.unescape(refused.text)
    with transaction(house.engine) as session:
        assert session.scalar(select(func.count()).select_from(Firm)) == before
    wide = operator.post(
        "/firms", data=form | {"csrf_token": token(operator), "id": "\uff30\uff2b-\uff19"}
    )
    assert wide.status_code == 303, wide.text
    assert wide.headers["location"] == "/firms/PK-9?registered=1"
    assert operator.get(wide.headers["location"]).status_code == 200
