"""Bank accounts of firms and clearing accounts: checked IBANs, audited registrations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from schwifty import IBAN
from sqlalchemy import Engine, func, select

from tahator.demo import build_corridor
from tahator.demo_data import (
    CLEARING_BANKS,
    DEMO_BANKS,
    demo_account,
    demo_iban,
    register_bank_accounts,
)
from tahator.domain.errors import InputError, NotFoundError
from tahator.io.firms import AccountRow
from tahator.services import audit, bank_accounts
from tahator.store.database import reading, transaction
from tahator.store.schema import AuditRecord, BankAccount
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    firms_file,
    import_firms_file,
)

PK_IBAN = "PK36SCBL0000001123456702"
IR_IBAN = "IR062960000000100324200001"
FIRMS = {"PK-1": "PK", "IR-1": "IR"}


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:  # noqa: F811
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
    return engine


def test_pakistani_and_iranian_accounts_are_registered_compact_and_audited(house: Engine) -> None:
    with transaction(house) as session:
        pk = bank_accounts.register_firm_account(
            session, "PK-1", "pk36 scbl 0000 0011 2345 6702", "scblpkkx", "", "op"
        )
        ir = bank_accounts.register_firm_account(session, "IR-1", IR_IBAN, "", "Tabriz Co.", "op")
    assert (pk.iban, pk.bic, pk.country, pk.clearing) == (PK_IBAN, "SCBLPKKX", "PK", False)
    assert pk.holder != ""  # the firm's name, as registered
    assert (ir.iban, ir.bic, ir.holder) == (IR_IBAN, None, "Tabriz Co.")
    with reading(house) as session:
        assert bank_accounts.firm_account(session, "PK-1") == pk
        assert set(bank_accounts.firm_accounts(session, ["PK-1", "IR-1", "nobody"])) == {
            "PK-1",
            "IR-1",
        }
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "bank_account.register")
        ).all()
        assert [r.subject for r in records] == ["firm:PK-1", "firm:IR-1"]
        assert json.loads(records[0].after)["iban"] == PK_IBAN
        assert audit.verify(session)[1] is None


def test_a_change_is_audited_with_what_it_replaced(house: Engine) -> None:
    with transaction(house) as session:
        bank_accounts.register_firm_account(session, "PK-1", PK_IBAN, "", "", "op")
    other = str(IBAN.generate("PK", bank_code="HABB", account_code="0000000000000042").compact)
    with transaction(house) as session:
        changed = bank_accounts.register_firm_account(session, "PK-1", other, "", "", "op2")
    assert (changed.iban, changed.registered_by) == (other, "op2")
    with reading(house) as session:
        assert session.scalar(select(func.count()).select_from(BankAccount)) == 1
        last = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
        assert last is not None
        assert json.loads(last.before)["iban"] == PK_IBAN
        assert json.loads(last.after)["iban"] == other


@pytest.mark.parametrize(
    ("firm", "iban", "bic", "holder", "reason"),
    [
        ("PK-1", "PK37SCBL0000001123456702", "", "", "checksum"),  # check digits
        ("PK-1", "PK36SCBL000000112345670", "", "", "length"),  # one short
        ("PK-1", IR_IBAN, "", "", "must be in PK"),  # wrong country
        ("IR-1", PK_IBAN, "", "", "must be in IR"),
        ("PK-1", "not an iban at all", "", "", "not a valid IBAN"),  # garbage
        ("PK-1", "", "", "", "an IBAN is required"),
        ("PK-1", PK_IBAN, "BMJIIRTH", "", "not PK"),  # an Iranian bank's BIC
        ("PK-1", PK_IBAN, "XX", "", "not a valid BIC"),
        ("PK-1", PK_IBAN, "", "x" * 141, "1 to 140 characters"),
        ("PK-1", PK_IBAN, "", "Evil\u202eCo", "found"),  # a bidirectional override
        ("PK-1", PK_IBAN, "", "Line\nbreak", "found"),  # a control character
    ],
)
def test_a_bad_account_is_refused_with_the_reason_and_nothing_changes(
    house: Engine, firm: str, iban: str, bic: str, holder: str, reason: str
) -> None:
    with pytest.raises(InputError) as refused, transaction(house) as session:
        bank_accounts.register_firm_account(session, firm, iban, bic, holder, "op")
    assert reason in str(refused.value)
    with reading(house) as session:
        assert session.scalar(select(func.count()).select_from(BankAccount)) == 0
        assert bank_accounts.firm_account(session, firm) is None


def test_clearing_accounts_take_their_own_country_s_iban(house: Engine) -> None:
    with transaction(house) as session:
        pk = bank_accounts.register_clearing_account(session, "pk", PK_IBAN, "NBPAPKKA", "", "op")
        ir = bank_accounts.register_clearing_account(session, "IR", IR_IBAN, "", "CBI", "op")
    assert (pk.owner, pk.clearing, pk.holder) == ("PK", True, "Tahator clearing account PK")
    assert (ir.owner, ir.holder) == ("IR", "CBI")
    with pytest.raises(InputError, match="must be in IR"), transaction(house) as session:
        bank_accounts.register_clearing_account(session, "IR", PK_IBAN, "", "", "op")
    with pytest.raises(NotFoundError), transaction(house) as session:
        bank_accounts.register_clearing_account(session, "AF", PK_IBAN, "", "", "op")
    with pytest.raises(NotFoundError), transaction(house) as session:
        bank_accounts.register_firm_account(session, "nobody", PK_IBAN, "", "", "op")
    with reading(house) as session:
        assert bank_accounts.clearing_account(session, "ir") == ir
        assert bank_accounts.clearing_accounts(session) == {"PK": pk, "IR": ir}


def test_an_iban_registered_for_another_owner_is_refused_naming_it(house: Engine) -> None:
    with transaction(house) as session:
        bank_accounts.register_firm_account(session, "PK-1", PK_IBAN, "", "", "op")
        bank_accounts.register_clearing_account(session, "IR", IR_IBAN, "", "", "op")
    taken = pytest.raises(InputError, match="already registered for firm PK-1")
    with taken, transaction(house) as session:
        bank_accounts.register_clearing_account(session, "PK", PK_IBAN, "", "", "op")
    taken = pytest.raises(InputError, match="already registered for the clearing account IR")
    with taken, transaction(house) as session:
        bank_accounts.register_firm_account(session, "IR-1", IR_IBAN, "", "", "op")
    with transaction(house) as session:  # the owner's own IBAN again is no clash
        again = bank_accounts.register_firm_account(session, "PK-1", PK_IBAN, "", "Mine", "op")
    assert again.holder == "Mine"
    with reading(house) as session:
        assert bank_accounts.clearing_account(session, "PK") is None
        assert bank_accounts.firm_account(session, "IR-1") is None
        assert session.scalar(select(func.count()).select_from(BankAccount)) == 2


def test_a_file_naming_one_iban_for_two_firms_is_refused_whole(house: Engine) -> None:
    rows = [AccountRow("PK-1", PK_IBAN, "", 2), AccountRow("IR-1", IR_IBAN, "", 3)]
    with transaction(house) as session:
        bank_accounts.register_clearing_account(session, "IR", IR_IBAN, "", "", "op")
    with pytest.raises(InputError) as refused, transaction(house) as session:
        bank_accounts.import_accounts(session, rows, "op", source="firms.csv")
    assert [(p.line, p.field) for p in refused.value.problems] == [(3, "iban")]
    assert "the clearing account IR" in str(refused.value)
    with reading(house) as session:  # all or none
        assert bank_accounts.firm_account(session, "PK-1") is None


def test_a_csv_re_import_keeps_a_holder_set_by_hand(house: Engine) -> None:
    other = str(IBAN.generate("PK", bank_code="HABB", account_code="0000000000000042").compact)
    with transaction(house) as session:
        bank_accounts.import_accounts(
            session, [AccountRow("PK-1", PK_IBAN, "", 2)], "op", source="firms.csv"
        )
        named = bank_accounts.firm_account(session, "PK-1")
        assert named is not None
        assert named.holder != "Karachi Traders (Pvt) Ltd"
        bank_accounts.register_firm_account(
            session, "PK-1", PK_IBAN, "", "Karachi Traders (Pvt) Ltd", "op"
        )
    with transaction(house) as session:  # a new IBAN from the file: the holder stays
        changed = bank_accounts.import_accounts(
            session, [AccountRow("PK-1", other, "HABBPKKA", 2)], "op", source="firms.csv"
        )
    assert changed == 1
    with reading(house) as session:
        account = bank_accounts.firm_account(session, "PK-1")
    assert account is not None
    assert (account.iban, account.holder) == (other, "Karachi Traders (Pvt) Ltd")


def test_the_demo_s_accounts_are_all_valid() -> None:
    firms, _ = build_corridor(2025)
    assert firms
    for firm in firms:
        iban, bic = demo_account(firm.country, firm.id)
        checked = IBAN(iban)
        assert checked.country_code == firm.country
        assert len(iban) == {"PK": 24, "IR": 26}[firm.country]
        assert bic[4:6] == firm.country
        assert demo_account(firm.country, firm.id) == (iban, bic)  # the same every run
    for country, (bank_code, bic) in CLEARING_BANKS.items():
        assert bic[4:6] == country
        assert IBAN(demo_iban(country, bank_code, 1_000_001)).country_code == country
    for country, banks in DEMO_BANKS.items():
        for bank_code, bic in banks:
            assert bic[4:6] == country
            assert IBAN(demo_iban(country, bank_code, 7)).country_code == country


def test_the_demo_registers_a_valid_account_for_every_firm_and_clearing_account(
    house: Engine,
) -> None:
    assert register_bank_accounts(house, "demo") == len(FIRMS) + 2
    with reading(house) as session:
        accounts = [
            *bank_accounts.firm_accounts(session, FIRMS).values(),
            *bank_accounts.clearing_accounts(session).values(),
        ]
        assert {a.registered_by for a in accounts} == {"demo"}
        assert len(accounts) == len(FIRMS) + 2
        for account in accounts:
            assert IBAN(account.iban).country_code == account.country
            assert account.bic is not None
            assert account.bic[4:6] == account.country
        demo_records = session.scalars(select(AuditRecord).where(AuditRecord.actor == "demo")).all()
        assert len(demo_records) == len(FIRMS) + 2
