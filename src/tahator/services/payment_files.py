"""A clearing account's payouts as the payment file its bank executes (DESIGN §8).

``export_payouts`` gathers a completed run's pending payouts to one country's
creditors that no earlier file sent, and hands them to ``io.pain001`` as one ISO
20022 ``pain.001.001.09`` Customer Credit Transfer Initiation: debtor the country's
clearing account, one payment per creditor to its registered account, in the local
currency.  The file is kept (``PaymentFile``) with the payouts it sent
(``PaymentFileLine``): a payout is sent in one file only, whatever the bank's
duplicate check does, and the file can be fetched again as it was (``stored``).
Nothing is paid by writing the file: a payout stays pending until the bank's
statement (or the bank by hand) confirms it; but once sent it has left as far as
holds are concerned (``services.holds``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tahator.domain import bank
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.money import Amount
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.formatting import amount as amount_text
from tahator.io import pain001
from tahator.services import audit, bank_accounts
from tahator.services import corridor as corridors
from tahator.services.bank_accounts import AccountView
from tahator.services.common import now
from tahator.store.schema import (
    ClearingRun,
    Novation,
    Obligation,
    PaymentFileLine,
    SettlementInstruction,
)
from tahator.store.schema import PaymentFile as StoredFile

FORMAT = "pain.001"


@dataclass(frozen=True)
class PaymentFile:
    """A payment file for one clearing account's bank, as sent (and kept)."""

    message_id: str
    """The file's ``MsgId``, naming it in the store: ``stored`` gives it back."""
    run_id: int
    country: str
    file_name: str
    content: bytes
    payments: int
    control_sum: Amount
    execution_date: date


@dataclass(frozen=True)
class PaymentFileRow:
    """A stored payment file of a run and country, for a list to fetch it again from."""

    message_id: str
    created_at: datetime
    created_by: str
    payments: int
    control_sum: Amount


