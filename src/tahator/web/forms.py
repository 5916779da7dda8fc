"""What people type into forms, read the way they write it.

One place for a form's dates and amounts, so every form accepts the same things and
words its refusals alike:

- a date in the Gregorian calendar (``2026-03-03`` or ``2026/03/03``) or, when its year
  is a Solar Hijri one (1300 to 1499: ``local_text.SOLAR_HIJRI_YEARS``), in the Solar
  Hijri calendar (``1404/12/12`` or ``1404-12-12``), stored as the Gregorian date it
  names; in Latin, Persian or Arabic-Indic digits;
- an amount in any of those digits, grouped in thousands or lakh (``1,000``,
  ``10,00,000``), at its currency's customary precision (whole rials).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from tahator.domain.corridor import FIRST_DAY, LAST_DAY, day_problem, iso_day
from tahator.domain.errors import InputError, Problem
from tahator.domain.local_text import latin_digits, looks_solar_hijri, solar_hijri_day
from tahator.domain.money import parse_money
from tahator.i18n import _


def typed_day(text: str) -> date:
    """A date as a person typed it in a form; ``ValueError`` saying why not."""
    written = latin_digits(text.strip())[:40]
    if looks_solar_hijri(written):
        day = solar_hijri_day(written)
    else:
        gregorian = iso_day(written.replace("/", "-"))
        if gregorian is None:
            raise ValueError(
                _("%(text)s is not a date: write YYYY-MM-DD, or a Solar Hijri date YYYY/MM/DD")
                % {"text": repr(text.strip()[:40])}
            )
        day = gregorian
    if day_problem(day) is not None:
        raise ValueError(
            _("%(day)s is outside the accepted dates, %(first)s to %(last)s")
            % {"day": day.isoformat(), "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
        )
    return day


def form_day(text: str, field: str) -> date:
    """A form's date (``typed_day``, within the accepted range); ``InputError`` naming
    ``field`` otherwise."""
    try:
        return typed_day(text)
    except ValueError as error:
        raise InputError([Problem(str(error), field=field)]) from None


def typed_amount(text: str, currency: str, digits: Mapping[str, int]) -> int:
    """An amount of ``currency`` as a person typed it, in minor units (``digits``: the
    corridor's currencies' minor-unit digits); ``ValueError`` saying why not."""
    if currency not in digits:
        raise ValueError(_("%(currency)s is not a corridor currency") % {"currency": currency})
    return parse_money(text.strip(), currency, digits[currency])


def form_amount(text: str, currency: str, digits: Mapping[str, int], field: str) -> int:
    """A form's amount (``typed_amount``); ``InputError`` naming ``field`` otherwise."""
    try:
        return typed_amount(text, currency, digits)
    except ValueError as error:
        raise InputError([Problem(str(error), field=field)]) from None
