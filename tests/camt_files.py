"""A settlement bank as the tests play it: camt.054 notifications and camt.053
statements of a clearing account, in any version's namespace."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring


@dataclass(frozen=True)
class Line:
    amount: str
    currency: str
    credit: bool = True
    reference: str | None = None
    """A structured creditor reference (``Strd/CdtrRefInf/Ref``)."""
    free_text: str | None = None
    """Unstructured remittance information (``Ustrd``)."""
    end_to_end_id: str | None = None
    return_reason: str | None = None
    status: str = "BOOK"
    bank_reference: str = "BANKREF-1"


def camt_file(
    message_id: str,
    iban: str,
    lines: list[Line],
    kind: str = "camt.054",
    version: str = "08",
) -> bytes:
    """The file a bank would send for ``lines`` on the account ``iban``."""
    namespace = f"urn:iso:std:iso:20022:tech:xsd:{kind}.001.{version}"
    register_namespace("", namespace)

    def sub(parent: Element, name: str, text: str | None = None, **attributes: str) -> Element:
        element = SubElement(parent, f"{{{namespace}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    root = Element(f"{{{namespace}}}Document")
    body = sub(root, "BkToCstmrStmt" if kind == "camt.053" else "BkToCstmrDbtCdtNtfctn")
    header = sub(body, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", "2026-11-24T10:00:00")
    part = sub(body, "Stmt" if kind == "camt.053" else "Ntfctn")
    sub(part, "Id", f"{message_id}-1")
    sub(part, "CreDtTm", "2026-11-24T10:00:00")
    sub(sub(sub(part, "Acct"), "Id"), "IBAN", iban)
    old = int(version) <= 4  # .001.02–.04: status as text, amount in AmtDtls
    for line in lines:
        entry = sub(part, "Ntry")
        sub(entry, "Amt", line.amount, Ccy=line.currency)
        sub(entry, "CdtDbtInd", "CRDT" if line.credit else "DBIT")
        if old:
            sub(entry, "Sts", line.status)
        else:
            sub(sub(entry, "Sts"), "Cd", line.status)
        sub(sub(entry, "BookgDt"), "Dt", "2026-11-24")
        sub(entry, "AcctSvcrRef", line.bank_reference)
        detail = sub(sub(entry, "NtryDtls"), "TxDtls")
        references = sub(detail, "Refs")
        sub(references, "EndToEndId", line.end_to_end_id or "NOTPROVIDED")
        if old:
            sub(sub(sub(detail, "AmtDtls"), "TxAmt"), "Amt", line.amount, Ccy=line.currency)
        else:
            sub(detail, "Amt", line.amount, Ccy=line.currency)
        if line.reference or line.free_text:
            information = sub(detail, "RmtInf")
            if line.free_text:
                sub(information, "Ustrd", line.free_text)
            if line.reference:
                sub(sub(sub(information, "Strd"), "CdtrRefInf"), "Ref", line.reference)
        if line.return_reason:
            sub(sub(sub(detail, "RtrInf"), "Rsn"), "Cd", line.return_reason)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root)
