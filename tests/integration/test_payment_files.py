"""A run's payouts as the pain.001.001.09 file a clearing account's bank executes
(issue 21): valid against the ISO schema, sums and counts right, amounts exact, a
payout sent in one file only (the file kept and given again as it was), a sent
payout not held when its collection comes back, refusals that name what is missing."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import Engine, select

from tahator import formatting
from tahator.domain import bank
from tahator.domain.errors import InputError, NotFoundError
from tahator.domain.money import Amount
from tahator.io import pain001
from tahator.services import audit, clearing, corridor, ledger, payment_files, settlement
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import (
    AuditRecord,
    BankAccount,
    Obligation,
    PaymentFileLine,
    SettlementInstruction,
)
from tahator.store.schema import PaymentFile as PaymentFileRecord
from tests.integration.conftest import firms_file, import_firms_file, import_obligations_file

FIRMS = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR", "IR-3": "IR"}
AS_OF = date(2026, 11, 23)
NS = {"p": pain001.NAMESPACE}
ACCOUNTS = {
    "PK-1": ("PK36SCBL0000001123456702", "SCBLPKKX"),
    "PK-2": ("PK98MEZN0000009876543210", None),
    "PK-3": ("PK50HABB0000000011112222", "HABBPKKA"),
    "IR-1": ("IR050170000000123456789012", "MELIIRTH"),
    "IR-2": ("IR900120000000987654321098", None),
    "IR-3": ("IR650550000000555555555555", None),
}
CLEARING = {
    "PK": ("PK38SCBL0000009999999901", "SCBLPKKX"),
    "IR": ("IR680170000000999999999901", None),
}


def _checked(iban: str, country: str) -> str:
    return bank.iban(iban, country)


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    """Six firms; cross-border obligations so that each country has payouts (IRR in
    the billions of rials, PKR with paise); one completed run."""
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", FIRMS), "test")
        corridor.set_rate(session, "IRR", Decimal(1_100_000), date(2026, 1, 1))
    rows = [
        ("A", "IR-1", "PK-1", "1234.57", "USD"),
        ("B", "IR-2", "PK-1", "100.01", "USD"),
        ("C", "IR-3", "PK-3", "2000.00", "USD"),
        ("D", "PK-2", "IR-1", "1500.00", "USD"),
        ("E", "PK-2", "IR-2", "1834.58", "USD"),
    ]
    path = tmp_path / "obligations.csv"
    path.write_text(
        "id,debtor,creditor,amount,currency,due_date\n"
        + "".join(f"{i},{d},{c},{a},{cur},2026-06-30\n" for i, d, c, a, cur in rows)
    )
    with transaction(engine) as session:
        import_obligations_file(session, path, "test")
        clearing.run_clearing(session, "test", AS_OF, today=AS_OF)
    return engine


def register(engine: Engine, firms: dict[str, tuple[str, str | None]] = ACCOUNTS) -> None:
    with transaction(engine) as session:
        for firm, (iban, bic) in firms.items():
            session.add(
                BankAccount(
                    firm_id=firm,
                    iban=_checked(iban, FIRMS[firm]),
                    bic=bic,
                    holder=f"{firm} Trading (Pvt) Ltd",
                    registered_at=now(),
                    registered_by="test",
                )
            )
        for country, (iban, bic) in CLEARING.items():
            session.add(
                BankAccount(
                    clearing_country=country,
                    iban=_checked(iban, country),
                    bic=bic,
                    holder=f"Tahator clearing account {country}",
                    registered_at=now(),
                    registered_by="test",
                )
            )


def export(engine: Engine, country: str, run: int = 1) -> payment_files.PaymentFile:
    with transaction(engine) as session:
        return payment_files.export_payouts(session, run, country, "bank", today=AS_OF)


def pending_payouts(engine: Engine, country: str) -> list[SettlementInstruction]:
    with transaction(engine) as session:
        return list(
            session.execute(
                select(SettlementInstruction).where(
                    SettlementInstruction.kind == "payout",
                    SettlementInstruction.status == "pending",
                    SettlementInstruction.country == country,
                )
            ).scalars()
        )


def texts(root: ElementTree.Element, path: str) -> list[str]:
    return [e.text or "" for e in root.findall(path, NS)]


@pytest.mark.parametrize("country", ["PK", "IR"])
def test_each_countrys_payouts_export_as_a_valid_pain001(house: Engine, country: str) -> None:
    register(house)
    payouts = pending_payouts(house, country)
    assert len(payouts) >= 2  # the fixture gives each country two creditors
    exported = export(house, country)
    assert pain001.schema_errors(exported.content) == []
    root = ElementTree.fromstring(exported.content)
    assert root.tag == f"{{{pain001.NAMESPACE}}}Document"
    digits = 2
    total = sum(p.local_amount for p in payouts)
    expected_sum = str(Decimal(total).scaleb(-digits))
    assert texts(root, ".//p:GrpHdr/p:NbOfTxs") == [str(len(payouts))]
    assert texts(root, ".//p:GrpHdr/p:CtrlSum") == [expected_sum]
    assert texts(root, ".//p:PmtInf/p:NbOfTxs") == [str(len(payouts))]
    assert texts(root, ".//p:PmtInf/p:CtrlSum") == [expected_sum]
    assert exported.payments == len(payouts)
    currency = "PKR" if country == "PK" else "IRR"
    assert exported.control_sum == Amount(total, currency, digits)
    by_end_to_end = {bank.end_to_end_id(1, p.id): p for p in payouts}
    transactions = root.findall(".//p:CdtTrfTxInf", NS)
    assert len(transactions) == len(payouts)
    for tx in transactions:
        end_to_end = tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)
        assert end_to_end is not None
        payout = by_end_to_end.pop(end_to_end)
        assert bank.instruction_of_end_to_end_id(end_to_end) == (1, payout.id)
        instructed = tx.find("p:Amt/p:InstdAmt", NS)
        assert instructed is not None
        assert instructed.get("Ccy") == currency
        # Exact: the local amount's minor units with two decimals, nothing rounded.
        assert instructed.text == str(Decimal(payout.local_amount).scaleb(-digits))
        iban = tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS)
        assert iban == ACCOUNTS[payout.firm_id][0]
        assert bank.iban(iban, country) == iban
        assert tx.findtext("p:Cdtr/p:Nm", namespaces=NS) == f"{payout.firm_id} Trading (Pvt) Ltd"
        remittance = tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS) or ""
        assert remittance.startswith("Tahator run 1 settlement: obligations ")
        bic = tx.findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS)
        assert bic == ACCOUNTS[payout.firm_id][1]
    assert by_end_to_end == {}
    debtor_iban = root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS)
    assert debtor_iban == CLEARING[country][0]
    assert root.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == AS_OF.isoformat()
    assert exported.file_name == f"pain.001-{exported.message_id}.xml"


def test_amounts_are_exact_in_rials_and_paise(house: Engine) -> None:
    register(house)
    rials = {p.firm_id: p.local_amount for p in pending_payouts(house, "IR")}
    paise = {p.firm_id: p.local_amount for p in pending_payouts(house, "PK")}
    # IR-2 is owed 1,834.58 USD = 2,018,038,000 IRR; PK-1 1,334.58 USD = 375,016.98 PKR.
    assert rials["IR-2"] == 2_018_038_000_00
    assert paise["PK-1"] == 375_016_98
    root = ElementTree.fromstring(export(house, "IR").content)
    amounts = texts(root, ".//p:CdtTrfTxInf/p:Amt/p:InstdAmt")
    assert "2018038000.00" in amounts
    root = ElementTree.fromstring(export(house, "PK").content)
    assert "375016.98" in texts(root, ".//p:CdtTrfTxInf/p:Amt/p:InstdAmt")


def test_a_payout_is_sent_in_one_file_only(house: Engine) -> None:
    register(house)
    first = export(house, "PK")
    assert first.message_id.startswith("TAH-R1-PK-")
    assert len(first.message_id) <= 35
    # Exporting again refuses, naming the file the payouts went in: no second file.
    message = refusal(house, 1, "PK")
    assert f"all pending payouts of run 1 at PK were sent in {first.message_id}" in message
    # The file is kept as sent: the same bytes, by its message id.
    with transaction(house) as session:
        again = payment_files.stored(session, first.message_id)
        listed = payment_files.files_of(session, 1, "pk")
        lines = session.scalars(
            select(PaymentFileLine.instruction_id).where(
                PaymentFileLine.message_id == first.message_id
            )
        ).all()
    assert again == first
    assert hashlib.sha256(again.content).digest() == hashlib.sha256(first.content).digest()
    assert [(r.message_id, r.created_by, r.payments, r.control_sum) for r in listed] == [
        (first.message_id, "bank", 2, first.control_sum)
    ]
    assert sorted(lines) == sorted(p.id for p in pending_payouts(house, "PK"))
    # The other country's payouts are not sent: their own file, another id.
    other = export(house, "IR")
    assert other.message_id.startswith("TAH-R1-IR-")
    with transaction(house) as session:
        assert [r.message_id for r in payment_files.files_of(session, 1, "IR")] == [
            other.message_id
        ]
        with pytest.raises(NotFoundError, match="no payment file 'TAH-NONE'"):
            payment_files.stored(session, "TAH-NONE")


def test_the_same_payouts_give_the_same_message_id_until_sent(house: Engine) -> None:
    register(house)
    made: list[payment_files.PaymentFile] = []

    def handed_out_not() -> None:
        with transaction(house) as session:
            made.append(payment_files.export_payouts(session, 1, "PK", "bank", today=AS_OF))
            raise RuntimeError("the file was not handed out")

    with pytest.raises(RuntimeError):
        handed_out_not()
    dropped = made[0]
    with transaction(house) as session:
        assert payment_files.files_of(session, 1, "PK") == []
    sent = export(house, "PK")
    assert sent.message_id == dropped.message_id


def test_a_new_payout_goes_in_a_new_file(house: Engine) -> None:
    """A payout that was not pending when the first file was sent (here: one reset
    to pending by hand) goes alone in a second file; the first stays as it was."""
    register(house)
    payout = pending_payouts(house, "PK")[0]
    with transaction(house) as session:
        settlement.confirm(session, payout.id, "bank")
    first = export(house, "PK")
    assert first.payments == 1
    with transaction(house) as session:
        row = session.get(SettlementInstruction, payout.id)
        assert row is not None
        row.status = "pending"
    second = export(house, "PK")
    assert (second.payments, second.message_id != first.message_id) == (1, True)
    root = ElementTree.fromstring(second.content)
    assert texts(root, ".//p:EndToEndId") == [bank.end_to_end_id(1, payout.id)]
    with transaction(house) as session:
        assert payment_files.stored(session, first.message_id).content == first.content
        listed = payment_files.files_of(session, 1, "PK")
    assert {r.message_id for r in listed} == {first.message_id, second.message_id}
    message = refusal(house, 1, "PK")
    assert first.message_id in message
    assert second.message_id in message


def test_an_export_is_audited(house: Engine) -> None:
    register(house)
    exported = export(house, "IR")
    with transaction(house) as session:
        record = session.execute(
            select(AuditRecord).where(AuditRecord.action == "settlement.export")
        ).scalar_one()
        assert audit.verify(session)[1] is None
    assert (record.subject, record.actor) == ("run:1", "bank")
    after = json.loads(record.after)
    assert after["message_id"] == exported.message_id
    assert after["payments"] == exported.payments == 2
    assert after["control_sum"] == formatting.amount(exported.control_sum)
    assert after["sha256"] == hashlib.sha256(exported.content).hexdigest()
    # A refused second export records nothing: one record per file created.
    refusal(house, 1, "IR")
    with transaction(house) as session:
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "settlement.export")
        ).all()
        stored = session.get(PaymentFileRecord, exported.message_id)
        assert stored is not None
        assert stored.digest == after["sha256"]
    assert len(records) == 1


def refusal(engine: Engine, run: int, country: str) -> str:
    with pytest.raises(InputError) as raised:
        export(engine, country, run)
    return str(raised.value)


def test_refusals_name_what_is_missing(house: Engine) -> None:
    message = refusal(house, 1, "PK")
    assert "clearing account of PK has no bank account" in message
    assert "PK-1" in message
    assert "PK-3" in message
    register(house, {f: a for f, a in ACCOUNTS.items() if f != "PK-3"})
    message = refusal(house, 1, "PK")
    assert "1 payee(s) have no bank account: PK-3" in message
    assert "clearing account" not in message
    assert "no clearing run 7" in refusal(house, 7, "PK")
    assert "not a country of the corridor" in refusal(house, 1, "XX")


def test_no_pending_payouts_is_refused(house: Engine) -> None:
    register(house)
    for payout in pending_payouts(house, "IR"):
        with transaction(house) as session:
            settlement.confirm(session, payout.id, "bank")
    assert "has no pending payouts in IR" in refusal(house, 1, "IR")
    with transaction(house) as session:
        count = session.execute(
            select(AuditRecord).where(AuditRecord.action == "settlement.export")
        ).all()
    assert count == []


def test_an_account_not_of_the_country_or_unchecked_is_refused(house: Engine) -> None:
    register(house)
    with transaction(house) as session:
        row = session.execute(select(BankAccount).where(BankAccount.firm_id == "PK-3")).scalar_one()
        row.iban = ACCOUNTS["IR-1"][0]  # written past registration's check
        row = session.execute(select(BankAccount).where(BankAccount.firm_id == "PK-1")).scalar_one()
        row.iban = "PK00SCBL0000001123456702"
    message = refusal(house, 1, "PK")
    assert f"PK-3: {ACCOUNTS['IR-1'][0]} is an IBAN of IR" in message
    assert "PK-1: PK00SCBL0000001123456702 is not a valid IBAN" in message


def test_remittance_names_the_run_and_the_obligations_paid(house: Engine) -> None:
    register(house)
    with transaction(house) as session:
        owed = {
            c: sorted(
                i
                for i, cr in session.execute(select(Obligation.id, Obligation.creditor))
                if cr == c
            )
            for c in ("PK-1", "PK-3")
        }
    root = ElementTree.fromstring(export(house, "PK").content)
    told = {
        tx.findtext("p:Cdtr/p:Nm", namespaces=NS): tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS)
        for tx in root.findall(".//p:CdtTrfTxInf", NS)
    }
    assert len(owed["PK-1"]) == 2
    assert told == {
        f"{firm} Trading (Pvt) Ltd": "Tahator run 1 settlement: obligations "
        + ", ".join(map(str, ids))
        for firm, ids in owed.items()
    }


def test_the_execution_date_is_today_when_the_run_is_older(house: Engine) -> None:
    register(house)
    first = export(house, "PK")
    with transaction(house) as session:
        later = payment_files.export_payouts(session, 1, "ir", "bank", today=date(2026, 12, 1))
        again = payment_files.stored(session, later.message_id)
    assert (first.execution_date, later.execution_date) == (AS_OF, date(2026, 12, 1))
    assert again.execution_date == date(2026, 12, 1)
    root = ElementTree.fromstring(later.content)
    assert root.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-12-01"


def test_a_sent_payout_is_not_held_when_its_collection_is_returned(house: Engine) -> None:
    """PK-3 is paid from IR-3's collection.  Once PK-3's payout is in a file the bank
    may have paid it: the return lends it on the credit line instead of holding it,
    and no sent payout is held for Iran's shortfall either."""
    register(house)
    before = {p.id: p.local_amount for c in ("PK", "IR") for p in pending_payouts(house, c)}
    export(house, "PK")
    export(house, "IR")
    with transaction(house) as session:
        collection = session.scalars(
            select(SettlementInstruction).where(
                SettlementInstruction.firm_id == "IR-3",
                SettlementInstruction.kind == "collection",
            )
        ).one()
        result = settlement.return_instruction(session, collection.id, "AM04", "bank")
    assert result.held == ()
    assert result.shortfall is None or result.shortfall.held == ()
    assert [(d.firm, d.country) for d in result.credit_drawn] == [("PK-3", "PK")]
    after = {p.id: p.local_amount for c in ("PK", "IR") for p in pending_payouts(house, c)}
    assert after == before  # none held, none shrunk
    with transaction(house) as session:
        assert list(ledger.verify(session).breaks) == []


