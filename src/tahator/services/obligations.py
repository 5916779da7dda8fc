"""Registering obligations (invoices) and listing them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain import ledger
from tahator.domain.corridor import Rate, to_unit_of_account
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR, Amount
from tahator.domain.obligations import ObligationStatus
from tahator.domain.screening import NO_TRADE, ScreeningStatus
from tahator.formatting import grouped
from tahator.io.obligations import ObligationRecord
from tahator.io.tables import Problems
from tahator.services import audit, proof, screening
from tahator.services import corridor as corridors
from tahator.services.common import ImportResult, now
from tahator.services.journal import post
from tahator.services.obligation_views import OBLIGATION_SORTS as OBLIGATION_SORTS
from tahator.services.obligation_views import ObligationView as ObligationView
from tahator.services.obligation_views import list_obligations as list_obligations
from tahator.services.obligation_views import listed
from tahator.services.obligation_views import page_obligations as page_obligations
from tahator.store.bulk import insert_rows
from tahator.store.schema import Firm, Obligation, ObligationLiability

Status = ObligationStatus
"""The old name, kept for the services that import it from here."""

_Key = tuple[str, str]
"""An obligation's identity: (debtor, the debtor's reference)."""
_Content = tuple[str, int, str, date]
"""What an obligation says: creditor, amount, currency, due date."""


@dataclass(frozen=True)
class RegisteredObligations:
    """What ``register_obligations`` did, and the stored obligations in the records' order."""

    result: ImportResult
    obligations: tuple[ObligationView, ...]


@dataclass(frozen=True)
class NewObligation:
    """An obligation arising inside the clearing house, just registered."""

    id: int
    """The clearing house's number for it."""
    reference: str


def import_obligations(
    session: Session,
    records: Sequence[ObligationRecord],
    actor: str,
    *,
    source: str,
    problems: Sequence[Problem] = (),
    owed_by: str | None = None,
    registered_on: date | None = None,
) -> ImportResult:
    """Register the obligations ``records``, all or none; a re-import changes nothing.

    ``source`` names the input in problems and the audit trail; ``problems`` are the
    reader's, reported with the ones found here.  Each record's reference is unique
    per debtor.  A record equal to a stored obligation is skipped; one that differs
    from it is an error.  ``owed_by`` names the one firm a trader submits for: a firm
    acknowledges what it owes, and may not put debts on other firms' books.

    Each amount must be positive, its currency must have a reference rate on
    ``registered_on`` (the business date; by default today in UTC), and its value at
    that rate must not exceed the corridor's ``max_obligation``: one firm's figures
    must never overflow a run's sums for everyone.
    """
    result, _ = _register(session, records, actor, source, problems, owed_by, registered_on)
    return result


def register_obligations(
    session: Session,
    records: Sequence[ObligationRecord],
    actor: str,
    *,
    source: str,
    problems: Sequence[Problem] = (),
    owed_by: str | None = None,
    registered_on: date | None = None,
    corridor: corridors.CorridorView | None = None,
) -> RegisteredObligations:
    """``import_obligations``, answering also with each record's stored obligation.

    ``corridor``: the corridor as the caller just loaded it in this session (saves
    reading it twice).  The audit record is appended when the session commits
    (``audit.record_at_commit``), so the chain's lock is held for the commit alone."""
    stored: dict[_Key, ObligationView] = {}  # filled when it registers any
    result, keys = _register(
        session, records, actor, source, problems, owed_by, registered_on, corridor, stored
    )
    if not stored:
        stored = _views(session, keys)
    return RegisteredObligations(result, tuple(stored[key] for key in keys))


def _views(session: Session, keys: Sequence[_Key]) -> dict[_Key, ObligationView]:
    """The stored obligations ``keys``, by key."""
    stored: dict[_Key, ObligationView] = {}
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        numbers = select(Obligation.id).where(
            tuple_(Obligation.debtor, Obligation.reference).in_(chunk)
        )
        for view in listed(session, numbers):
            stored[view.debtor, view.id] = view
    return stored


