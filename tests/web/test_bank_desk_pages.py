"""The bank's desk at /bank: payment files out, camt statements in, the report."""

from __future__ import annotations

from typing import Any

from schwifty import IBAN

from tahator import display
from tahator.demo_bank import Line, camt_file
from tahator.domain.money import Amount, parse_amount
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import BankAccount
from tests.api.conftest import FIRMS, House
from tests.web.conftest import browser, csrf_of, token

PK_IBAN = "PK36SCBL0000001123456702"
IR_IBAN = "IR760170000000000000000001"


def _accounts(house: House) -> None:
    with transaction(house.engine) as session:
        for country, iban in (("PK", PK_IBAN), ("IR", IR_IBAN)):
            session.add(
                BankAccount(
                    clearing_country=country,
                    iban=iban,
                    holder=f"Clearing {country}",
                    registered_at=now(),
                    registered_by="test",
                )
            )
        for number, (firm, country) in enumerate(sorted(FIRMS.items()), start=1):
            if country == "PK":
                iban = str(IBAN.generate("PK", bank_code="SCBL", account_code=f"{number:016d}"))
            else:
                from stdnum.iso7064 import mod_97_10

                bban = f"017{number:019d}"
                iban = "IR" + mod_97_10.calc_check_digits(bban + "IR") + bban
            session.add(
                BankAccount(
                    firm_id=firm,
                    iban=iban,
                    holder=firm,
                    registered_at=now(),
                    registered_by="test",
                )
            )


def _run(house: House) -> list[dict[str, Any]]:
    started = house.client.post("/api/v1/clearing/runs", json={}, headers=house.as_("operator"))
    assert started.status_code == 201, started.text
    _accounts(house)
    items: list[dict[str, Any]] = house.client.get(
        "/api/v1/settlement/instructions?status=pending", headers=house.as_("bank")
    ).json()["items"]
    return items


def _status(house: House, instruction: int) -> str:
    items = house.client.get("/api/v1/settlement/instructions", headers=house.as_("bank")).json()[
        "items"
    ]
    return str(next(i["status"] for i in items if i["id"] == instruction))


