"""Numbers and dates as people in the corridor write them, read into plain ones.

Pure functions, no I/O, for every edge that reads what a person typed (forms, CSV
files, JSON bodies):

- ``latin_digits``: Persian (``۰``–``۹``) and Arabic-Indic (``٠``–``٩``) digits as
  ``0``–``9``, the Arabic thousands separator ``٬`` as ``,`` and the decimal separator
  ``٫`` as ``.``;
- ``ungrouped``: an amount's grouping commas checked and removed, in thousands
  (``1,234,567``) or in Pakistan's lakh and crore (``12,34,567``); ``1,0,0`` is refused;
- ``solar_hijri_day``: a Solar Hijri date (``1404/12/12`` or ``1404-12-12``) as the
  Gregorian ``date`` it names (``2026-03-03``), by the arithmetic calendar of
  ``jdatetime``; ``1404/12/30`` (1404 is not leap) and month 13 are refused.

Where a Solar Hijri date is read is the edge's choice: a web form reads a year from
1300 to 1499 as Solar Hijri; a CSV file only in its ``*_sh`` columns or with
``--calendar solar-hijri`` (a plain date column stays Gregorian).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from tahator.i18n import _

_LOCAL = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٬٫",
    "0123456789" * 2 + ",.",
)
"""Persian and Arabic-Indic digits, and the Arabic separators, as ASCII."""


class Calendar(StrEnum):
    """The calendar a date column or form is written in."""

    GREGORIAN = "gregorian"
    SOLAR_HIJRI = "solar-hijri"


SOLAR_HIJRI_YEARS = range(1300, 1500)
"""Years that a form reads as Solar Hijri: 1300 SH is 1921, 1499 SH is 2121; no date
the clearing house accepts (2000 to 2100) has a Gregorian year in this range."""

SOLAR_HIJRI_SUFFIX = "_sh"
"""A CSV column whose name ends so (``due_date_sh``) holds Solar Hijri dates."""

_DAY = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})")


def latin_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits (and ``٬`` ``٫``) in ASCII."""
    return text.translate(_LOCAL)


def ungrouped(text: str) -> str:
    """The decimal ``text`` without its grouping commas, which must group the whole part
    in thousands (``1,234,567.50``) or in lakh and crore (``12,34,567.50``).

    ``text`` is in ASCII digits already (``latin_digits``).  Raises ``ValueError`` with a
    message for a user where the commas group nothing a person writes (``1,0,0``)."""
    if "," not in text:
        return text
    whole, point, fraction = text.partition(".")
    groups = whole.split(",")
    digits_only = all(group.isascii() and (group.isdigit() or not group) for group in groups)
    if "," in fraction or not digits_only:
        raise ValueError(
            _("%(text)s: commas may only group the digits before the decimal point")
            % {"text": repr(text[:40])}
        )
    first, *rest = groups
    thousands = 1 <= len(first) <= 3 and all(len(group) == 3 for group in rest)
    lakh = (
        1 <= len(first) <= 2
        and len(rest) >= 2
        and len(rest[-1]) == 3
        and all(len(group) == 2 for group in rest[:-1])
    )
    if not (thousands or lakh):
        raise ValueError(
            _(
                "%(text)s is not grouped as numbers are written: groups of three digits "
                "(1,000,000) or of two before the last three (10,00,000)"
            )
            % {"text": repr(text[:40])}
        )
    return "".join(groups) + point + fraction


def solar_hijri_day(text: str) -> date:
    """The Gregorian date that the Solar Hijri date ``text`` names (``1404/12/12`` or
    ``1404-12-12``, any digits): ``2026-03-03``.  ``ValueError`` saying why not."""
    written = latin_digits(text.strip())
    match = _DAY.fullmatch(written) if len(written) <= 40 else None
    if match is None:
        raise ValueError(
            _("%(text)s is not a Solar Hijri date (YYYY/MM/DD)") % {"text": repr(text[:40])}
        )
    year, month, day = int(match[1]), int(match[3]), int(match[4])
    if not 1 <= month <= 12:
        raise ValueError(
            _("%(text)s: a Solar Hijri year has months 1 to 12") % {"text": repr(text[:40])}
        )
    last = solar_hijri_month_days(year, month)
    if not 1 <= day <= last:
        raise ValueError(
            _("%(text)s: month %(month)s of %(year)s has days 1 to %(last)s")
            % {"text": repr(text[:40]), "month": month, "year": year, "last": last}
        )
    import jdatetime  # not at import: the CLI starts without it

    gregorian: date = jdatetime.date(year, month, day).togregorian()
    return gregorian


def solar_hijri_month_days(year: int, month: int) -> int:
    """Days in ``month`` of the Solar Hijri ``year``: 31 in the first six months, 30 in
    the next five, and 29 in Esfand (30 in a leap year)."""
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    import jdatetime

    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


def looks_solar_hijri(text: str) -> bool:
    """Whether ``text`` is a date whose year is a Solar Hijri year (``1405-09-10``)."""
    match = _DAY.fullmatch(latin_digits(text.strip())[:40])
    return match is not None and int(match[1]) in SOLAR_HIJRI_YEARS
