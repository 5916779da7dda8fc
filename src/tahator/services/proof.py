"""Digests of money-bearing records, chained into the audit log (DESIGN §3.5).

Each use case that writes money records puts a digest of what it wrote into its
audit record, so the hash chain covers them:

* a registration: the obligations' rows (a short tag per row, to name the one that
  changed, and a SHA-256 over all of them) and its journal entry's lines;
* a clearing run: what it read besides the obligations (``RunInputs``), the open
  obligations it saw, and one digest per table it wrote (rates, notices,
  novations, instructions, roll-overs, journal lines, the obligations it changed,
  the run's totals);
* a bank's confirmation or return: the journal lines posted for the instruction (a
  payout returned after it was confirmed: its confirmation's and their reversal).

``services/replay.py`` recomputes every figure from these and names the first
stored record that disagrees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from tahator.domain.audit import digest, id_ranges, row_tag
from tahator.domain.corridor import Rate
from tahator.domain.ledger import Entry
from tahator.domain.run import OpenObligations, RunInputs, RunPlan
from tahator.formatting import jsonable
from tahator.services.journal import lines_of
from tahator.store.schema import (
    AuditRecord,
    ClearingAccount,
    ClearingRun,
    Corridor,
    Country,
    Currency,
    FxRate,
    JournalEntry,
    JournalLine,
    Novation,
    Obligation,
    ObligationLiability,
    Rollover,
    RunRate,
    SetoffNotice,
    SettlementInstruction,
)

MONEY_TABLES = (
    Obligation,
    ObligationLiability,
    ClearingRun,
    RunRate,
    SetoffNotice,
    Novation,
    SettlementInstruction,
    Rollover,
    JournalEntry,
    JournalLine,
)
"""Every table that holds money or what money was decided from."""

REGISTERED = (
    Obligation.id,
    Obligation.reference,
    Obligation.debtor,
    Obligation.creditor,
    Obligation.amount,
    Obligation.currency,
    Obligation.due_date,
)
"""What a registration fixes of an obligation; ``remaining`` and ``status`` change with runs."""

ISSUED = (
    SettlementInstruction.id,
    SettlementInstruction.firm_id,
    SettlementInstruction.country,
    SettlementInstruction.kind,
    SettlementInstruction.owed,
    SettlementInstruction.amount,
    SettlementInstruction.local_currency,
    SettlementInstruction.local_amount,
)
"""What a run fixes of an instruction; its status is the confirmation's or return's."""


# --- what use cases record -------------------------------------------------------------


def registration(session: Session, keys: Iterable[tuple[str, str]], entry_id: int) -> Any:
    """The proof of a registration of obligations ``keys`` (debtor, reference) whose
    journal entry is ``entry_id``."""
    ids = obligation_ids(session, keys)
    rows = obligation_rows(session, ids)
    lines = entry_lines(session, [entry_id])
    return {
        "entry": entry_id,
        "ids": id_ranges(ids),
        "tags": "".join(map(row_tag, rows)),
        "digest": digest(rows),
        "lines": digest(lines),
        # Who else is liable decides whom a returned collection turns to: listed (few
        # obligations have any) so that a changed row can be named.
        "liable": liabilities(session, ids),
        "counts": {"obligations": len(rows), "journal_lines": len(lines)},
    }


def liabilities(session: Session, ids: Sequence[int]) -> list[list[Any]]:
    """The jointly liable firms of obligations ``ids`` (sorted): ``[obligation, firm]``
    rows in key order."""
    if not ids:
        return []
    wanted = set(ids)
    query = (
        select(ObligationLiability.obligation_id, ObligationLiability.firm_id)
        .where(ObligationLiability.obligation_id.between(ids[0], ids[-1]))
        .order_by(ObligationLiability.obligation_id, ObligationLiability.firm_id)
    )
    return [[oid, firm] for oid, firm in rows_of(session, query) if oid in wanted]


def run(
    session: Session,
    run_id: int,
    inputs: RunInputs,
    plan: RunPlan,
    posted: Sequence[tuple[int, Entry]],
) -> Any:
    """The proof of clearing run ``run_id``, just stored from ``plan`` over ``inputs``
    with its journal entries ``posted`` (id, entry)."""
    tables = written_tables(session, run_id, plan, posted)
    return {
        "inputs": encode_inputs(inputs),
        "open": open_digest(inputs.obligations),
        "firms": firms_digest(inputs.country_of, inputs.obligations, inputs.carried),
        "tables": {name: digest(rows) for name, rows in tables.items()},
        "counts": {name: len(rows) for name, rows in tables.items()},
    }


def instruction(session: Session, instruction_id: int) -> Any:
    """The proof of a confirmation or return: the journal lines posted for the instruction."""
    entries = session.scalars(
        select(JournalEntry.id).where(JournalEntry.instruction_id == instruction_id)
    ).all()
    lines = entry_lines(session, entries)
    return {
        "entries": list(entries),
        "lines": digest(lines),
        "counts": {"journal_lines": len(lines)},
    }


def corridor_state(session: Session) -> dict[str, Any]:
    """What runs and returns read of the corridor, as it stands: every reference rate,
    every clearing account's credit line, and the corridor's limits.  The seed and a
    seal record it; later changes are audited one by one (``corridor.rate``,
    ``corridor.credit_line``, ``corridor.settings``)."""
    corridor = session.scalar(select(Corridor))
    return {
        "rates": [
            [currency, valid_from.isoformat(), rate]
            for currency, valid_from, rate in session.execute(
                select(FxRate.currency, FxRate.valid_from, FxRate.rate).order_by(
                    FxRate.currency, FxRate.valid_from
                )
            )
        ],
        "credit_lines": {
            country: [line, share]
            for country, line, share in session.execute(
                select(
                    ClearingAccount.country,
                    ClearingAccount.credit_line,
                    ClearingAccount.credit_line_share,
                ).order_by(ClearingAccount.country)
            )
        },
        # Fixed at the seed: a country's currency and a currency's digits decide how
        # every amount reads.
        "countries": dict(session.execute(select(Country.code, Country.currency)).all()),
        "digits": dict(session.execute(select(Currency.code, Currency.digits)).all()),
        "settings": None
        if corridor is None
        else {
            "max_obligation": corridor.max_obligation,
            "setoff_before_due": corridor.setoff_before_due,
            "shortfall": corridor.shortfall,
        },
    }


# --- the rows digests cover ------------------------------------------------------------


def obligation_ids(session: Session, keys: Iterable[tuple[str, str]]) -> list[int]:
    """The ids of the obligations ``keys`` (debtor, reference), sorted."""
    wanted = set(keys)
    debtors = sorted({debtor for debtor, _ in wanted})
    ids = []
    for start in range(0, len(debtors), 900):
        query = select(Obligation.id, Obligation.debtor, Obligation.reference).where(
            Obligation.debtor.in_(debtors[start : start + 900])
        )
        ids += [
            i for i, debtor, reference in session.execute(query) if (debtor, reference) in wanted
        ]
    return sorted(ids)


def obligation_rows(session: Session, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The registered columns of obligations ``ids`` (sorted), in id order."""
    if not ids:
        return []
    wanted = set(ids)
    query = (
        select(*REGISTERED).where(Obligation.id.between(ids[0], ids[-1])).order_by(Obligation.id)
    )
    return [tuple(row) for row in rows_of(session, query) if row[0] in wanted]


