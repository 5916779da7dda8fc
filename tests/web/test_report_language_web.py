"""The report downloads in the reader's language: the web's routes call the renderers,
which read the language of the request (its cookie)."""

from __future__ import annotations

import pytest

from tahator import i18n
from tahator.io.comtrade import SAMPLE, read_comtrade
from tahator.services import stats
from tahator.store.database import transaction
from tests.pdf_file import pdf_info, pdf_pages
from tests.unit.test_report_languages import Catalogue, fonts_of
from tests.web.conftest import House, browser

PERSIAN = {"Quarterly barter report %(quarter)s": "گزارش فصلی تهاتر %(quarter)s"}


def test_the_downloads_follow_the_readers_language(
    house: House, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(i18n, "catalogue", lambda lang: Catalogue(PERSIAN if lang == "fa" else {}))
    client = browser(house, "operator")
    english = client.get("/reports/barter.pdf?quarter=2025Q4")
    assert english.status_code == 200
    assert pdf_info(english.content)["Title"] == "Quarterly barter report 2025Q4"
    client.cookies.set("tahator_lang", "fa")
    persian = client.get("/reports/barter.pdf?quarter=2025Q4")
    assert persian.status_code == 200
    assert pdf_pages(persian.content) == 1
    assert pdf_info(persian.content)["Title"] == "گزارش فصلی تهاتر 2025Q4"
    assert {"Vazirmatn", "Vazirmatn-Bold"} <= fonts_of(persian.content)
    with transaction(house.engine) as session:
        stats.import_statistics(session, read_comtrade(SAMPLE), "test")
    page = client.get("/reports/target.html")
    assert page.status_code == 200
    assert '<html lang="fa" dir="rtl">' in page.text
