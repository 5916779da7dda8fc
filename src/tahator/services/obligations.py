"""Registering obligations (invoices) and listing them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator import faults
from tahator.domain import ledger
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import MAX_MINOR, format_amount, parse_amount
from tahator.services import access, audit, screening
from tahator.services import corridor as corridors
from tahator.services.common import ImportResult, now
from tahator.services.journal import post
from tahator.services.tables import Problems, read_table
from tahator.store.bulk import insert_rows
from tahator.store.schema import Currency, Firm, Obligation, ObligationLiability

OBLIGATION_COLUMNS = ("id", "debtor", "creditor", "amount", "currency", "due_date")
MAX_REFERENCE = 100


class Status:
    OPEN = "open"
    """Something remains to be set off or settled."""
    SET_OFF = "set_off"
    """Set off in full by clearing runs."""
    IN_SETTLEMENT = "in_settlement"
    """Its cross-border remainder was handed to the clearing accounts."""


def import_obligations(
    session: Session,
    path: Path,
    actor: str,
    *,
    data: bytes | None = None,
    owed_by: str | None = None,
) -> ImportResult:
    """Register the obligations in ``path``, all or none; a re-import changes nothing.

    Each row's ``id`` is the submitter's reference, unique per debtor.  A row equal
    to a stored obligation is skipped; one that differs from it is an error.
    ``owed_by`` names the one firm a trader submits for: a firm acknowledges what it
    owes, and may not put debts on other firms' books.
    """
    corridor = corridors.load(session)
    table = read_table(path, OBLIGATION_COLUMNS, data=data)
    c = table.columns
    problems = Problems()
    firms = dict(session.execute(select(Firm.id, Firm.status)).all())
    rows: dict[tuple[str, str], tuple[str, int, str, date]] = {}
    row_of: dict[tuple[str, str], int] = {}
    for row, (reference, debtor, creditor, amount_text, currency_text, due_text) in enumerate(
        zip(
            c["id"],
            c["debtor"],
            c["creditor"],
            c["amount"],
            c["currency"],
            c["due_date"],
            strict=True,
        )
    ):
        reference, debtor, creditor = reference.strip(), debtor.strip(), creditor.strip()
        currency = currency_text.strip().upper()
        bad = False
        if not reference or len(reference) > MAX_REFERENCE:
            problems.add(table.problem(row, f"must be 1 to {MAX_REFERENCE} characters", "id"))
            bad = True
        if owed_by is not None and debtor != owed_by:
            problems.add(
                table.problem(
                    row,
                    f"your firm {owed_by} registers what it owes: it must be the debtor",
                    "debtor",
                )
            )
            bad = True
            continue  # say nothing of another firm's records
        for field, firm in (("debtor", debtor), ("creditor", creditor)):
            if firm not in firms:
                problems.add(table.problem(row, f"unknown firm {firm!r}", field))
                bad = True
        if debtor == creditor:
            problems.add(table.problem(row, f"debtor and creditor are both {debtor!r}"))
            bad = True
        amount = 0
        if currency not in corridor.digits:
            known = ", ".join(sorted(corridor.digits))
            problems.add(
                table.problem(
                    row, f"{currency_text!r} is not a corridor currency ({known})", "currency"
                )
            )
            bad = True
        else:
            try:
                amount = parse_amount(amount_text.strip(), corridor.digits[currency])
            except ValueError as error:
                problems.add(table.problem(row, str(error), "amount"))
                bad = True
        try:
            due = date.fromisoformat(due_text.strip())
        except ValueError:
            problems.add(table.problem(row, f"{due_text!r} is not a date (YYYY-MM-DD)", "due_date"))
            bad = True
        if bad:
            continue
        key = (debtor, reference)
        content = (creditor, amount, currency, due)
        if rows.get(key, content) != content:
            problems.add(
                table.problem(
                    row, f"{reference!r} of {debtor!r} appears twice with different content", "id"
                )
            )
        rows[key] = content
        row_of.setdefault(key, row)

    parties = {firm for (debtor, _), (creditor, *_) in rows.items() for firm in (debtor, creditor)}
    screening.ensure_screened(session, parties, actor)
    stopped = {f.id: f.screening for f in screening.stopped_firms(session)}
    for key, (creditor, *_) in rows.items():
        for field, firm in (("debtor", key[0]), ("creditor", creditor)):
            if firm in stopped:
                problems.add(
                    table.problem(
                        row_of[key],
                        f"firm {firm} is held by sanctions screening and cannot take on "
                        "obligations until the clearing house's review of it is settled",
                        field,
                    )
                )
    stored = _stored(session, list(rows))
    for key, content in rows.items():
        if key in stored and stored[key] != content:
            problems.add(
                table.problem(
                    row_of[key],
                    f"{key[1]!r} of {key[0]!r} is already registered with different content",
                    "id",
                )
            )
    problems.raise_if_any()

    new = [(key, content) for key, content in rows.items() if key not in stored]
    totals: dict[str, int] = defaultdict(int)
    for _, (_, amount, currency, _) in new:
        totals[currency] += amount
    if any(total > MAX_MINOR for total in totals.values()):
        raise InputError(
            [Problem("the file's amounts total more than the 64-bit limit", str(path))]
        )
    if new:
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
                    "status": Status.OPEN,
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
        memo = f"{len(new)} obligations from {path.name}"
        post(session, registered.build(ledger.EntryKind.OBLIGATIONS, memo), actor)
        faults.point("obligations.after_post")
        audit.record(
            session,
            actor,
            "obligations.register",
            f"file:{path.name}",
            None,
            {"count": len(new), "total_by_currency": _totals_by_currency(new)},
        )
    return ImportResult(table.rows, len(new), len(rows) - len(new))


def _totals_by_currency(new: list[Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for _, (_, amount, currency, _) in new:
        totals[currency] = totals.get(currency, 0) + amount
    return totals


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
) -> Obligation:
    """Register one obligation arising inside the clearing house (not imported).

    ``liable`` names further firms jointly and severally liable for it, as the
    members of a consortium are.  A firm that sanctions screening blocks cannot be
    party to it (``InputError`` naming the firm and the hit).
    """
    screening.require_clear(session, (debtor, creditor, *liable), actor, label=origin)
    obligation = Obligation(
        reference=reference,
        debtor=debtor,
        creditor=creditor,
        amount=amount,
        currency=currency,
        due_date=due_date,
        status=Status.OPEN,
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
    post(session, registered.build(ledger.EntryKind.OBLIGATIONS, f"{reference} ({origin})"), actor)
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
        },
    )
    return obligation


def _stored(
    session: Session, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, int, str, date]]:
    """Stored obligations among ``keys`` (debtor, reference), by key."""
    found = {}
    debtors = sorted({debtor for debtor, _ in keys})
    wanted = set(keys)
    for start in range(0, len(debtors), 900):
        chunk = debtors[start : start + 900]
        query = select(
            Obligation.debtor,
            Obligation.reference,
            Obligation.creditor,
            Obligation.amount,
            Obligation.currency,
            Obligation.due_date,
        ).where(Obligation.debtor.in_(chunk))
        for debtor, reference, creditor, amount, currency, due in session.execute(query):
            if (debtor, reference) in wanted:
                found[debtor, reference] = (creditor, amount, currency, due)
    return found


def list_obligations(
    session: Session,
    firm: str | None = None,
    status: str | None = None,
    *,
    number: int | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[dict[str, object]]:
    """Obligations, optionally of one firm (as debtor or creditor) or one status.

    ``number`` picks one; ``after`` and ``limit`` page through them by number.
    """
    # The page's numbers first, then one query for their rows, currencies' digits and
    # co-liable firms: one round trip to the database, however long the page.
    numbers = select(Obligation.id).order_by(Obligation.id)
    if firm is not None:
        numbers = numbers.where(access.obligations_of(firm))
    if status is not None:
        numbers = numbers.where(Obligation.status == status)
    if number is not None:
        numbers = numbers.where(Obligation.id == number)
    if after is not None:
        numbers = numbers.where(Obligation.id > after)
    if limit is not None:
        numbers = numbers.limit(limit)
    chosen = numbers.subquery()
    rows = session.execute(
        select(
            Obligation.id,
            Obligation.reference,
            Obligation.debtor,
            Obligation.creditor,
            Obligation.amount,
            Obligation.currency,
            Obligation.due_date,
            Obligation.status,
            Obligation.remaining,
            Obligation.origin,
            Currency.digits,
            ObligationLiability.firm_id.label("liable"),
        )
        .join(chosen, chosen.c.id == Obligation.id)
        .join(Currency, Currency.code == Obligation.currency)
        .outerjoin(ObligationLiability, ObligationLiability.obligation_id == Obligation.id)
        .order_by(Obligation.id, ObligationLiability.firm_id)
    )
    listed: dict[int, dict[str, Any]] = {}
    for row in rows:
        item = listed.get(row.id)
        if item is None:
            item = listed[row.id] = {
                "id": row.reference,
                "number": row.id,
                "debtor": row.debtor,
                "creditor": row.creditor,
                "amount": format_amount(row.amount, row.digits),
                "currency": row.currency,
                "due_date": row.due_date.isoformat(),
                "status": row.status,
                "remaining": format_amount(row.remaining, row.digits),
                "origin": row.origin,
                "jointly_liable": [],
            }
        if row.liable is not None:
            item["jointly_liable"].append(row.liable)
    return list(listed.values())
