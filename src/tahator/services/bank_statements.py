"""A settlement bank's statement of a clearing account (camt.053/054) matched to the
pending settlement instructions of that country (DESIGN §8).

A booked credit quoting a pending collection's creditor reference with its exact
amount and currency confirms it; a booked debit with a pending payout's end-to-end id
and its amount confirms the payout; a transaction with a return reason returns the
instruction it names.  Everything else is listed for the bank and changes nothing.
One transaction for the whole file, idempotent by the file's ``MsgId``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tahator.domain import bank, returns
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.money import Amount
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.formatting import amount, jsonable
from tahator.io import camt
from tahator.services import audit, settlement
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.store.schema import BankAccount, BankMessage, SettlementInstruction


@dataclass(frozen=True)
class StatementItem:
    """One transaction of the statement and what the import did with it."""

    entry: int
    """The entry's place in the file, from 1."""
    amount: str
    """As the bank wrote it: ``1234.50``."""
    currency: str
    credit: bool
    reference: str
    """The creditor reference or end-to-end id it quoted ('' for none)."""
    bank_reference: str
    """The bank's reference for the entry (``AcctSvcrRef``), '' if none."""
    instruction: int | None = None
    """The instruction it confirmed, returned or named."""
    firm: str = ""
    kind: str = ""
    return_reason: str = ""
    reason: str = ""
    """Why an unmatched item was not applied."""


@dataclass(frozen=True)
class StatementReport:
    message_id: str
    kind: str
    """The message definition: ``camt.054.001.08``."""
    country: str
    """The clearing account the statement is of."""
    account: str
    already_imported: bool
    matched: tuple[StatementItem, ...]
    returned: tuple[StatementItem, ...]
    unmatched: tuple[StatementItem, ...] = field(default=())


def import_statement(session: Session, content: bytes, actor: str) -> StatementReport:
    """Apply the statement in ``content`` (all of it, or nothing on an ``InputError``)."""
    corridor = corridors.load(session)
    message = camt.read(content, corridor.digits)
    digest = hashlib.sha256(content).hexdigest()
    stored = session.get(BankMessage, message.message_id, with_for_update=True)
    if stored is not None:
        if stored.digest != digest:
            raise InputError(
                [
                    Problem(
                        f"a different file with MsgId {message.message_id} was imported by "
                        f"{stored.imported_by} at {stored.imported_at:%Y-%m-%d %H:%M} UTC: a "
                        "bank's message id names one file only"
                    )
                ]
            )
        return _report_of(stored.report, already_imported=True)
    country, account = _country(session, message)
    # The message id is claimed first: a concurrent import of the same file waits here
    # for this one, then fails on the key and (retried) finds it imported.
    claim = BankMessage(
        message_id=message.message_id,
        kind=message.kind,
        country=country,
        digest=digest,
        imported_at=now(),
        imported_by=actor,
        report={},
    )
    session.add(claim)
    session.flush()
    matched: list[StatementItem] = []
    returned: list[StatementItem] = []
    unmatched: list[StatementItem] = []
    for entry in message.entries:
        for transaction in entry.transactions:
            outcome, item = _apply(session, entry, transaction, country, actor)
            {"matched": matched, "returned": returned, "unmatched": unmatched}[outcome].append(item)
    report = StatementReport(
        message_id=message.message_id,
        kind=message.kind,
        country=country,
        account=account,
        already_imported=False,
        matched=tuple(matched),
        returned=tuple(returned),
        unmatched=tuple(unmatched),
    )
    document: dict[str, Any] = jsonable(report)
    claim.report = document
    session.flush()
    audit.record(
        session,
        actor,
        "settlement.import",
        f"bank-message:{message.message_id}",
        None,
        {**document, "digest": digest},
    )
    return report


