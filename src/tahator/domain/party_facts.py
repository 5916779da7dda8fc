"""What a screened party may claim besides its name, checked once for every door
(the ``/screen`` API, the batch file) so all accept and refuse alike (pure; no I/O).

Each check returns the problem in words, or ``None`` when the value is acceptable.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from tahator.domain.names import has_letters

MAX_NAME_WORDS = 24
"""Words in a name screened: the longest listed names have about a dozen, and the
matcher's work grows with every word (80-word names took 7.6 s per thousand)."""
MAX_NUMBER = 60
"""Characters in an identifier number."""
FIRST_BIRTH_YEAR = 1900
_DATE_SHAPE = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?")
_NUMBER_MARKS = frozenset(" -/.")

BirthDate = tuple[int, int | None, int | None]
"""Year, month (or ``None``), day (or ``None``)."""


def birth_date(written: str) -> BirthDate | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as numbers, or ``None`` when not of
    that shape; says nothing of whether the date exists (see :func:`born_problem`)."""
    found = _DATE_SHAPE.fullmatch(written.strip())
    if not found:
        return None
    year, month, day = found.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def born_problem(written: str, *, today: date | None = None) -> str | None:
    """Why ``written`` is not a date of birth: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``,
    a real date, in a year from 1900 to this one."""
    parsed = birth_date(written)
    if parsed is None:
        return f"{written!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"
    year, month, day = parsed
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return f"{written!r} is not a real date"
    this_year = (today or date.today()).year
    if not FIRST_BIRTH_YEAR <= year <= this_year:
        return f"{written!r} is not a year from {FIRST_BIRTH_YEAR} to {this_year}"
    return None


def _number_character(character: str) -> bool:
    # letters and digits of any script (a Persian passport number), their combining
    # marks, and the separators people write numbers with
    return (
        character in _NUMBER_MARKS
        or character.isalnum()
        or unicodedata.category(character).startswith("M")
    )


def number_problem(number: str) -> str | None:
    """Why ``number`` is not an identifier number: 1 to 60 letters or digits of any
    script, spaces, dashes, slashes or dots, with at least one letter or digit."""
    if not 1 <= len(number) <= MAX_NUMBER:
        return f"must be 1 to {MAX_NUMBER} characters"
    if not all(_number_character(c) for c in number) or not any(c.isalnum() for c in number):
        return "must be letters, digits, spaces, dashes, slashes or dots"
    return None


def screened_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be screened: no letter or digit in it (a blank name is not
    "clear", it is nothing), or more than :data:`MAX_NAME_WORDS` words."""
    if not has_letters(name):
        return "has no letter or digit: nothing to screen"
    words = len(name.split())
    if words > MAX_NAME_WORDS:
        return f"has {words} words; at most {MAX_NAME_WORDS}"
    return None
