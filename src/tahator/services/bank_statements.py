"""A settlement bank's statement of a clearing account (camt.053/054) matched to the
settlement instructions of that country (DESIGN §8).

A booked credit quoting a pending collection's creditor reference with its exact
amount and currency confirms it; a booked debit with a pending payout's end-to-end id
and its amount confirms the payout; a transaction with a return reason in the return's
direction (a payout's money back in, a collection's back out) returns the instruction
it names, a payout even after its debit was confirmed.  What an earlier file already
applied is listed as such; everything else is listed for the bank and changes nothing.
One transaction for the whole file, idempotent by the sending account and ``MsgId``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tahator.domain import bank, returns
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.money import Amount, parse_amount
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.formatting import amount, jsonable
from tahator.io import camt
from tahator.services import audit, bank_accounts, settlement
from tahator.services import corridor as corridors
from tahator.services.common import now
from tahator.store.schema import BankMessage, Corridor, SettlementInstruction


class Reason(StrEnum):
    """Why a transaction was not applied (or was applied before); its words are the
    edge's: English from :func:`reason_text`, the web's translated."""

    UNREADABLE = "unreadable"
    NOT_BOOKED = "not_booked"
    NOT_ADDING_UP = "not_adding_up"
    REVERSAL = "reversal"
    NO_REFERENCE = "no_reference"
    UNKNOWN_COLLECTION = "unknown_collection"
    UNKNOWN_PAYOUT = "unknown_payout"
    UNKNOWN_INSTRUCTION = "unknown_instruction"
    OTHER_COUNTRY = "other_country"
    CURRENCY = "currency"
    AMOUNT = "amount"
    NOT_PENDING = "not_pending"
    BAD_RETURN_REASON = "bad_return_reason"
    PAYOUT_RETURN_DEBIT = "payout_return_debit"
    COLLECTION_RETURN_CREDIT = "collection_return_credit"
    CONFIRMED_COLLECTION_RETURNED = "confirmed_collection_returned"
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_RETURNED = "already_returned"


ENGLISH: dict[Reason, str] = {
    Reason.UNREADABLE: "%(problem)s",
    Reason.NOT_BOOKED: "status %(status)s: only booked (BOOK) entries apply",
    Reason.NOT_ADDING_UP: "the entry's transactions do not add up to its amount",
    Reason.REVERSAL: "a reversal without a return reason: for the bank to look at",
    Reason.NO_REFERENCE: "no reference: no creditor reference or end-to-end id",
    Reason.UNKNOWN_COLLECTION: (
        "%(references)s: not a collection's creditor reference this clearing house gave"
    ),
    Reason.UNKNOWN_PAYOUT: "%(references)s: not a payout's end-to-end id this clearing house gave",
    Reason.UNKNOWN_INSTRUCTION: (
        "%(references)s: not an instruction's reference this clearing house gave"
    ),
    Reason.OTHER_COUNTRY: (
        "instruction %(instruction)s is of %(other)s's clearing account, not %(country)s's"
    ),
    Reason.CURRENCY: "in %(currency)s; instruction %(instruction)s is in %(expected)s",
    Reason.AMOUNT: (
        "%(amount)s; instruction %(instruction)s is for %(expected)s "
        "(a partial or over payment is not applied)"
    ),
    Reason.NOT_PENDING: "instruction %(instruction)s is %(status)s, not pending",
    Reason.BAD_RETURN_REASON: "%(problem)s",
    Reason.PAYOUT_RETURN_DEBIT: (
        "a payout's return is a credit (its money back in), not a debit: not applied"
    ),
    Reason.COLLECTION_RETURN_CREDIT: (
        "a collection's return is a debit (its money back out), not a credit: not applied"
    ),
    Reason.CONFIRMED_COLLECTION_RETURNED: (
        "a collection returned after it was confirmed is for the operator"
    ),
    Reason.ALREADY_CONFIRMED: "instruction %(instruction)s was confirmed already",
    Reason.ALREADY_RETURNED: "instruction %(instruction)s was returned already",
}
"""The English of each reason (CLI, API, audit); the web has its own, translated."""


@dataclass(frozen=True)
class StatementItem:
    """One transaction of the statement and what the import did with it."""

    entry: int
    """The entry's place in the file, from 1."""
    amount: Amount | None
    """``None`` when it could not be read (``amount_text`` is what the bank wrote)."""
    amount_text: str
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
    kind: InstructionKind | None = None
    return_reason: str = ""
    reason: Reason | None = None
    """Why it was not applied, or that it was applied before."""
    details: dict[str, str] = field(default_factory=dict)
    """The reason's parameters (``instruction``, ``status``…); amounts are fields."""
    expected: Amount | None = None
    """The instruction's amount, when the transaction's differs."""
    why: str = ""
    """The reason in English (:func:`reason_text`)."""


