"""Sanctions list files: the UN Security Council Consolidated List (XML).

List formats are parser functions in :data:`PARSERS` (format name -> function
from the file's bytes to a :class:`ParsedList`); the UN list is the first.
:func:`read_list` reads a file and parses it in the format named, so the
command line, the API and the web hand the screening service typed entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

from tahator.domain.errors import InputError, Problem
from tahator.domain.screening import ListedName, ListEntry, ParsedList


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return " ".join((found.text or "").split()) if found is not None else ""


def _values(element: Element, path: str) -> list[str]:
    return [
        " ".join((v.text or "").split()) for v in element.findall(path) if (v.text or "").strip()
    ]


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_un(data: bytes, label: str = "") -> ParsedList:
    """The UN Security Council Consolidated List (``sc-sanctions.xsd``), refusing DTDs,
    entities and external references; ``InputError`` names every problem."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root: Element = fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        raise InputError(
            [Problem(f"refused: unsafe XML ({type(error).__name__}: {error})", label)]
        ) from None
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise InputError([Problem(f"not well-formed XML: {error}", label, line)]) from None
    except (LookupError, ValueError) as error:
        # An XML declaration naming an encoding Python does not know, or one expat cannot
        # read (found by atheris: ``encoding="UTF-4"`` escaped as a LookupError and
        # ``"UTF-7"`` as a ValueError, each a traceback and a 500).
        raise InputError([Problem(f"not readable XML: {error}", label)]) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise InputError([Problem(f"the root element is {root.tag}, not CONSOLIDATED_LIST", label)])
    problems: list[Problem] = []
    entries: list[ListEntry] = []
    seen: set[str] = set()
    for kind, path, alias_tag, address_tag in (
        ("individual", "INDIVIDUALS/INDIVIDUAL", "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS"),
        ("entity", "ENTITIES/ENTITY", "ENTITY_ALIAS", "ENTITY_ADDRESS"),
    ):
        for number, record in enumerate(root.findall(path), start=1):
            data_id = _text(record, "DATAID")
            where = f"{path.split('/')[1]} {number}" + (f" (DATAID {data_id})" if data_id else "")
            reference = _text(record, "REFERENCE_NUMBER")
            parts = [_text(record, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")]
            parts.append(_text(record, "FOURTH_NAME"))
            name = " ".join(p for p in parts if p)
            list_type = _text(record, "UN_LIST_TYPE")
            listed_text = _text(record, "LISTED_ON")
            listed_on = _date(listed_text) if listed_text else None
            for value, what in ((reference, "REFERENCE_NUMBER"), (name, "FIRST_NAME")):
                if not value:
                    problems.append(Problem(f"{where}: is empty", label, field=what))
            if not list_type:
                problems.append(Problem(f"{where}: is empty", label, field="UN_LIST_TYPE"))
            if listed_text and listed_on is None:
                problems.append(
                    Problem(f"{where}: {listed_text!r} is not a date", label, field="LISTED_ON")
                )
            if reference and reference in seen:
                problems.append(
                    Problem(f"{where}: {reference} appears twice", label, field="REFERENCE_NUMBER")
                )
            seen.add(reference)
            aliases: list[ListedName] = []
            for alias in record.findall(alias_tag):
                alias_name = _text(alias, "ALIAS_NAME")
                if alias_name and alias_name != name:
                    aliases.append(ListedName(alias_name, _text(alias, "QUALITY") or "a.k.a."))
            original = _text(record, "NAME_ORIGINAL_SCRIPT")
            if original:
                aliases.append(ListedName(original, "original script"))
            updated = tuple(
                d for d in (_date(v) for v in _values(record, "LAST_DAY_UPDATED/VALUE")) if d
            )
            countries = _values(record, "NATIONALITY/VALUE") + _values(
                record, f"{address_tag}/COUNTRY"
            )
            born = [
                _text(b, "DATE")
                or _text(b, "YEAR")
                or "-".join(v for v in (_text(b, "FROM_YEAR"), _text(b, "TO_YEAR")) if v)
                for b in record.findall("INDIVIDUAL_DATE_OF_BIRTH")
            ]
            entries.append(
                ListEntry(
                    reference=reference,
                    kind=kind,
                    name=name,
                    list_type=list_type,
                    aliases=tuple(dict.fromkeys(aliases)),
                    listed_on=listed_on,
                    updated_on=updated,
                    data_id=data_id,
                    countries=tuple(dict.fromkeys(countries)),
                    born=tuple(b for b in born if b),
                )
            )
    if problems:
        raise InputError(problems)
    if not entries:
        raise InputError([Problem("the list holds no individuals and no entities", label)])
    return ParsedList(
        "un",
        root.get("dateGenerated"),
        tuple(entries),
        source=Path(label).name,
        sha256=hashlib.sha256(data).hexdigest(),
    )


PARSERS: dict[str, Callable[[bytes, str], ParsedList]] = {"un": parse_un}
"""List formats by name (``tahator lists import FORMAT FILE``); OFAC SDN, EU and
national lists are further entries here, each returning the same plain data."""


def read_list(list_format: str, path: Path, *, data: bytes | None = None) -> ParsedList:
    """The list in ``path`` (or ``data``, an upload named ``path``) in ``list_format``;
    ``InputError`` for an unknown format, an unreadable file or a bad or hostile list."""
    parser = PARSERS.get(list_format.lower())
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise InputError([Problem(f"unknown list format {list_format!r} (known: {known})")])
    try:
        if data is None:
            data = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(f"cannot read the file: {error.strerror}", str(path))]) from None
    return parser(data, str(path))
