"""A firm's set-off notice for a clearing run: the legal record of what the run set off
against what, for that firm.

Built from what the run stored (``clearing_views.setoff_notices``, its settlement
instructions and rates) and from the audit record that recorded the run: its place in
the hash chain and the digests of the notices and journal lines it wrote, so that an
auditor can check the printed figures with ``tahator audit verify`` (the chain is
whole, so that record's hash stands) and ``tahator ledger verify`` (the journal
matches what the records say).  Read-only; who may read which firm's notice is the
entry points' business (``access.firm_filter``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain.errors import NotFoundError
from tahator.domain.money import Amount
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import access
from tahator.services import corridor as corridors
from tahator.services.clearing_views import (
    InstructionView,
    instruction_view,
    setoff_notices,
    stored_run,
)
from tahator.services.common import now
from tahator.store.schema import AuditRecord, Firm, RunRate, SettlementInstruction

RUN_ACTION = "clearing.run"
"""The audit action that records a run (``services.clearing.run_clearing``)."""


class Role(StrEnum):
    """The firm's part in an obligation a run set off."""

    DEBTOR = "debtor"
    CREDITOR = "creditor"
    LIABLE = "liable"
    """Jointly liable for the debtor's obligation (a consortium's member)."""


@dataclass(frozen=True)
class NoticeFirm:
    id: str
    name: str
    country: str


@dataclass(frozen=True)
class NoticeRun:
    run_id: int
    as_of: date
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    unit_of_account: str


@dataclass(frozen=True)
class NoticeLine:
    """One obligation the run set off: in its currency, and ``setoff_unit`` in the unit
    of account."""

    obligation: int
    reference: str
    role: Role
    counterparty: str
    """The creditor if the firm owes (or is liable for) it, else the debtor."""
    counterparty_name: str
    currency: str
    before: Amount
    setoff: Amount
    after: Amount
    setoff_unit: Amount


@dataclass(frozen=True)
class SetoffTotal:
    """What the run set off in one currency: owed by the firm, and owed to it."""

    currency: str
    owed_by_firm: Amount
    owed_to_firm: Amount


@dataclass(frozen=True)
class NoticeInstruction:
    """A settlement instruction of the run for the firm: what it pays in or is paid."""

    id: int
    kind: InstructionKind
    local_amount: Amount
    amount: Amount
    """In the unit of account."""
    reference: str
    status: InstructionStatus


@dataclass(frozen=True)
class NoticeRate:
    """A rate the run converted at: how many units of ``currency`` one unit of account buys."""

    currency: str
    per_unit_of_account: Decimal


@dataclass(frozen=True)
class RunRecord:
    """The run's audit record, one link of the audit log's hash chain (not its head:
    records come after it): its hash covers the digests it holds of the notices and
    journal lines the run wrote, and chains to every record before it."""

    record_id: int
    hash: str
    previous_hash: str
    notices_digest: str | None
    journal_digest: str | None


@dataclass(frozen=True)
class SetoffNoticeDocument:
    firm: NoticeFirm
    run: NoticeRun
    lines: tuple[NoticeLine, ...]
    totals: tuple[SetoffTotal, ...]
    """Per currency, exact sums of the firm's own lines (not those it is only liable for)."""
    setoff_by_firm: Amount
    """In the unit of account, what the run set off of what the firm owes."""
    setoff_to_firm: Amount
    instructions: tuple[NoticeInstruction, ...]
    rates: tuple[NoticeRate, ...]
    record: RunRecord | None
    """``None`` for a run no audit record names (a run still running)."""
    issued_at: datetime