def reason_text(item: StatementItem, template: str | None = None) -> str:
    """Why ``item`` was not applied, in ``template`` (default: the English) with its
    parameters and amounts filled in."""
    if item.reason is None:
        return ""
    text = ENGLISH[item.reason] if template is None else template
    values = {
        **item.details,
        "amount": f"{amount(item.amount)} {item.amount.currency}" if item.amount else "",
        "expected": item.details.get("expected", "")
        if item.expected is None
        else f"{amount(item.expected)} {item.expected.currency}",
    }
    return text % values


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
    already_applied: tuple[StatementItem, ...] = field(default=())
    """What an earlier file (or an earlier entry of this one) applied already."""


Outcome = Literal["matched", "returned", "unmatched", "already_applied"]


def import_statement(session: Session, message: camt.CamtMessage, actor: str) -> StatementReport:
    """Apply a bank's statement, read by ``io.camt.read`` (all of it, or nothing on an
    ``InputError``)."""
    corridor = corridors.load(session)
    digest = message.digest
    country, account = _country(session, message)
    # The corridor first, as returns and clearing runs take it (one lock order: no
    # deadlock with a run); it also makes a concurrent import of the same file wait
    # here, then find it imported.
    session.execute(select(Corridor.id).with_for_update()).all()
    stored = session.get(BankMessage, (country, message.message_id), populate_existing=True)
    if stored is not None:
        return _imported_before(stored, digest, corridor.digits)
    claim = BankMessage(
        country=country,
        message_id=message.message_id,
        kind=message.kind,
        digest=digest,
        imported_at=now(),
        imported_by=actor,
        report={},
    )
    try:
        with session.begin_nested():
            session.add(claim)
    except IntegrityError:
        # An import that did not wait on the corridor claimed it first and committed.
        stored = session.get(BankMessage, (country, message.message_id), populate_existing=True)
        if stored is None:
            raise
        return _imported_before(stored, digest, corridor.digits)
    found: dict[Outcome, list[StatementItem]] = {
        "matched": [],
        "returned": [],
        "unmatched": [],
        "already_applied": [],
    }
    for entry in message.entries:
        adds_up = _adds_up(entry)
        for transaction in entry.transactions:
            outcome, item = _apply(
                session, entry, transaction, country, actor, adds_up, corridor.digits
            )
            found[outcome].append(item)
    report = StatementReport(
        message_id=message.message_id,
        kind=message.kind,
        country=country,
        account=account,
        already_imported=False,
        matched=tuple(found["matched"]),
        returned=tuple(found["returned"]),
        unmatched=tuple(found["unmatched"]),
        already_applied=tuple(found["already_applied"]),
    )
    document: dict[str, Any] = jsonable(report)
    claim.report = document
    session.flush()
    audit.record(
        session,
        actor,
        "settlement.import",
        f"bank-message:{country}:{message.message_id}",
        None,
        {**document, "digest": digest},
    )
    return report


def _imported_before(
    stored: BankMessage, digest: str, digits: Mapping[str, int]
) -> StatementReport:
    if stored.digest != digest:
        raise InputError(
            [
                Problem(
                    f"a different file with MsgId {stored.message_id} from {stored.country}'s "
                    f"clearing account was imported by {stored.imported_by} at "
                    f"{stored.imported_at:%Y-%m-%d %H:%M} UTC: a bank's message id names one "
                    "file only"
                )
            ]
        )
    return _report_of(stored.report, digits, already_imported=True)


def _adds_up(entry: camt.Entry) -> bool:
    """Whether the entry's transactions add up to its booked amount.  A transaction
    without a readable amount means they cannot be shown to: nothing of the entry
    applies (the unreadable one is listed for its own reason, the others for this),
    lest a small booked amount confirm a large instruction beside a garbled one."""
    amounts = [t.amount for t in entry.transactions]
    if entry.amount is None or any(a is None for a in amounts):
        return False
    return sum(a for a in amounts if a is not None) == entry.amount


