"""The bank's, operator's and trader's desks over clearing runs: paged, sorted and
searched lists of settlement instructions and set-off notices, instructions in plain
language (the account to pay into, the due date, the reference), the totals a bank
is about to confirm, and each clearing account's summary of a run.  Read-only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from typing import cast as cast_type

from sqlalchemy import ColumnElement, Select, String, cast, select
from sqlalchemy.orm import Session, aliased

from tahator.domain.money import Amount
from tahator.domain.run import RunStatus
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.services import access, bank_accounts
from tahator.services import corridor as corridors
from tahator.services.clearing_views import (
    InstructionView,
    NoticeView,
    RunRow,
    instruction_view,
    stored_figures,
    stored_run,
)
from tahator.services.paging import Page, Window, paged
from tahator.store.schema import (
    ClearingAccount,
    ClearingRun,
    Country,
    Firm,
    Obligation,
    Rollover,
    SetoffNotice,
    SettlementInstruction,
)


def _c(attribute: Any) -> ColumnElement[Any]:
    """A mapped attribute as the column expression ``paged`` sorts and searches by."""
    expression: ColumnElement[Any] = attribute.expression
    return expression


@dataclass(frozen=True)
class InstructionLine:
    """A settlement instruction as the firm that must act reads it: pay ``local_amount``
    into (a collection) or receive it from (a payout) ``account``'s clearing account by
    ``due``, quoting ``reference``.  The corridor states no settlement period, so an
    instruction is due on its run's as-of date: the run's settlement date."""

    instruction: InstructionView
    firm_name: str
    account: str
    """The clearing account's country, by name (``Pakistan``)."""
    due: date
    account_iban: str | None = None
    """The IBAN the money goes to, where registered: for a collection the clearing
    account's (where the debtor pays), for a payout the firm's own (where it receives)."""
    holder: str | None = None
    """The holder of the account ``account_iban`` names."""

    @property
    def reference(self) -> str:
        """What the payment quotes, so the bank can match it."""
        return self.instruction.reference


INSTRUCTION_SORTS = ("id", "run", "firm", "country", "kind", "amount", "local", "status")
NOTICE_SORTS = ("obligation", "reference", "debtor", "creditor", "before", "setoff", "after")


def _lines() -> Select[Any]:
    query = (
        select(SettlementInstruction, Firm.name, Country.name, ClearingRun.as_of)
        .join(Firm, Firm.id == SettlementInstruction.firm_id)
        .join(Country, Country.code == SettlementInstruction.country)
        .join(ClearingRun, ClearingRun.id == SettlementInstruction.run_id)
        .order_by(SettlementInstruction.id)
    )
    return cast_type("Select[Any]", query)


def instruction_lines(
    session: Session,
    window: Window,
    *,
    run: int | None = None,
    status: InstructionStatus | None = None,
    firm: str | None = None,
    country: str | None = None,
) -> Page[InstructionLine]:
    """One page of settlement instructions, filtered (``firm`` as ``access.firm_filter``
    gives it), sorted by ``INSTRUCTION_SORTS`` and searched by id, firm id or name."""
    corridor = corridors.load(session)
    query = _lines()
    if run is not None:
        query = query.where(SettlementInstruction.run_id == run)
    if status is not None:
        query = query.where(SettlementInstruction.status == status.value)
    if firm is not None:
        query = query.where(access.instructions_of(firm))
    if country:
        query = query.where(SettlementInstruction.country == country)
    s = SettlementInstruction
    page = paged(
        session,
        query,
        window,
        sorts={
            "id": _c(s.id),
            "run": _c(s.run_id),
            "firm": _c(s.firm_id),
            "country": _c(s.country),
            "kind": _c(s.kind),
            "amount": _c(s.amount),
            "local": (_c(s.local_currency), _c(s.local_amount)),
            "status": _c(s.status),
        },
        searched=[cast(s.id, String), _c(s.firm_id), _c(Firm.name)],
        tiebreak=[_c(s.id)],
    )
    lines = [
        InstructionLine(instruction_view(i, corridor), firm_name, country_name, as_of)
        for i, firm_name, country_name, as_of in page.rows
    ]
    return Page(tuple(_with_accounts(session, lines)), page.total, page.window)


def _with_accounts(session: Session, lines: list[InstructionLine]) -> list[InstructionLine]:
    """``lines`` with the accounts their money goes to (two queries for them all)."""
    if not lines:
        return lines
    payees = {
        line.instruction.firm for line in lines if line.instruction.kind == InstructionKind.PAYOUT
    }
    firms = bank_accounts.firm_accounts(session, payees)
    clearing = bank_accounts.clearing_accounts(session)
    filled = []
    for line in lines:
        view = line.instruction
        account = (
            firms.get(view.firm)
            if view.kind == InstructionKind.PAYOUT
            else clearing.get(view.country)
        )
        if account is not None:
            line = replace(line, account_iban=account.iban, holder=account.holder)
        filled.append(line)
    return filled


def chosen_lines(session: Session, ids: Sequence[int]) -> list[InstructionLine]:
    """The instructions ``ids`` names (those that exist), in id order."""
    wanted = sorted({i for i in ids if 1 <= i <= 2**63 - 1})
    if not wanted:
        return []
    corridor = corridors.load(session)
    rows = session.execute(_lines().where(SettlementInstruction.id.in_(wanted))).all()
    lines = [InstructionLine(instruction_view(i, corridor), n, c, d) for i, n, c, d in rows]
    return _with_accounts(session, lines)


@dataclass(frozen=True)
class CurrencyTotal:
    """What a set of instructions moves in one currency, and how many they are."""

    currency: str
    collections: Amount
    payouts: Amount
    count: int


