"""Sanctions list files: the UN Security Council Consolidated List (XML), and the
format registry (FollowTheMoney entities are read in ``ftm_list.py``).

List formats are parser functions in :data:`PARSERS` (format name -> function
from the file's bytes to a :class:`ParsedList`); the UN list is the first.
:func:`read_list` reads a file and parses it in the format named, so the
command line, the API and the web hand the screening service typed entries.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

from tahator.domain.errors import InputError, Problem
from tahator.domain.names import joined_across_invisibles
from tahator.domain.screening import Identifier, ListedName, ListEntry, ParsedList
from tahator.io import ftm_list, xml_safe
from tahator.io.countries import country_codes
from tahator.io.ftm_list import parse_ftm


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


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _birth(record: Element) -> str:
    """A date of birth as ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or ``YYYY-YYYY``;
    an approximate year allows the years either side."""
    exact = _text(record, "DATE")[:10]
    year = _text(record, "YEAR")
    years = [_text(record, "FROM_YEAR"), _text(record, "TO_YEAR")]
    approximate = _text(record, "TYPE_OF_DATE").upper() == "APPROXIMATELY"
    if re.fullmatch(r"\d{4}-\d\d-\d\d", exact):
        return f"{int(exact[:4]) - 1}-{int(exact[:4]) + 1}" if approximate else exact
    if re.fullmatch(r"\d{4}", year):
        return f"{int(year) - 1}-{int(year) + 1}" if approximate else year
    if all(re.fullmatch(r"\d{4}", y) for y in years):
        return "-".join(sorted(years))
    note = _text(record, "NOTE").casefold()  # "August 1961", "Nov. 1973"
    found = re.findall(r"\b(1[89]\d\d|20\d\d)\b", note)
    months = [m for m in _MONTHS if re.search(rf"\b{m}", note)]
    if len(found) == 1 and "hijri" not in note:
        return f"{found[0]}-{_MONTHS.index(months[0]) + 1:02d}" if len(months) == 1 else found[0]
    return ""


_DOCUMENT_KINDS = (("passport", "passport"), ("passeport", "passport"), ("pasaporte", "passport"))
_SHORT_PREFIX = re.compile(r"[A-Z]{1,3}(-[A-Z])?-?")


def _document_number(written: str) -> str:
    """The number in what the list writes (``"Libyan Passport No. 96/184442"``,
    ``"D 000974"``, ``"TR-P 614 166"``): the trailing words that hold digits and the
    short letter prefixes before them."""
    words = written.replace("(", " ").replace(")", " ").split()
    kept: list[str] = []
    for word in reversed(words):
        if any(c.isdigit() for c in word) or (kept and _SHORT_PREFIX.fullmatch(word)):
            kept.append(word)
        else:
            break
    return " ".join(reversed(kept)).strip(" .,;")


def _document(record: Element) -> Identifier | None:
    written = _text(record, "TYPE_OF_DOCUMENT").casefold()
    kind = next((k for word, k in _DOCUMENT_KINDS if word in written), None)
    if kind is None:
        kind = "national_id" if "national" in written or "identi" in written else "other"
    number = _document_number(_text(record, "NUMBER"))
    if not number:  # "Tunisian passport number L 191609 issued on 28 Feb. 1996"
        said = re.search(
            r"\b(?:number|no\.)\s*:?\s*((?:[A-Z]{1,3}[ -]?)?\d[\d/-]*)", _text(record, "NOTE")
        )
        number = said.group(1) if said else ""
    if not number:
        return None
    issuer = _text(record, "ISSUING_COUNTRY") or _text(record, "COUNTRY_OF_ISSUE")
    codes = country_codes(issuer) if issuer else ()
    return Identifier(kind, number, codes[0] if len(codes) == 1 else None)


def _place(record: Element) -> str:
    parts = (_text(record, t) for t in ("CITY", "STATE_PROVINCE", "COUNTRY"))
    return ", ".join(p for p in parts if p)


def parse_un(data: bytes, label: str = "") -> ParsedList:
    """The UN Security Council Consolidated List (``sc-sanctions.xsd``), refusing DTDs,
    entities and external references; ``InputError`` names every problem."""
    root = xml_safe.parse(data, "the UN list", label)
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
            born = [_birth(b) for b in record.findall("INDIVIDUAL_DATE_OF_BIRTH")]
            # a person's nationalities; a body's: the countries of its addresses
            national = (
                _values(record, "NATIONALITY/VALUE")
                if kind == "individual"
                else _values(record, f"{address_tag}/COUNTRY")
            )
            documents = (_document(d) for d in record.findall("INDIVIDUAL_DOCUMENT"))
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
                    born=tuple(dict.fromkeys(b for b in born if b)),
                    birth_places=tuple(
                        dict.fromkeys(
                            p for p in map(_place, record.findall("INDIVIDUAL_PLACE_OF_BIRTH")) if p
                        )
                    ),
                    nationalities=tuple(
                        dict.fromkeys(code for n in national for code in country_codes(n))
                    ),
                    identifiers=tuple(dict.fromkeys(d for d in documents if d)),
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


PARSERS: dict[str, Callable[[bytes, str], ParsedList]] = {"un": parse_un, "ftm": parse_ftm}
"""List formats by name (``tahator lists import FORMAT FILE``); OFAC SDN, EU and
national lists are further entries here, each returning the same plain data."""


MAX_BYTES = ftm_list.MAX_BYTES
"""Largest list file read, of any format."""


def list_name(text: str) -> str:
    """A list's name as stored: 1 to 100 printable characters (no control character,
    bidi override or other invisible character), runs of spaces made one;
    ``InputError`` otherwise."""
    # a newline or tab is refused, not folded: the name was not what the caller meant
    name = " ".join(text.split()) if text.isprintable() else text
    if (
        not name
        or len(name) > 100
        or not name.isprintable()
        or ftm_list.clean(name) != name
        or joined_across_invisibles(name) is not None  # looks like another list's name
    ):
        raise InputError(
            [Problem(f"{text[:120]!r} is not 1 to 100 printable characters", field="name")]
        )
    return name


def _printable(parsed: ParsedList) -> ParsedList:
    """``parsed`` with control characters and bidi overrides taken out of every name and
    alias, whatever the format: XML allows C1 controls (U+009B opens a terminal escape)
    and names are printed on operators' terminals and pages."""
    entries = tuple(
        dataclasses.replace(
            e,
            name=ftm_list.clean(e.name),
            aliases=tuple(
                dict.fromkeys(
                    dataclasses.replace(a, name=ftm_list.clean(a.name)) for a in e.aliases
                )
            ),
        )
        for e in parsed.entries
    )
    return dataclasses.replace(parsed, entries=entries)


