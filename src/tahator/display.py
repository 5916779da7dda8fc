"""Numbers, amounts, dates and times for people, in the active language.

``formatting`` writes the machine forms (CSV, JSON: ``1234.50``, ISO dates); this
module writes what a person reads on a page or in a PDF:

- numbers by CLDR (Babel) for the language, with Persian digits in Persian;
- amounts at the currency's customary precision: IRR in whole rials (or tomans, a
  user's choice), the others at their ISO digits; rupees grouped in lakh and crore
  (``7,40,43,868.11``), as Pakistan writes them, other currencies in thousands;
- dates in the Solar Hijri calendar in Persian (``۱۴۰۴/۱۲/۱۲``), in the Gregorian
  one otherwise; times in the user's zone.

An amount never loses a digit to the custom: a rial amount with a fraction (a
conversion can leave one) is shown with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import jdatetime
from babel.numbers import format_decimal, get_currency_name

from tahator.domain.money import CUSTOMARY_DIGITS as CUSTOMARY_DIGITS  # input's table too
from tahator.domain.money import Amount
from tahator.i18n import language, reader

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LAKH_CURRENCIES = frozenset({"PKR", "INR"})
"""Currencies written in lakh and crore groups (``#,##,##0``)."""
TOMAN = 10
"""Rials in a toman."""
BABEL_LOCALE = {"en": "en", "fa": "fa_IR", "ur": "ur_PK"}


def digits(text: str, lang: str | None = None) -> str:
    """``text`` with Persian digits in Persian; unchanged otherwise."""
    return text.translate(PERSIAN_DIGITS) if (lang or language()) == "fa" else text


def number(value: int | Decimal, lang: str | None = None, pattern: str | None = None) -> str:
    """``value`` by the language's CLDR format: ``1,234.5``; ``۱٬۲۳۴٫۵`` in Persian."""
    lang = lang or language()
    text = format_decimal(
        value, format=pattern, locale=BABEL_LOCALE[lang], numbering_system="default"
    )
    return digits(text, lang)


def amount_text(value: Amount, lang: str | None = None, toman: bool = False) -> str:
    """``value`` without its currency, grouped and at its customary precision."""
    quantity = value.decimal
    places = value.digits
    if toman and value.currency == "IRR":
        quantity /= TOMAN
    if value.currency in CUSTOMARY_DIGITS:
        # As few decimals as the custom wants, but never fewer than the value has.
        exponent = quantity.normalize().as_tuple().exponent
        needed = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        places = max(CUSTOMARY_DIGITS[value.currency], needed)
    group = "#,##,##0" if value.currency in LAKH_CURRENCIES else "#,##0"
    return number(quantity, lang, group + ("." + "0" * places if places else ""))


def percent(ratio: Decimal | float | str | None, lang: str | None = None) -> str:
    """A ratio as a percentage to one decimal, in the language's digits, separator and
    percent sign (CLDR, no space): ``0.4567`` → ``45.7%`` (``۴۵٫۷٪``); ``—`` if none."""
    try:
        value = (Decimal(str(ratio)) * 100).quantize(Decimal("0.1"))
    except (ArithmeticError, ValueError, TypeError):
        return "—"
    lang = lang or language()
    # The sign of the digits' numbering system: Persian digits take U+066A; Urdu is
    # written with Latin digits here, and Babel's patterns print "%" for it.
    sign = "\u066a" if lang == "fa" else "%"
    return f"{number(value, lang, '#,##0.0')}{sign}"


def currency_name(code: str, lang: str | None = None) -> str:
    """The currency's name in the language: ``Pakistani Rupee``, ``ریال ایران``."""
    lang = lang or language()
    if code == "IRR" and reader().toman:
        return {"en": "Iranian toman", "fa": "تومان", "ur": "ایرانی تومان"}[lang]
    return str(get_currency_name(code, locale=BABEL_LOCALE[lang]))


def country_name(code: str, lang: str | None = None) -> str:
    """A country's name in the language (CLDR): ``Iran``, ``ایران``; the code if unknown."""
    from babel import Locale

    locale = Locale.parse(BABEL_LOCALE[lang or language()])
    return str(locale.territories.get(code.upper(), code))


def money(value: Amount | None, lang: str | None = None) -> str:
    """``value`` with its currency code: ``7,40,43,868.11 PKR``; ``—`` for none.  Rials
    are shown as tomans (``TMN``) where the reader chose so."""
    if value is None:
        return "—"
    toman = value.currency == "IRR" and reader().toman
    code = "TMN" if toman else value.currency
    return f"{amount_text(value, lang, toman)} {code}"


def calendar_day(value: date, lang: str | None = None) -> str:
    """``value`` as the reader writes it: ``۱۴۰۴/۱۲/۱۲`` in Persian, ``2026-03-03``."""
    if (lang or language()) == "fa":
        return digits(jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d"), "fa")
    return value.isoformat()


def solar_hijri(value: date) -> str:
    """``value`` in the Solar Hijri calendar with Latin digits: ``1404/12/12``."""
    return str(jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d"))


def local_time(value: datetime, zone: str | None = None) -> datetime:
    """A UTC timestamp in the reader's zone."""
    stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
    return stamp.astimezone(ZoneInfo(zone or reader().zone))


def moment(value: datetime, lang: str | None = None, zone: str | None = None) -> str:
    """A timestamp in the reader's zone and calendar: ``2026-03-03 15:00 PKT``."""
    lang = lang or language()
    local = local_time(value, zone)
    clock = local.strftime("%H:%M")
    label = local.tzname() or ""
    if label[:1] in "+-":
        label = "UTC" + label  # Tehran has no abbreviation: "UTC+0330"
    return f"{calendar_day(local.date(), lang)} {digits(clock, lang)} {label}".strip()