def _register(
    session: Session,
    records: Sequence[ObligationRecord],
    actor: str,
    source: str,
    reader_problems: Sequence[Problem],
    owed_by: str | None,
    registered_on: date | None,
    corridor: corridors.CorridorView | None = None,
    answer: dict[_Key, ObligationView] | None = None,
) -> tuple[ImportResult, list[_Key]]:
    """Check and store ``records``; the result and each record's key, in order.

    With ``answer`` (the API's registration), the stored obligations of every record
    are put there once the new ones are inserted (their proof is read from them), and
    the audit record is appended at commit (``audit.record_at_commit``)."""
    problems = Problems()
    for problem in reader_problems:
        problems.add(problem)
    # The named firms' screening standing: whether each exists, and (below) whether
    # it is stopped, in one query.
    firms = _screening_of(session, {f for r in records for f in (r.debtor, r.creditor)})
    limits = _limits(session, registered_on, corridor)
    rows: dict[_Key, _Content] = {}
    line_of: dict[_Key, int] = {}
    for record in records:
        debtor, creditor, line = record.debtor, record.creditor, record.line
        if owed_by is not None and debtor != owed_by:
            problems.add(
                Problem(
                    f"your firm {owed_by} registers what it owes: it must be the debtor",
                    source,
                    line,
                    "debtor",
                )
            )
            continue  # say nothing of another firm's records
        bad = False
        for field, firm in (("debtor", debtor), ("creditor", creditor)):
            if firm not in firms:
                problems.add(Problem(_unknown(firm, owed_by), source, line, field))
                bad = True
        if debtor == creditor:
            problems.add(Problem(f"debtor and creditor are both {debtor!r}", source, line))
            bad = True
        if (refused := _amount_problem(limits, record.amount, record.currency)) is not None:
            field, message = refused
            problems.add(Problem(message, source, line, field))
            bad = True
        if bad:
            continue
        key = (debtor, record.reference)
        content = (creditor, record.amount, record.currency, record.due_date)
        if rows.get(key, content) != content:
            problems.add(
                Problem(
                    f"{record.reference!r} of {debtor!r} appears twice with different content",
                    source,
                    line,
                    "id",
                )
            )
        rows[key] = content
        line_of.setdefault(key, line)

    parties = {firm for (debtor, _), (creditor, *_) in rows.items() for firm in (debtor, creditor)}
    # As ``screening.ensure_screened`` then ``stopped_firms``, restricted to the parties.
    unscreened = sorted(p for p in parties if firms[p] == ScreeningStatus.UNSCREENED)
    if unscreened and screening.screen_firms(session, unscreened, actor).screened:
        firms = _screening_of(session, parties)
    stopped = {firm for firm in parties if firms[firm] in NO_TRADE}
    for key, (creditor, *_) in rows.items():
        for field, firm in (("debtor", key[0]), ("creditor", creditor)):
            if firm in stopped:
                held = (
                    f"firm {firm} is held by the clearing house's compliance review and "
                    "cannot take on obligations until that review is settled"
                )
                message = held if owed_by in (None, firm) else _unknown(firm, owed_by)
                problems.add(Problem(message, source, line_of[key], field))
    stored = _stored(session, list(rows))
    for key, content in rows.items():
        if key in stored and stored[key] != content:
            problems.add(
                Problem(
                    f"{key[1]!r} of {key[0]!r} is already registered with different content",
                    source,
                    line_of[key],
                    "id",
                )
            )
    problems.raise_if_any()

    new = [(key, content) for key, content in rows.items() if key not in stored]
    totals: dict[str, int] = defaultdict(int)
    for _, (_, amount, currency, _) in new:
        totals[currency] += amount
    _check_lines(new, source)
    if new:
        name = PurePath(source).name
        created_at = now()
        insert_rows(
            session,
            Obligation,
            [
                {
                    "reference": reference,
                    "debtor": debtor,
                    "creditor": creditor,
                    "amount": amount,
                    "currency": currency,
                    "due_date": due,
                    "status": Status.OPEN.value,
                    "remaining": amount,
                    "created_at": created_at,
                    "created_by": actor,
                }
                for (debtor, reference), (creditor, amount, currency, due) in new
            ],
        )
        faults.point("obligations.after_insert")
        registered = ledger.EntryBuilder()
        for (debtor, _), (creditor, amount, currency, _) in new:
            registered.transfer(
                ledger.receivable(creditor), ledger.payable(debtor), currency, amount
            )
        memo = f"{len(new)} obligations from {name}"
        entry_id = post(session, registered.build(ledger.EntryKind.OBLIGATIONS, memo), actor)
        faults.point("obligations.after_post")
        new_keys = [key for key, _ in new]
        if answer is None:
            proved = _proof(session, new_keys, entry_id)
        else:
            answer.update(_views(session, [(r.debtor, r.reference) for r in records]))
            proved = _proof_of([answer[key] for key in new_keys], session, entry_id)
        append = audit.record if answer is None else audit.record_at_commit
        append(
            session,
            actor,
            "obligations.register",
            f"file:{name}",
            None,
            {
                "count": len(new),
                "total_by_currency": dict(totals),
                "proof": proved,
            },
        )
    keys = [(record.debtor, record.reference) for record in records]
    return ImportResult(len(records), len(new), len(rows) - len(new)), keys


