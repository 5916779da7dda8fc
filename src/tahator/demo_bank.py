"""A settlement bank as the demo and the tests play it: camt.054 notifications and
camt.053 statements of a clearing account, in any version's namespace.

The demo writes, for its clearing run, the notification each country's settlement
bank would send once every debtor paid and every payout left (``var/demo/bank/``), with
one partial payment the import must leave unapplied: a bank user can upload it on the
desk and see the round trip without a bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tahator.domain.money import format_amount
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.store.schema import SettlementInstruction


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


def bank_demo(engine: Engine, folder: Path, actor: str) -> tuple[Path, ...]:
    """Every firm and both clearing accounts get a bank account; then the camt files the
    banks would send back for the run are written to ``folder/bank``."""
    from tahator.demo_data import register_bank_accounts

    register_bank_accounts(engine, actor)
    return write_statements(engine, folder)


def write_statements(engine: Engine, folder: Path) -> tuple[Path, ...]:
    """The demo banks' camt.054 for the latest run's pending instructions, one file per
    clearing account with a registered IBAN, in ``folder / "bank"``."""
    from tahator.services import bank_accounts, clearing
    from tahator.store.database import transaction

    written: list[Path] = []
    with transaction(engine) as session:
        runs = clearing.list_runs(session)
        if not runs:
            return ()
        run = max(r.run_id for r in runs)
        for country, account in sorted(bank_accounts.clearing_accounts(session).items()):
            lines = _paid_in_full(session, run, country)
            if not lines:
                continue
            path = folder / "bank" / f"camt.054-run{run}-{country}.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(camt_file(f"DEMO-R{run}-{country}", account.iban, lines))
            written.append(path)
    return tuple(written)


def _paid_in_full(session: Session, run: int, country: str) -> list[Line]:
    """A booked line per pending instruction of ``run`` at ``country``'s account (a
    credit quoting a collection's reference, a debit with a payout's end-to-end id),
    then a debtor who paid one minor unit short: listed for the bank, not applied."""
    from tahator.services import corridor as corridors
    from tahator.services.clearing_views import instruction_view

    corridor = corridors.load(session)
    query = (
        select(SettlementInstruction)
        .where(
            SettlementInstruction.run_id == run,
            SettlementInstruction.country == country,
            SettlementInstruction.status == InstructionStatus.PENDING.value,
        )
        .order_by(SettlementInstruction.id)
    )
    lines: list[Line] = []
    short: Line | None = None
    for row in session.scalars(query):
        view = instruction_view(row, corridor)
        money = view.local_amount
        amount = format_amount(money.minor, money.digits)
        collection = view.kind == InstructionKind.COLLECTION
        lines.append(
            Line(
                amount,
                money.currency,
                credit=collection,
                reference=view.reference if collection else None,
                end_to_end_id=None if collection else view.reference,
                bank_reference=f"DEMO-{view.id}",
            )
        )
        if collection and short is None and money.minor > 1:
            less = format_amount(money.minor - 1, money.digits)
            short = Line(less, money.currency, reference=view.reference, bank_reference="DEMO-0")
    return lines + ([short] if short else [])
