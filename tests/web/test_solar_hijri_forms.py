"""A Solar Hijri date typed in a form is stored as the Gregorian date it names, and an
amount in Persian digits as the amount it is; a fraction of a rial is refused
(issue 20)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_barter_desk import BASE, applied, authorized
from tests.web.conftest import House, browser, token

FORM = {
    "direction": "import",
    "hs": "27111900",
    "quantity": "100",
    "unit": "t",
    "currency": "USD",
    "reference": "GD-SH-1",
}


def _declarations(house: House, authorization: int) -> list[dict[str, Any]]:
    seen = house.client.get(f"{BASE}/{authorization}", headers=house.as_("customs"))
    assert seen.status_code == 200, seen.text
    found: list[dict[str, Any]] = seen.json()["declarations"]
    return found


@pytest.mark.parametrize("day", ["۱۴۰۴/۰۸/۱۹", "1404-08-19", "2025-11-10"])
def test_a_solar_hijri_declaration_date_is_stored_in_gregorian(house: House, day: str) -> None:
    authorization = applied(house)
    authorized(house, authorization, "2025-11-01")
    customs = browser(house, "customs")
    path = f"/barter/{authorization}"
    declared = customs.post(
        f"{path}/declare",
        data={"csrf_token": token(customs, path), **FORM, "value": "۶۰٬۰۰۰٫۰۰", "date": day},
    )
    assert declared.status_code == 303, declared.text
    [declaration] = _declarations(house, authorization)
    assert declaration["date"] == "2025-11-10"
    assert declaration["value"] == "60000.00"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date": "1404/12/30"}, "month 12 of 1404 has days 1 to 29"),
        ({"date": "1404/13/01"}, "a Solar Hijri year has months 1 to 12"),
        ({"currency": "IRR", "value": "0.50"}, "IRR is written in whole units"),
        ({"value": "1,0,0"}, "not grouped as numbers are written"),
    ],
)
def test_a_form_refuses_a_wrong_date_or_amount_saying_why(
    house: House, changes: dict[str, str], message: str
) -> None:
    authorization = applied(house)
    authorized(house, authorization, "2025-11-01")
    customs = browser(house, "customs")
    path = f"/barter/{authorization}"
    data = {"csrf_token": token(customs, path), **FORM, "value": "100", "date": "2025-11-10"}
    refused = customs.post(f"{path}/declare", data={**data, **changes})
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert _declarations(house, authorization) == []


def test_customs_dates_a_rejection_in_solar_hijri(house: House) -> None:
    authorization = applied(house)
    customs = browser(house, "customs")
    path = f"/barter/{authorization}"
    rejected = customs.post(
        f"{path}/reject",
        data={"csrf_token": token(customs, path), "reason": "incomplete", "as_of": "1404/09/10"},
    )
    assert rejected.status_code == 303, rejected.text
    seen = house.client.get(f"{BASE}/{authorization}", headers=house.as_("customs")).json()
    assert seen["state"] == "rejected"
    assert seen["decided_on"] == "2025-12-01"  # 1404/09/10


def test_an_upload_marked_solar_hijri_stores_the_gregorian_due_date(house: House) -> None:
    import re
    from datetime import date

    from sqlalchemy import select

    from tahator.store.database import reading
    from tahator.store.schema import Obligation
    from tests.web.conftest import csrf_of

    trader = browser(house, "trader")
    text = "id,debtor,creditor,amount,currency,due_date\nSH-1,PK-1,IR-1,250.00,USD,1405/09/10\n"
    files = {"file": ("sh.csv", text.encode(), "text/csv")}
    plain = trader.post(
        "/obligations/check", data={"csrf_token": token(trader, "/obligations")}, files=files
    )
    assert plain.status_code == 422  # a plain date column is Gregorian: 1405 is out of range
    checked = trader.post(
        "/obligations/check",
        data={"csrf_token": token(trader, "/obligations"), "calendar": "solar-hijri"},
        files=files,
    )
    assert checked.status_code == 200, checked.text
    data = re.search(r'name="data" value="([^"]+)"', checked.text)
    assert data is not None
    stored = trader.post(
        "/obligations/store",
        data={
            "csrf_token": csrf_of(checked.text),
            "name": "sh.csv",
            "data": data.group(1),
            "calendar": "solar-hijri",
        },
    )
    assert stored.status_code == 303
    with reading(house.engine) as session:
        due = session.scalar(select(Obligation.due_date).where(Obligation.reference == "SH-1"))
    assert due == date(2026, 12, 1)