def _country(session: Session, message: camt.CamtMessage) -> tuple[str, str]:
    """The clearing account the statement is of; refused unless every account in it is
    one registered clearing account."""
    registered = {
        view.iban: country for country, view in bank_accounts.clearing_accounts(session).items()
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
    adds_up: bool,
    digits: Mapping[str, int],
) -> tuple[Outcome, StatementItem]:
    """What one transaction does."""
    references = transaction.creditor_references
    named = [
        r for r in (transaction.end_to_end_id, transaction.original_end_to_end_id, *references) if r
    ]
    item = StatementItem(
        entry=entry.number,
        amount=None
        if transaction.amount is None
        else Amount(transaction.amount, entry.currency, digits[entry.currency]),
        amount_text=transaction.amount_text or entry.amount_text,
        currency=entry.currency,
        credit=entry.credit,
        reference=named[0] if named else "",
        bank_reference=entry.bank_reference or "",
        return_reason=transaction.return_reason or "",
    )

    def listed(
        reason: Reason,
        found: SettlementInstruction | None = None,
        outcome: Outcome = "unmatched",
        **details: str,
    ) -> tuple[Outcome, StatementItem]:
        listed_item = replace(item, reason=reason, details=details)
        if found is not None:
            listed_item = replace(
                listed_item,
                instruction=found.id,
                firm=found.firm_id,
                kind=InstructionKind(found.kind),
            )
        return outcome, replace(listed_item, why=reason_text(listed_item))

    problem = entry.problem or transaction.problem
    if problem is not None:
        return listed(Reason.UNREADABLE, problem=problem)
    if entry.status != "BOOK":
        return listed(Reason.NOT_BOOKED, status=entry.status or "missing")
    if not adds_up:
        return listed(Reason.NOT_ADDING_UP)
    returning = transaction.return_reason is not None
    if not returning and entry.reversal:
        return listed(Reason.REVERSAL)
    found, reference = _instruction(session, transaction, None if returning else entry.credit)
    if found is None:
        if not named:
            return listed(Reason.NO_REFERENCE)
        unknown = (
            Reason.UNKNOWN_INSTRUCTION
            if returning
            else Reason.UNKNOWN_COLLECTION
            if entry.credit
            else Reason.UNKNOWN_PAYOUT
        )
        return listed(unknown, references=", ".join(named))
    item = replace(item, reference=reference)
    number = str(found.id)
    if found.country != country:
        return listed(
            Reason.OTHER_COUNTRY, found, instruction=number, other=found.country, country=country
        )
    if entry.currency != found.local_currency:
        return listed(
            Reason.CURRENCY,
            found,
            instruction=number,
            currency=entry.currency,
            expected=found.local_currency,
        )
    if transaction.amount != found.local_amount:
        item = replace(
            item,
            expected=Amount(found.local_amount, found.local_currency, digits[found.local_currency]),
        )
        return listed(Reason.AMOUNT, found, instruction=number)
    status = InstructionStatus(found.status)
    payout = found.kind == InstructionKind.PAYOUT
    done = replace(item, instruction=found.id, firm=found.firm_id, kind=InstructionKind(found.kind))
    if transaction.return_reason is not None:
        try:
            returns.reason_code(transaction.return_reason)
        except ValueError as error:
            return listed(Reason.BAD_RETURN_REASON, found, problem=str(error))
        # A payout's money comes back in (a credit), a collection's goes back out.
        if payout and not entry.credit:
            return listed(Reason.PAYOUT_RETURN_DEBIT, found)
        if not payout and entry.credit:
            return listed(Reason.COLLECTION_RETURN_CREDIT, found)
        if status == InstructionStatus.RETURNED:
            return listed(Reason.ALREADY_RETURNED, found, "already_applied", instruction=number)
        if not payout and status == InstructionStatus.CONFIRMED:
            return listed(Reason.CONFIRMED_COLLECTION_RETURNED, found)
        if status not in (InstructionStatus.PENDING, InstructionStatus.CONFIRMED):
            return listed(Reason.NOT_PENDING, found, instruction=number, status=status.value)
        settlement.return_instruction(session, found.id, transaction.return_reason, actor)
        return "returned", done
    # A payment already confirmed, also when its payout came back later, is one an
    # earlier file applied (a camt.053 repeats the day's camt.054 entries).
    if status == InstructionStatus.CONFIRMED or (
        status == InstructionStatus.RETURNED and found.confirmed_at is not None
    ):
        return listed(Reason.ALREADY_CONFIRMED, found, "already_applied", instruction=number)
    if status != InstructionStatus.PENDING:
        return listed(Reason.NOT_PENDING, found, instruction=number, status=status.value)
    settlement.confirm(session, found.id, actor)
    return "matched", done


