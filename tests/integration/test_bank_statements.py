"""A settlement bank's camt.054/053 statements confirm and return instructions, on a
real database (SQLite and PostgreSQL): matched exactly, idempotent by message id."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tahator.demo_bank import Line, camt_file
from tahator.domain.errors import InputError
from tahator.formatting import amount
from tahator.io import camt
from tahator.services import bank_statements, clearing, journal, settlement
from tahator.services import corridor as corridors
from tahator.services.bank_statements import Reason
from tahator.services.clearing import InstructionView
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, BankAccount, BankMessage, Obligation
from tests.integration.conftest import (
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)

PK_IBAN = "PK36SCBL0000001123456702"
IR_IBAN = "IR760170000000000000000001"
AS_OF = date(2026, 11, 23)
BANK = "bank:test"


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    """PK-1 owes IR-1 100 USD and IR-2 50 USD; IR-3 owes PK-2 30 USD; a run has made
    their collections and payouts; both clearing accounts have their IBANs."""
    firms = {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR", "IR-2": "IR", "IR-3": "IR"}
    rows = [
        ("A1", "PK-1", "IR-1", "100.00", "USD"),
        ("A2", "PK-1", "IR-2", "50.00", "USD"),
        ("C1", "IR-3", "PK-2", "30.00", "USD"),
    ]
    with transaction(engine) as session:
        import_firms_file(session, firms_file(tmp_path / "firms.csv", firms), "test")
        for country, iban in (("PK", PK_IBAN), ("IR", IR_IBAN)):
            session.add(
                BankAccount(
                    clearing_country=country,
                    iban=iban,
                    bic=None,
                    holder=f"Clearing account {country}",
                    registered_at=now(),
                    registered_by="test",
                )
            )
    with transaction(engine) as session:
        import_obligations_file(session, obligations_file(tmp_path / "o.csv", rows), "test")
    with transaction(engine) as session:
        clearing.run_clearing(session, "test", AS_OF, today=AS_OF)
    return engine


def pending(engine: Engine) -> list[InstructionView]:
    with transaction(engine) as session:
        return [i for i in settlement.list_instructions(session) if i.status == "pending"]


def one(engine: Engine, firm: str, kind: str) -> InstructionView:
    return next(i for i in pending(engine) if i.firm == firm and i.kind == kind)


def statuses(engine: Engine) -> dict[int, str]:
    with transaction(engine) as session:
        return {i.id: i.status.value for i in settlement.list_instructions(session)}


def imported(engine: Engine, content: bytes) -> bank_statements.StatementReport:
    with transaction(engine) as session:
        message = camt.read(content, corridors.load(session).digits)
        return bank_statements.import_statement(session, message, BANK)


def test_a_credit_with_a_collections_reference_and_amount_confirms_exactly_it(
    house: Engine,
) -> None:
    collection = one(house, "PK-1", "collection")
    assert collection.country == "PK"
    assert collection.local_currency == "PKR"
    before = statuses(house)
    with transaction(house) as session:
        entries = journal.balances(session)
    content = camt_file(
        "MSG-1",
        PK_IBAN,
        [Line(amount(collection.local_amount), "PKR", reference=collection.reference)],
    )
    report = imported(house, content)
    assert report.kind == "camt.054.001.08"
    assert (report.country, report.account, report.already_imported) == ("PK", PK_IBAN, False)
    assert [(m.instruction, m.firm, m.kind) for m in report.matched] == [
        (collection.id, "PK-1", "collection")
    ]
    assert report.unmatched == ()
    assert report.returned == ()
    after = statuses(house)
    assert after[collection.id] == "confirmed"
    assert {k: v for k, v in after.items() if k != collection.id} == {
        k: v for k, v in before.items() if k != collection.id
    }
    with transaction(house) as session:
        assert journal.balances(session) != entries  # posted to the ledger
        assert (
            session.scalar(select(func.count()).where(AuditRecord.action == "settlement.confirm"))
            == 1
        )
        assert (
            session.scalar(select(func.count()).where(AuditRecord.action == "settlement.import"))
            == 1
        )

    # The same file again: nothing changes, the stored report comes back.
    again = imported(house, content)
    assert again.already_imported is True
    assert again.matched == report.matched
    assert statuses(house) == after
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(BankMessage)) == 1
        assert (
            session.scalar(select(func.count()).where(AuditRecord.action == "settlement.import"))
            == 1
        )

    # The same message id with other content is refused.
    other = camt_file("MSG-1", PK_IBAN, [Line("1.00", "PKR", reference=collection.reference)])
    with pytest.raises(InputError, match="a different file with MsgId MSG-1"):
        imported(house, other)


def test_unmatched_credits_are_reported_and_change_nothing(house: Engine) -> None:
    collection = one(house, "PK-1", "collection")
    payout = one(house, "PK-2", "payout")
    full = amount(collection.local_amount)
    partial = f"{int(collection.local_amount.minor / 2) // 100}.00"
    before = statuses(house)
    content = camt_file(
        "MSG-2",
        PK_IBAN,
        [
            Line(full, "PKR", reference="RF18TAH99C999"),  # not one of ours
            Line(partial, "PKR", reference=collection.reference),
            Line(full, "USD", reference=collection.reference),
            Line(full, "PKR"),  # no reference at all
            Line(full, "PKR", reference=collection.reference, status="PDNG"),
            Line(full + "1", "PKR", reference=collection.reference),  # 3 decimals
            Line("-" + full, "PKR", reference=collection.reference),
            Line(full, "PKR", credit=False, end_to_end_id=collection.reference),
            Line("1.00", "PKR", credit=False, end_to_end_id=payout.reference),
        ],
    )
    report = imported(house, content)
    assert report.matched == ()
    assert report.returned == ()
    reasons = [u.why for u in report.unmatched]
    assert len(reasons) == 9, reasons
    assert [u.reason for u in report.unmatched] == [
        Reason.UNKNOWN_COLLECTION,
        Reason.AMOUNT,
        Reason.CURRENCY,
        Reason.NO_REFERENCE,
        Reason.NOT_BOOKED,
        Reason.UNREADABLE,
        Reason.UNREADABLE,
        Reason.UNKNOWN_PAYOUT,
        Reason.AMOUNT,
    ]
    assert "not a collection's creditor reference" in reasons[0]
    assert "partial or over payment" in reasons[1]
    assert "in USD" in reasons[2]
    assert reasons[3].startswith("no reference")
    assert "status PDNG" in reasons[4]
    assert "more than 2 fraction digits" in reasons[5]
    assert "is not an amount" in reasons[6]
    assert "not a payout's end-to-end id" in reasons[7]
    assert f"instruction {payout.id} is for" in reasons[8]
    assert statuses(house) == before


def test_a_return_reopens_the_obligation(house: Engine) -> None:
    collection = one(house, "PK-1", "collection")
    content = camt_file(
        "MSG-3",
        PK_IBAN,
        [
            Line(
                amount(collection.local_amount),
                "PKR",
                credit=False,
                reference=collection.reference,
                return_reason="AC04",
            )
        ],
        kind="camt.053",
    )
    report = imported(house, content)
    assert report.kind == "camt.053.001.08"
    assert [(r.instruction, r.return_reason) for r in report.returned] == [(collection.id, "AC04")]
    assert report.matched == ()
    assert report.unmatched == ()
    assert statuses(house)[collection.id] == "returned"
    with transaction(house) as session:
        states = dict(session.execute(select(Obligation.reference, Obligation.status)).all())
    assert states["A1"] == "open"
    assert states["A2"] == "open"


def test_a_debit_by_end_to_end_id_confirms_the_payout_in_an_old_version(
    house: Engine,
) -> None:
    payout = one(house, "PK-2", "payout")
    collection = one(house, "PK-1", "collection")
    content = camt_file(
        "MSG-4",
        PK_IBAN,
        [
            Line(amount(payout.local_amount), "PKR", credit=False, end_to_end_id=payout.reference),
            # A reference printed in groups in the free text is found.
            Line(
                amount(collection.local_amount),
                "PKR",
                free_text=f"invoice 7 {collection.reference[:4]} {collection.reference[4:]}",
            ),
        ],
        version="02",
    )
    report = imported(house, content)
    assert report.kind == "camt.054.001.02"
    assert sorted(m.instruction or 0 for m in report.matched) == sorted([payout.id, collection.id])
    assert statuses(house)[payout.id] == "confirmed"


def test_an_instruction_of_the_other_country_is_not_matched(house: Engine) -> None:
    collection = one(house, "IR-3", "collection")
    content = camt_file(
        "MSG-5",
        PK_IBAN,
        [Line(amount(collection.local_amount), "IRR", reference=collection.reference)],
    )
    report = imported(house, content)
    assert "of IR's clearing account, not PK's" in report.unmatched[0].why
    assert statuses(house)[collection.id] == "pending"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (camt_file("MSG-6", "PK24SCBL0000001123456702", []), "not a registered clearing"),
        (b"not xml at all", "not well-formed XML"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.09'/>", "not a camt"),
        (
            b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.054.001.08'>"
            b"<BkToCstmrDbtCdtNtfctn><GrpHdr/></BkToCstmrDbtCdtNtfctn></Document>",
            "no GrpHdr/MsgId",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Document>&lol2;</Document>',
            "unsafe XML",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Document>&x;</Document>",
            "unsafe XML",
        ),
    ],
)
def test_bad_files_are_refused_with_a_reason(house: Engine, content: bytes, message: str) -> None:
    before = statuses(house)
    with pytest.raises(InputError, match=message):
        imported(house, content)
    assert statuses(house) == before
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(BankMessage)) == 0


def test_the_same_file_imported_twice_at_once_applies_once(house: Engine) -> None:
    collection = one(house, "PK-1", "collection")
    content = camt_file(
        "MSG-RACE",
        PK_IBAN,
        [Line(amount(collection.local_amount), "PKR", reference=collection.reference)],
    )
    start = threading.Barrier(2)
    reports: list[bank_statements.StatementReport] = []

    def importer() -> None:
        # No retry here: the service makes the second wait and find the first's file.
        start.wait()
        reports.append(imported(house, content))

    threads = [threading.Thread(target=importer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.already_imported for r in reports) == [False, True]
    assert all(len(r.matched) == 1 for r in reports)
    assert statuses(house)[collection.id] == "confirmed"
    with transaction(house) as session:
        assert (
            session.scalar(select(func.count()).where(AuditRecord.action == "settlement.confirm"))
            == 1
        )
