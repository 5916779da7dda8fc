"""The trade-target downloads and the dashboard's target tile, rendered in memory."""

from __future__ import annotations

import io

from tahator.io.comtrade import SAMPLE, read_comtrade
from tahator.io.markets import load_trade_policy
from tahator.io.target_report import render_target_report
from tahator.services import stats
from tahator.store.database import transaction
from tests.web.conftest import House, browser, csrf_of


def test_the_target_downloads_are_the_rendered_report(house: House) -> None:
    client = browser(house, "operator")
    assert client.get("/reports/target.csv").status_code == 422  # no figures yet
    with transaction(house.engine) as session:
        stats.import_statistics(session, read_comtrade(SAMPLE), "test")
    with transaction(house.engine) as session:
        report = stats.target_report(session, load_trade_policy())
    csv = client.get("/reports/target.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="trade-target.csv"' in csv.headers["content-disposition"]
    assert csv.content == render_target_report(report, "csv")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/reports/target.xlsx").content))
    assert len(list(book["monthly"].iter_rows())) == len(report.series) + 1
    assert client.get("/reports/target.png").status_code == 404  # not offered on the web
    page = client.get("/").text
    assert "Trade in " in page
    assert "billion USD" in page
    # In Persian the tile's years, month and day counts are in Persian digits too.
    switched = client.post(
        "/language", data={"language": "fa", "next": "/", "csrf_token": csrf_of(page)}
    )
    assert switched.status_code == 303
    persian = client.get("/").text
    year = str(report.status.target_year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"تا {year}" in persian
    assert f"تا {report.status.target_year}" not in persian
    assert "۳۰ روز" in persian
