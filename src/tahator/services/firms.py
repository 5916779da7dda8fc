"""Registering firms and consortia."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tahator.domain.corridor import tax_id_problem
from tahator.domain.errors import InputError, Problem
from tahator.services import audit, screening
from tahator.services import corridor as corridors
from tahator.services.common import ImportResult, now, parse_flag
from tahator.services.tables import Problems, read_table
from tahator.store.schema import Consortium, ConsortiumMember, Firm, FirmAlias

FIRM_COLUMNS = ("id", "name", "country", "tax_id")
FIRM_OPTIONAL = ("aliases", "active_taxpayer", "psw_subscribed", "state_enterprise")
MAX_ID = 64
MAX_NAME = 300


@dataclass(frozen=True)
class FirmRecord:
    """A firm as an import file describes it; compared to detect changed content."""

    id: str
    name: str
    country: str
    tax_id: str
    aliases: tuple[str, ...]
    active_taxpayer: bool
    psw_subscribed: bool
    state_enterprise: bool


def import_firms(
    session: Session, path: Path, actor: str, *, data: bytes | None = None
) -> ImportResult:
    """Register the firms in ``path`` (all or none); re-importing changes nothing."""
    corridor = corridors.load(session)
    table = read_table(path, FIRM_COLUMNS, FIRM_OPTIONAL, data=data)
    columns = table.columns
    problems = Problems()
    records: dict[str, FirmRecord] = {}
    for row in range(table.rows):
        firm_id = columns["id"][row].strip()
        name = columns["name"][row].strip()
        country = columns["country"][row].strip().upper()
        tax_id = columns["tax_id"][row].strip()
        flags = {}
        for flag in ("active_taxpayer", "psw_subscribed", "state_enterprise"):
            try:
                flags[flag] = parse_flag(columns[flag][row]) if flag in columns else False
            except ValueError as error:
                problems.add(table.problem(row, str(error), flag))
        aliases = tuple(
            sorted(
                {a.strip() for a in columns.get("aliases", [""] * table.rows)[row].split("|")}
                - {""}
            )
        )
        if not firm_id:
            problems.add(table.problem(row, "is empty", "id"))
            continue
        if len(firm_id) > MAX_ID:
            problems.add(table.problem(row, f"is longer than {MAX_ID} characters", "id"))
            continue
        if not name or len(name) > MAX_NAME:
            problems.add(table.problem(row, f"must be 1 to {MAX_NAME} characters", "name"))
        if any(len(alias) > MAX_NAME for alias in aliases):
            problems.add(
                table.problem(row, f"an alias is longer than {MAX_NAME} characters", "aliases")
            )
        if len(tax_id) > 40:
            problems.add(table.problem(row, "is longer than 40 characters", "tax_id"))
        if country not in corridor.countries:
            known = ", ".join(sorted(corridor.countries))
            problems.add(
                table.problem(row, f"{country!r} is not in the corridor ({known})", "country")
            )
        elif (reason := tax_id_problem(country, tax_id)) is not None:
            problems.add(table.problem(row, reason, "tax_id"))
        record = FirmRecord(
            firm_id,
            name,
            country,
            tax_id,
            aliases,
            flags.get("active_taxpayer", False),
            flags.get("psw_subscribed", False),
            flags.get("state_enterprise", False),
        )
        if records.get(firm_id, record) != record:
            problems.add(
                table.problem(row, f"firm {firm_id!r} appears twice with different content", "id")
            )
        records[firm_id] = record
    stored = _stored(session, list(records))
    for row, firm_id in enumerate(columns["id"]):
        firm_id = firm_id.strip()
        if firm_id in stored and firm_id in records and stored[firm_id] != records[firm_id]:
            problems.add(
                table.problem(
                    row, f"firm {firm_id!r} is already registered with different content", "id"
                )
            )
    problems.raise_if_any()

    new = [r for r in records.values() if r.id not in stored]
    created_at = now()
    if new:
        session.execute(
            insert(Firm),
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "country": r.country,
                    "tax_id": r.tax_id,
                    "status": "active",
                    "active_taxpayer": r.active_taxpayer,
                    "psw_subscribed": r.psw_subscribed,
                    "state_enterprise": r.state_enterprise,
                    "created_at": created_at,
                    "created_by": actor,
                }
                for r in new
            ],
        )
        alias_rows = [{"firm_id": r.id, "alias": a} for r in new for a in r.aliases]
        if alias_rows:
            session.execute(insert(FirmAlias), alias_rows)
        audit.record(
            session,
            actor,
            "firms.register",
            f"file:{path.name}",
            None,
            {"firms": [r.id for r in new]},
        )
    # Registration screens every new firm: a hit blocks it until an operator decides.
    screened = screening.screen_firms(session, [r.id for r in new], actor)
    blocked = tuple(f.firm for f in screened.newly_blocked)
    return ImportResult(table.rows, len(new), len(records) - len(new), blocked)


def _stored(session: Session, ids: list[str]) -> dict[str, FirmRecord]:
    """The stored firms among ``ids``, as records to compare."""
    found: dict[str, FirmRecord] = {}
    aliases: dict[str, list[str]] = {}
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        for alias in session.execute(
            select(FirmAlias).where(FirmAlias.firm_id.in_(chunk))
        ).scalars():
            aliases.setdefault(alias.firm_id, []).append(alias.alias)
        for firm in session.execute(select(Firm).where(Firm.id.in_(chunk))).scalars():
            found[firm.id] = FirmRecord(
                firm.id,
                firm.name,
                firm.country,
                firm.tax_id,
                tuple(sorted(aliases.get(firm.id, []))),
                firm.active_taxpayer,
                firm.psw_subscribed,
                firm.state_enterprise,
            )
    return found


def list_firms(session: Session, firm: str | None = None) -> list[dict[str, object]]:
    query = select(Firm).order_by(Firm.id)
    if firm is not None:
        query = query.where(Firm.id == firm)
    aliases: dict[str, list[str]] = {}
    for alias in session.execute(select(FirmAlias).order_by(FirmAlias.alias)).scalars():
        aliases.setdefault(alias.firm_id, []).append(alias.alias)
    return [
        {
            "id": f.id,
            "name": f.name,
            "country": f.country,
            "tax_id": f.tax_id,
            "status": f.status,
            "aliases": aliases.get(f.id, []),
            "active_taxpayer": f.active_taxpayer,
            "psw_subscribed": f.psw_subscribed,
            "state_enterprise": f.state_enterprise,
            "screening": f.screening,
        }
        for f in session.execute(query).scalars()
    ]


def create_consortium(
    session: Session, consortium_id: str, name: str, lead: str, members: list[str], actor: str
) -> None:
    """A consortium of private firms of one country; the lead is a member."""
    problems: list[Problem] = []
    all_members = list(dict.fromkeys([lead, *members]))
    firms = {
        f.id: f for f in session.execute(select(Firm).where(Firm.id.in_(all_members))).scalars()
    }
    for member in all_members:
        if member not in firms:
            problems.append(Problem(f"unknown firm {member!r}", field="member"))
    if len({f.country for f in firms.values()}) > 1:
        problems.append(Problem("members of a consortium must be of one country"))
    if len(all_members) < 2:
        problems.append(Problem("a consortium needs at least two firms"))
    if not consortium_id.strip() or len(consortium_id) > MAX_ID:
        problems.append(Problem(f"id must be 1 to {MAX_ID} characters", field="id"))
    if (
        session.get(Consortium, consortium_id) is not None
        or session.get(Firm, consortium_id) is not None
    ):
        problems.append(Problem(f"{consortium_id!r} is already taken", field="id"))
    if not problems:
        problems.extend(screening.blocked_problems(session, all_members, actor, field="member"))
    if problems:
        raise InputError(problems)
    session.add(
        Consortium(id=consortium_id, name=name, lead_firm=lead, created_at=now(), created_by=actor)
    )
    session.flush()
    session.add_all(ConsortiumMember(consortium_id=consortium_id, firm_id=m) for m in all_members)
    audit.record(
        session,
        actor,
        "consortium.create",
        f"consortium:{consortium_id}",
        None,
        {"name": name, "lead": lead, "members": all_members},
    )


def list_consortia(session: Session) -> list[dict[str, object]]:
    members: dict[str, list[str]] = {}
    for member in session.execute(
        select(ConsortiumMember).order_by(ConsortiumMember.firm_id)
    ).scalars():
        members.setdefault(member.consortium_id, []).append(member.firm_id)
    return [
        {
            "id": c.id,
            "name": c.name,
            "lead": c.lead_firm,
            "liability": c.liability,
            "members": members.get(c.id, []),
        }
        for c in session.execute(select(Consortium).order_by(Consortium.id)).scalars()
    ]
