"""A bank's statements, the reviewer's cases (issue 21): a return only in its
direction, an entry whose transactions do not add up, the same MsgId from both
countries' banks, what an earlier file applied, a payout returned after its debit."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from tahator.demo_bank import Line, camt_file
from tahator.domain.money import Amount
from tahator.formatting import amount
from tahator.services import bank_statements, journal
from tahator.services.bank_statements import Reason
from tahator.store.database import transaction
from tahator.store.schema import BankMessage
from tests.integration import test_bank_statements as base
from tests.integration.test_bank_statements import IR_IBAN, PK_IBAN, imported, one, statuses

house = base.house  # the same fixture: a run's instructions, both clearing accounts


def test_a_return_must_come_in_its_direction(house: Engine) -> None:
    payout = one(house, "PK-2", "payout")
    collection = one(house, "PK-1", "collection")
    before = statuses(house)
    content = camt_file(
        "DIR-1",
        PK_IBAN,
        [
            # A payout's return is its money back in: a debit is not one.
            Line(
                amount(payout.local_amount),
                "PKR",
                credit=False,
                end_to_end_id=payout.reference,
                return_reason="AC04",
            ),
            # A collection's return is its money back out: a credit is not one.
            Line(
                amount(collection.local_amount),
                "PKR",
                credit=True,
                reference=collection.reference,
                return_reason="AC04",
            ),
        ],
    )
    report = imported(house, content)
    assert report.returned == ()
    assert [(u.instruction, u.reason) for u in report.unmatched] == [
        (payout.id, Reason.PAYOUT_RETURN_DEBIT),
        (collection.id, Reason.COLLECTION_RETURN_CREDIT),
    ]
    assert "a payout's return is a credit" in report.unmatched[0].why
    assert statuses(house) == before

    # The same payout's return as a credit is applied.
    report = imported(
        house,
        camt_file(
            "DIR-2",
            PK_IBAN,
            [
                Line(
                    amount(payout.local_amount),
                    "PKR",
                    credit=True,
                    end_to_end_id=payout.reference,
                    return_reason="AC04",
                )
            ],
        ),
    )
    assert [r.instruction for r in report.returned] == [payout.id]
    assert statuses(house)[payout.id] == "returned"


def _two_transactions(message_id: str, entry: str, first: tuple[str, str], second: str) -> bytes:
    """A camt.054 with one booked credit of ``entry`` PKR detailing two transactions:
    ``first`` (amount, creditor reference) and ``second`` (amount, an unknown reference)."""
    namespace = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"

    def detail(value: str, reference: str) -> str:
        return (
            f'<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="PKR">{value}'
            f"</Amt><RmtInf><Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd>"
            "</RmtInf></TxDtls>"
        )

    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{namespace}">'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{message_id}</MsgId>"
        "<CreDtTm>2026-11-24T10:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N-1</Id>"
        f"<Acct><Id><IBAN>{PK_IBAN}</IBAN></Id></Acct>"
        f'<Ntry><Amt Ccy="PKR">{entry}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        "<Sts><Cd>BOOK</Cd></Sts><AcctSvcrRef>B-9</AcctSvcrRef><NtryDtls>"
        f"{detail(*first)}{detail(second, 'RF18TAH99C999')}"
        "</NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def test_transactions_not_adding_up_to_their_entry_are_not_applied(house: Engine) -> None:
    collection = one(house, "PK-1", "collection")
    exact = amount(collection.local_amount)
    minor = collection.local_amount.minor
    before = statuses(house)
    # 5.00 more booked than the two transactions detail: neither applies.
    entry = amount(Amount(minor + 1500, "PKR", 2))
    report = imported(
        house, _two_transactions("SUM-1", entry, (exact, collection.reference), "10.00")
    )
    assert report.matched == ()
    assert [u.reason for u in report.unmatched] == [Reason.NOT_ADDING_UP] * 2
    assert report.unmatched[0].why == "the entry's transactions do not add up to its amount"
    assert statuses(house) == before

    # When they add up, the known one confirms and the other is listed.
    entry = amount(Amount(minor + 1000, "PKR", 2))
    report = imported(
        house, _two_transactions("SUM-2", entry, (exact, collection.reference), "10.00")
    )
    assert [m.instruction for m in report.matched] == [collection.id]
    assert [u.reason for u in report.unmatched] == [Reason.UNKNOWN_COLLECTION]


def test_a_garbled_transaction_beside_a_full_one_applies_nothing(house: Engine) -> None:
    """An attacker's try: 1.00 booked, one transaction worth a whole collection and a
    sibling whose amount cannot be read; the sum cannot be shown, so nothing applies."""
    collection = one(house, "PK-1", "collection")
    before = statuses(house)
    garbled = _two_transactions(
        "SUM-3", "1.00", (amount(collection.local_amount), collection.reference), "abc"
    )
    report = imported(house, garbled)
    assert report.matched == ()
    assert sorted(u.reason for u in report.unmatched) == sorted(
        [Reason.NOT_ADDING_UP, Reason.UNREADABLE]
    )
    assert statuses(house) == before


def test_the_same_message_id_from_each_countrys_bank_is_two_messages(house: Engine) -> None:
    pk = one(house, "PK-1", "collection")
    ir = one(house, "IR-3", "collection")
    first = imported(
        house,
        camt_file("DAY-1", PK_IBAN, [Line(amount(pk.local_amount), "PKR", reference=pk.reference)]),
    )
    second = imported(
        house,
        camt_file("DAY-1", IR_IBAN, [Line(amount(ir.local_amount), "IRR", reference=ir.reference)]),
    )
    assert (first.country, first.already_imported) == ("PK", False)
    assert (second.country, second.already_imported) == ("IR", False)
    assert [m.instruction for m in second.matched] == [ir.id]
    assert statuses(house)[ir.id] == "confirmed"
    with transaction(house) as session:
        keys = session.execute(select(BankMessage.country, BankMessage.message_id)).all()
        assert sorted(keys) == [("IR", "DAY-1"), ("PK", "DAY-1")]
        assert bank_statements.stored_report(session, "IR", "DAY-1").matched == second.matched
        assert bank_statements.stored_report(session, "PK", "DAY-1").matched == first.matched


def test_a_statement_repeating_a_notification_lists_it_as_already_applied(
    house: Engine,
) -> None:
    collection = one(house, "PK-1", "collection")
    payout = one(house, "PK-2", "payout")
    lines = [
        Line(amount(collection.local_amount), "PKR", reference=collection.reference),
        Line(amount(payout.local_amount), "PKR", credit=False, end_to_end_id=payout.reference),
    ]
    notified = imported(house, camt_file("NTF-1", PK_IBAN, lines))
    assert len(notified.matched) == 2
    with transaction(house) as session:
        ledger = journal.balances(session)
    statement = imported(house, camt_file("STM-1", PK_IBAN, lines, kind="camt.053"))
    assert statement.already_imported is False
    assert statement.matched == ()
    assert statement.unmatched == ()
    assert [(a.instruction, a.reason) for a in statement.already_applied] == [
        (collection.id, Reason.ALREADY_CONFIRMED),
        (payout.id, Reason.ALREADY_CONFIRMED),
    ]
    with transaction(house) as session:
        assert journal.balances(session) == ledger
        listed = {m.message_id: m for m in bank_statements.imported_messages(session)}
    assert listed["STM-1"].already_applied == 2
    # Stored and read again, the report keeps its typed reasons and amounts.
    with transaction(house) as session:
        again = bank_statements.stored_report(session, "PK", "STM-1")
    assert again.already_applied == statement.already_applied


def test_a_collection_returned_after_its_confirmation_is_for_the_operator(house: Engine) -> None:
    collection = one(house, "PK-1", "collection")
    line = Line(amount(collection.local_amount), "PKR", reference=collection.reference)
    imported(house, camt_file("CNF-1", PK_IBAN, [line]))
    returned = Line(
        amount(collection.local_amount),
        "PKR",
        credit=False,
        reference=collection.reference,
        return_reason="AC04",
    )
    report = imported(house, camt_file("RET-1", PK_IBAN, [returned]))
    assert report.returned == ()
    assert [u.reason for u in report.unmatched] == [Reason.CONFIRMED_COLLECTION_RETURNED]
    assert "is for the operator" in report.unmatched[0].why
    assert statuses(house)[collection.id] == "confirmed"


def test_a_payouts_return_after_its_debit_is_applied_even_in_the_same_file(
    house: Engine,
) -> None:
    payout = one(house, "PK-2", "payout")
    value = amount(payout.local_amount)
    report = imported(
        house,
        camt_file(
            "BOTH-1",
            PK_IBAN,
            [
                Line(value, "PKR", credit=False, end_to_end_id=payout.reference),
                Line(
                    value,
                    "PKR",
                    credit=True,
                    end_to_end_id=payout.reference,
                    return_reason="AC04",
                    bank_reference="BANKREF-2",
                ),
            ],
        ),
    )
    assert [m.instruction for m in report.matched] == [payout.id]
    assert [r.instruction for r in report.returned] == [payout.id]
    assert report.unmatched == ()
    assert statuses(house)[payout.id] == "returned"
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(BankMessage)) == 1