def _instruction(
    session: Session, transaction: camt.Transaction, credit: bool | None
) -> tuple[SettlementInstruction | None, str]:
    """The instruction the transaction names, locked and read afresh (a concurrent
    import may have just confirmed it), and the reference naming it.  ``credit``: the
    direction of a payment (a credit confirms collections only, a debit payouts only);
    ``None`` for a return, which may name either (its direction is checked after)."""
    # A collection is named by its creditor reference, a payout by its end-to-end id.
    candidates: list[tuple[str, InstructionKind, tuple[int, int] | None]] = [
        (r, InstructionKind.COLLECTION, bank.instruction_of_reference(r))
        for r in transaction.creditor_references
    ]
    for e2e in (transaction.end_to_end_id, transaction.original_end_to_end_id):
        if e2e:
            candidates.append((e2e, InstructionKind.PAYOUT, bank.instruction_of_end_to_end_id(e2e)))
            candidates.append((e2e, InstructionKind.COLLECTION, bank.instruction_of_reference(e2e)))
    wanted = {None: None, True: InstructionKind.COLLECTION, False: InstructionKind.PAYOUT}[credit]
    for reference, kind, names in candidates:
        if names is None or (wanted is not None and kind != wanted):
            continue
        run_id, instruction_id = names
        row = session.execute(
            select(SettlementInstruction)
            .where(SettlementInstruction.id == instruction_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is not None and row.run_id == run_id and row.kind == kind:
            return row, reference
    return None, ""


def _report_of(
    document: dict[str, Any], digits: Mapping[str, int], already_imported: bool
) -> StatementReport:
    """The report stored with a bank message, as a report again."""

    def money(text: object, currency: str) -> Amount | None:
        scale = digits.get(currency)
        if not isinstance(text, str) or not text or scale is None:
            return None
        try:
            return Amount(parse_amount(text, scale), currency, scale)
        except ValueError:
            return None

    def item(row: dict[str, Any]) -> StatementItem:
        currency = str(row.get("currency", ""))
        reason = row.get("reason")
        return StatementItem(
            entry=int(row["entry"]),
            amount=money(row.get("amount"), currency),
            amount_text=str(row.get("amount_text", row.get("amount") or "")),
            currency=currency,
            credit=bool(row.get("credit")),
            reference=str(row.get("reference", "")),
            bank_reference=str(row.get("bank_reference", "")),
            instruction=row.get("instruction"),
            firm=str(row.get("firm", "")),
            kind=InstructionKind(row["kind"]) if row.get("kind") else None,
            return_reason=str(row.get("return_reason", "")),
            reason=Reason(str(reason)) if reason else None,
            details={str(k): str(v) for k, v in (row.get("details") or {}).items()},
            expected=money(row.get("expected"), currency),
            why=str(row.get("why", "")),
        )

    def items(key: str) -> tuple[StatementItem, ...]:
        return tuple(item(row) for row in document.get(key, ()))

    return StatementReport(
        message_id=str(document["message_id"]),
        kind=str(document["kind"]),
        country=str(document["country"]),
        account=str(document["account"]),
        already_imported=already_imported,
        matched=items("matched"),
        returned=items("returned"),
        unmatched=items("unmatched"),
        already_applied=items("already_applied"),
    )


# --- the bank's desk ---------------------------------------------------------------


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
    already_applied: int


def imported_messages(session: Session, limit: int = 50) -> tuple[ImportedMessage, ...]:
    """The latest files imported, newest first."""
    rows = session.execute(
        select(BankMessage)
        .order_by(BankMessage.imported_at.desc(), BankMessage.country, BankMessage.message_id)
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
            _count(row.report, "already_applied"),
        )
        for row in rows
    )


def _count(report: dict[str, object], key: str) -> int:
    items = report.get(key)
    return len(items) if isinstance(items, list) else 0


def stored_report(session: Session, country: str, message_id: str) -> StatementReport:
    """The report of a file imported before (``already_imported``) from the clearing
    account of ``country``."""
    stored = (
        session.get(BankMessage, (country, message_id))
        if len(message_id) <= camt.MAX_MESSAGE_ID and len(country) <= 3
        else None
    )
    if stored is None:
        raise NotFoundError(
            f"no bank statement {message_id[:40]} of {country[:3]}'s clearing account was imported"
        )
    return _report_of(stored.report, corridors.load(session).digits, already_imported=True)