def entry_lines(session: Session, entry_ids: Iterable[int]) -> list[tuple[Any, ...]]:
    """The lines of journal entries ``entry_ids``: (id, entry, account, currency, amount)."""
    ids = sorted(set(entry_ids))
    if not ids:
        return []
    query = (
        select(
            JournalLine.id,
            JournalLine.entry_id,
            JournalLine.account,
            JournalLine.currency,
            JournalLine.amount,
        )
        .where(JournalLine.entry_id.in_(ids))
        .order_by(JournalLine.id)
    )
    return [tuple(row) for row in rows_of(session, query)]


def rows_of(session: Session, query: Any) -> Any:
    """``query``'s rows through Core: a fifth of the ORM's cost on a big table."""
    return session.connection().execute(query).all()


def plain_rows(session: Session, query: Any) -> list[tuple[Any, ...]]:
    """``query``'s rows as tuples straight from the driver's cursor, for columns it
    already gives as Python values (integers, text): a run's hundreds of thousands
    of rows without Core's per-row processing."""
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    arguments: Any = (
        tuple(params[name] for name in compiled.positiontup or ())
        if compiled.positional
        else params
    )
    cursor = session.connection().connection.cursor()
    cursor.execute(str(compiled), arguments)
    return [tuple(row) for row in cursor.fetchall()]


RUN_COLUMNS = (
    ClearingRun.id,
    ClearingRun.as_of,
    ClearingRun.unit_of_account,
    ClearingRun.obligations,
    ClearingRun.total,
    ClearingRun.cleared,
    ClearingRun.remainder,
    ClearingRun.figures,
)


