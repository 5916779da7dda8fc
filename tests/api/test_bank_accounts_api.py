"""Bank accounts over the API: the operator registers, a trader reads its own."""

from __future__ import annotations

import pytest

from tests.api.conftest import House

PK_IBAN = "PK36SCBL0000001123456702"
IR_IBAN = "IR062960000000100324200001"
API = "/api/v1"


def put(house: House, path: str, who: str = "operator", **body: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = house.client.put(f"{API}{path}", json=body, headers=house.as_(who))
    return response.status_code, response.json()


def get(house: House, path: str, who: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = house.client.get(f"{API}{path}", headers=house.as_(who))
    return response.status_code, response.json()


def test_the_operator_registers_a_firm_s_account_and_its_trader_reads_it(house: House) -> None:
    assert get(house, "/firms/PK-1/bank-account", "trader")[0] == 404  # none yet
    code, body = put(house, "/firms/PK-1/bank-account", iban="PK36 SCBL 0000 0011 2345 6702")
    assert code == 200, body
    assert (body["owner"], body["iban"], body["bic"], body["clearing"]) == (
        "PK-1",
        PK_IBAN,
        None,
        False,
    )
    assert body["holder"]  # the firm's name
    for who in ("trader", "operator", "bank", "auditor"):
        code, shown = get(house, "/firms/PK-1/bank-account", who)
        assert (code, shown["iban"]) == (200, PK_IBAN), who
    code, body = put(house, "/firms/IR-2/bank-account", iban=IR_IBAN, bic="BMJIIRTH", holder="X")
    assert (code, body["iban"], body["bic"], body["holder"]) == (200, IR_IBAN, "BMJIIRTH", "X")


def test_a_trader_neither_sets_nor_reads_another_firm_s_account(house: House) -> None:
    assert put(house, "/firms/IR-2/bank-account", iban=IR_IBAN)[0] == 200
    assert get(house, "/firms/IR-2/bank-account", "trader")[0] == 404  # not its firm
    assert get(house, "/firms/IR-2/bank-account", "trader2")[0] == 200  # its own
    assert get(house, "/firms/IR-2/bank-account", "customs")[0] == 403
    for who in ("trader", "trader2", "bank", "auditor", "customs"):
        code, _ = put(house, "/firms/IR-2/bank-account", who, iban=IR_IBAN)
        assert code == 403, who
        code, _ = put(house, "/clearing/accounts/IR/bank-account", who, iban=IR_IBAN)
        assert code == 403, who
    assert get(house, "/clearing/accounts/IR/bank-account", "trader")[0] == 404  # none yet


@pytest.mark.parametrize(
    ("iban", "bic", "reason"),
    [
        ("PK37SCBL0000001123456702", "", "checksum"),
        ("PK36SCBL000000112345670", "", "length"),
        (IR_IBAN, "", "must be in PK"),
        ("#garbage#", "", "not a valid IBAN"),
        (PK_IBAN, "BMJIIRTH", "not PK"),
    ],
)
def test_a_bad_account_is_a_422_with_the_reason_and_nothing_changes(
    house: House, iban: str, bic: str, reason: str
) -> None:
    assert put(house, "/firms/PK-1/bank-account", iban=PK_IBAN)[0] == 200
    code, problem = put(house, "/firms/PK-1/bank-account", iban=iban, bic=bic)
    assert code == 422
    assert reason in str(problem["errors"]), problem
    assert get(house, "/firms/PK-1/bank-account", "operator")[1]["iban"] == PK_IBAN
    code, problem = put(house, "/clearing/accounts/PK/bank-account", iban=iban, bic=bic)
    assert code == 422
    assert get(house, "/clearing/accounts/PK/bank-account", "operator")[0] == 404


def test_unknown_firms_and_countries_are_404(house: House) -> None:
    assert put(house, "/firms/nobody/bank-account", iban=PK_IBAN)[0] == 404
    assert get(house, "/firms/nobody/bank-account", "operator")[0] == 404
    assert put(house, "/clearing/accounts/AF/bank-account", iban=PK_IBAN)[0] == 404


def test_clearing_accounts_are_read_by_every_role_but_customs(house: House) -> None:
    code, body = put(house, "/clearing/accounts/pk/bank-account", iban=PK_IBAN, bic="NBPAPKKA")
    assert code == 200, body
    assert (body["owner"], body["clearing"], body["holder"]) == (
        "PK",
        True,
        "Tahator clearing account PK",
    )
    for who in ("trader", "trader2", "bank", "auditor", "operator"):
        code, shown = get(house, "/clearing/accounts/PK/bank-account", who)
        assert (code, shown["iban"]) == (200, PK_IBAN), who
    code, refused = get(house, "/clearing/accounts/PK/bank-account", "customs")
    assert code == 403  # customs has no business with where money goes
    assert PK_IBAN not in str(refused)
    response = house.client.get(f"{API}/clearing/accounts/PK/bank-account")
    assert response.status_code == 401


def test_an_iban_of_another_owner_is_a_422_naming_it(house: House) -> None:
    assert put(house, "/firms/PK-1/bank-account", iban=PK_IBAN)[0] == 200
    code, problem = put(house, "/clearing/accounts/PK/bank-account", iban=PK_IBAN)
    assert code == 422
    assert "already registered for firm PK-1" in str(problem["errors"]), problem
    assert get(house, "/clearing/accounts/PK/bank-account", "operator")[0] == 404
