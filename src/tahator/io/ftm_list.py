"""Sanctions lists as FollowTheMoney entities, the format OpenSanctions publishes
(``entities.ftm.json``: one JSON object per line) and how the field exchanges the
OFAC, EU and national lists.

Each line is an entity ``{"id", "schema", "properties": {name: [values]},
"datasets", "target", "first_seen", "last_seen", "last_change"}``.  The entities
screened are the *targets* (``"target": true``; a file without the flag: every
entity of a screened schema) of the schemata in :data:`SCREENED`.  The other
entities are facts about them, attached to the entity they name: a ``Passport`` or
``Identification`` (``holder``, ``number``, ``country``) becomes an identifier, a
``Sanction`` (``entity``, ``program``) the programme, an ``Address``
(``addressEntity`` of its holder) a country.  ``targets.nested.json`` writes the
same facts as objects inside the holder's properties; both shapes are read.

The ``followthemoney`` package is not used: it validates schemata we only need five
of, and costs ~275 MB and 42 packages (rdflib, networkx, SQLAlchemy, pyicu, mypy…)
and 0.8–1.5 s of import.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tahator.domain.errors import InputError, Problem
from tahator.domain.sanctions_lists import Identifier, ListedName, ListEntry, ParsedList
from tahator.io.countries import code_of, name_of

SCREENED = {
    "Person": "individual",
    "Organization": "entity",
    "Company": "entity",
    "LegalEntity": "entity",
    "PublicBody": "entity",
    # ships and aircraft are kept when a list makes them targets: Iran's tankers
    # and airlines are named in the corridor's bills of lading and air waybills
    "Vessel": "entity",
    "Airplane": "entity",
}
"""Schemata screened, and the kind of entry each becomes."""
MAX_BYTES = 256 * 1024 * 1024
"""Largest file read (OpenSanctions' whole sanctions collection is about 200 MB)."""
MAX_PROBLEMS = 50
MAX_ID = 60
"""Longest entity id kept: the store keeps a reference in 60 characters, and two ids
cut to one would merge two entries."""
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls and bidi overrides: a hostile list could move a terminal's cursor
(``\\u001b``) or reverse what an operator reads.  The zero-width non-joiner (U+200C),
which Persian writes inside words, is kept."""
_DATE = re.compile(r"\d{4}(-\d\d){0,2}")

# property -> identifier kind; registration and tax numbers are weighed as one family
_PERSON_NUMBERS = {"passportNumber": "passport", "idNumber": "national_id", "taxNumber": "tax"}
_BODY_NUMBERS = {
    "registrationNumber": "registration",
    "ogrnCode": "registration",
    "leiCode": "registration",
    "idNumber": "registration",
    "taxNumber": "tax",
    "innCode": "tax",  # Russia's INN is a taxpayer number
    "vatCode": "tax",
    "imoNumber": "other",
    "swiftBic": "other",
}


@dataclass
class _Facts:
    """What the adjacent entities say about one target."""

    identifiers: list[Identifier] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


def clean(text: str) -> str:
    """``text`` without control characters or bidi overrides, runs of spaces made one."""
    # a line break or tab separates words; a bidi override or other control inside a
    # word is taken out, not made a space, which would split the word
    return " ".join(_HIDDEN.sub(lambda m: " " if m.group().isspace() else "", text).split())


def _strings(properties: dict[str, Any], name: str) -> list[str]:
    values = properties.get(name) or []
    return [c for v in values if isinstance(v, str) and (c := clean(v))]


def _refs(properties: dict[str, Any], name: str) -> list[str]:
    """Ids an entity property names (a string, or a nested entity's ``id``)."""
    found = []
    for value in properties.get(name) or []:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict) and isinstance(value.get("id"), str):
            found.append(value["id"])
    return found


def _identification(schema: str, properties: dict[str, Any], person: bool) -> list[Identifier]:
    written = " ".join(_strings(properties, "type")).casefold()
    if schema == "Passport" or "passport" in written:
        kind = "passport"
    elif "tax" in written or "inn" in written.split():
        kind = "tax"
    elif "regist" in written or "ogrn" in written:
        kind = "registration"
    else:
        kind = "national_id" if person else "registration"
    countries = [c for c in map(code_of, _strings(properties, "country")) if c]
    country = countries[0] if len(countries) == 1 else None
    numbers = _strings(properties, "number") + _strings(properties, "passportNumber")
    return [Identifier(kind, n, country) for n in dict.fromkeys(numbers)]


def _adjacent(entity: dict[str, Any], facts: _Facts, holder_is_person: bool) -> None:
    """Attach what an adjacent entity (passport, sanction, address) says to ``facts``."""
    schema = entity.get("schema")
    properties = entity.get("properties")
    if not isinstance(schema, str) or not isinstance(properties, dict):
        return
    if schema in ("Passport", "Identification"):
        facts.identifiers.extend(_identification(schema, properties, holder_is_person))
    elif schema == "Sanction":
        facts.programs.extend(_strings(properties, "program") or _strings(properties, "programId"))
        facts.listed.extend(_strings(properties, "listingDate") + _strings(properties, "startDate"))
    elif schema == "Address":
        facts.countries.extend(_strings(properties, "country"))


def _country_name(written: str) -> str:
    code = code_of(written)
    return (name_of(code) or code) if code else written


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _read_lines(data: bytes, label: str) -> list[tuple[int, dict[str, Any]]]:
    """Each non-blank line's object, or ``InputError`` naming every bad line."""
    if len(data) > MAX_BYTES:
        raise InputError(
            [Problem(f"the file is {len(data):,} bytes; at most {MAX_BYTES:,} are read", label)]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = data[: error.start].count(b"\n") + 1
        raise InputError([Problem("not UTF-8 text", label, where)]) from None
    problems: list[Problem] = []
    found: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    # Lines end at "\n" only: str.splitlines would also cut at U+0085 or U+2028, which
    # JSON writes raw inside a string.
    for number, line in enumerate(text.split("\n"), start=1):
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem("more problems not listed", label))
            break
        if not line.strip():
            continue
        try:
            entity = json.loads(line)
        except (ValueError, RecursionError) as error:
            problems.append(Problem(f"not JSON ({str(error)[:80]})", label, number))
            continue
        if not isinstance(entity, dict):
            problems.append(Problem("not a JSON object", label, number))
            continue
        entity_id = entity.get("id")
        if not isinstance(entity_id, str) or not entity_id.strip():
            problems.append(Problem("has no id (a string of 1 to 60 characters)", label, number))
            continue
        if len(entity_id) > MAX_ID or _HIDDEN.search(entity_id):
            problems.append(
                Problem(
                    f"{clean(entity_id)[:80]!r}: an id must be 1 to {MAX_ID} printable characters",
                    label,
                    number,
                    "id",
                )
            )
            continue
        if entity_id in seen:
            problems.append(
                Problem(
                    f"{entity_id} appears again (first on line {seen[entity_id]})", label, number
                )
            )
            continue
        seen[entity_id] = number
        if not isinstance(entity.get("schema"), str):
            problems.append(Problem(f"{entity_id}: has no schema", label, number, "schema"))
            continue
        properties = entity.setdefault("properties", {})
        if not isinstance(properties, dict) or any(
            not isinstance(v, list) for v in properties.values()
        ):
            problems.append(
                Problem(
                    f"{entity_id}: properties must map names to lists", label, number, "properties"
                )
            )
            continue
        found.append((number, entity))
    if problems:
        raise InputError(problems)
    return found


def parse_ftm(data: bytes, label: str = "") -> ParsedList:
    """FollowTheMoney entities, one JSON object a line (OpenSanctions' exports); the
    list is named after the one dataset its targets are in (``us_ofac_sdn``).  When
    they are in none or in several the name is empty and the caller must give one
    (:func:`tahator.io.un_list.read_list` refuses otherwise): a file's name
    (``ministry-2026-11``) changes from one month to the next, and a second name would
    make a second list in force beside the first.  ``InputError`` names the line of
    every problem."""
    entities = _read_lines(data, label)
    facts: dict[str, _Facts] = defaultdict(_Facts)
    addresses: dict[str, list[str]] = {}
    persons = {e["id"] for _, e in entities if e["schema"] == "Person"}
    for _, entity in entities:
        schema, properties = entity["schema"], entity["properties"]
        if schema in ("Passport", "Identification"):
            for holder in _refs(properties, "holder"):
                _adjacent(entity, facts[holder], holder in persons)
        elif schema == "Sanction":
            for target in _refs(properties, "entity"):
                _adjacent(entity, facts[target], target in persons)
        elif schema == "Address":
            addresses[entity["id"]] = _strings(properties, "country")
    flagged = any("target" in e for _, e in entities)
    problems: list[Problem] = []
    entries: list[ListEntry] = []
    datasets: set[str] = set()
    changed: list[str] = []
    for number, entity in entities:
        kind = SCREENED.get(entity["schema"])
        if kind is None or (flagged and entity.get("target") is not True):
            continue
        entity_id, properties = entity["id"], entity["properties"]
        mine = facts[entity_id]
        for value in properties.values():  # targets.nested.json: adjacent entities inline
            for nested in value:
                if isinstance(nested, dict):
                    _adjacent(nested, mine, kind == "individual")
        for address in _refs(properties, "addressEntity"):
            mine.countries.extend(addresses.get(address, []))
        names = _strings(properties, "name")
        if not names:
            problems.append(Problem(f"{entity_id}: a target with no name", label, number, "name"))
            continue
        if any(len(n) > 1000 for n in names):
            problems.append(Problem(f"{entity_id}: a name over 1000 characters", label, number))
            continue
        named = {clean(d) for d in entity.get("datasets") or [] if isinstance(d, str)}
        datasets |= named - {""}
        changed.extend(
            str(entity[k]) for k in ("last_change", "last_seen") if isinstance(entity.get(k), str)
        )
        entries.append(_entry(entity_id, kind, names, properties, mine, entity))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError(problems)
    if not entries:
        raise InputError(
            [Problem(f"no targets of the screened schemata ({', '.join(SCREENED)})", label)]
        )
    name = next(iter(datasets)) if len(datasets) == 1 else ""
    return ParsedList(
        "ftm",
        max(changed) if changed else None,
        tuple(dataclasses.replace(e, list_name=name) for e in entries),
        source=Path(label).name,
        sha256=hashlib.sha256(data).hexdigest(),
        name=name,
    )


def _entry(
    entity_id: str,
    kind: str,
    names: list[str],
    properties: dict[str, Any],
    facts: _Facts,
    entity: dict[str, Any],
) -> ListEntry:
    aliases = [ListedName(n, "a.k.a.") for n in names[1:]]
    aliases += [ListedName(n, "a.k.a.") for n in _strings(properties, "alias")]
    aliases += [ListedName(n, "a.k.a.") for n in _strings(properties, "previousName")]
    aliases += [ListedName(n, "Low") for n in _strings(properties, "weakAlias")]
    person = kind == "individual"
    national = ("nationality", "citizenship") if person else ("jurisdiction", "country")
    nationalities = [code_of(c) for p in national for c in _strings(properties, p)]
    numbers = _PERSON_NUMBERS if person else _BODY_NUMBERS
    codes = list(dict.fromkeys(c for c in nationalities if c))
    # a body's numbers are issued where it is registered (when that is one country)
    issuer = codes[0] if not person and len(codes) == 1 else None
    identifiers = [
        Identifier(kind_of, number, issuer if kind_of in ("registration", "tax") else None)
        for prop, kind_of in numbers.items()
        for number in _strings(properties, prop)
    ]
    identifiers += facts.identifiers
    programs = (
        facts.programs or _strings(properties, "program") or _strings(properties, "programId")
    )
    listed = sorted(d for d in map(_day, facts.listed) if d)
    first_seen = entity.get("first_seen")
    seen_on = _day(first_seen) if isinstance(first_seen, str) else None
    last = entity.get("last_change")
    updated = _day(last) if isinstance(last, str) else None
    countries = _strings(properties, "country") + facts.countries
    return ListEntry(
        reference=entity_id,
        kind=kind,
        name=names[0],
        list_type=", ".join(list(dict.fromkeys(programs))[:3]),
        aliases=tuple(dict.fromkeys(a for a in aliases if a.name != names[0])),
        listed_on=listed[0] if listed else seen_on,
        updated_on=(updated,) if updated else (),
        # as names, like the UN list's, so screening's country words read them
        countries=tuple(dict.fromkeys(_country_name(c) for c in countries)),
        born=tuple(
            dict.fromkeys(
                m.group(0) for b in _strings(properties, "birthDate") if (m := _DATE.match(b))
            )
        ),
        birth_places=tuple(dict.fromkeys(_strings(properties, "birthPlace"))),
        nationalities=tuple(codes),
        identifiers=tuple(dict.fromkeys(identifiers)),
    )