def _unknown(firm: str, owed_by: str | None) -> str:
    """The refusal of a party that is no registered firm, or (to a trader registering
    for ``owed_by``) one it may not deal with: a trader is told the same whether another
    firm does not exist or is held by screening, and nothing of which."""
    if owed_by is None or firm == owed_by:
        return f"unknown firm {firm!r}"
    return f"unknown or unavailable counterparty {firm!r}"


def create_obligation(
    session: Session,
    *,
    reference: str,
    debtor: str,
    creditor: str,
    amount: int,
    currency: str,
    due_date: date,
    origin: str,
    actor: str,
    liable: tuple[str, ...] = (),
    registered_on: date | None = None,
) -> NewObligation:
    """Register one obligation arising inside the clearing house (not imported).

    ``liable`` names further firms jointly and severally liable for it, as the
    members of a consortium are.  A firm that sanctions screening blocks cannot be
    party to it (``InputError`` naming the firm and the hit).  The amount is held to
    the limits ``import_obligations`` checks (``InputError``).
    """
    refused = _amount_problem(_limits(session, registered_on), amount, currency)
    if refused is not None:
        field, message = refused
        raise InputError([Problem(f"{message} ({origin})", field=field)])
    screening.require_clear(session, (debtor, creditor, *liable), actor, label=origin)
    obligation = Obligation(
        reference=reference,
        debtor=debtor,
        creditor=creditor,
        amount=amount,
        currency=currency,
        due_date=due_date,
        status=Status.OPEN.value,
        remaining=amount,
        created_at=now(),
        created_by=actor,
        origin=origin,
    )
    session.add(obligation)
    session.flush()
    session.add_all(
        ObligationLiability(obligation_id=obligation.id, firm_id=firm)
        for firm in dict.fromkeys(liable)
        if firm != debtor
    )
    registered = ledger.EntryBuilder()
    registered.transfer(ledger.receivable(creditor), ledger.payable(debtor), currency, amount)
    entry_id = post(
        session, registered.build(ledger.EntryKind.OBLIGATIONS, f"{reference} ({origin})"), actor
    )
    audit.record(
        session,
        actor,
        "obligation.create",
        f"obligation:{obligation.id}",
        None,
        {
            "reference": reference,
            "debtor": debtor,
            "creditor": creditor,
            "amount": amount,
            "currency": currency,
            "origin": origin,
            "liable": list(liable),
            "proof": proof.registration(session, [(debtor, reference)], entry_id),
        },
    )
    return NewObligation(obligation.id, reference)


@dataclass(frozen=True)
class _Limits:
    """What registration holds an amount to: the corridor and its rates on ``day``."""

    day: date
    corridor: corridors.CorridorView
    rates: Mapping[str, Rate]


def _limits(
    session: Session, day: date | None, corridor: corridors.CorridorView | None = None
) -> _Limits:
    # Without a business date from the edge, today in UTC: a rate applies from a day
    # on, so at most the day's change of rate is a day late.
    day = day or now().date()
    if corridor is None:
        return _Limits(day, corridors.load(session), corridors.reference_rates(session, day))
    rates = corridors.reference_rates_for(session, day, corridor.unit_of_account)
    return _Limits(day, corridor, rates)


def _amount_problem(limits: _Limits, amount: int, currency: str) -> tuple[str, str] | None:
    """Why ``amount`` minor units of ``currency`` cannot be an obligation: the field
    and the message; ``None`` when it can."""
    corridor, day = limits.corridor, limits.day
    if amount <= 0:
        return "amount", "must be positive"
    if currency not in corridor.digits:
        return "currency", f"{currency!r} is not a corridor currency"
    rate = limits.rates.get(currency)
    if rate is None:
        return "currency", corridors.missing_rate(currency, day)
    unit, unit_digits = corridor.unit_of_account, corridor.unit_digits
    value = to_unit_of_account(
        amount, corridor.digits[currency], rate.per_unit_of_account, unit_digits
    )
    if value <= corridor.max_obligation:
        return None
    worth = (
        ""
        if currency == unit
        else f" (worth {grouped(Amount(value, unit, unit_digits))} {unit} at the reference "
        f"rate of {day.isoformat()}, {rate.per_unit_of_account} {currency} per {unit})"
    )
    limit = grouped(Amount(corridor.max_obligation, unit, unit_digits))
    return "amount", (
        f"{grouped(Amount(amount, currency, corridor.digits[currency]))} {currency}{worth} "
        f"is more than the corridor's limit of {limit} {unit} per obligation"
    )


