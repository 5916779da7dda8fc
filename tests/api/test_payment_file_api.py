"""``POST /settlement/payment-files``: a run's payouts not sent before as a new pain.001
file, and ``GET /settlement/payment-files/{message_id}`` a stored one again, for the
bank and the operator only (issue 21)."""

from __future__ import annotations

from xml.etree import ElementTree

from tahator.io import pain001
from tests.api.conftest import FIRMS, House
from tests.bank_accounts import register_accounts

NS = {"p": pain001.NAMESPACE}


def _run(house: House) -> int:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text
    run_id: int = started.json()["run_id"]
    return run_id


def _payouts(house: House, country: str) -> list[dict[str, str]]:
    rows = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=house.as_("bank")
    ).json()["items"]
    return [r for r in rows if r["kind"] == "payout" and r["country"] == country]


def test_the_bank_downloads_the_payment_file(house: House) -> None:
    run = _run(house)
    ibans = register_accounts(house.engine, FIRMS)
    payouts = _payouts(house, "PK")
    assert payouts
    path = f"/api/v1/settlement/payment-files?run={run}&country=PK"
    assert (
        house.client.get(path, headers=house.as_("bank")).status_code == 405
    )  # a link sends nothing
    answer = house.client.post(path, headers=house.as_("bank"))
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"].endswith(answer.headers["x-message-id"])
    assert answer.headers["content-type"].startswith("application/xml")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="pain.001-{answer.headers["x-message-id"]}.xml"'
    )
    assert pain001.schema_errors(answer.content) == []
    root = ElementTree.fromstring(answer.content)
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == str(len(payouts))
    total = sum(int(p["local_amount"].replace(".", "")) for p in payouts)
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == f"{total / 100:.2f}"
    assert {e.text for e in root.findall(".//p:EndToEndId", NS)} == {
        p["reference"] for p in payouts
    }
    assert {e.text for e in root.findall(".//p:CdtrAcct/p:Id/p:IBAN", NS)} == {
        ibans[p["firm"]] for p in payouts
    }
    message_id = root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS)
    assert answer.headers["x-message-id"] == message_id
    # Asked again, the payouts are not sent twice: 422 naming the file.
    again = house.client.post(path, headers=house.as_("operator"))
    assert again.status_code == 422, again.text
    assert f"were sent in {message_id}" in again.text
    # The stored file comes back byte for byte, to the bank and to the operator.
    for role in ("bank", "operator"):
        stored = house.client.get(
            f"/api/v1/settlement/payment-files/{message_id}", headers=house.as_(role)
        )
        assert stored.status_code == 200, stored.text
        assert stored.content == answer.content
        assert stored.headers["x-message-id"] == message_id
        assert stored.headers["content-disposition"] == answer.headers["content-disposition"]
    unknown = house.client.get(
        "/api/v1/settlement/payment-files/TAH-NONE", headers=house.as_("bank")
    )
    assert unknown.status_code == 404, unknown.text
    audit = house.client.get("/api/v1/audit?action=settlement.export", headers=house.as_("auditor"))
    assert audit.status_code == 200, audit.text
    exports = [r for r in audit.json()["items"] if r["action"] == "settlement.export"]
    assert [(r["actor"], r["subject"]) for r in exports] == [("bank:bank", f"run:{run}")]


def test_other_roles_are_refused(house: House) -> None:
    run = _run(house)
    register_accounts(house.engine, FIRMS)
    path = f"/api/v1/settlement/payment-files?run={run}&country=PK"
    for role in ("trader", "customs", "auditor"):
        answer = house.client.post(path, headers=house.as_(role))
        assert answer.status_code == 403, (role, answer.text)
    assert house.client.post(path).status_code == 401
    message_id = house.client.post(path, headers=house.as_("bank")).headers["x-message-id"]
    stored = f"/api/v1/settlement/payment-files/{message_id}"
    for role in ("trader", "customs", "auditor"):
        answer = house.client.get(stored, headers=house.as_(role))
        assert answer.status_code == 403, (role, answer.text)
    assert house.client.get(stored).status_code == 401


def test_refusals_are_problems(house: House) -> None:
    run = _run(house)
    path = "/api/v1/settlement/payment-files"
    bank = house.as_("bank")
    missing = house.client.post(f"{path}?run={run}&country=PK", headers=bank)
    assert missing.status_code == 422, missing.text
    assert "has no bank account" in missing.text
    assert "application/problem+json" in missing.headers["content-type"]
    register_accounts(house.engine, FIRMS)
    for query, words in (
        (f"run={run + 5}&country=PK", f"no clearing run {run + 5}"),
        (f"run={run}&country=XX", "not a country of the corridor"),
        (f"run={run}", "country"),
        ("run=0&country=PK", "run"),
    ):
        answer = house.client.post(f"{path}?{query}", headers=bank)
        assert answer.status_code == 422, (query, answer.text)
        assert words in answer.text, (query, answer.text)
