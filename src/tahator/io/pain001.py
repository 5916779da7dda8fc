"""Payouts as an ISO 20022 Customer Credit Transfer Initiation (``pain.001.001.09``).

The order (``CreditTransferOrder``) is a typed, pure description of what the clearing
account asks its bank to pay; :func:`document` turns it into the message's own typed
model (``pyiso20022``'s xsdata bindings of the ISO schema, not a string template),
:func:`write` serializes it and validates the bytes against the ISO XSD that
``sepaxml`` ships, so a file that leaves Tahator is one the bank's parser accepts.

Texts are cut to the schema's lengths (names and remittance 140, ids 35 characters)
and stripped of characters XML 1.0 cannot carry; an amount the schema cannot hold, or
an order that does not add up, is refused with the reason, never cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib.resources import as_file, files
from io import BytesIO
from typing import Any
from xml.etree import ElementTree

import xmlschema
from pyiso20022.pain.pain_001_001_09 import pain_001_001_09 as iso
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDate, XmlDateTime

from tahator.domain.errors import InputError, Problem
from tahator.domain.money import Amount

MESSAGE = "pain.001.001.09"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{MESSAGE}"
MEDIA_TYPE = "application/xml"
NAME_LENGTH = 140
"""``Max140Text``: party names (``Nm``) and unstructured remittance (``Ustrd``)."""
ID_LENGTH = 35
"""``Max35Text``: message, payment-information, instruction and end-to-end ids."""
TOTAL_DIGITS = 18
"""``totalDigits`` of an amount and of ``CtrlSum`` (``DecimalNumber``)."""
NOT_PROVIDED = "NOTPROVIDED"
"""The agent id a bank reads as "no BIC given: route by the IBAN" (EPC convention)."""
CHARGE_BEARER = iso.ChargeBearerType1Code.DEBT
"""The clearing account bears the charges: the creditor is owed exactly what the run
says, and a charge deducted from it would leave the obligation short.  (``SLEV`` is
SEPA's service level, which a domestic PK or IR payment does not follow.)"""
ELLIPSIS = "…"

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/CR, surrogates,
# U+FFFE/U+FFFF); controls a bank would print as garbage go too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Account:
    """A party to the transfer: its name as its bank knows it, its IBAN and BIC."""

    name: str
    iban: str
    """Compact, checked (``tahator.domain.bank.iban``)."""
    bic: str | None = None


@dataclass(frozen=True)
class Payment:
    """One credit transfer: one payout to one creditor."""

    instruction_id: str
    """Point to point between Tahator and the bank (``InstrId``)."""
    end_to_end_id: str
    """Travels to the creditor and back in the bank's statement (``EndToEndId``)."""
    amount: Amount
    creditor: Account
    remittance: str
    """Unstructured remittance information (``Ustrd``), cut to 140 characters."""


@dataclass(frozen=True)
class CreditTransferOrder:
    """What a clearing account (the debtor) asks its bank to pay, in one currency."""

    message_id: str
    created_at: datetime
    initiating_party: str
    debtor: Account
    execution_date: date
    currency: str
    payments: tuple[Payment, ...]

    @property
    def control_sum(self) -> Amount:
        """The sum of the payments' amounts (``CtrlSum``)."""
        total = Amount(0, self.currency, self.payments[0].amount.digits if self.payments else 0)
        for payment in self.payments:
            total = total + payment.amount
        return total


def clip(text: str, limit: int) -> str:
    """``text`` on one line without characters XML cannot carry, cut to ``limit``
    characters (the last one ``…`` when cut)."""
    clean = _SPACE.sub(" ", _NOT_XML.sub("", text)).strip()
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + ELLIPSIS


def remittance(prefix: str, label: str, items: Sequence[str], limit: int = NAME_LENGTH) -> str:
    """``prefix: label a, b, c`` within ``limit`` characters: as many items as fit,
    then ``… (+n more)`` saying how many were left out (never a silent cut)."""
    if not items:
        return clip(prefix, limit)
    whole = f"{prefix}: {label} {', '.join(items)}"
    if len(whole) <= limit:
        return clip(whole, limit)
    for shown in range(len(items) - 1, -1, -1):
        rest = len(items) - shown
        listed = ", ".join(items[:shown])
        text = f"{prefix}: {label} {listed}{', ' if shown else ''}{ELLIPSIS} (+{rest} more)"
        if len(text) <= limit:
            return text
    return clip(prefix, limit)


def decimal_of(amount: Amount, field: str = "amount") -> Decimal:
    """``amount`` as a decimal with exactly its currency's digits; refused when it has
    more than the schema's 18 digits in all (it would have to be rounded)."""
    if amount.minor < 0:
        raise InputError(
            [Problem(f"{amount.minor} minor units of {amount.currency} is negative", field=field)]
        )
    value = amount.decimal
    if len(str(amount.minor)) > TOTAL_DIGITS:
        raise InputError(
            [
                Problem(
                    f"{value} {amount.currency} has more than the {TOTAL_DIGITS} digits a "
                    f"{MESSAGE} amount may have",
                    field=field,
                )
            ]
        )
    return value


def check(order: CreditTransferOrder) -> None:
    """Refuse an order the message cannot carry as it is, naming every problem."""
    problems: list[Problem] = []
    if not order.payments:
        problems.append(Problem("a payment file needs at least one payment", field="payments"))
    for payment in order.payments:
        if payment.amount.currency != order.currency:
            problems.append(
                Problem(
                    f"payment {payment.end_to_end_id} is in {payment.amount.currency}, "
                    f"the file in {order.currency}",
                    field="currency",
                )
            )
        elif payment.amount.minor <= 0:
            problems.append(
                Problem(f"payment {payment.end_to_end_id} is not positive", field="amount")
            )
    for name, value in [("message_id", order.message_id)] + [
        (f, getattr(p, f)) for p in order.payments for f in ("instruction_id", "end_to_end_id")
    ]:
        if not 0 < len(value) <= ID_LENGTH or clip(value, ID_LENGTH) != value:
            problems.append(Problem(f"{value!r} is not an ISO 20022 id (1–35)", field=name))
    ends = [p.end_to_end_id for p in order.payments]
    if len(set(ends)) != len(ends):
        problems.append(Problem("two payments have the same end-to-end id", field="payments"))
    if problems:
        raise InputError(problems)


def document(order: CreditTransferOrder) -> Any:
    """The order as ``pyiso20022``'s typed ``Document`` of ``pain.001.001.09``."""
    check(order)
    total = decimal_of(order.control_sum, "control_sum")
    count = str(len(order.payments))
    created = order.created_at.astimezone(UTC).replace(microsecond=0)
    return iso.Document(
        cstmr_cdt_trf_initn=iso.CustomerCreditTransferInitiationV09(
            grp_hdr=iso.GroupHeader85(
                msg_id=order.message_id,
                cre_dt_tm=XmlDateTime.from_datetime(created),
                nb_of_txs=count,
                ctrl_sum=total,
                initg_pty=iso.PartyIdentification135(nm=_name(order.initiating_party)),
            ),
            pmt_inf=[
                iso.PaymentInstruction30(
                    pmt_inf_id=order.message_id,
                    pmt_mtd=iso.PaymentMethod3Code.TRF,
                    # One debit per payout, not one for the batch: the bank's statement
                    # then confirms (or returns) each payout by its own entry.
                    btch_bookg=False,
                    nb_of_txs=count,
                    ctrl_sum=total,
                    reqd_exctn_dt=iso.DateAndDateTime2Choice(
                        dt=XmlDate.from_date(order.execution_date)
                    ),
                    dbtr=iso.PartyIdentification135(nm=_name(order.debtor.name)),
                    dbtr_acct=_account(order.debtor),
                    # The debtor's agent is required: without a BIC, "NOTPROVIDED".
                    dbtr_agt=_agent(order.debtor.bic) or _agent_not_provided(),
                    chrg_br=CHARGE_BEARER,
                    cdt_trf_tx_inf=[_transaction(p) for p in order.payments],
                )
            ],
        )
    )


def _transaction(payment: Payment) -> Any:
    return iso.CreditTransferTransaction34(
        pmt_id=iso.PaymentIdentification6(
            instr_id=payment.instruction_id, end_to_end_id=payment.end_to_end_id
        ),
        amt=iso.AmountType4Choice(
            instd_amt=iso.ActiveOrHistoricCurrencyAndAmount(
                value=decimal_of(payment.amount), ccy=payment.amount.currency
            )
        ),
        cdtr_agt=_agent(payment.creditor.bic),  # optional: the IBAN routes a domestic payment
        cdtr=iso.PartyIdentification135(nm=_name(payment.creditor.name)),
        cdtr_acct=_account(payment.creditor),
        rmt_inf=iso.RemittanceInformation16(ustrd=[clip(payment.remittance, NAME_LENGTH)]),
    )


def _name(text: str) -> str:
    name = clip(text, NAME_LENGTH)
    if not name:
        raise InputError([Problem("a party in a payment file needs a name", field="name")])
    return name


def _account(account: Account) -> Any:
    return iso.CashAccount38(id=iso.AccountIdentification4Choice(iban=account.iban))


def _agent(bic: str | None) -> Any:
    if bic is None:
        return None
    return iso.BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=iso.FinancialInstitutionIdentification18(bicfi=bic)
    )


