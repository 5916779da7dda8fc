"""Border markets and the trade target over HTTP."""

from __future__ import annotations

from tests.api.conftest import House

RESIDENT = {
    "market": "MAND-PISHIN",
    "national_id": "54400-1234567-1",
    "name": "Karim Baloch",
    "district": "Kech",
}
SALE = {
    "market": "MAND-PISHIN",
    "resident": "5440012345671",
    "hs": "100630",
    "value": "250.00",
    "currency": "USD",
    "date": "2026-10-05",
}


def test_sales_within_quota_pass_and_over_it_are_refused_with_the_allowance(house: House) -> None:
    customs = house.as_("customs")
    markets = house.client.get("/api/v1/border/markets", headers=house.as_("trader")).json()
    assert "MAND-PISHIN" in {m["code"] for m in markets}
    registered = house.client.post("/api/v1/border/residents", json=RESIDENT, headers=customs)
    assert registered.status_code == 201, registered.text
    assert (
        house.client.post(
            "/api/v1/border/sales", json=SALE, headers=house.as_("trader")
        ).status_code
        == 403
    )
    first = house.client.post("/api/v1/border/sales", json=SALE, headers=customs)
    assert first.status_code == 201, first.text
    over = house.client.post(
        "/api/v1/border/sales", json=SALE | {"value": "280.00"}, headers=customs
    )
    assert over.status_code == 422
    assert "quota" in over.json()["detail"]
    totals = house.client.get("/api/v1/border/totals", headers=house.as_("auditor")).json()["items"]
    assert [t["value"] for t in totals if t["date"] == "2026-10-05"] == ["250.00"]


def test_the_target_report_is_readable_by_every_role(house: House) -> None:
    for role in ("operator", "trader", "auditor"):
        report = house.client.get("/api/v1/stats/target", headers=house.as_(role))
        assert report.status_code == 200
        assert {"series", "status", "target_path"} <= set(report.json())
    bad = house.client.post(
        "/api/v1/stats/imports",
        files={"file": ("stats.csv", b"flowCode,cmdCode\nM,TOTAL\n", "text/csv")},
        headers=house.as_("operator"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"]
