"""The consignment pages: an officer records phases and overrides lanes by form; a bad
form is answered on the page (422), nothing changed; a trader sees its own firm's
consignments' status, never how a lane was chosen; a bank has no customs pages."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.api.conftest import House
from tests.api.test_customs_api import HOUR, inspected_with_note, laned, register, stamp
from tests.web.conftest import browser, token


def test_the_list_and_the_page_follow_the_role(house: House) -> None:
    own = laned(house, "TFN-100", "PK-1")
    laned(house, "GBD-101", "PK-2")
    customs = browser(house, "customs")
    listed = customs.get("/consignments")
    assert listed.status_code == 200
    assert "TFN-100" in listed.text
    assert "GBD-101" in listed.text
    assert 'href="/consignments"' in listed.text  # in the menu
    assert 'id="release-times-link"' in listed.text
    for role in ("customs", "operator", "auditor"):
        reader = browser(house, role)
        assert 'id="release-times-link"' in reader.get("/consignments").text, role
        assert 'id="release-times-link"' in reader.get("/reports").text, role
    only_gabd = customs.get("/consignments?crossing=GBD").text
    assert "GBD-101" in only_gabd
    assert "TFN-100" not in only_gabd
    found = customs.get("/consignments?q=gbd-1").text
    assert "GBD-101" in found
    assert "TFN-100" not in found
    bad = customs.get("/consignments?from=someday")
    assert bad.status_code == 422
    assert 'id="err-from"' in bad.text

    page = customs.get(f"/consignments/{own['id']}").text
    assert 'id="selections"' in page
    assert 'id="override-form"' in page

    auditor = browser(house, "auditor").get(f"/consignments/{own['id']}").text
    assert 'id="selections"' in auditor
    assert 'id="phase-form"' not in auditor
    audited = browser(house, "auditor").get("/consignments").text
    assert 'id="register-form"' not in audited
    assert 'id="criterion-first-declaration"' in audited  # the rules' feedback

    trader = browser(house, "trader")
    mine = trader.get("/consignments").text
    assert 'id="criteria"' not in mine
    assert "/customs/release-times" not in mine
    assert "TFN-100" in mine
    assert "GBD-101" not in mine
    shown = trader.get(f"/consignments/{own['id']}")
    assert shown.status_code == 200
    assert 'id="phases"' in shown.text
    for hidden in ('id="selections"', 'id="override-form"', 'id="phase-form"', "Score"):
        assert hidden not in shown.text, hidden
    other = laned(house, "MND-102", "PK-2")
    assert trader.get(f"/consignments/{other['id']}").status_code == 404

    bank = browser(house, "bank")
    assert bank.get("/consignments").status_code == 403
    assert 'href="/consignments"' not in bank.get("/").text


def test_an_officer_records_a_phase_by_form_and_a_bad_form_changes_nothing(house: House) -> None:
    created = register(house, "TFN-200", lodged_at=stamp(datetime.now(UTC) - 3 * HOUR))
    path = f"/consignments/{created['id']}"
    customs = browser(house, "customs")
    page = customs.get(path).text
    assert 'id="record-arrived"' in page
    assert 'id="record-released"' not in page  # not before its lane
    csrf = token(customs, path)
    default = page.split('name="at_default" value="')[1].split('"')[0]
    # A time typed in the reader's zone (Pakistan's: UTC+5) is stored in UTC.
    typed = (datetime.now(UTC) - HOUR).replace(second=0, microsecond=0)
    local = typed.astimezone(ZoneInfo("Asia/Karachi")).strftime("%Y-%m-%dT%H:%M")
    done = customs.post(
        f"{path}/phases/arrived", data={"csrf_token": csrf, "at": local, "at_default": default}
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{path}?done=arrived"
    api = f"/api/v1/consignments/{created['id']}"
    before = house.client.get(api, headers=house.as_("customs")).json()
    assert datetime.fromisoformat(before["arrived_at"]) == typed

    future = customs.post(
        f"{path}/phases/lane",
        data={"csrf_token": csrf, "at": "2099-01-01T10:00", "at_default": default},
    )
    assert future.status_code == 422
    garbled = customs.post(
        f"{path}/phases/lane", data={"csrf_token": csrf, "at": "tomorrow", "at_default": default}
    )
    assert garbled.status_code == 422
    assert 'id="err-at"' in garbled.text
    assert house.client.get(api, headers=house.as_("customs")).json() == before
    # Released before any lane: said for the whole form, with no field's name in front.
    early = customs.post(
        f"{path}/phases/released", data={"csrf_token": csrf, "at": default, "at_default": default}
    )
    assert early.status_code == 422
    assert 'id="action-error"' in early.text
    assert "phase:" not in early.text

    # The field left as the page filled it: now, when the click arrives.
    laned_now = customs.post(
        f"{path}/phases/lane", data={"csrf_token": csrf, "at": default, "at_default": default}
    )
    assert laned_now.status_code == 303, laned_now.text
    stored = house.client.get(api, headers=house.as_("customs")).json()
    assert abs(datetime.now(UTC) - datetime.fromisoformat(stored["lane_at"])).total_seconds() < 60

    no_reason = customs.post(f"{path}/lane", data={"csrf_token": csrf, "lane": "red"})
    assert no_reason.status_code == 422
    assert 'id="err-reason"' in no_reason.text
    other = "green" if stored["lane"] == "red" else "red"
    overridden = customs.post(
        f"{path}/lane", data={"csrf_token": csrf, "lane": other, "reason": "seals broken"}
    )
    assert overridden.status_code == 303
    shown = customs.get(f"{path}?done=override").text
    assert "seals broken" in shown
    # The override's row has no draw: a dash, not a "0" that reads as a red draw.
    [override_row] = [row for row in shown.split("<tr>") if "seals broken" in row]
    assert 'no draw">—</span>' in override_row
    assert 'title="seed' not in override_row
    # The form allows as long a reason as the service does.
    assert 'maxlength="2000"' in shown.split('id="f-reason"')[1].split(">")[0]

    trader = browser(house, "trader")
    refused = trader.post(
        f"{path}/lane", data={"csrf_token": token(trader), "lane": "green", "reason": "please"}
    )
    assert refused.status_code == 403


def test_an_officer_registers_a_consignment_by_form(house: House) -> None:
    customs = browser(house, "customs")
    csrf = token(customs, "/consignments")
    assert 'id="register-form"' in customs.get("/consignments").text
    good = {
        "csrf_token": csrf,
        "reference": "TFN-300",
        "crossing": "TFN",
        "direction": "import",
        "vehicle": "IR 12B345-67",
        "firm_id": "PK-1",
        "origin": "ir",
        "declarations": "",
        "lodged_at": "",
    }
    bad = customs.post("/consignments", data=good | {"firm_id": "PK-404", "declarations": "x"})
    assert bad.status_code == 422
    assert 'id="err-declarations"' in bad.text
    future = customs.post("/consignments", data=good | {"lodged_at": "2099-01-01T08:00"})
    assert future.status_code == 422
    assert 'id="err-lodged_at"' in future.text
    unknown = customs.post("/consignments", data=good | {"firm_id": "PK-404"})
    assert unknown.status_code == 422
    assert 'id="err-firm_id"' in unknown.text
    listed = house.client.get("/api/v1/consignments", headers=house.as_("customs")).json()
    assert listed["items"] == []

    made = customs.post("/consignments", data=good)
    assert made.status_code == 303, made.text
    page = customs.get(made.headers["location"]).text
    assert "TFN-300" in page
    assert 'id="record-arrived"' in page
    stored = house.client.get("/api/v1/consignments", headers=house.as_("customs")).json()
    assert [(c["reference"], c["origin"]) for c in stored["items"]] == [("TFN-300", "IR")]

    trader = browser(house, "trader")
    assert 'id="register-form"' not in trader.get("/consignments").text
    refused = trader.post("/consignments", data=good | {"csrf_token": token(trader)})
    assert refused.status_code == 403


def test_a_trader_never_reads_the_officers_inspection_note(house: House) -> None:
    own = inspected_with_note(house, "TFN-140", "PK-1")
    assert "Ali Reza" in browser(house, "auditor").get(f"/consignments/{own['id']}").text
    trader = browser(house, "trader")
    shown = trader.get(f"/consignments/{own['id']}")
    assert shown.status_code == 200
    assert 'id="inspection"' in shown.text
    assert "Ali Reza" not in shown.text
    assert "Ali Reza" not in trader.get("/consignments").text
