"""What people type into forms, read the way they write it.

One place for a form's dates and amounts, so every form accepts the same things and
words its refusals alike.  (Issue 20's input work extends these: Solar Hijri dates,
Persian and Arabic-Indic digits, grouping separators.)
"""

from __future__ import annotations

from datetime import date

from tahator.domain.corridor import parse_day
from tahator.domain.errors import InputError, Problem


def typed_day(text: str) -> date:
    """A date as a person typed it in a form; ``ValueError`` saying why not."""
    return parse_day(text)


def form_day(text: str, field: str) -> date:
    """A form's date (``YYYY-MM-DD``, within the accepted range); ``InputError`` naming
    ``field`` otherwise."""
    try:
        return typed_day(text)
    except ValueError as error:
        raise InputError([Problem(str(error), field=field)]) from None
