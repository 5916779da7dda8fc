"""PDFs and HTML documents in the fonts shipped with the package, in the reader's
language.

``pdf_bytes(html)`` prints an HTML page with WeasyPrint in Vazirmatn (Persian, and the
Latin script everywhere) and Noto Naskh Arabic (Urdu), read from
``tahator/web/static/fonts``: never a font of the computer it runs on.  The page
picks its fonts by its ``<html lang>``; a template names no ``font-family`` of its
own (``document_environment`` gives templates the i18n extension and the filters).
WeasyPrint fetches nothing but those font files: no network, no other file.

``embedded_fonts_css(lang)`` is the same ``@font-face`` rules with the fonts inline
(``data:`` URLs), for an HTML file read offline on another computer.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from tahator import display, i18n
from tahator.domain.money import Amount

if TYPE_CHECKING:
    from weasyprint import Document

FONTS = (Path(__file__).parent.parent / "web" / "static" / "fonts").resolve()
"""The fonts shipped with the package (OFL): the web's and the documents'."""

TEMPLATES = Path(__file__).parent / "templates"

FACES = (
    ("Vazirmatn", "Vazirmatn-Regular.woff2", 400),
    ("Vazirmatn", "Vazirmatn-Bold.woff2", 700),
    ("Noto Naskh Arabic", "NotoNaskhArabic-Regular.woff2", 400),
    ("Noto Naskh Arabic", "NotoNaskhArabic-Bold.woff2", 700),
)
FAMILIES = {
    "en": ("Vazirmatn",),
    "fa": ("Vazirmatn",),
    # Noto Naskh Arabic writes Urdu; it has no Latin letters, which Vazirmatn gives.
    "ur": ("Noto Naskh Arabic", "Vazirmatn"),
}
"""The font stack of each language: shipped fonts only, nothing left to the system."""


def font_family(lang: str | None = None) -> str:
    """The CSS ``font-family`` value for ``lang`` (the active language by default)."""
    return ", ".join(f'"{name}"' for name in FAMILIES.get(lang or i18n.language(), ("Vazirmatn",)))


def _faces(source: Any, families: Sequence[str]) -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{name}"; src: url("{source(file)}") format("woff2"); '
        f"font-weight: {weight}; font-style: normal; }}"
        for name, file, weight in FACES
        if name in families
    )


def fonts_css() -> str:
    """``@font-face`` rules for the shipped fonts (``file://`` URLs) and each language's
    stack, chosen by the document's ``<html lang>``: what ``pdf_bytes`` adds to a page."""
    rules = [_faces(lambda file: (FONTS / file).as_uri(), [name for name, _, _ in FACES])]
    rules.append(f"html {{ font-family: {font_family('en')}; }}")
    for lang in ("fa", "ur"):
        rules.append(f'html[lang|="{lang}"] {{ font-family: {font_family(lang)}; }}')
    return "\n".join(rules)


@cache
def _inline(file: str) -> str:
    data = base64.b64encode((FONTS / file).read_bytes()).decode("ascii")
    return f"data:font/woff2;base64,{data}"


def embedded_fonts_css(lang: str | None = None) -> str:
    """``@font-face`` rules with ``lang``'s fonts inline and ``html``'s ``font-family``:
    an HTML file that shows Persian or Urdu offline, on any computer."""
    families = FAMILIES.get(lang or i18n.language(), ("Vazirmatn",))
    return _faces(_inline, families) + f"\nhtml {{ font-family: {font_family(lang)}; }}"


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ShippedFonts(URLFetcher):  # type: ignore[misc]
        """Fetches the shipped fonts' files and nothing else (no network, no file
        outside the fonts' folder)."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            from urllib.parse import unquote, urlparse

            parts = urlparse(url)
            path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
            if path is None or path.parent != FONTS or path.suffix != ".woff2":
                raise ValueError(f"not a shipped font: {url}")
            return URLFetcherResponse(
                url, path.read_bytes(), {"Content-Type": "font/woff2"}, status=200
            )

    return ShippedFonts()


def render(html: str) -> Document:
    """The page laid out by WeasyPrint in the shipped fonts (``pdf_bytes``)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _fetcher()
    config = FontConfiguration()
    fonts = CSS(string=fonts_css(), url_fetcher=fetcher, font_config=config)
    page = HTML(string=html, base_url=FONTS.as_uri() + "/", url_fetcher=fetcher)
    return page.render(stylesheets=[fonts], font_config=config)


def pdf_bytes(html: str) -> bytes:
    """``html`` printed as a PDF in the shipped fonts (by its ``<html lang>``: Vazirmatn
    for Persian and English, Noto Naskh Arabic for Urdu).  The page should name no
    ``font-family``; it may use ``font-size`` and ``font-weight`` (400, 700)."""
    data: bytes = render(html).write_pdf()
    return data


# --- the documents' templates ----------------------------------------------------------


def document_day(value: date | datetime | None) -> str:
    """A date for a document: ``2026-03-03``; in Persian the Solar Hijri date with the
    Gregorian beside it, ``۱۴۰۴/۱۲/۱۲ (2026-03-03)``.  A timestamp in the reader's zone
    (``2026-03-03 15:00 PKT``; in Persian its Gregorian date beside it)."""
    if value is None:
        return "—"
    lang = i18n.language()
    if isinstance(value, datetime):
        shown = display.moment(value)
        if lang == "fa":
            return f"{shown} ({display.local_time(value).date().isoformat()})"
        return shown
    if lang == "fa":
        return f"{display.calendar_day(value)} ({value.isoformat()})"
    return value.isoformat()


def document_money(value: Amount | None, currency: str = "") -> str:
    """An amount for a document (``display``): grouped for the language and currency,
    with the currency code if ``currency`` is given."""
    if value is None:
        return "—"
    return display.money(value) if currency else display.amount_text(value)


def document_number(value: int | None) -> str:
    """A count for a document: ``1,580``; ``۱٬۵۸۰`` in Persian."""
    return "—" if value is None else display.number(value)


def css_string(text: object) -> Markup:
    """``text`` as the inside of a CSS string in a ``<style>`` element (``content:``)."""
    escaped = "".join(
        f"\\{ord(ch):x} " if ch in '"\\<>&\n' or ord(ch) < 32 else ch for ch in str(text)
    )
    return Markup(escaped)


@cache
def document_environment() -> Environment:
    """Jinja for the documents in ``io/templates``: the i18n extension with newstyle
    gettext (``{{ _("… %(n)s", n=x) }}``, as the web's pages), the filters ``day``,
    ``money``, ``number``, ``digits``, ``country``, ``css_string``; context: ``lang``
    and ``dir`` come from ``document_context()``."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n._, i18n.ngettext, newstyle=True
    )
    environment.filters.update(
        day=document_day,
        money=document_money,
        number=document_number,
        digits=lambda text: display.digits(str(text)),
        country=display.country_name,
        css_string=css_string,
    )
    return environment


def document_context() -> dict[str, str]:
    """``lang`` and ``dir`` for ``<html lang dir>``, from the active language."""
    lang = i18n.language()
    return {"lang": lang, "dir": i18n.direction(lang)}