def _agent_not_provided() -> Any:
    return iso.BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=iso.FinancialInstitutionIdentification18(
            othr=iso.GenericFinancialIdentification1(id=NOT_PROVIDED)
        )
    )


def serialize(doc: Any) -> bytes:
    """The document as UTF-8 XML, its namespace the default one."""
    serializer = XmlSerializer(config=SerializerConfig(encoding="UTF-8", indent="  "))
    return serializer.render(doc, ns_map={None: NAMESPACE}).encode("utf-8")


@cache
def schema() -> xmlschema.XMLSchema:
    """The ISO ``pain.001.001.09`` XSD as ``sepaxml`` ships it, loaded once."""
    with as_file(files("sepaxml") / "schemas" / f"{MESSAGE}.xsd") as path:
        return xmlschema.XMLSchema(str(path))


def schema_errors(content: bytes) -> list[str]:
    """What in ``content`` the schema refuses (empty when it validates)."""
    return [f"{error.path}: {error.reason}" for error in schema().iter_errors(BytesIO(content))]


def execution_date(content: bytes) -> date:
    """The requested execution date of a file :func:`write` wrote (Tahator's own,
    kept in the store: not a file from outside)."""
    root = ElementTree.fromstring(content)
    found = root.findtext(f".//{{{NAMESPACE}}}ReqdExctnDt/{{{NAMESPACE}}}Dt")
    if found is None:
        raise InputError([Problem(f"the {MESSAGE} file has no execution date")])
    return date.fromisoformat(found)


def write(order: CreditTransferOrder) -> bytes:
    """The order as a ``pain.001.001.09`` file, validated against the ISO schema."""
    content = serialize(document(order))
    errors = schema_errors(content)
    if errors:
        raise InputError(
            [Problem(f"the {MESSAGE} file does not validate: {e}") for e in errors[:10]]
        )
    return content
