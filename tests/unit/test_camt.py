"""Reading camt.054/053 files: a file built from the ISO schema's typed models (as a
bank's software would write it), several transactions in one entry, amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pyiso20022.camt.camt_054_001_08 import camt_054_001_08 as m
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.models.datatype import XmlDate, XmlDateTime

from tahator.demo_bank import Line, camt_file
from tahator.domain.bank import creditor_reference, end_to_end_id
from tahator.domain.errors import InputError
from tahator.i18n import speaking
from tahator.io import camt

DIGITS = {"PKR": 2, "IRR": 2, "USD": 2}
IBAN = "PK36SCBL0000001123456702"


def _transaction(amount: str, **fields: object) -> m.EntryTransaction10:
    return m.EntryTransaction10(
        amt=m.ActiveOrHistoricCurrencyAndAmount(value=Decimal(amount), ccy="PKR"), **fields
    )


def _modelled() -> bytes:
    """A camt.054.001.08 from pyiso20022's typed models, serialized by xsdata."""
    reference = creditor_reference(4, 17)
    entries = [
        m.ReportEntry10(
            amt=m.ActiveOrHistoricCurrencyAndAmount(value=Decimal("1500.50"), ccy="PKR"),
            cdt_dbt_ind=m.CreditDebitCode.CRDT,
            sts=m.EntryStatus1Choice(cd="BOOK"),
            bookg_dt=m.DateAndDateTime2Choice(dt=XmlDate(2026, 11, 24)),
            acct_svcr_ref="SCBL-991",
            bk_tx_cd=m.BankTransactionCodeStructure4(),
            ntry_dtls=[
                m.EntryDetails9(
                    tx_dtls=[
                        _transaction(
                            "1000.50",
                            refs=m.TransactionReferences6(end_to_end_id="NOTPROVIDED"),
                            rmt_inf=m.RemittanceInformation16(
                                strd=[
                                    m.StructuredRemittanceInformation16(
                                        cdtr_ref_inf=m.CreditorReferenceInformation2(ref=reference)
                                    )
                                ]
                            ),
                        ),
                        _transaction(
                            "500.00",
                            rmt_inf=m.RemittanceInformation16(
                                ustrd=["payment for invoice 9, no reference"]
                            ),
                        ),
                    ]
                )
            ],
        ),
        m.ReportEntry10(
            amt=m.ActiveOrHistoricCurrencyAndAmount(value=Decimal("75.00"), ccy="PKR"),
            cdt_dbt_ind=m.CreditDebitCode.DBIT,
            rvsl_ind=True,
            sts=m.EntryStatus1Choice(cd="PDNG"),
            bk_tx_cd=m.BankTransactionCodeStructure4(),
            ntry_dtls=[
                m.EntryDetails9(
                    tx_dtls=[
                        m.EntryTransaction10(
                            refs=m.TransactionReferences6(end_to_end_id=end_to_end_id(4, 18)),
                            rtr_inf=m.PaymentReturnReason5(rsn=m.ReturnReason5Choice(cd="AC04")),
                        )
                    ]
                )
            ],
        ),
    ]
    document = m.Document(
        bk_to_cstmr_dbt_cdt_ntfctn=m.BankToCustomerDebitCreditNotificationV08(
            grp_hdr=m.GroupHeader81(
                msg_id="SCBL-20261124-1", cre_dt_tm=XmlDateTime(2026, 11, 24, 10, 0, 0)
            ),
            ntfctn=[
                m.AccountNotification17(
                    id="N-1",
                    acct=m.CashAccount39(id=m.AccountIdentification4Choice(iban=IBAN)),
                    ntry=entries,
                )
            ],
        )
    )
    return XmlSerializer().render(document).encode()


def test_a_file_from_the_schemas_models_is_read() -> None:
    read = camt.read(_modelled(), DIGITS)
    assert (read.message_id, read.kind, read.accounts) == (
        "SCBL-20261124-1",
        "camt.054.001.08",
        (IBAN,),
    )
    first, second = read.entries
    assert (first.amount_text, first.currency, first.credit, first.status) == (
        "1500.50",
        "PKR",
        True,
        "BOOK",
    )
    assert first.bank_reference == "SCBL-991"
    one, two = first.transactions
    assert (one.amount, one.creditor_references, one.end_to_end_id) == (
        100050,
        (creditor_reference(4, 17),),
        None,
    )
    assert (two.amount, two.creditor_references) == (50000, ())
    assert (second.credit, second.reversal, second.status) == (False, True, "PDNG")
    (returned,) = second.transactions
    assert returned.return_reason == "AC04"
    assert returned.end_to_end_id == "TAH-4-18"
    assert returned.amount == 7500  # the entry's own: its only transaction


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("1500.50", "PKR", 150050), ("7", "IRR", 700), ("0.1", "USD", 10)],
)
def test_amounts_in_minor_units(text: str, currency: str, minor: int) -> None:
    assert camt.minor_units(text, currency, DIGITS) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("1.005", "PKR", "more than 2 fraction digits"),
        ("-5.00", "PKR", "is not an amount"),
        ("1e3", "PKR", "is not an amount"),
        ("0.00", "PKR", "not an amount a payment can have"),
        ("5.00", "EUR", "EUR is not a currency of the corridor"),
        ("", "", "no currency is not"),
    ],
)
def test_bad_amounts_say_why(text: str, currency: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        camt.minor_units(text, currency, DIGITS)


def test_a_version_out_of_range_is_refused() -> None:
    content = (
        b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.01'>"
        b"<BkToCstmrStmt/></Document>"
    )
    with pytest.raises(InputError, match=r"not a version this reads \(.001.02 to .001.12\)"):
        camt.read(content, DIGITS)


def test_a_bad_amount_is_refused_in_english_whoever_imports() -> None:
    # The reason is stored with the report, which any reader may read later.
    with speaking("fa"), pytest.raises(ValueError, match="more than 2 fraction digits"):
        camt.minor_units("1.005", "PKR", DIGITS)


@pytest.mark.parametrize("message_id", ["..", ".", "RTL\u202eDI", "TAB\x7fDEL"])
def test_a_message_id_that_cannot_be_shown_or_linked_is_refused(message_id: str) -> None:
    content = camt_file(message_id, "PK36SCBL0000001123456702", [Line("1.00", "PKR")])
    with pytest.raises(InputError, match="not a message identifier"):
        camt.read(content, {"PKR": 2})