def written_tables(
    session: Session, run_id: int, plan: RunPlan, posted: Sequence[tuple[int, Entry]]
) -> dict[str, list[tuple[Any, ...]]]:
    """``run_tables`` of a run just stored from ``plan``, without reading back the
    hundreds of thousands of rows it wrote in bulk: those are the plan's values as
    they were written (integers and text, which the database keeps as they are),
    with the ids the database gave them, in the same order.  What the database
    converts (the run's totals, rates, figures) and orders by its collation (the
    roll-overs' firms) is read back.  A test holds the two equal on each database."""
    read = run_tables(session, run_id, ("clearing_runs", "run_rates", "rollovers"))
    line_ids = (
        plain_rows(
            session,
            select(JournalLine.id)
            .where(JournalLine.entry_id.in_([entry_id for entry_id, _ in posted]))
            .order_by(JournalLine.id),
        )
        if posted
        else []
    )
    lines = [line for entry_id, entry in posted for line in lines_of(entry_id, entry)]
    instruction_ids = plain_rows(
        session,
        select(SettlementInstruction.id)
        .where(SettlementInstruction.run_id == run_id)
        .order_by(SettlementInstruction.id),
    )
    # What the proof takes from the plan must all be stored: the ids above are zipped
    # strictly, and the notices and novations are counted.
    for model, planned in ((SetoffNotice, plan.notices), (Novation, plan.novated)):
        stored = session.scalar(
            select(func.count()).select_from(model).where(model.run_id == run_id)
        )
        if stored != len(planned):
            raise RuntimeError(f"{model.__tablename__}: {stored} stored of {len(planned)} planned")
    return read | {
        "setoff_notices": sorted(plan.notices),
        "novations": sorted(plan.novated),
        "settlement_instructions": [
            (id_, *i.stored()) for (id_,), i in zip(instruction_ids, plan.instructions, strict=True)
        ],
        "journal_lines": [(id_, *line) for (id_,), line in zip(line_ids, lines, strict=True)],
        # The run changes exactly the obligations it sets off or novates.
        "obligations": sorted((c.id, c.remaining, c.status.value) for c in plan.changes),
    }


def run_tables(
    session: Session, run_id: int, only: Iterable[str] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row run ``run_id`` wrote, by table (``only`` those named), in key order:
    what its digests cover."""

    def rows(*columns: Any, where: Any, order: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in rows_of(session, select(*columns).where(where).order_by(*order))]

    def plain(*columns: Any, where: Any, order: Any) -> list[tuple[Any, ...]]:
        # Integers and text only: the driver's values are Core's.
        return plain_rows(session, select(*columns).where(where).order_by(*order))

    def journal_lines() -> list[tuple[Any, ...]]:
        entries = session.scalars(
            select(JournalEntry.id).where(JournalEntry.run_id == run_id)
        ).all()
        if not entries:
            return []
        return plain(
            JournalLine.id,
            JournalLine.entry_id,
            JournalLine.account,
            JournalLine.currency,
            JournalLine.amount,
            where=JournalLine.entry_id.in_(entries),
            order=[JournalLine.id],
        )

    changed = union(
        select(SetoffNotice.obligation_id.label("id")).where(SetoffNotice.run_id == run_id),
        select(Novation.obligation_id.label("id")).where(Novation.run_id == run_id),
    ).subquery()
    readers: dict[str, Callable[[], list[tuple[Any, ...]]]] = {
        "clearing_runs": lambda: rows(
            *RUN_COLUMNS, where=ClearingRun.id == run_id, order=[ClearingRun.id]
        ),
        "run_rates": lambda: rows(
            RunRate.currency, RunRate.rate, where=RunRate.run_id == run_id, order=[RunRate.currency]
        ),
        "setoff_notices": lambda: plain(
            SetoffNotice.obligation_id,
            SetoffNotice.before,
            SetoffNotice.setoff,
            SetoffNotice.after,
            SetoffNotice.setoff_unit,
            where=SetoffNotice.run_id == run_id,
            order=[SetoffNotice.obligation_id],
        ),
        "novations": lambda: plain(
            Novation.obligation_id,
            Novation.amount,
            where=Novation.run_id == run_id,
            order=[Novation.obligation_id],
        ),
        "settlement_instructions": lambda: plain(
            *ISSUED, where=SettlementInstruction.run_id == run_id, order=[SettlementInstruction.id]
        ),
        "rollovers": lambda: plain(
            Rollover.firm_id,
            Rollover.amount,
            where=Rollover.run_id == run_id,
            order=[Rollover.firm_id],
        ),
        "journal_lines": journal_lines,
        "obligations": lambda: plain(
            Obligation.id,
            Obligation.remaining,
            Obligation.status,
            where=Obligation.id.in_(select(changed.c.id)),
            order=[Obligation.id],
        ),
    }
    return {name: read() for name, read in readers.items() if only is None or name in only}


def open_digest(open_: OpenObligations) -> Any:
    """The open obligations a run saw: how many, and a digest of their columns."""
    columns = (open_.ids, open_.debtors, open_.creditors, open_.remaining, open_.currencies)
    return {"count": open_.count, "digest": digest(zip(*columns, strict=True))}


def firms_digest(
    country_of: Mapping[str, str], open_: OpenObligations, carried: Mapping[str, int]
) -> str:
    """The countries of the firms a run settled for (parties to open obligations, and
    firms carried from the last run): the run's view of where each firm is."""
    firms = set(open_.debtors) | set(open_.creditors) | set(carried)
    return digest((firm, country_of.get(firm)) for firm in sorted(firms))


# --- a run's inputs as JSON and back -----------------------------------------------------


def encode_inputs(inputs: RunInputs) -> Any:
    """Every field of ``inputs`` but the obligations and firms' countries (covered by
    their own digests), as JSON: whatever fields ``RunInputs`` has."""
    encoded = {}
    for field in dataclasses.fields(inputs):
        if field.name in ("obligations", "country_of"):
            continue
        encoded[field.name] = encode_value(getattr(inputs, field.name))
    return encoded


def encode_value(value: Any) -> Any:
    """One input as JSON: rates and exact numbers as text, a mapping keyed by tuples
    (country pairs) as ``[*key, value]`` rows."""
    if isinstance(value, Rate):
        return str(value.per_unit_of_account)
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, Mapping):
        if any(isinstance(key, tuple) for key in value):
            return sorted([*key, encode_value(v)] for key, v in value.items())
        return {str(key): encode_value(v) for key, v in value.items()}
    return jsonable(value)