def _country(session: Session, message: camt.CamtMessage) -> tuple[str, str]:
    """The clearing account the statement is of; refused unless every account in it is
    one registered clearing account."""
    registered = {
        row.iban: row.clearing_country
        for row in session.execute(
            select(BankAccount).where(BankAccount.clearing_country.is_not(None))
        ).scalars()
        if row.clearing_country is not None
    }
    unknown = [a for a in message.accounts if a not in registered]
    if unknown:
        raise InputError(
            [
                Problem(
                    f"{', '.join(unknown)} is not a registered clearing account's IBAN: this "
                    "imports only statements of the clearing accounts",
                    field="Acct",
                )
            ]
        )
    countries = sorted({registered[a] for a in message.accounts})
    if len(countries) > 1:
        raise InputError(
            [
                Problem(
                    f"the file holds statements of several clearing accounts "
                    f"({', '.join(countries)}): send one file per account",
                    field="Acct",
                )
            ]
        )
    return countries[0], message.accounts[0]


def _apply(
    session: Session,
    entry: camt.Entry,
    transaction: camt.Transaction,
    country: str,
    actor: str,
) -> tuple[str, StatementItem]:
    """What one transaction does: ``matched``, ``returned`` or ``unmatched``."""
    references = transaction.creditor_references
    named = [
        r for r in (transaction.end_to_end_id, transaction.original_end_to_end_id, *references) if r
    ]
    item = StatementItem(
        entry=entry.number,
        amount=transaction.amount_text or entry.amount_text,
        currency=entry.currency,
        credit=entry.credit,
        reference=named[0] if named else "",
        bank_reference=entry.bank_reference or "",
        return_reason=transaction.return_reason or "",
    )

    def unmatched(reason: str, found: SettlementInstruction | None = None) -> tuple[str, Any]:
        if found is None:
            return "unmatched", _with(item, reason=reason)
        return "unmatched", _with(
            item, reason=reason, instruction=found.id, firm=found.firm_id, kind=found.kind
        )

    problem = entry.problem or transaction.problem
    if problem is not None:
        return unmatched(problem)
    if entry.status != "BOOK":
        return unmatched(f"status {entry.status or 'missing'}: only booked (BOOK) entries apply")
    if transaction.return_reason is None and entry.reversal:
        return unmatched("a reversal without a return reason: for the bank to look at")
    # A collection is named by its creditor reference, a payout by its end-to-end id.
    candidates: list[tuple[str, InstructionKind, tuple[int, int] | None]] = [
        (r, InstructionKind.COLLECTION, bank.instruction_of_reference(r)) for r in references
    ]
    for e2e in (transaction.end_to_end_id, transaction.original_end_to_end_id):
        if e2e:
            candidates.append((e2e, InstructionKind.PAYOUT, bank.instruction_of_end_to_end_id(e2e)))
            candidates.append((e2e, InstructionKind.COLLECTION, bank.instruction_of_reference(e2e)))
    if transaction.return_reason is not None:
        wanted = None  # a return names either kind
    elif entry.credit:
        wanted = InstructionKind.COLLECTION
    else:
        wanted = InstructionKind.PAYOUT
    found: SettlementInstruction | None = None
    for reference, kind, names in candidates:
        if names is None or (wanted is not None and kind != wanted):
            continue
        run_id, instruction_id = names
        # Locked and read afresh: a concurrent import may have just confirmed it.
        row = session.execute(
            select(SettlementInstruction)
            .where(SettlementInstruction.id == instruction_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is not None and row.run_id == run_id and row.kind == kind:
            found, item = row, _with(item, reference=reference)
            break
    if found is None:
        if not named:
            return unmatched("no reference: no creditor reference or end-to-end id")
        what = _NAMED_BY[wanted]
        return unmatched(f"{', '.join(named)}: not a {what} this clearing house gave")
    if found.country != country:
        return unmatched(
            f"instruction {found.id} is of {found.country}'s clearing account, not {country}'s",
            found,
        )
    if entry.currency != found.local_currency:
        return unmatched(
            f"in {entry.currency}; instruction {found.id} is in {found.local_currency}", found
        )
    if transaction.amount != found.local_amount:
        digits = corridors.load(session).digits[found.local_currency]
        expected = amount(Amount(found.local_amount, found.local_currency, digits))
        return unmatched(
            f"{item.amount} {entry.currency}; instruction {found.id} is for {expected} "
            f"{found.local_currency} (a partial or over payment is not applied)",
            found,
        )
    if found.status != InstructionStatus.PENDING:
        return unmatched(f"instruction {found.id} is {found.status}, not pending", found)
    done = _with(item, instruction=found.id, firm=found.firm_id, kind=found.kind)
    if transaction.return_reason is not None:
        try:
            returns.reason_code(transaction.return_reason)
        except ValueError as error:
            return unmatched(str(error), found)
        settlement.return_instruction(session, found.id, transaction.return_reason, actor)
        return "returned", done
    settlement.confirm(session, found.id, actor)
    return "matched", done


_NAMED_BY = {
    InstructionKind.COLLECTION: "collection's creditor reference",
    InstructionKind.PAYOUT: "payout's end-to-end id",
    None: "instruction's reference",
}
"""What names an instruction, by the kind an entry can confirm (``None``: a return)."""


def _with(item: StatementItem, **changes: Any) -> StatementItem:
    return replace(item, **changes)


def _report_of(document: dict[str, Any], already_imported: bool) -> StatementReport:
    """The report stored with a bank message, as a report again."""

    def items(key: str) -> tuple[StatementItem, ...]:
        return tuple(StatementItem(**row) for row in document.get(key, ()))

    return StatementReport(
        message_id=str(document["message_id"]),
        kind=str(document["kind"]),
        country=str(document["country"]),
        account=str(document["account"]),
        already_imported=already_imported,
        matched=items("matched"),
        returned=items("returned"),
        unmatched=items("unmatched"),
    )


# --- the bank's desk ---------------------------------------------------------------


@dataclass(frozen=True)
class PayoutBatch:
    """A run's pending payouts from one clearing account: one payment file."""

    run_id: int
    country: str
    payouts: int
    total: Amount
    """In the country's currency."""


def payout_batches(session: Session) -> tuple[PayoutBatch, ...]:
    """Each run and country with payouts still to be paid, newest run first."""
    corridor = corridors.load(session)
    rows = session.execute(
        select(
            SettlementInstruction.run_id,
            SettlementInstruction.country,
            SettlementInstruction.local_currency,
            func.count(),
            func.sum(SettlementInstruction.local_amount),
        )
        .where(
            SettlementInstruction.kind == InstructionKind.PAYOUT,
            SettlementInstruction.status == InstructionStatus.PENDING,
        )
        .group_by(
            SettlementInstruction.run_id,
            SettlementInstruction.country,
            SettlementInstruction.local_currency,
        )
        .order_by(SettlementInstruction.run_id.desc(), SettlementInstruction.country)
    ).all()
    return tuple(
        PayoutBatch(
            run_id, country, int(count), Amount(int(total), currency, corridor.digits[currency])
        )
        for run_id, country, currency, count, total in rows
    )


@dataclass(frozen=True)
class ImportedMessage:
    """A bank's file imported, as the desk lists it."""

    message_id: str
    kind: str
    country: str
    imported_at: datetime
    imported_by: str
    matched: int
    returned: int
    unmatched: int


def imported_messages(session: Session, limit: int = 50) -> tuple[ImportedMessage, ...]:
    """The latest files imported, newest first."""
    rows = session.execute(
        select(BankMessage)
        .order_by(BankMessage.imported_at.desc(), BankMessage.message_id)
        .limit(limit)
    ).scalars()
    return tuple(
        ImportedMessage(
            row.message_id,
            row.kind,
            row.country,
            row.imported_at,
            row.imported_by,
            _count(row.report, "matched"),
            _count(row.report, "returned"),
            _count(row.report, "unmatched"),
        )
        for row in rows
    )


def _count(report: dict[str, object], key: str) -> int:
    items = report.get(key)
    return len(items) if isinstance(items, list) else 0


def stored_report(session: Session, message_id: str) -> StatementReport:
    """The report of a file imported before (``already_imported``)."""
    stored = session.get(BankMessage, message_id) if len(message_id) <= 35 else None
    if stored is None:
        raise NotFoundError(f"no bank statement {message_id[:40]} was imported")
    return _report_of(stored.report, already_imported=True)
