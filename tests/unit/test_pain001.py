"""``io.pain001``: the order as a pain.001.001.09 file, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from tahator.domain.errors import InputError
from tahator.domain.money import Amount
from tahator.io import pain001
from tahator.io.pain001 import Account, CreditTransferOrder, Payment

NS = {"p": pain001.NAMESPACE}
PK_IBAN = "PK36SCBL0000001123456702"
IR_IBAN = "IR050170000000123456789012"


def payment(number: int, minor: int, currency: str = "IRR", **changes: object) -> Payment:
    made = Payment(
        instruction_id=f"TAH-I{number}",
        end_to_end_id=f"TAH-1-{number}",
        amount=Amount(minor, currency, 2),
        creditor=Account(f"Firm {number}", IR_IBAN),
        remittance=f"Tahator run 1 settlement: obligations {number}",
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def order(*payments: Payment, **changes: object) -> CreditTransferOrder:
    made = CreditTransferOrder(
        message_id="TAH-R1-IR-0123456789",
        created_at=datetime(2026, 11, 23, 10, 30, 15, 999, tzinfo=UTC),
        initiating_party="Tahator clearing house (Pakistan–Iran)",
        debtor=Account("Clearing account IR", IR_IBAN),
        execution_date=date(2026, 11, 24),
        currency="IRR",
        payments=payments,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def parsed(content: bytes) -> ElementTree.Element:
    assert pain001.schema_errors(content) == []
    return ElementTree.fromstring(content)


def test_huge_rial_amounts_and_their_sum_are_exact() -> None:
    # 98,765,432,109,876.54 IRR and 1.01 IRR: 16 digits, still within the schema's 18.
    content = pain001.write(order(payment(1, 9_876_543_210_987_654), payment(2, 101)))
    root = parsed(content)
    assert [e.text for e in root.findall(".//p:InstdAmt", NS)] == [
        "98765432109876.54",
        "1.01",
    ]
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "98765432109877.55"
    assert root.findtext(".//p:PmtInf/p:CtrlSum", namespaces=NS) == "98765432109877.55"
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext(".//p:GrpHdr/p:CreDtTm", namespaces=NS) == "2026-11-23T10:30:15Z"
    assert root.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-11-24"
    assert root.findtext(".//p:ChrgBr", namespaces=NS) == "DEBT"
    assert root.findtext(".//p:PmtMtd", namespaces=NS) == "TRF"
    assert root.findtext(".//p:BtchBookg", namespaces=NS) == "false"  # a debit per payout


def test_a_currency_without_minor_units_has_no_decimals() -> None:
    content = pain001.write(
        order(payment(1, 1500, "XAF", amount=Amount(1500, "XAF", 0)), currency="XAF")
    )
    assert parsed(content).findtext(".//p:InstdAmt", namespaces=NS) == "1500"


def test_an_amount_beyond_the_schemas_digits_is_refused_not_rounded() -> None:
    with pytest.raises(InputError, match="more than the 18 digits"):
        pain001.write(order(payment(1, 10**18)))
    # Each fits, their sum does not: CtrlSum would need 19 digits.
    with pytest.raises(InputError, match="more than the 18 digits"):
        pain001.write(order(payment(1, 6 * 10**17), payment(2, 6 * 10**17)))


def test_an_order_that_does_not_add_up_is_refused_naming_each_problem() -> None:
    with pytest.raises(InputError) as raised:
        pain001.write(
            order(
                payment(1, 100, "PKR", creditor=Account("A", PK_IBAN)),
                payment(2, 0),
                payment(3, 5, end_to_end_id="TAH-1-2"),
                payment(4, 5, instruction_id="X" * 36),
            )
        )
    text = str(raised.value)
    assert "payment TAH-1-1 is in PKR, the file in IRR" in text
    assert "payment TAH-1-2 is not positive" in text
    assert "two payments have the same end-to-end id" in text
    assert "is not an ISO 20022 id" in text
    with pytest.raises(InputError, match="at least one payment"):
        pain001.write(order())


def test_agents_creditor_names_and_the_debtor_agent_without_a_bic() -> None:
    with_bic = payment(1, 100, creditor=Account("Firm 1", IR_IBAN, "MELIIRTH"))
    root = parsed(pain001.write(order(with_bic, payment(2, 200))))
    # No BIC for the debtor's bank: the required agent says NOTPROVIDED.
    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=NS) == "NOTPROVIDED"
    first, second = root.findall(".//p:CdtTrfTxInf", NS)
    assert first.findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "MELIIRTH"
    assert second.find("p:CdtrAgt", NS) is None  # optional: the IBAN routes it
    debtor_bic = order(with_bic, debtor=Account("Clearing IR", IR_IBAN, "BMJIIRTH"))
    root = parsed(pain001.write(debtor_bic))
    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "BMJIIRTH"


def test_long_and_odd_names_are_cut_to_the_schema() -> None:
    long_name = "شرکت بازرگانی " * 20 + "\x07\x00 end"
    root = parsed(pain001.write(order(payment(1, 100, creditor=Account(long_name, IR_IBAN)))))
    name = root.findtext(".//p:Cdtr/p:Nm", namespaces=NS) or ""
    assert len(name) == 140
    assert name.endswith("…")
    assert name.startswith("شرکت بازرگانی شرکت")
    with pytest.raises(InputError, match="needs a name"):
        pain001.write(order(payment(1, 100, creditor=Account(" \x01 ", IR_IBAN))))


def test_remittance_names_every_obligation_or_says_how_many_are_left_out() -> None:
    short = pain001.remittance("Tahator run 3 settlement", "obligations", ["12", "15", "19"])
    assert short == "Tahator run 3 settlement: obligations 12, 15, 19"
    many = [str(n) for n in range(1000, 1100)]
    cut = pain001.remittance("Tahator run 3 settlement", "obligations", many)
    assert len(cut) <= 140
    assert cut.startswith("Tahator run 3 settlement: obligations 1000, 1001, ")
    shown = cut.split(": obligations ")[1].split(", …")[0].split(", ")
    assert cut.endswith(f"… (+{100 - len(shown)} more)")
    assert shown == many[: len(shown)]
    assert pain001.remittance("Tahator run 3 settlement", "obligations", []) == (
        "Tahator run 3 settlement"
    )
    root = parsed(pain001.write(order(payment(1, 100, remittance=cut))))
    assert root.findtext(".//p:Ustrd", namespaces=NS) == cut


def test_the_schema_refuses_a_broken_file() -> None:
    content = pain001.write(order(payment(1, 100)))
    broken = content.replace(b"<NbOfTxs>1</NbOfTxs>", b"<NbOfTxs>one</NbOfTxs>", 1)
    assert pain001.schema_errors(broken)


def test_the_execution_date_is_read_back_from_a_written_file() -> None:
    content = pain001.write(order(payment(1, 101)))
    assert pain001.execution_date(content) == date(2026, 11, 24)


def test_an_amount_is_one_exact_decimal_wherever_it_is_written() -> None:
    """``Amount.decimal`` is the decimal of an amount the file and the pages share."""
    assert Amount(9_876_543_210_987_654, "IRR", 2).decimal == Decimal("98765432109876.54")
    assert str(Amount(1500, "XAF", 0).decimal) == "1500"
    assert str(Amount(5, "PKR", 2).decimal) == "0.05"
    assert pain001.decimal_of(Amount(101, "IRR", 2)) == Amount(101, "IRR", 2).decimal
