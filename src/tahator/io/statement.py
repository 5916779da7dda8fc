"""A firm's statement (``services.statement``) as CSV for machines and as a PDF for
people.

The CSV is machine-readable: ISO dates, plain decimals, stable English column names
and kinds, every text cell safe for spreadsheets (``tables.write_csv``).  The PDF is
in the reader's language (``i18n``): its words through ``_()``, amounts through
``display.money``, dates in the reader's calendar with the Gregorian beside a Solar
Hijri one, and the shipped fonts (Vazirmatn, Noto Naskh Arabic) so that Persian and
Urdu render without any font of the machine's.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from tahator import display, i18n
from tahator.formatting import amount
from tahator.i18n import _
from tahator.io.tables import write_csv
from tahator.services.statement import LineKind, Statement

if TYPE_CHECKING:
    from weasyprint import URLFetcher

STATEMENT_CSV_HEADER = (
    "date",
    "kind",
    "number",
    "reference",
    "counterparty",
    "counterparty_name",
    "currency",
    "owed_by_firm",
    "owed_to_firm",
)
TEMPLATES = Path(__file__).parent / "templates"
FONTS = Path(__file__).resolve().parent.parent / "web" / "static" / "fonts"
PDF_MAX_LINES = 2000
"""At most this many lines in the PDF (the CSV has them all); the rest are counted."""


def statement_csv(statement: Statement) -> str:
    """The statement's lines as CSV text with a header (``STATEMENT_CSV_HEADER``)."""
    rows = [
        [
            line.day.isoformat(),
            str(line.kind),
            "" if line.number is None else str(line.number),
            line.reference,
            line.counterparty,
            line.counterparty_name,
            line.owed_by_firm.currency,
            amount(line.owed_by_firm),
            amount(line.owed_to_firm),
        ]
        for line in statement.lines
    ]
    out = io.StringIO(newline="")
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else []
    if columns:
        write_csv(out, STATEMENT_CSV_HEADER, columns)
    else:
        out.write(",".join(STATEMENT_CSV_HEADER) + "\n")
    return out.getvalue()


def kind_words(kind: LineKind) -> str:
    """A statement line's kind for people, in the reader's language."""
    words = {
        LineKind.REGISTERED: _("registered"),
        LineKind.SET_OFF: _("set off in a clearing run"),
        LineKind.HANDED_OVER: _("handed to the clearing accounts for settlement"),
        LineKind.PAID: _("paid to the clearing account"),
        LineKind.RECEIVED: _("received from the clearing account"),
    }
    return words[kind]


def _both_days(value: Any) -> str:
    """A date as the reader writes it; in Persian with the Gregorian beside it."""
    shown = display.calendar_day(value)
    if i18n.language() == "fa":
        return f"{shown} ({value.isoformat()})"
    return shown


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.filters.update(
        money=display.money, day=_both_days, number=display.number, kind=kind_words
    )
    return environment


def statement_html(statement: Statement, max_lines: int = PDF_MAX_LINES) -> str:
    """The statement as the HTML page the PDF is printed from, in the reader's language."""
    language = i18n.language()
    return (
        _environment()
        .get_template("statement.html")
        .render(
            statement=statement,
            lines=statement.obligation_lines[:max_lines],
            payments=statement.payment_lines[: max(0, max_lines - len(statement.obligation_lines))],
            omitted=max(0, len(statement.lines) - max_lines),
            lang=language,
            dir=i18n.direction(language),
            fonts=FONTS.as_uri(),
        )
    )


def _fonts_only() -> URLFetcher:
    """A fetcher that reads the shipped fonts and nothing else (no network, no file
    outside the fonts folder)."""
    from weasyprint import URLFetcher

    prefix = FONTS.as_uri() + "/"

    class FontsOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(prefix) or ".." in url:
                raise ValueError(f"not fetched: {url[:80]}")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols=("file",))


def statement_pdf(statement: Statement) -> bytes:
    """The statement as an A4 PDF in the reader's language."""
    from weasyprint import HTML

    document = HTML(string=statement_html(statement), url_fetcher=_fonts_only()).render()
    pdf: bytes = document.write_pdf()
    return pdf
