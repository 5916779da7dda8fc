"""A clearing account's payouts as the payment file its bank executes (DESIGN §8).

``export_payouts`` gathers a completed run's pending payouts to one country's
creditors and hands them to ``io.pain001`` as one ISO 20022 ``pain.001.001.09``
Customer Credit Transfer Initiation: debtor the country's clearing account, one
payment per creditor to its registered account, in the local currency.  Nothing is
paid by writing the file: a payout stays pending until the bank's statement (or the
bank by hand) confirms it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import bank
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import Amount
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.io import pain001
from tahator.services import audit, bank_accounts
from tahator.services import corridor as corridors
from tahator.services.bank_accounts import AccountView
from tahator.services.common import now
from tahator.store.schema import (
    ClearingRun,
    Firm,
    Novation,
    Obligation,
    SettlementInstruction,
)

FORMAT = "pain.001"


@dataclass(frozen=True)
class PaymentFile:
    """A payment file for one clearing account's bank, ready to send."""

    message_id: str
    """The file's ``MsgId``: the same for the same payouts, so that the bank's
    duplicate check refuses a second upload of them."""
    run_id: int
    country: str
    file_name: str
    content: bytes
    payments: int
    control_sum: Amount
    execution_date: date


def export_payouts(
    session: Session, run_id: int, country: str, actor: str, *, today: date | None = None
) -> PaymentFile:
    """Run ``run_id``'s pending payouts to creditors in ``country`` as a ``pain.001``
    file from that country's clearing account; audited as ``settlement.export``.

    The requested execution date is the run's as-of date, or ``today`` (the business
    date at the edge; the UTC date when not given) if that is later: a bank refuses
    an execution date in the past.  Refused, naming what is missing, for an unknown
    or unfinished run, a country outside the corridor, no pending payouts, or a
    clearing account or payee without a registered bank account.
    """
    corridor = corridors.load(session)
    code = country.strip().upper()
    run = session.get(ClearingRun, run_id)
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
    payouts = list(
        session.execute(
            select(SettlementInstruction)
            .where(
                SettlementInstruction.run_id == run_id,
                SettlementInstruction.country == code,
                SettlementInstruction.kind == InstructionKind.PAYOUT,
                SettlementInstruction.status == InstructionStatus.PENDING,
            )
            .order_by(SettlementInstruction.id)
        ).scalars()
    )
    if not payouts:
        raise InputError(
            [Problem(f"clearing run {run_id} has no pending payouts in {code}", field="country")]
        )
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
    named = select(Firm.id, Firm.name).where(Firm.id.in_(firm_ids))
    names: dict[str, str] = dict(session.execute(named).all())
    obligations = _obligations_paid(session, run_id, firm_ids)
    currency = corridor.countries[code]
    digits = corridor.digits[currency]
    message_id = _message_id(run_id, code, payouts, accounts)
    order = pain001.CreditTransferOrder(
        message_id=message_id,
        created_at=now(),
        initiating_party=f"Tahator clearing house ({corridor.name})",
        debtor=pain001.Account(debtor.holder, debtor.iban, debtor.bic),
        execution_date=max(run.as_of, today or now().date()),
        currency=currency,
        payments=tuple(
            pain001.Payment(
                instruction_id=f"TAH-I{p.id}",
                end_to_end_id=bank.end_to_end_id(run_id, p.id),
                amount=Amount(p.local_amount, currency, digits),
                creditor=pain001.Account(
                    accounts[p.firm_id].holder or names.get(p.firm_id, p.firm_id),
                    accounts[p.firm_id].iban,
                    accounts[p.firm_id].bic,
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
    exported = PaymentFile(
        message_id=message_id,
        run_id=run_id,
        country=code,
        file_name=f"{FORMAT}-run{run_id}-{code}.xml",
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
            "control_sum": str(pain001.decimal_of(exported.control_sum)),
            "currency": currency,
            "execution_date": exported.execution_date.isoformat(),
            "instructions": [p.id for p in payouts],
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return exported


def _message_id(
    run_id: int,
    country: str,
    payouts: Iterable[SettlementInstruction],
    accounts: dict[str, AccountView],
) -> str:
    """``TAH-R<run>-<CC>-<digest>``: the digest of what is paid to whom, so the same
    pending payouts give the same id however often they are exported, and any change
    (a payout confirmed or returned meanwhile, an account changed) gives another."""
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
