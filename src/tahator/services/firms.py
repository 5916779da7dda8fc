"""Registering firms and consortia."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tahator.domain.corridor import tax_id_problem
from tahator.domain.errors import InputError, Problem
from tahator.domain.identifiers import identifier_problem, name_problem, normalize_identifier
from tahator.io.firms import MAX_ID, MAX_NAME, FirmRecord
from tahator.io.tables import Problems
from tahator.services import audit, screening
from tahator.services import corridor as corridors
from tahator.services.common import ImportResult, now
from tahator.services.paging import Page, Window, paged
from tahator.store.schema import Consortium, ConsortiumMember, Firm, FirmAlias


@dataclass(frozen=True)
class FirmView:
    """A registered firm."""

    id: str
    name: str
    country: str
    tax_id: str
    status: str
    aliases: tuple[str, ...]
    active_taxpayer: bool
    psw_subscribed: bool
    state_enterprise: bool
    screening: str


@dataclass(frozen=True)
class ConsortiumView:
    """A consortium: firms of one country, jointly and severally liable."""

    id: str
    name: str
    lead: str
    liability: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class RegisteredFirm:
    """What registering one firm did, and the firm as stored."""

    result: ImportResult
    firm: FirmView


def import_firms(
    session: Session,
    records: Sequence[FirmRecord],
    actor: str,
    *,
    source: str,
    problems: Sequence[Problem] = (),
) -> ImportResult:
    """Register the firms ``records`` (all or none); re-importing changes nothing.

    ``source`` names the input in problems and the audit trail; ``problems`` are the
    reader's, reported with the ones found here.
    """
    corridor = corridors.load(session)
    found = Problems()
    for problem in problems:
        found.add(problem)
    firms: dict[str, FirmRecord] = {}
    for record in records:
        country, tax_id = record.country, record.tax_id
        if country not in corridor.countries:
            known = ", ".join(sorted(corridor.countries))
            found.add(
                Problem(
                    f"{country!r} is not in the corridor ({known})", source, record.line, "country"
                )
            )
        elif (reason := tax_id_problem(country, tax_id)) is not None:
            found.add(Problem(reason, source, record.line, "tax_id"))
        if firms.get(record.id, record) != record:
            found.add(
                Problem(
                    f"firm {record.id!r} appears twice with different content",
                    source,
                    record.line,
                    "id",
                )
            )
        firms[record.id] = record
    stored = _stored(session, list(firms))
    for record in records:
        if record.id in stored and stored[record.id] != firms[record.id]:
            found.add(
                Problem(
                    f"firm {record.id!r} is already registered with different content",
                    source,
                    record.line,
                    "id",
                )
            )
    # A consortium and a firm never share an id: the access rule tells a consortium
    # applicant's members by it, so a firm named like one would see its authorizations.
    taken = set(session.scalars(select(Consortium.id))) & firms.keys()  # consortia are few
    # Nor do two ids differ only by case (``pk-0001`` beside ``PK-0001``).
    taken |= case_twins(session, Firm.id, list(firms)) | case_twins(
        session, Consortium.id, list(firms)
    )
    taken |= batch_twins(list(firms))
    for record in records:
        if record.id in taken:
            found.add(Problem(f"{record.id!r} is already taken", source, record.line, "id"))
    found.raise_if_any()

    new = [r for r in firms.values() if r.id not in stored]
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
            f"file:{PurePath(source).name}",
            None,
            {"firms": [r.id for r in new]},
        )
    # Registration screens every new firm: a hit blocks it until an operator decides.
    screened = screening.screen_firms(session, [r.id for r in new], actor)
    blocked = tuple(f.firm for f in screened.newly_blocked)
    return ImportResult(len(records), len(new), len(firms) - len(new), blocked)


def case_twins(
    session: Session, column: InstrumentedAttribute[str], ids: Sequence[str]
) -> set[str]:
    """Those of ``ids`` that differ only by case from a stored id of ``column`` (``pk-1``
    beside ``PK-1``): refused like any taken id, so that no two ids read alike.

    Identifiers are ASCII (``domain.identifiers``), so SQL's ``lower`` folds them as
    ``str.casefold`` does on every database."""
    folded: dict[str, list[str]] = {}
    for given in ids:
        folded.setdefault(given.casefold(), []).append(given)
    twins: set[str] = set()
    keys = list(folded)
    for start in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
        chunk = keys[start : start + 900]
        for stored in session.scalars(select(column).where(func.lower(column).in_(chunk))):
            twins.update(given for given in folded[stored.casefold()] if given != stored)
    return twins


def batch_twins(ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` that differ only by case from another of them."""
    spellings: dict[str, set[str]] = {}
    for given in ids:
        spellings.setdefault(given.casefold(), set()).add(given)
    return {given for same in spellings.values() if len(same) > 1 for given in same}


def register_firm(
    session: Session, record: FirmRecord, actor: str, *, source: str
) -> RegisteredFirm:
    """Register one firm (as ``import_firms``), answering also with the firm as stored."""
    result = import_firms(session, [record], actor, source=source)
    return RegisteredFirm(result, list_firms(session, record.id)[0])


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