def test_an_unsent_payout_is_still_held(house: Engine) -> None:
    """The same return before any file is sent holds PK-3's payout, and Iran's pending
    payouts for its account's shortfall (the control of the test above)."""
    register(house)
    with transaction(house) as session:
        collection = session.scalars(
            select(SettlementInstruction).where(
                SettlementInstruction.firm_id == "IR-3",
                SettlementInstruction.kind == "collection",
            )
        ).one()
        result = settlement.return_instruction(session, collection.id, "AM04", "bank")
    assert [v.firm for v in result.held] == ["PK-3", "IR-1", "IR-2"]
    assert result.shortfall is not None
    assert [v.firm for v in result.shortfall.held] == ["IR-1", "IR-2"]
    assert result.credit_drawn == ()


def test_two_exports_at_once_send_each_payout_once(house: Engine) -> None:
    """Two desks export the same payouts at once: one file is made, the other export
    is refused naming it (no 500, no second file, one audit record)."""
    register(house)
    start = threading.Barrier(2)
    made: list[payment_files.PaymentFile] = []
    refused: list[str] = []

    def exporter() -> None:
        start.wait()
        try:
            made.append(export(house, "PK"))
        except InputError as error:
            refused.append(str(error))

    threads = [threading.Thread(target=exporter) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 1
    assert len(refused) == 1
    assert f"were sent in {made[0].message_id}" in refused[0]
    with transaction(house) as session:
        assert len(payment_files.files_of(session, 1, "PK")) == 1
        exports = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "settlement.export")
        ).all()
    assert len(exports) == 1