def export_payouts(
    session: Session, run_id: int, country: str, actor: str, *, today: date | None = None
) -> PaymentFile:
    """Run ``run_id``'s pending payouts to creditors in ``country`` not sent before,
    as a new ``pain.001`` file from that country's clearing account: stored with the
    payouts it sends, audited as ``settlement.export``.

    The requested execution date is the run's as-of date, or ``today`` (the business
    date at the edge; the UTC date when not given) if that is later: a bank refuses
    an execution date in the past.  Refused, naming what is missing, for an unknown
    or unfinished run, a country outside the corridor, no pending payouts (or all of
    them sent already: naming the files, which ``stored`` gives again), or a
    clearing account or payee without a registered bank account.
    """
    corridor = corridors.load(session)
    code = country.strip().upper()
    run = session.get(ClearingRun, run_id) if 0 < run_id < 2**63 else None
    problems: list[Problem] = []
    if run is None:
        problems.append(Problem(f"no clearing run {run_id}", field="run"))
    elif run.status != RunStatus.COMPLETED:
        problems.append(Problem(f"clearing run {run_id} is not completed", field="run"))
    if code not in corridor.countries:
        known = ", ".join(sorted(corridor.countries))
        problems.append(
            Problem(f"{country!r} is not a country of the corridor ({known})", field="country")
        )
    if problems:
        raise InputError(problems)
    assert run is not None
    pending = list(
        session.execute(
            select(SettlementInstruction, PaymentFileLine.message_id)
            .outerjoin(PaymentFileLine, PaymentFileLine.instruction_id == SettlementInstruction.id)
            .where(
                SettlementInstruction.run_id == run_id,
                SettlementInstruction.country == code,
                SettlementInstruction.kind == InstructionKind.PAYOUT,
                SettlementInstruction.status == InstructionStatus.PENDING,
            )
            .order_by(SettlementInstruction.id)
            # A concurrent export waits here, then finds these payouts sent.
            .with_for_update(of=SettlementInstruction)
        ).all()
    )
    payouts = [p for p, sent in pending if sent is None]
    if not payouts:
        message = (
            _sent_in(session, run_id, code, [p for p, _ in pending])
            if pending
            else f"clearing run {run_id} has no pending payouts in {code}"
        )
        raise InputError([Problem(message, field="country")])
    firm_ids = sorted({p.firm_id for p in payouts})
    debtor = bank_accounts.clearing_account(session, code)
    accounts = bank_accounts.firm_accounts(session, firm_ids)
    if debtor is None:
        problems.append(
            Problem(f"the clearing account of {code} has no bank account", field="country")
        )
    if missing := [f for f in firm_ids if f not in accounts]:
        problems.append(
            Problem(
                f"{len(missing)} payee(s) have no bank account: {', '.join(missing)}",
                field="firms",
            )
        )
    owners = [(f"the clearing account of {code}", debtor)] if debtor else []
    owners += [(f, accounts[f]) for f in firm_ids if f in accounts]
    for owner, account in owners:
        # Registration checked them; a row written otherwise must not leave unchecked.
        try:
            bank.iban(account.iban, code)
        except InputError as error:
            problems += [Problem(f"{owner}: {p.message}", field="iban") for p in error.problems]
    if problems:
        raise InputError(problems)
    assert debtor is not None
    obligations = _obligations_paid(session, run_id, firm_ids)
    currency = corridor.countries[code]
    digits = corridor.digits[currency]
    message_id = _message_id(run_id, code, payouts, accounts)
    created = now()
    order = pain001.CreditTransferOrder(
        message_id=message_id,
        created_at=created,
        initiating_party=f"Tahator clearing house ({corridor.name})",
        debtor=pain001.Account(debtor.holder, debtor.iban, debtor.bic),
        execution_date=max(run.as_of, today or created.date()),
        currency=currency,
        payments=tuple(
            pain001.Payment(
                instruction_id=f"TAH-I{p.id}",
                end_to_end_id=bank.end_to_end_id(run_id, p.id),
                amount=Amount(p.local_amount, currency, digits),
                creditor=pain001.Account(
                    accounts[p.firm_id].holder, accounts[p.firm_id].iban, accounts[p.firm_id].bic
                ),
                remittance=pain001.remittance(
                    f"Tahator run {run_id} settlement",
                    "obligations",
                    [str(o) for o in obligations[p.firm_id]],
                ),
            )
            for p in payouts
        ),
    )
    content = pain001.write(order)
    digest = hashlib.sha256(content).hexdigest()
    try:
        with session.begin_nested():
            session.add(
                StoredFile(
                    message_id=message_id,
                    run_id=run_id,
                    country=code,
                    content=content.decode("utf-8"),
                    digest=digest,
                    created_at=created,
                    created_by=actor,
                )
            )
            session.flush()
            session.add_all(
                PaymentFileLine(instruction_id=p.id, message_id=message_id) for p in payouts
            )
            session.flush()
    except IntegrityError:
        # A concurrent export sent them first (the row lock does not see its lines).
        sent = _sent_in(session, run_id, code, payouts)
        raise InputError([Problem(sent, field="country")]) from None
    exported = PaymentFile(
        message_id=message_id,
        run_id=run_id,
        country=code,
        file_name=_file_name(message_id),
        content=content,
        payments=len(order.payments),
        control_sum=order.control_sum,
        execution_date=order.execution_date,
    )
    audit.record(
        session,
        actor,
        "settlement.export",
        f"run:{run_id}",
        None,
        {
            "format": pain001.MESSAGE,
            "message_id": message_id,
            "country": code,
            "payments": exported.payments,
            "control_sum": amount_text(exported.control_sum),
            "currency": currency,
            "execution_date": exported.execution_date.isoformat(),
            "instructions": [p.id for p in payouts],
            "sha256": digest,
        },
    )
    return exported


def _sent_in(
    session: Session, run_id: int, country: str, payouts: Iterable[SettlementInstruction]
) -> str:
    files = session.scalars(
        select(PaymentFileLine.message_id)
        .where(PaymentFileLine.instruction_id.in_([p.id for p in payouts]))
        .distinct()
        .order_by(PaymentFileLine.message_id)
    ).all()
    return f"all pending payouts of run {run_id} at {country} were sent in {', '.join(files)}"


def stored(session: Session, message_id: str) -> PaymentFile:
    """The payment file ``message_id`` exactly as it was sent; ``NotFoundError`` if
    no file has that message id."""
    found = session.get(StoredFile, message_id.strip())
    if found is None:
        raise NotFoundError(f"no payment file {message_id.strip()!r}")
    content = found.content.encode("utf-8")
    row = _rows(session, [found])[0]
    return PaymentFile(
        message_id=found.message_id,
        run_id=found.run_id,
        country=found.country,
        file_name=_file_name(found.message_id),
        content=content,
        payments=row.payments,
        control_sum=row.control_sum,
        execution_date=pain001.execution_date(content),
    )