def setoff_notice(session: Session, run_id: int, firm_id: str) -> SetoffNoticeDocument:
    """``firm_id``'s set-off notice for run ``run_id`` (``NotFoundError`` if either is
    unknown).  A firm the run set off nothing of gets a notice saying so."""
    run = stored_run(session, run_id)
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFoundError(f"no firm {firm_id}")
    corridor = corridors.load(session)
    unit, digits = run.unit_of_account, corridor.unit_digits
    views = setoff_notices(session, run_id, firm_id)
    parties = {v.debtor for v in views} | {v.creditor for v in views}
    names = dict(session.execute(select(Firm.id, Firm.name).where(Firm.id.in_(parties))).all())
    lines = []
    by_firm: dict[str, int] = defaultdict(int)
    to_firm: dict[str, int] = defaultdict(int)
    unit_by = unit_to = 0
    for v in views:
        role = (
            Role.DEBTOR
            if v.debtor == firm_id
            else Role.CREDITOR
            if v.creditor == firm_id
            else Role.LIABLE
        )
        other = v.debtor if role == Role.CREDITOR else v.creditor
        lines.append(
            NoticeLine(
                obligation=v.obligation,
                reference=v.reference,
                role=role,
                counterparty=other,
                counterparty_name=names.get(other, other),
                currency=v.currency,
                before=v.before,
                setoff=v.setoff,
                after=v.after,
                setoff_unit=v.setoff_unit,
            )
        )
        if role == Role.DEBTOR:
            by_firm[v.currency] += v.setoff.minor
            unit_by += v.setoff_unit.minor
        elif role == Role.CREDITOR:
            to_firm[v.currency] += v.setoff.minor
            unit_to += v.setoff_unit.minor
    totals = tuple(
        SetoffTotal(
            c,
            Amount(by_firm[c], c, corridor.digits[c]),
            Amount(to_firm[c], c, corridor.digits[c]),
        )
        for c in sorted(set(by_firm) | set(to_firm))
    )
    instructions = session.execute(
        select(SettlementInstruction)
        .where(SettlementInstruction.run_id == run_id, access.instructions_of(firm_id))
        .order_by(SettlementInstruction.id)
    ).scalars()
    return SetoffNoticeDocument(
        firm=NoticeFirm(firm.id, firm.name, firm.country),
        run=NoticeRun(
            run.id, run.as_of, RunStatus(run.status), run.started_at, run.finished_at, unit
        ),
        lines=tuple(lines),
        totals=totals,
        setoff_by_firm=Amount(unit_by, unit, digits),
        setoff_to_firm=Amount(unit_to, unit, digits),
        instructions=tuple(_instruction(instruction_view(i, corridor)) for i in instructions),
        rates=tuple(
            NoticeRate(currency, Decimal(rate))
            for currency, rate in session.execute(
                select(RunRate.currency, RunRate.rate)
                .where(RunRate.run_id == run_id)
                .order_by(RunRate.currency)
            )
        ),
        record=run_record(session, run_id),
        issued_at=now(),
    )


def _instruction(view: InstructionView) -> NoticeInstruction:
    return NoticeInstruction(
        view.id, view.kind, view.local_amount, view.amount, view.reference, view.status
    )


def run_record(session: Session, run_id: int) -> RunRecord | None:
    """The audit record of run ``run_id`` and the digests it holds (``proof.run``)."""
    record = session.execute(
        select(AuditRecord)
        .where(AuditRecord.action == RUN_ACTION, AuditRecord.subject == f"clearing_run:{run_id}")
        .order_by(AuditRecord.id)
        .limit(1)
    ).scalar_one_or_none()
    if record is None:
        return None
    tables: dict[str, object] = {}
    try:
        after = json.loads(record.after)
        found = after.get("proof", {}).get("tables", {}) if isinstance(after, dict) else {}
        tables = found if isinstance(found, dict) else {}
    except ValueError:
        pass  # a record from before runs kept digests: its hash still stands

    def text(name: str) -> str | None:
        value = tables.get(name)
        return value if isinstance(value, str) else None

    return RunRecord(
        record.id,
        record.hash,
        record.previous_hash,
        text("setoff_notices"),
        text("journal_lines"),
    )
