"""The language a request is answered in, and its message catalogues.

English, Persian (``fa``) and Urdu (``ur``).  The catalogues are gettext ``.po`` files
in ``tahator/locale/<language>/LC_MESSAGES/messages.po``, read with Babel when first
needed: nothing is compiled into the repository.  ``make messages`` extracts every
marked string (``_("…")`` in Python, ``{% trans %}`` / ``_()`` in templates) and
updates the catalogues; ``tests/test_catalogues.py`` fails while a string has no
translation.

The active language lives in a context variable that the web's middleware sets for
each request (``tahator.web.language``), so a service's message, a page and a problem
document agree without passing the language everywhere.  Outside a request it is
English.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "fa", "ur")
"""What Tahator speaks; the first is the default."""

NAMES = {"en": "English", "fa": "فارسی", "ur": "اردو"}
"""Each language in its own words, for the switch."""

RIGHT_TO_LEFT = frozenset({"fa", "ur"})

ZONES = ("Asia/Karachi", "Asia/Tehran", "UTC")
"""The time zones a user may choose; the corridor's business dates are Pakistan's."""

DEFAULT_ZONE = "Asia/Karachi"

CATALOGUES = Path(__file__).parent / "locale"


@dataclass(frozen=True)
class Reader:
    """Who reads: the language, the time zone, and whether rials are shown as tomans
    (a user's profile; otherwise the browser's language and Pakistan's zone)."""

    language: str = "en"
    zone: str = DEFAULT_ZONE
    toman: bool = False


_ENGLISH = Reader()
_reader: ContextVar[Reader] = ContextVar("tahator_reader", default=_ENGLISH)


def reader() -> Reader:
    """The reader of the request being answered (English, Pakistan's zone outside one)."""
    return _reader.get()


def language() -> str:
    """The language of the request being answered (``en`` outside one)."""
    return _reader.get().language


def direction(lang: str | None = None) -> str:
    """``rtl`` or ``ltr`` for ``lang`` (the active language by default)."""
    return "rtl" if (lang or language()) in RIGHT_TO_LEFT else "ltr"


def known(text: str | None) -> str | None:
    """``text`` if it names a language Tahator speaks (``fa``, ``FA``, ``fa-IR``)."""
    if not text:
        return None
    code = text.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best of ``LANGUAGES`` for an ``Accept-Language`` header, or ``None``.

    Weights are honoured (``q=0`` refuses); malformed parts are skipped, never an
    error, since the header is the client's."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:40]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = known(tag)
        if code and weight > 0 and (best is None or (weight, -position) > (best[0], best[1])):
            best = (weight, -position, code)
    return best[2] if best else None


def _checked(who: Reader) -> Reader:
    if who.language not in LANGUAGES:
        who = replace(who, language=LANGUAGES[0])
    return who if who.zone in ZONES else replace(who, zone=DEFAULT_ZONE)


@contextmanager
def speaking(lang: str, zone: str = DEFAULT_ZONE, toman: bool = False) -> Iterator[None]:
    """Answer in ``lang`` (and ``zone``) within the block (a PDF, a test)."""
    token = _reader.set(_checked(Reader(lang, zone, toman)))
    try:
        yield
    finally:
        _reader.reset(token)


def use(who: Reader) -> None:
    """Answer ``who`` for the rest of this context (the middleware's request)."""
    _reader.set(_checked(who))


@cache
def catalogue(lang: str) -> _gettext.NullTranslations:
    """``lang``'s translations, read from its ``.po`` file (English: none needed)."""
    path = CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
    if lang == LANGUAGES[0] or not path.exists():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as source:
        messages = read_po(source, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, messages, use_fuzzy=False)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def _(message: str) -> str:
    """``message`` in the active language (the English itself if untranslated)."""
    return catalogue(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return catalogue(language()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message
