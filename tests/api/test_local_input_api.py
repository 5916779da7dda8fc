"""The API reads amounts and dates as people write them and answers problems in the
request's language (issue 20)."""

from __future__ import annotations

import gettext
from typing import Any

import pytest

from tahator import i18n
from tests.api.conftest import House

BODY = {
    "reference": "INV-LOCAL",
    "debtor": "PK-1",
    "creditor": "IR-1",
    "amount": "10.00",
    "currency": "USD",
    "due_date": "2026-03-03",
}


def _post(house: House, **changes: Any) -> Any:
    body = {**BODY, **changes}
    body = {key: value for key, value in body.items() if value is not None}
    return house.client.post("/api/v1/obligations", json=body, headers=house.as_("trader"))


def test_a_solar_hijri_year_in_a_plain_due_date_is_refused_as_out_of_range(house: House) -> None:
    refused = _post(house, due_date="1405-09-10")
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"].endswith("due_date")
    assert "outside the accepted dates" in error["detail"]
    assert "1405 is a Solar Hijri year" in error["detail"]


def test_a_solar_hijri_due_date_goes_in_due_date_sh(house: House) -> None:
    stored = _post(
        house, due_date=None, due_date_sh="۱۴۰۴/۱۲/۱۲", amount="۱٬۲۳۴٫۵۰", reference="INV-SH"
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["due_date"] == "2026-03-03"
    assert stored.json()["amount"] == "1234.50"
    both = _post(house, due_date_sh="1404/12/12", reference="INV-BOTH")
    assert both.status_code == 422
    assert both.json()["errors"][0]["field"] == "due_date"
    wrong = _post(house, due_date=None, due_date_sh="1404/12/30", reference="INV-LEAP")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "due_date_sh"
    assert "days 1 to 29" in wrong.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("1,000.00", "USD", "1000.00"), ("10,00,000", "PKR", "1000000.00")],
)
def test_grouped_amounts_are_read(house: House, amount: str, currency: str, expected: str) -> None:
    stored = _post(house, amount=amount, currency=currency, reference=f"INV-{currency}")
    assert stored.status_code == 201, stored.text
    assert stored.json()["amount"] == expected


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [("0.50", "IRR", "IRR is written in whole units"), ("1,0,0", "USD", "not grouped")],
)
def test_a_fraction_of_a_rial_or_a_stray_comma_is_refused(
    house: House, amount: str, currency: str, message: str
) -> None:
    refused = _post(house, amount=amount, currency=currency)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "amount"
    assert message in error["detail"]


class _Catalogue(gettext.NullTranslations):
    """A stand-in for the Persian catalogue: what it was asked, and its answers."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__()
        self.answers = answers
        self.asked: list[str] = []

    def gettext(self, message: str) -> str:
        self.asked.append(message)
        return self.answers.get(message, message)


def test_problem_documents_speak_the_request_s_language(
    house: House, monkeypatch: pytest.MonkeyPatch
) -> None:
    persian = _Catalogue(
        {
            "Unauthorized": "احراز هویت نشده",
            "sign in: send a bearer token": "وارد شوید: توکن بفرستید",
            "Unprocessable Entity": "درخواست پردازش‌نشدنی",
            "the request is not valid": "درخواست معتبر نیست",
            "Not Found": "یافت نشد",
        }
    )
    english = i18n.catalogue("en")
    languages: list[str] = []

    def catalogue(lang: str) -> gettext.NullTranslations:
        languages.append(lang)
        return persian if lang == "fa" else english

    monkeypatch.setattr(i18n, "catalogue", catalogue)
    fa = {"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"}
    unsigned = house.client.get("/api/v1/obligations", headers=fa)
    assert unsigned.status_code == 401
    assert unsigned.json()["title"] == "احراز هویت نشده"
    assert unsigned.json()["detail"] == "وارد شوید: توکن بفرستید"
    invalid = house.client.post(
        "/api/v1/obligations", json={"reference": 1}, headers={**house.as_("trader"), **fa}
    )
    assert invalid.status_code == 422
    assert invalid.json()["title"] == "درخواست پردازش‌نشدنی"
    assert invalid.json()["detail"] == "درخواست معتبر نیست"
    missing = house.client.get("/api/v1/no-such-thing", headers=fa)
    assert missing.status_code == 404
    assert missing.json()["title"] == "یافت نشد"
    assert "fa" in languages
    # A domain's message stays as the domain wrote it (English, naming values).
    refused = house.client.post(
        "/api/v1/obligations",
        json={**BODY, "due_date": "1405-09-10"},
        headers={**house.as_("trader"), **fa},
    )
    assert refused.json()["title"] == "درخواست پردازش‌نشدنی"
    assert "1405-09-10 is outside the accepted dates" in refused.json()["errors"][0]["detail"]
    # In English, the same titles as ever.
    english_answer = house.client.get("/api/v1/obligations")
    assert english_answer.json()["title"] == "Unauthorized"


def test_a_due_date_in_persian_digits_is_read(house: House) -> None:
    stored = _post(house, due_date="۲۰۲۶-۰۳-۰۳", reference="INV-FA-DIGITS")
    assert stored.status_code == 201, stored.text
    assert stored.json()["due_date"] == "2026-03-03"
