"""Bank accounts: where a firm's payouts go and where a country's collections arrive.

Each firm, and each country's clearing account, has at most one account: an IBAN of
its own country (``domain/bank.iban`` checks it), the bank's BIC where known, and the
holder's name as the bank knows it.  An IBAN belongs to one owner: one registered for
another owner is refused (a statement line naming it must say whose it is).
Registering again replaces it; every registration is audited with what it replaced.
Who may register is the entry points' business (``access.ACCOUNT_REGISTRARS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import bank
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.identifiers import name_problem
from tahator.io.firms import AccountRow
from tahator.services import audit
from tahator.services.common import now
from tahator.store.schema import BankAccount, ClearingAccount, Firm

MAX_HOLDER = 140
"""ISO 20022 ``Nm`` is Max140Text: a longer holder would not fit a payment file."""


@dataclass(frozen=True)
class AccountView:
    """A registered bank account of a firm or of a clearing account."""

    owner: str
    """The firm's id, or the country code of a clearing account."""
    clearing: bool
    country: str
    iban: str
    bic: str | None
    holder: str
    registered_at: datetime
    registered_by: str


def _view(row: BankAccount, country: str) -> AccountView:
    clearing = row.clearing_country is not None
    owner = row.clearing_country if clearing else row.firm_id
    assert owner is not None  # the table's check: exactly one of the two
    return AccountView(
        owner=owner,
        clearing=clearing,
        country=country,
        iban=row.iban,
        bic=row.bic,
        holder=row.holder,
        registered_at=row.registered_at,
        registered_by=row.registered_by,
    )


def _checked(
    iban: str, bic: str | None, holder: str, country: str, default_holder: str
) -> tuple[str, str | None, str]:
    """The account's fields checked, every problem reported at once."""
    problems: list[Problem] = []
    checked_iban, checked_bic = "", None
    try:
        checked_iban = bank.iban(iban, country)
    except InputError as error:
        problems.extend(error.problems)
    try:
        checked_bic = bank.bic(bic or "", country)
    except InputError as error:
        problems.extend(error.problems)
    name = holder.strip() or default_holder
    reason = name_problem(name, MAX_HOLDER)
    if reason is not None:
        problems.append(Problem(f"account holder {reason}", field="holder"))
    if problems:
        raise InputError(problems)
    return checked_iban, checked_bic, name


def _owner_name(row: BankAccount) -> str:
    if row.clearing_country is not None:
        return f"the clearing account {row.clearing_country}"
    return f"firm {row.firm_id}"


def _refuse_taken(session: Session, iban: str, row: BankAccount | None) -> None:
    """Refuse ``iban`` if another owner's account has it.  The message names that owner:
    only the operator registers accounts, and it sees every owner."""
    query = select(BankAccount).where(BankAccount.iban == iban)
    if row is not None:
        query = query.where(BankAccount.id != row.id)
    other = session.scalars(query).first()
    if other is not None:
        message = f"IBAN {iban} is already registered for {_owner_name(other)}"
        raise InputError([Problem(message, field="iban")])


def _store(
    session: Session,
    row: BankAccount | None,
    fields: tuple[str, str | None, str],
    actor: str,
    country: str,
    subject: str,
    *,
    firm_id: str | None = None,
    clearing_country: str | None = None,
) -> AccountView:
    _refuse_taken(session, fields[0], row)
    before = None if row is None else _view(row, country)
    if row is not None and (row.iban, row.bic, row.holder) == fields:
        return _view(row, country)  # nothing changed: nothing to record
    if row is None:
        row = BankAccount(firm_id=firm_id, clearing_country=clearing_country)
        session.add(row)
    row.iban, row.bic, row.holder = fields
    row.registered_at, row.registered_by = now(), actor
    session.flush()
    after = _view(row, country)
    audit.record(session, actor, "bank_account.register", subject, before, after)
    return after


