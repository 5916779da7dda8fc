"""A date outside 2000-01-01..2100-12-31 in a web form: the form again with the
message (4xx), never a 500, nothing changed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tahator.store.barter_tables import Authorization
from tahator.store.database import transaction
from tahator.store.schema import ClearingRun, Obligation
from tests.api.conftest import House
from tests.web.conftest import browser, token

BAD_DAYS = ("9999-12-31", "0001-01-01")
OUTSIDE = "outside the accepted dates, 2000-01-01 to 2100-12-31"


def count(house: House, table: type) -> int:
    with transaction(house.engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.parametrize("day", BAD_DAYS)
def test_a_clearing_run_as_of_a_day_out_of_range_reshows_the_form(house: House, day: str) -> None:
    operator = browser(house, "operator")
    refused = operator.post(
        "/clearing/run", data={"csrf_token": token(operator, "/clearing"), "as_of": day}
    )
    assert refused.status_code == 422
    assert f"{day} is {OUTSIDE}" in refused.text
    assert f'value="{day}"' in refused.text  # what was typed, shown again
    assert count(house, ClearingRun) == 0


@pytest.mark.parametrize("day", BAD_DAYS)
def test_an_upload_with_a_due_date_out_of_range_names_the_line(house: House, day: str) -> None:
    trader = browser(house, "trader")
    before = count(house, Obligation)
    upload = f"id,debtor,creditor,amount,currency,due_date\nWEB-9,PK-1,IR-1,5.00,USD,{day}\n"
    refused = trader.post(
        "/obligations/check",
        data={"csrf_token": token(trader, "/obligations")},
        files={"file": ("dates.csv", upload.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    assert f"dates.csv:2: due_date: {day} is {OUTSIDE}" in refused.text
    assert count(house, Obligation) == before


def test_no_date_form_answers_a_day_out_of_range_with_a_500(house: House) -> None:
    """Every web form with a date (those of the barter desk and the marketplace too):
    a 4xx, and nothing authorized."""
    from tests.api.test_resources import application

    applied = house.client.post(
        "/api/v1/barter/authorizations", json=application(), headers=house.as_("trader")
    )
    assert applied.status_code == 201, applied.text
    path = f"/barter/{applied.json()['id']}"
    operator, customs = browser(house, "operator"), browser(house, "customs")
    declaration = {
        "direction": "import",
        "hs": "27111900",
        "quantity": "500",
        "unit": "t",
        "value": "300000",
        "currency": "USD",
    }
    for day in BAD_DAYS:
        answers = {
            "match": operator.post(
                "/market/match", data={"csrf_token": token(operator, "/market"), "as_of": day}
            ),
            "authorize": customs.post(
                f"{path}/authorize", data={"csrf_token": token(customs, path), "as_of": day}
            ),
            "declare": customs.post(
                f"{path}/declare",
                data={"csrf_token": token(customs, path), **declaration, "date": day},
            ),
        }
        for form, answer in answers.items():
            assert 400 <= answer.status_code < 500, (form, day, answer.text[-2000:])
    with transaction(house.engine) as session:
        authorization = session.scalars(select(Authorization)).one()
        assert authorization.authorized_on is None