def decode_inputs(
    stored: Mapping[str, Any], obligations: OpenObligations, country_of: Mapping[str, str]
) -> RunInputs:
    """The ``RunInputs`` a run recorded, with ``obligations`` and ``country_of`` recomputed.

    A field is decoded by its annotation; ``ValueError`` names one this cannot decode
    or that the record lacks (and has no default).
    """
    values: dict[str, Any] = {"obligations": obligations, "country_of": country_of}
    for field in dataclasses.fields(RunInputs):
        if field.name in values:
            continue
        if field.name not in stored:
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise ValueError(f"the run's record has no {field.name}")
            continue
        values[field.name] = _decode(str(field.type), stored[field.name], field.name)
    return RunInputs(**values)


_SCALARS: dict[str, Any] = {
    "str": str,
    "int": int,
    "bool": bool,
    "date": date.fromisoformat,
    "Decimal": Decimal,
    "Fraction": Fraction,
}


def decode_value(annotation: str, value: Any, name: str) -> Any:
    """``value`` as ``encode_value`` wrote it, back as the type ``annotation`` names;
    ``ValueError`` naming the input ``name`` when the annotation is not one it knows."""
    return _decode(annotation, value, name)


def _decode(annotation: str, value: Any, name: str) -> Any:
    annotation = annotation.replace(" ", "")
    if annotation.endswith("|None"):
        return None if value is None else _decode(annotation.removesuffix("|None"), value, name)
    if annotation in _SCALARS:
        return _SCALARS[annotation](value)
    for prefix in ("Mapping[tuple[str,str],", "dict[tuple[str,str],"):
        if annotation.startswith(prefix) and annotation.endswith("]"):
            inner = annotation[len(prefix) : -1]
            return {(a, b): _decode(inner, v, name) for a, b, v in value}
    for prefix in ("Mapping[str,", "dict[str,"):
        if annotation.startswith(prefix) and annotation.endswith("]"):
            inner = annotation[len(prefix) : -1]
            if inner == "Rate":
                return {key: Rate(key, Decimal(v)) for key, v in value.items()}
            return {key: _decode(inner, v, name) for key, v in value.items()}
    raise ValueError(f"cannot rebuild the run's {name} ({annotation}) from its record")


# --- checkpoints -------------------------------------------------------------------------


def table_counts(session: Session) -> dict[str, int]:
    """How many rows each money table holds."""
    return {
        table.__tablename__: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for table in MONEY_TABLES
    }


def chain_head(session: Session) -> tuple[int, str, int]:
    """The last audit record's id and hash, and how many records there are."""
    last = session.execute(
        select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    count = int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)
    return (last.id, last.hash, count) if last else (0, "", 0)


def registration_of(
    rows: Sequence[tuple[Any, ...]],
    lines: Sequence[tuple[Any, ...]],
    liable: list[list[Any]],
    entry_id: int,
) -> Any:
    """``registration`` from what the caller has read already: the obligations'
    ``REGISTERED`` rows in id order, the entry's lines and the co-liable rows."""
    ids = [row[0] for row in rows]
    return {
        "entry": entry_id,
        "ids": id_ranges(ids),
        "tags": "".join(map(row_tag, rows)),
        "digest": digest(rows),
        "lines": digest(lines),
        "liable": liable,
        "counts": {"obligations": len(rows), "journal_lines": len(lines)},
    }
