"""Bank accounts in the web UI: the firm page, the clearing page and the trader's
instructions naming the account to pay into."""

from __future__ import annotations

import re
from pathlib import Path

from tahator.services import bank_accounts, corridor
from tahator.store.database import reading, transaction
from tests.integration.conftest import import_obligations_file, obligations_file
from tests.web.conftest import House, browser, csrf_of, token

PK_IBAN = "PK36SCBL0000001123456702"
IR_IBAN = "IR062960000000100324200001"
PK_CLEARING = "PK04NBPA0000001234567890"


def shown(iban: str) -> str:
    """``iban`` as the pages print it: in groups of four."""
    return " ".join(re.findall(".{1,4}", iban))


def firm_iban(house: House, firm: str) -> str | None:
    with reading(house.engine) as session:
        account = bank_accounts.firm_account(session, firm)
        return None if account is None else account.iban


def test_the_operator_registers_a_firm_s_account_on_its_page(house: House) -> None:
    operator = browser(house, "operator")
    page = operator.get("/firms/PK-1")
    assert 'id="no-account"' in page.text
    assert 'action="/firms/PK-1/bank-account"' in page.text
    saved = operator.post(
        "/firms/PK-1/bank-account",
        data={"csrf_token": csrf_of(page.text), "iban": "pk36 scbl 0000 0011 2345 6702"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/firms/PK-1?account=1#bank-account"
    page = operator.get(saved.headers["location"])
    assert "Bank account registered." in page.text
    assert PK_IBAN in page.text
    assert firm_iban(house, "PK-1") == PK_IBAN

    # A refused IBAN: the reason in the page, what was typed kept, nothing changed.
    refused = operator.post(
        "/firms/PK-1/bank-account",
        data={"csrf_token": csrf_of(page.text), "iban": IR_IBAN, "bic": "SCBLPKKX"},
    )
    assert refused.status_code == 422
    assert "the account must be in PK" in refused.text
    assert f'value="{IR_IBAN}"' in refused.text
    assert firm_iban(house, "PK-1") == PK_IBAN
    refused = operator.post(
        "/firms/PK-1/bank-account",
        data={"csrf_token": csrf_of(page.text), "iban": "PK37SCBL0000001123456702"},
    )
    assert (refused.status_code, "checksum" in refused.text) == (422, True)
    assert firm_iban(house, "PK-1") == PK_IBAN


def test_a_trader_reads_its_own_account_and_sets_none(house: House) -> None:
    with transaction(house.engine) as session:
        bank_accounts.register_firm_account(session, "PK-1", PK_IBAN, "", "", "op")
        bank_accounts.register_firm_account(session, "IR-1", IR_IBAN, "", "", "op")
    trader = browser(house, "trader")
    own = trader.get("/firms/PK-1").text
    assert PK_IBAN in own
    assert 'id="account-form"' not in own
    assert trader.get("/firms/IR-1").status_code == 404
    for who, firm, iban in (("trader", "PK-1", PK_IBAN), ("trader", "IR-1", IR_IBAN)):
        client = browser(house, who)
        refused = client.post(
            f"/firms/{firm}/bank-account", data={"csrf_token": token(client), "iban": iban}
        )
        assert refused.status_code == 403
    customs = browser(house, "customs").get("/firms/PK-1").text
    assert PK_IBAN not in customs
    operator = browser(house, "operator")
    forged = operator.post("/firms/PK-1/bank-account", data={"iban": IR_IBAN})  # no CSRF token
    assert forged.status_code == 403
    assert firm_iban(house, "IR-1") == IR_IBAN
    assert firm_iban(house, "PK-1") == PK_IBAN


def test_the_operator_sets_a_clearing_account_s_iban_on_the_clearing_page(house: House) -> None:
    operator = browser(house, "operator")
    page = operator.get("/clearing")
    assert 'id="clearing-accounts"' in page.text
    assert 'action="/clearing/accounts/PK/bank-account"' in page.text
    refused = operator.post(
        "/clearing/accounts/PK/bank-account",
        data={"csrf_token": csrf_of(page.text), "iban": IR_IBAN},
    )
    assert refused.status_code == 422
    assert 'id="err-iban-PK"' in refused.text
    assert "must be in PK" in refused.text
    saved = operator.post(
        "/clearing/accounts/PK/bank-account",
        data={"csrf_token": csrf_of(page.text), "iban": PK_CLEARING, "bic": "NBPAPKKA"},
    )
    assert saved.status_code == 303
    page = operator.get(saved.headers["location"]).text
    assert shown(PK_CLEARING) in page
    assert "Tahator clearing account PK" in page
    trader = browser(house, "trader")
    assert shown(PK_CLEARING) in trader.get("/clearing").text  # where to pay
    customs = browser(house, "customs").get("/clearing")
    assert customs.status_code == 200
    assert 'id="clearing-accounts"' not in customs.text  # no business with where money goes
    assert shown(PK_CLEARING) not in customs.text
    assert PK_CLEARING not in customs.text
    assert 'href="/bank"' not in customs.text  # the bank desk is the settlers' (access)
    assert 'href="/bank"' not in trader.get("/clearing").text
    assert 'href="/bank"' in page  # the operator's
    refused = trader.post(
        "/clearing/accounts/PK/bank-account",
        data={"csrf_token": token(trader, "/clearing"), "iban": PK_IBAN},
    )
    assert refused.status_code == 403
    with reading(house.engine) as session:
        account = bank_accounts.clearing_account(session, "PK")
        assert account is not None
        assert account.iban == PK_CLEARING


def test_a_trader_s_instructions_name_the_account_and_the_reference(house: House) -> None:
    with transaction(house.engine) as session:
        bank_accounts.register_clearing_account(
            session, "PK", PK_CLEARING, "", "SBP Clearing", "op"
        )
        bank_accounts.register_firm_account(session, "IR-1", IR_IBAN, "", "", "op")
    operator = browser(house, "operator")
    started = operator.post("/clearing/run", data={"csrf_token": token(operator, "/clearing")})
    assert started.status_code == 303
    api = house.client.get("/api/v1/settlement/instructions", headers=house.as_("operator"))
    instructions = api.json()["items"]
    collection = next(i for i in instructions if i["kind"] == "collection" and i["firm"] == "PK-1")
    payout = next(i for i in instructions if i["kind"] == "payout" and i["firm"] == "IR-1")
    assert collection["reference"].startswith("RF")

    text = browser(house, "trader").get("/clearing").text  # PK-1's trader
    assert f"IBAN {shown(PK_CLEARING)} (SBP Clearing)" in text
    assert collection["reference"] in text
    operator_view = operator.get("/clearing?status=any").text
    assert f"Into IBAN {shown(IR_IBAN)}" in operator_view  # the payee's own account
    assert payout["reference"] in operator_view


def test_a_trader_is_told_which_of_its_accounts_a_payout_goes_into(
    house: House, tmp_path: Path
) -> None:
    with transaction(house.engine) as session:
        import_obligations_file(  # IR-1 owes PK-1 more than PK-1 owes: PK-1 is paid
            session,
            obligations_file(tmp_path / "more.csv", [("INV-9", "IR-1", "PK-1", "5000.00", "USD")]),
            "test",
        )
        bank_accounts.register_firm_account(session, "PK-1", PK_IBAN, "", "", "op")
        # Pakistan's account pays out what Iran's collects: lent by its credit line.
        corridor.set_credit_line(session, "PK", 10_000_00)
    operator = browser(house, "operator")
    started = operator.post("/clearing/run", data={"csrf_token": token(operator, "/clearing")})
    assert started.status_code == 303
    text = browser(house, "trader").get("/clearing?status=any").text  # held until collected
    assert f"into your account IBAN {shown(PK_IBAN)}" in text
    assert "TAH-1-" in text  # the payout's end-to-end id