def files_of(session: Session, run_id: int, country: str) -> list[PaymentFileRow]:
    """The payment files sent for run ``run_id``'s payouts in ``country``, oldest first."""
    files = session.execute(
        select(StoredFile)
        .where(StoredFile.run_id == run_id, StoredFile.country == country.strip().upper())
        .order_by(StoredFile.created_at, StoredFile.message_id)
    ).scalars()
    return _rows(session, list(files))


@dataclass(frozen=True)
class PayoutBatch:
    """A run's pending payouts from one clearing account, as the bank's desk lists them:
    how many are not yet in a payment file (the next export sends those) and the files
    the others went in."""

    run_id: int
    country: str
    payouts: int
    total: Amount
    """What the pending payouts come to, in the country's currency."""
    unsent: int
    files: tuple[PaymentFileRow, ...]


def payout_batches(session: Session) -> tuple[PayoutBatch, ...]:
    """Each run and country with payouts still pending, newest run first."""
    corridor = corridors.load(session)
    instruction = SettlementInstruction
    rows = session.execute(
        select(
            instruction.run_id,
            instruction.country,
            instruction.local_currency,
            func.count(),
            func.sum(instruction.local_amount),
            func.count(PaymentFileLine.instruction_id),
        )
        .outerjoin(PaymentFileLine, PaymentFileLine.instruction_id == instruction.id)
        .where(
            instruction.kind == InstructionKind.PAYOUT,
            instruction.status == InstructionStatus.PENDING,
        )
        .group_by(instruction.run_id, instruction.country, instruction.local_currency)
        .order_by(instruction.run_id.desc(), instruction.country)
    ).all()
    return tuple(
        PayoutBatch(
            run_id,
            country,
            int(count),
            Amount(int(total), currency, corridor.digits[currency]),
            int(count) - int(sent),
            tuple(files_of(session, run_id, country)),
        )
        for run_id, country, currency, count, total, sent in rows
    )


def _rows(session: Session, files: list[StoredFile]) -> list[PaymentFileRow]:
    """Each file's payments and control sum, from the payouts it sent (a sent payout's
    amount does not change: holds leave it alone)."""
    if not files:
        return []
    corridor = corridors.load(session)
    totals = {
        message: (count, total)
        for message, count, total in session.execute(
            select(
                PaymentFileLine.message_id,
                func.count(),
                func.coalesce(func.sum(SettlementInstruction.local_amount), 0),
            )
            .join(SettlementInstruction, SettlementInstruction.id == PaymentFileLine.instruction_id)
            .where(PaymentFileLine.message_id.in_([f.message_id for f in files]))
            .group_by(PaymentFileLine.message_id)
        )
    }
    rows = []
    for file in files:
        count, total = totals.get(file.message_id, (0, 0))
        currency = corridor.countries[file.country]
        rows.append(
            PaymentFileRow(
                message_id=file.message_id,
                created_at=file.created_at,
                created_by=file.created_by,
                payments=int(count),
                control_sum=Amount(int(total), currency, corridor.digits[currency]),
            )
        )
    return rows


def _file_name(message_id: str) -> str:
    return f"{FORMAT}-{message_id}.xml"


def _message_id(
    run_id: int,
    country: str,
    payouts: Iterable[SettlementInstruction],
    accounts: dict[str, AccountView],
) -> str:
    """``TAH-R<run>-<CC>-<digest>``: the digest of what is paid to whom.  A payout is
    sent in one file only, so each file's payouts differ from every earlier file's and
    so does its id; asking again for the same payouts before they are sent (a refused
    export, a rolled-back one) gives the same id."""
    paid = sorted((p.id, p.local_amount, accounts[p.firm_id].iban) for p in payouts)
    digest = hashlib.sha256(repr(paid).encode()).hexdigest()[:10].upper()
    return f"TAH-R{run_id}-{country}-{digest}"


def _obligations_paid(
    session: Session, run_id: int, firm_ids: Iterable[str]
) -> dict[str, list[int]]:
    """Per creditor, the obligations owed to it that ``run_id`` handed to the clearing
    accounts: what its payout settles (by the clearing house's obligation number)."""
    found: dict[str, list[int]] = defaultdict(list)
    query = (
        select(Obligation.creditor, Obligation.id)
        .join(Novation, Novation.obligation_id == Obligation.id)
        .where(Novation.run_id == run_id, Obligation.creditor.in_(list(firm_ids)))
        .order_by(Obligation.id)
    )
    for creditor, obligation in session.execute(query):
        found[creditor].append(obligation)
    return found
