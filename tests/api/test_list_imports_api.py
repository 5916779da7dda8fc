"""List imports over HTTP: list names, what an import changes, the shrink refusal and
its confirmation, the full diff; a problem document for every bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import House
from tests.list_files import only, references, renamed
from tests.unit.test_screening import SAMPLE


def upload(house: House, data: bytes, fmt: str = "un", **form: str) -> Any:
    return house.client.post(
        f"/api/v1/lists/{fmt}",
        files={"file": ("list.xml", data, "application/xml")},
        data=form,
        headers=house.as_("operator"),
    )


def versions(house: House) -> list[dict[str, Any]]:
    answer = house.client.get("/api/v1/lists", headers=house.as_("auditor"))
    assert answer.status_code == 200, answer.text
    result: list[dict[str, Any]] = answer.json()
    return result


def test_an_import_says_what_changed_and_a_shrink_needs_confirming(
    house: House, tmp_path: Path
) -> None:
    first = upload(house, SAMPLE.read_bytes())
    assert first.status_code == 201, first.text
    assert first.json()["list"]["name"] == "UN"
    assert first.json()["list"]["source"] == "list.xml"  # the upload's own name
    assert first.json()["entries"]["added"] == 21
    changed = upload(house, renamed("YAS AIR", "YAS AIRLINES", tmp_path / "b.xml").read_bytes())
    assert changed.status_code == 201, changed.text
    entries = changed.json()["entries"]
    assert (entries["added"], entries["removed"], entries["changed"]) == (0, 0, 1)
    assert entries["first_changed"] == [
        {
            "reference": "IRe.077",
            "name": "YAS AIRLINES",
            "fields": ["name"],
            "before_name": "YAS AIR",
        }
    ]
    small = only([*references()[:1], "IRe.070"], tmp_path / "small.xml").read_bytes()
    refused = upload(house, small)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "would remove 19 of 21 entries (90 %)" in refused.json()["detail"]
    assert refused.json()["errors"][0]["field"] == "confirm_shrink"
    assert [v["version"] for v in versions(house)] == [2, 1]
    for bad in ("maybe", "2"):
        answer = upload(house, small, confirm_shrink=bad)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"].endswith("confirm_shrink")
    assert [v["version"] for v in versions(house)] == [2, 1]
    confirmed = upload(house, small, confirm_shrink="true")
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["shrink_confirmed"] is True
    assert confirmed.json()["entries"]["removed"] == 19
    assert len(confirmed.json()["entries"]["first_removed"]) == 10
    full = house.client.get("/api/v1/lists/3/changes", headers=house.as_("customs"))
    assert full.status_code == 200, full.text
    assert full.json()["previous"] == 2
    assert len(full.json()["changes"]["removed"]) == 19
    assert full.json()["version"]["name"] == "UN"
    records = house.client.get(
        "/api/v1/audit?action=lists.import", headers=house.as_("auditor")
    ).json()["items"]
    assert [r["after"]["shrink_confirmed"] for r in records][-1] is True


def test_lists_by_name_stay_apart(house: House, tmp_path: Path) -> None:
    assert upload(house, SAMPLE.read_bytes()).status_code == 201
    sdn_file = only(["IRe.024"], tmp_path / "sdn.xml").read_bytes()
    unconfirmed = upload(house, sdn_file, name="OFAC SDN")
    assert unconfirmed.status_code == 422, unconfirmed.text
    assert unconfirmed.json()["errors"][0]["field"] == "new_list"
    assert "'OFAC SDN' is a new list (the lists are: UN)" in unconfirmed.json()["detail"]
    assert [v["name"] for v in versions(house)] == ["UN"]
    sdn = upload(house, sdn_file, name="OFAC SDN", new_list="true")
    assert sdn.status_code == 201, sdn.text
    assert (sdn.json()["list"]["name"], sdn.json()["entries"]["before"]) == ("OFAC SDN", 0)
    active = [(v["name"], v["version"], v["entries"]) for v in versions(house) if v["active"]]
    assert active == [("OFAC SDN", 2, 1), ("UN", 1, 21)]
    hits = house.client.post(
        "/api/v1/screen",
        json={"names": [{"name": "Ghorb Nooh"}]},
        headers=house.as_("operator"),
    ).json()[0]["hits"]
    assert {h["list"] for h in hits if h["reference"] == "IRe.024"} == {"UN Iran", "OFAC SDN: Iran"}
    path = "/api/v1/lists/OFAC%20SDN/withdrawal"
    reason = {"reason": "loaded by mistake"}
    assert house.client.post(path, json=reason, headers=house.as_("auditor")).status_code == 403
    for body in ({}, {"reason": ""}, {"reason": "x" * 1001}):
        answer = house.client.post(path, json=body, headers=house.as_("operator"))
        assert answer.status_code == 422, answer.text
    unknown = house.client.post(
        "/api/v1/lists/EU/withdrawal", json=reason, headers=house.as_("operator")
    )
    assert unknown.status_code == 404
    withdrawn = house.client.post(path, json=reason, headers=house.as_("operator"))
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["list"]["name"] == "OFAC SDN"
    assert [v["name"] for v in versions(house) if v["active"]] == ["UN"]
    last = house.client.post(
        "/api/v1/lists/UN/withdrawal", json=reason, headers=house.as_("operator")
    )
    assert last.status_code == 422
    assert "only list in force" in last.json()["detail"]


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        ("/api/v1/lists/un", {"name": "   "}, 422),
        ("/api/v1/lists/un", {"name": "x" * 101}, 422),
        ("/api/v1/lists/un", {"name": "UN\u0000"}, 422),
        ("/api/v1/lists/csv", {}, 422),
    ],
)
def test_bad_imports_are_problem_documents_and_store_nothing(
    house: House, path: str, form: dict[str, str], status: int
) -> None:
    answer = house.client.post(
        path,
        files={"file": ("list.xml", SAMPLE.read_bytes(), "application/xml")},
        data=form,
        headers=house.as_("operator"),
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert versions(house) == []


@pytest.mark.parametrize(
    ("version", "status"), [("99", 404), ("x", 422), ("-1", 404), ("9" * 30, 404)]
)
def test_the_changes_of_an_unknown_version_are_a_problem(
    house: House, version: str, status: int
) -> None:
    answer = house.client.get(f"/api/v1/lists/{version}/changes", headers=house.as_("operator"))
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    trader = house.client.get("/api/v1/lists/1/changes", headers=house.as_("trader"))
    assert trader.status_code == 403


def test_an_ftm_list_named_on_upload_finds_a_persian_alias(house: House) -> None:
    sample = SAMPLE.parent / "ftm-sample.jsonl"
    answer = upload(house, sample.read_bytes(), "ftm", name="MoFA Pakistan")
    assert answer.status_code == 201, answer.text
    assert answer.json()["list"]["name"] == "MoFA Pakistan"
    found = house.client.post(
        "/api/v1/screen",
        json={"names": [{"name": "بهرام قلی زاده توکلی"}]},
        headers=house.as_("customs"),
    )
    assert found.status_code == 200, found.text
    top = found.json()[0]["hits"][0]
    assert top["reference"] == "tx-person-bahram"
    assert top["list"] == "MoFA Pakistan: Example programme (fictitious)"
    # Next month's file under another spelling of the name is the same list.
    again = upload(house, sample.read_bytes() + b"\n", "ftm", name="mofa pakistan")
    assert again.status_code == 201, again.text
    assert (again.json()["list"]["name"], again.json()["list"]["version"]) == ("MoFA Pakistan", 2)


def test_an_ftm_file_without_a_dataset_needs_a_name(house: House) -> None:
    line = b'{"id": "c1", "schema": "Company", "properties": {"name": ["Plain Co"]}}\n'
    answer = upload(house, line, "ftm")
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "name"
    assert versions(house) == []
    assert upload(house, line, "ftm", name="Ministry").status_code == 201