def _check_size(size: int, path: Path) -> None:
    if size > MAX_BYTES:
        message = f"the file is {size:,} bytes; at most {MAX_BYTES:,} are read"
        raise InputError([Problem(message, str(path))])


def read_list(
    list_format: str, path: Path, *, data: bytes | None = None, name: str | None = None
) -> ParsedList:
    """The list in ``path`` (or ``data``, an upload named ``path``) in ``list_format``,
    as a version of the list ``name`` (validated) when given, else as the file names
    itself (``UN``, an FtM file's one dataset; a file naming no single list is refused:
    give its name).  ``InputError`` for an unknown format, an unreadable or too large
    file or a bad or hostile list.  The one place a list is named: its entries carry the
    name too."""
    if name is not None:
        name = list_name(name)
    parser = PARSERS.get(list_format.lower())
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise InputError([Problem(f"unknown list format {list_format!r} (known: {known})")])
    try:
        if data is None:
            # The size before reading: a huge file must not be read into memory first.
            size = path.stat().st_size
            _check_size(size, path)
            data = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(f"cannot read the file: {error.strerror}", str(path))]) from None
    _check_size(len(data), path)
    parsed = _printable(parser(data, str(path)))
    if name is None:
        if not parsed.name:
            raise InputError(
                [
                    Problem(
                        "the file does not name its list (its targets are in no dataset, or "
                        "in several): give the list's name",
                        str(path),
                        field="name",
                    )
                ]
            )
        return parsed
    entries = tuple(dataclasses.replace(e, list_name=name) for e in parsed.entries)
    return dataclasses.replace(parsed, name=name, entries=entries)