def list_firms(session: Session, firm: str | None = None) -> list[FirmView]:
    """Registered firms by id, or the one ``firm``."""
    query = select(Firm).order_by(Firm.id)
    aliases_query = select(FirmAlias).order_by(FirmAlias.alias)
    if firm is not None:
        query = query.where(Firm.id == firm)
        aliases_query = aliases_query.where(FirmAlias.firm_id == firm)
    aliases: dict[str, list[str]] = {}
    for alias in session.execute(aliases_query).scalars():
        aliases.setdefault(alias.firm_id, []).append(alias.alias)
    return [
        FirmView(
            f.id,
            f.name,
            f.country,
            f.tax_id,
            f.status,
            tuple(aliases.get(f.id, ())),
            f.active_taxpayer,
            f.psw_subscribed,
            f.state_enterprise,
            f.screening,
        )
        for f in session.execute(query).scalars()
    ]


def create_consortium(
    session: Session, consortium_id: str, name: str, lead: str, members: list[str], actor: str
) -> ConsortiumView:
    """A consortium of private firms of one country; the lead is a member.

    Its id follows the identifier rule (stored NFKC-normalized), its name the name
    rule (``domain.identifiers``)."""
    problems: list[Problem] = []
    consortium_id, name = normalize_identifier(consortium_id), name.strip()
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
    wrong_id = identifier_problem(consortium_id, MAX_ID)
    if wrong_id is not None:
        problems.append(Problem(wrong_id, field="id"))
    wrong_name = name_problem(name, MAX_NAME)
    if wrong_name is not None:
        problems.append(Problem(wrong_name, field="name"))
    if wrong_id is None and (
        session.get(Consortium, consortium_id) is not None
        or session.get(Firm, consortium_id) is not None
        or case_twins(session, Consortium.id, [consortium_id])
        or case_twins(session, Firm.id, [consortium_id])
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
    session.flush()
    return next(c for c in list_consortia(session) if c.id == consortium_id)


def list_consortia(session: Session) -> list[ConsortiumView]:
    """Consortia by id, each with its members by id."""
    members: dict[str, list[str]] = {}
    for member in session.execute(
        select(ConsortiumMember).order_by(ConsortiumMember.firm_id)
    ).scalars():
        members.setdefault(member.consortium_id, []).append(member.firm_id)
    return [
        ConsortiumView(c.id, c.name, c.lead_firm, c.liability, tuple(members.get(c.id, ())))
        for c in session.execute(select(Consortium).order_by(Consortium.id)).scalars()
    ]


# --- lists a page at a time ------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryEntry:
    """A firm as every signed-in user may read it: who it is, never how it stands
    (no tax id, no screening, no obligations or balances)."""

    id: str
    name: str
    country: str
    aliases: tuple[str, ...]


FIRM_SORTS = ("id", "name", "country")


def _firms_window(
    window: Window, country: str | None
) -> tuple[Select[Any], Window, dict[str, Any]]:
    """The query of firms ``window`` asks for, searched by id, name or any alias
    (case-insensitive), and its sort columns."""
    sorts: dict[str, Any] = {"id": Firm.id, "name": func.lower(Firm.name), "country": Firm.country}
    window = window.within(list(sorts))
    query = select(Firm)
    if country:
        query = query.where(Firm.country == country.upper())
    if window.search:
        needle = window.search.lower()
        aliases = select(FirmAlias.firm_id).where(
            func.lower(FirmAlias.alias).contains(needle, autoescape=True)
        )
        query = query.where(
            or_(
                func.lower(Firm.id).contains(needle, autoescape=True),
                func.lower(Firm.name).contains(needle, autoescape=True),
                Firm.id.in_(aliases),
            )
        )
    return query, replace(window, search=""), sorts


def _aliases_of(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    if ids:
        for alias in session.scalars(
            select(FirmAlias).where(FirmAlias.firm_id.in_(ids)).order_by(FirmAlias.alias)
        ):
            found.setdefault(alias.firm_id, []).append(alias.alias)
    return {k: tuple(v) for k, v in found.items()}


def _entities(rows: Sequence[Any]) -> list[Firm]:
    """The firms of ``paged``'s rows (an entity select comes back as one-entity rows)."""
    return [row if isinstance(row, Firm) else row[0] for row in rows]


def directory(session: Session, window: Window, country: str | None = None) -> Page[DirectoryEntry]:
    """Every registered firm's public fields, a page at a time: sorted by ``id``,
    ``name`` or ``country``, searched by id, name or alias."""
    query, unsearched, sorts = _firms_window(window, country)
    page = paged(session, query, unsearched, sorts, tiebreak=[Firm.id.expression])
    found = _entities(page.rows)
    aliases = _aliases_of(session, [f.id for f in found])
    rows = tuple(DirectoryEntry(f.id, f.name, f.country, aliases.get(f.id, ())) for f in found)
    return Page(rows, page.total, replace(page.window, search=window.within(FIRM_SORTS).search))


def page_firms(session: Session, window: Window, country: str | None = None) -> Page[FirmView]:
    """Registered firms with everything stored of them (for the roles that see every
    firm), a page at a time, as ``directory`` sorts and searches."""
    query, unsearched, sorts = _firms_window(window, country)
    page = paged(session, query, unsearched, sorts, tiebreak=[Firm.id.expression])
    found = _entities(page.rows)
    aliases = _aliases_of(session, [f.id for f in found])
    rows = tuple(
        FirmView(
            f.id,
            f.name,
            f.country,
            f.tax_id,
            f.status,
            aliases.get(f.id, ()),
            f.active_taxpayer,
            f.psw_subscribed,
            f.state_enterprise,
            f.screening,
        )
        for f in found
    )
    return Page(rows, page.total, replace(page.window, search=window.within(FIRM_SORTS).search))