def register_firm_account(
    session: Session, firm_id: str, iban: str, bic: str | None, holder: str, actor: str
) -> AccountView:
    """Register (or replace) firm ``firm_id``'s account: an IBAN of its country; the
    holder defaults to the firm's name."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise NotFoundError(f"no firm {firm_id}")
    fields = _checked(iban, bic, holder, firm.country, firm.name[:MAX_HOLDER])
    row = session.scalars(select(BankAccount).where(BankAccount.firm_id == firm.id)).first()
    return _store(session, row, fields, actor, firm.country, f"firm:{firm.id}", firm_id=firm.id)


def clearing_holder(country: str) -> str:
    """The holder a clearing account's bank account is registered under by default."""
    return f"Tahator clearing account {country}"


def register_clearing_account(
    session: Session, country: str, iban: str, bic: str | None, holder: str, actor: str
) -> AccountView:
    """Register (or replace) the bank account of ``country``'s clearing account."""
    code = country.strip().upper()
    if session.get(ClearingAccount, code) is None:
        raise NotFoundError(f"{country!r} has no clearing account in this corridor")
    fields = _checked(iban, bic, holder, code, clearing_holder(code))
    row = session.scalars(select(BankAccount).where(BankAccount.clearing_country == code)).first()
    return _store(
        session, row, fields, actor, code, f"clearing_account:{code}", clearing_country=code
    )


def firm_account(session: Session, firm_id: str) -> AccountView | None:
    """Firm ``firm_id``'s account, or ``None`` if none is registered."""
    return firm_accounts(session, [firm_id]).get(firm_id)


def firm_accounts(session: Session, firm_ids: Iterable[str]) -> dict[str, AccountView]:
    """The registered accounts of ``firm_ids`` (one query), by firm id."""
    wanted = sorted(set(firm_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(BankAccount, Firm.country)
        .join(Firm, Firm.id == BankAccount.firm_id)
        .where(BankAccount.firm_id.in_(wanted))
    ).all()
    return {row.firm_id: _view(row, country) for row, country in rows if row.firm_id}


def clearing_account(session: Session, country: str) -> AccountView | None:
    """The bank account of ``country``'s clearing account, or ``None``."""
    return clearing_accounts(session).get(country.strip().upper())


def clearing_countries(session: Session) -> list[str]:
    """The countries that have a clearing account."""
    return list(session.scalars(select(ClearingAccount.country).order_by(ClearingAccount.country)))


def clearing_accounts(session: Session) -> dict[str, AccountView]:
    """Every clearing account's registered bank account, by country (they are few)."""
    rows = session.scalars(
        select(BankAccount).where(BankAccount.clearing_country.is_not(None))
    ).all()
    return {r.clearing_country: _view(r, r.clearing_country) for r in rows if r.clearing_country}


def import_accounts(
    session: Session, rows: Iterable[AccountRow], actor: str, *, source: str
) -> int:
    """Register the accounts of a firms file (after its firms): all or none, every
    refused one named by its line; an account already registered as it is changes
    nothing, and the file (which has no holder column) keeps a holder set by hand.
    How many were registered or changed."""
    rows = list(rows)
    stored = firm_accounts(session, (r.firm_id for r in rows))
    problems: list[Problem] = []
    changed = 0
    for row in rows:
        try:
            firm = session.get(Firm, row.firm_id)
            if firm is None:
                raise NotFoundError(f"no firm {row.firm_id}")
            iban, bic, _ = _checked(row.iban, row.bic, "", firm.country, firm.name[:MAX_HOLDER])
            now_stored = stored.get(row.firm_id)
            if now_stored is not None and (now_stored.iban, now_stored.bic) == (iban, bic):
                continue
            holder = "" if now_stored is None else now_stored.holder
            stored[row.firm_id] = register_firm_account(
                session, row.firm_id, iban, bic, holder, actor
            )
            changed += 1
        except InputError as error:
            problems.extend(Problem(p.message, source, row.line, p.field) for p in error.problems)
    if problems:
        raise InputError(problems)
    return changed