def totals_by_currency(lines: Sequence[InstructionLine]) -> tuple[CurrencyTotal, ...]:
    """Collections and payouts of ``lines`` summed per local currency (code order)."""
    sums: dict[str, list[Amount]] = {}
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        view = line.instruction
        zero = Amount(0, view.local_currency, view.local_amount.digits)
        pair = sums.setdefault(view.local_currency, [zero, zero])
        pair[0 if view.kind == InstructionKind.COLLECTION else 1] += view.local_amount
        counts[view.local_currency] += 1
    return tuple(
        CurrencyTotal(code, pair[0], pair[1], counts[code]) for code, pair in sorted(sums.items())
    )


def notice_page(
    session: Session, run_id: int, window: Window, firm: str | None = None
) -> Page[NoticeView]:
    """One page of a run's set-off notices (``setoff_notices``), sorted by
    ``NOTICE_SORTS`` and searched by obligation id, reference, or a party's id or name."""
    run = stored_run(session, run_id)
    corridor = corridors.load(session)
    unit, digits = run.unit_of_account, corridor.unit_digits
    debtor, creditor = aliased(Firm), aliased(Firm)
    query: Select[Any] = cast_type(
        "Select[Any]",
        select(SetoffNotice, Obligation)
        .join(Obligation, Obligation.id == SetoffNotice.obligation_id)
        .join(debtor, debtor.id == Obligation.debtor)
        .join(creditor, creditor.id == Obligation.creditor)
        .where(SetoffNotice.run_id == run_id)
        .order_by(SetoffNotice.obligation_id),
    )
    if firm is not None:
        query = query.where(access.notices_of(firm))
    page = paged(
        session,
        query,
        window,
        sorts={
            "obligation": _c(Obligation.id),
            "reference": _c(Obligation.reference),
            "debtor": _c(Obligation.debtor),
            "creditor": _c(Obligation.creditor),
            "before": (_c(Obligation.currency), _c(SetoffNotice.before)),
            "setoff": _c(SetoffNotice.setoff_unit),
            "after": (_c(Obligation.currency), _c(SetoffNotice.after)),
        },
        searched=[
            cast(Obligation.id, String),
            _c(Obligation.reference),
            _c(Obligation.debtor),
            _c(Obligation.creditor),
            _c(debtor.name),
            _c(creditor.name),
        ],
        tiebreak=[_c(SetoffNotice.obligation_id)],
    )
    views = []
    for n, o in page.rows:
        scale = corridor.digits[o.currency]
        views.append(
            NoticeView(
                obligation=o.id,
                reference=o.reference,
                debtor=o.debtor,
                creditor=o.creditor,
                currency=o.currency,
                before=Amount(n.before, o.currency, scale),
                setoff=Amount(n.setoff, o.currency, scale),
                after=Amount(n.after, o.currency, scale),
                setoff_unit=Amount(n.setoff_unit, unit, digits),
            )
        )
    return Page(tuple(views), page.total, page.window)


@dataclass(frozen=True)
class AccountSummary:
    """One country's clearing account over a run, in the unit of account: what it
    collected from its debtors, paid its creditors, drew on its credit line, and what
    its creditors were not paid and rolled over into the next run."""

    country: str
    name: str
    collected: Amount
    paid_out: Amount
    credit_drawn: Amount
    rolled_over: Amount
    rolled_over_firms: int


def account_summary(session: Session, run_id: int) -> tuple[AccountSummary, ...]:
    """Each clearing account's figures for run ``run_id``: collected, paid out and
    credit drawn as the run stored them, rolled over from its roll-overs (per the
    creditor's country)."""
    run = stored_run(session, run_id)
    digits = corridors.load(session).unit_digits
    unit = run.unit_of_account
    figures = stored_figures(run.figures, unit, digits)
    names = dict(session.execute(select(Country.code, Country.name)).all())
    rolled: dict[str, int] = defaultdict(int)
    firms: dict[str, int] = defaultdict(int)
    for country, amount in session.execute(
        select(Firm.country, Rollover.amount)
        .join(Firm, Firm.id == Rollover.firm_id)
        .where(Rollover.run_id == run_id)
    ):
        rolled[country] += amount
        firms[country] += 1
    accounts = {a.country: a for a in figures.accounts} if figures else {}
    zero = Amount(0, unit, digits)
    return tuple(
        AccountSummary(
            country=code,
            name=names.get(code, code),
            collected=accounts[code].collected if code in accounts else zero,
            paid_out=accounts[code].paid_out if code in accounts else zero,
            credit_drawn=accounts[code].credit_drawn if code in accounts else zero,
            rolled_over=Amount(rolled[code], unit, digits),
            rolled_over_firms=firms[code],
        )
        for code in sorted(set(accounts) | set(rolled))
    )


def latest_run_on_or_after(session: Session, day: date) -> RunRow | None:
    """The latest completed run whose as-of date is ``day`` or later: a run as of
    ``day`` would be back-dated to (or onto) its date."""
    row = session.execute(
        select(ClearingRun)
        .where(ClearingRun.status == RunStatus.COMPLETED.value, ClearingRun.as_of >= day)
        .order_by(ClearingRun.as_of.desc(), ClearingRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    digits = corridors.load(session).unit_digits
    return RunRow(
        run_id=row.id,
        status=RunStatus(row.status),
        as_of=row.as_of,
        obligations=row.obligations,
        total=Amount(row.total, row.unit_of_account, digits),
        cleared=Amount(row.cleared, row.unit_of_account, digits),
    )


def countries(session: Session) -> tuple[tuple[str, str], ...]:
    """The clearing accounts' countries, code and name, for a filter."""
    return tuple(
        (code, name)
        for code, name in session.execute(
            select(Country.code, Country.name)
            .join(ClearingAccount, ClearingAccount.country == Country.code)
            .order_by(Country.code)
        )
    )