def test_the_bank_imports_a_statement_and_reads_the_report(house: House) -> None:
    pending = _run(house)
    collection = next(i for i in pending if i["kind"] == "collection" and i["country"] == "PK")
    bank = browser(house, "bank")
    desk = bank.get("/bank")
    assert desk.status_code == 200
    assert "Import a bank statement" in desk.text
    assert 'href="/bank"' in bank.get("/clearing").text
    content = camt_file(
        "WEB-1",
        PK_IBAN,
        [
            Line(collection["local_amount"], "PKR", reference=collection["reference"]),
            Line("3.00", "PKR", reference="RF18TAH99C999", bank_reference="B-77"),
        ],
    )
    csrf = token(bank, "/bank")
    posted = bank.post(
        "/bank/statements",
        data={"csrf_token": csrf},
        files={"file": ("camt054.xml", content, "application/xml")},
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == "/bank/statements/PK/WEB-1?imported=new"
    report = bank.get(posted.headers["location"])
    assert report.status_code == 200
    assert "Statement imported." in report.text
    assert f"{collection['id']}" in report.text
    assert "B-77" in report.text
    assert "not a collection&#39;s creditor reference" in report.text
    assert _status(house, collection["id"]) == "confirmed"

    again = bank.post(
        "/bank/statements",
        data={"csrf_token": csrf},
        files={"file": ("camt054.xml", content, "application/xml")},
    )
    assert again.headers["location"] == "/bank/statements/PK/WEB-1?imported=again"
    assert "imported already: nothing changed" in bank.get(again.headers["location"]).text
    assert "WEB-1" in bank.get("/bank").text

    bad = bank.post(
        "/bank/statements",
        data={"csrf_token": csrf},
        files={"file": ("x.xml", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "text/xml")},
    )
    assert bad.status_code == 422
    assert "unsafe XML" in bad.text
    forged = bank.post(
        "/bank/statements",
        data={"csrf_token": "nope"},
        files={"file": ("camt054.xml", content, "application/xml")},
    )
    assert forged.status_code == 403


def test_only_the_bank_and_the_operator_use_the_desk(house: House) -> None:
    _run(house)
    for who, status in (("trader", 403), ("customs", 403), ("auditor", 403), ("operator", 200)):
        page = browser(house, who).get("/bank")
        assert page.status_code == status, who
    trader = browser(house, "trader")
    assert trader.get("/bank/statements/PK/WEB-1").status_code == 403
    sent = trader.post("/bank/payment-file", data={"run": "1", "country": "PK"})
    assert sent.status_code == 403
    missing = browser(house, "bank").get("/bank/statements/PK/NOPE")
    assert missing.status_code == 404
    assert "No bank statement NOPE was imported." in missing.text


def test_the_bank_downloads_the_payment_file(house: House) -> None:
    pending = _run(house)
    payout = next(i for i in pending if i["kind"] == "payout")
    bank = browser(house, "bank")
    desk = bank.get("/bank")
    assert f'id="pain-{payout["run_id"]}-{payout["country"]}"' in desk.text
    chosen = {"run": str(payout["run_id"]), "country": payout["country"]}
    # A link or a prefetch must not send payouts: only the desk's form, with its token.
    assert bank.get("/bank/payment-file", params=chosen).status_code == 405
    assert bank.post("/bank/payment-file", data=chosen).status_code == 403
    answer = bank.post("/bank/payment-file", data={**chosen, "csrf_token": csrf_of(desk.text)})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    assert "attachment" in answer.headers["content-disposition"]
    assert b"pain.001.001.09" in answer.content
    assert payout["reference"].encode() in answer.content
    refused = bank.post(
        "/bank/payment-file",
        data={"run": "999", "country": "PK", "csrf_token": csrf_of(desk.text)},
    )
    assert refused.status_code == 422
    again = bank.get("/bank")
    assert f'id="pain-{payout["run_id"]}-{payout["country"]}"' not in again.text
    stored = f"/bank/payment-files/{answer.headers['content-disposition'].split('pain.001-')[1]}"
    assert stored.rstrip('"') in again.text


def _persian_report(house: House) -> tuple[dict[str, Any], str]:
    """A bank reading in Persian imports a partial payment of a PK collection: the
    report page as it reads it."""
    pending = _run(house)
    collection = next(i for i in pending if i["kind"] == "collection" and i["country"] == "PK")
    bank = browser(house, "bank")
    bank.cookies.set("tahator_lang", "fa")
    content = camt_file("FA-1", PK_IBAN, [Line("1.00", "PKR", reference=collection["reference"])])
    posted = bank.post(
        "/bank/statements",
        data={"csrf_token": token(bank, "/bank")},
        files={"file": ("camt054.xml", content, "application/xml")},
    )
    assert posted.status_code == 303, posted.text
    page = bank.get(posted.headers["location"])
    assert page.status_code == 200
    assert '<html lang="fa" dir="rtl">' in page.text
    return collection, page.text


def test_a_persian_report_shows_persian_digits(house: House) -> None:
    collection, text = _persian_report(house)
    expected = Amount(parse_amount(collection["local_amount"], 2), "PKR", 2)
    # The amounts, the bank's and the instruction's, and the instruction's number.
    assert display.money(Amount(100, "PKR", 2), "fa") in text
    assert display.money(expected, "fa") in text
    assert display.number(collection["id"], "fa") in text
    assert display.number(collection["id"], "fa") != str(collection["id"])


def test_a_persian_report_translates_why_not_applied(house: House) -> None:
    _, text = _persian_report(house)
    assert "partial or over payment" not in text
    assert "پرداخت ناقص یا اضافه اعمال نمی‌شود" in text