def _check_lines(new: Sequence[tuple[_Key, _Content]], source: str) -> None:
    """Refuse obligations whose registration entry would need a journal line beyond 64
    bits: one firm's total in one currency, payable or receivable, of this input."""
    lines: dict[tuple[str, str, str], int] = defaultdict(int)
    for (debtor, _), (creditor, amount, currency, _) in new:
        lines["owed by", debtor, currency] += amount
        lines["owed to", creditor, currency] += amount
    over = [key for key, total in lines.items() if total > MAX_MINOR]
    if over:
        raise InputError(
            [
                Problem(
                    f"the obligations {way} {firm} in {currency} total more than one "
                    "journal line holds (2^63 − 1 minor units); register them in parts",
                    source,
                )
                for way, firm, currency in sorted(over)
            ]
        )


_FEW = 500
"""Up to this many keys are looked up by (debtor, reference) in one query; more by
debtor (a whole file's debtors' obligations in a few queries)."""


def _screening_of(session: Session, firm_ids: set[str]) -> dict[str, str]:
    """The screening status of each of these firms that exists, by id."""
    wanted = sorted(firm_ids)
    return {
        firm: status
        for start in range(0, len(wanted), 900)
        for firm, status in session.execute(
            select(Firm.id, Firm.screening).where(Firm.id.in_(wanted[start : start + 900]))
        )
    }


def _proof(session: Session, keys: list[_Key], entry_id: int) -> Any:
    """``proof.registration`` of the obligations ``keys`` just inserted here, in two
    queries for a batch instead of five."""
    if len(keys) > _FEW:
        return proof.registration(session, keys, entry_id)
    rows = [
        tuple(row)
        for row in proof.rows_of(
            session,
            select(*proof.REGISTERED)
            .where(tuple_(Obligation.debtor, Obligation.reference).in_(keys))
            .order_by(Obligation.id),
        )
    ]
    # Obligations inserted in this transaction have no co-liable firms: nothing else
    # can see them to add any, and registration adds none.
    return proof.registration_of(rows, proof.entry_lines(session, [entry_id]), [], entry_id)


def _proof_of(views: Sequence[ObligationView], session: Session, entry_id: int) -> Any:
    """``proof.registration`` of the obligations ``views`` just inserted here."""
    rows = sorted(
        (v.number, v.id, v.debtor, v.creditor, v.amount.minor, v.currency, v.due_date)
        for v in views
    )  # ``proof.REGISTERED``, in id order
    # Obligations inserted in this transaction have no co-liable firms: nothing else
    # can see them to add any, and registration adds none.
    return proof.registration_of(rows, proof.entry_lines(session, [entry_id]), [], entry_id)


_STORED_COLUMNS = (
    Obligation.debtor,
    Obligation.reference,
    Obligation.creditor,
    Obligation.amount,
    Obligation.currency,
    Obligation.due_date,
)


def _stored(session: Session, keys: list[_Key]) -> dict[_Key, _Content]:
    """Stored obligations among ``keys`` (debtor, reference), by key."""
    found: dict[_Key, _Content] = {}
    if not keys:
        return found
    if len(keys) <= _FEW:
        # A batch: by key, not every stored obligation of its debtors.
        query = select(*_STORED_COLUMNS).where(
            tuple_(Obligation.debtor, Obligation.reference).in_(keys)
        )
        for debtor, reference, creditor, amount, currency, due in session.execute(query):
            found[debtor, reference] = (creditor, amount, currency, due)
        return found
    debtors = sorted({debtor for debtor, _ in keys})
    wanted = set(keys)
    for start in range(0, len(debtors), 900):
        chunk = debtors[start : start + 900]
        query = select(*_STORED_COLUMNS).where(Obligation.debtor.in_(chunk))
        for debtor, reference, creditor, amount, currency, due in session.execute(query):
            if (debtor, reference) in wanted:
                found[debtor, reference] = (creditor, amount, currency, due)
    return found


def registered_at(session: Session, number: int) -> datetime | None:
    """When obligation ``number`` was registered (which clearing run it goes into
    depends on it: ``services.schedule.filing_window``)."""
    return session.scalar(select(Obligation.created_at).where(Obligation.id == number))
