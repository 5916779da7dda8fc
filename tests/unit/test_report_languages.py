"""The reports people read, in English, Persian and Urdu: ``<html lang dir>``, every
text through the catalogue, numbers and dates for the language (Solar Hijri with the
Gregorian beside it in Persian), and PDFs in the fonts shipped with the package,
never the computer's."""

from __future__ import annotations

import datetime as dt
import gettext
import json
import re
from pathlib import Path

import pytest

from tahator import i18n
from tahator.domain.money import Amount
from tahator.io import pdf
from tahator.io.barter_report import report_html, report_pdf
from tahator.io.target_report import render_target_report, target_html
from tahator.services.barter_report import PolicyVersion
from tahator.services.stats import MonthFigures, PathPoint, TargetReport, TargetStatus
from tests.pdf_file import pdf_info, pdf_objects, pdf_pages
from tests.unit.test_barter_report_pdf import AMENDED, quarterly

SHIPPED = {"Vazirmatn", "Vazirmatn-Bold", "Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold"}
FONT_NAME = re.compile(rb"/FontName\s*/(?:[A-Z]{6}\+)?([^\s/\[\]<>()]+)")

TRANSLATIONS = {
    "fa": {
        "Quarterly barter report %(quarter)s": "گزارش فصلی تهاتر %(quarter)s",
        "Quarterly barter report: %(quarter)s": "گزارش فصلی تهاتر: %(quarter)s",
        "Authorizations": "مجوزها",
        "Pakistan–Iran trade against its target": "تجارت پاکستان و ایران در برابر هدف",
    },
    "ur": {
        "Quarterly barter report %(quarter)s": "سہ ماہی بارٹر رپورٹ %(quarter)s",
        "Quarterly barter report: %(quarter)s": "سہ ماہی بارٹر رپورٹ: %(quarter)s",
        "Authorizations": "اجازت نامے",
        "Pakistan–Iran trade against its target": "پاکستان ایران تجارت، ہدف کے مقابلے میں",
    },
}


class Catalogue(gettext.NullTranslations):
    """A few messages translated, as the catalogues will be after translation."""

    def __init__(self, table: dict[str, str]) -> None:
        super().__init__()
        self.table = table

    def gettext(self, message: str) -> str:
        return self.table.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


@pytest.fixture(autouse=True)
def catalogues(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "catalogue", lambda lang: Catalogue(TRANSLATIONS.get(lang, {})))


def fonts_of(data: bytes) -> set[str]:
    """The names of the fonts a PDF embeds (their subset prefixes dropped)."""
    return {name.decode() for name in FONT_NAME.findall(pdf_objects(data))}


@pytest.mark.parametrize(
    ("lang", "direction", "fonts"),
    [
        ("en", "ltr", {"Vazirmatn", "Vazirmatn-Bold"}),
        ("fa", "rtl", {"Vazirmatn", "Vazirmatn-Bold"}),
        ("ur", "rtl", {"Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold"}),
    ],
)
def test_the_barter_report_in_each_language_is_one_page_in_the_shipped_fonts(
    lang: str, direction: str, fonts: set[str]
) -> None:
    report = quarterly(300, (AMENDED,))
    with i18n.speaking(lang):
        html = report_html(report)
        data = report_pdf(report)
    assert html.startswith(f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}">')
    assert pdf_pages(data) == 1
    embedded = fonts_of(data)
    assert fonts <= embedded, embedded
    assert embedded <= SHIPPED, embedded  # no DejaVu, nothing of the computer's
    title = TRANSLATIONS.get(lang, {}).get("Quarterly barter report %(quarter)s", "")
    expected = (title or "Quarterly barter report %(quarter)s") % {"quarter": "2026Q1"}
    assert pdf_info(data)["Title"] == expected
    if lang != "en":
        assert TRANSLATIONS[lang]["Authorizations"] in html


def test_persian_has_solar_hijri_dates_with_the_gregorian_and_persian_digits() -> None:
    report = quarterly(3, (AMENDED,))
    with i18n.speaking("fa", "Asia/Tehran"):
        html = report_html(report)
    for text in (
        "۱۴۰۴/۱۰/۱۱ (2026-01-01)",  # the quarter's first day
        "۱۴۰۵/۰۱/۱۱ (2026-03-31)",
        "<td>۱۴۰۴/۰۷/۲۵ (2025-10-17)</td>",  # the order's version in force from
        "۱۴۰۵/۰۱/۱۳ ۱۱:۴۵",  # generated 08:15 UTC, in Tehran's time
        "(2026-04-02)",
        "۱٬۲۳۴٬۵۶۷٫۸۹ USD",  # planned imports
        '<td class="num">۷</td>',  # issued
        "<td>ایران</td>",  # the partner country by name (CLDR)
        "<td>۰۱</td>",  # the HS chapter
    ):
        assert text in html, text
    assert "2026-01-01 to" not in html


def test_urdu_keeps_gregorian_dates_and_latin_digits() -> None:
    report = quarterly(3, (AMENDED,))
    with i18n.speaking("ur"):
        html = report_html(report)
    assert "2026-01-01" in html
    assert "۱۴۰۴" not in html
    assert "1,234,567.89 USD" in html
    assert "<td>ایران</td>" in html


def test_rupees_are_grouped_in_lakh_and_crore() -> None:
    report = quarterly(0, ())
    rupees = Amount(123_456_789_012, "PKR", 2)
    from dataclasses import replace

    html = report_html(replace(report, unit_of_account="PKR", planned_import=rupees))
    assert "1,23,45,67,890.12 PKR" in html


def test_the_footer_strings_are_css_strings() -> None:
    source = PolicyVersion("x", dt.date(2025, 1, 1), 'a "quoted" </style> source', 1)
    with i18n.speaking("fa"):
        html = report_html(quarterly(1, (source,)))
        assert pdf_pages(report_pdf(quarterly(1, (source,)))) == 1
    style = html[html.index("<style>") : html.index("</style>")]
    assert "</style" not in style.lower()[7:]
    assert pdf.css_string('a"b\\c</style>') == "a\\22 b\\5c c\\3c /style\\3e "


def test_pdf_bytes_prints_any_page_in_the_shipped_fonts() -> None:
    # A page naming no font: Vazirmatn, in Latin script and in Persian.
    data = pdf.pdf_bytes('<html lang="fa"><body><p>گزارش <b>report</b> 1,234</p></body></html>')
    assert data.startswith(b"%PDF-")
    assert fonts_of(data) == {"Vazirmatn", "Vazirmatn-Bold"}
    data = pdf.pdf_bytes('<html lang="ur"><body><p>سہ ماہی report</p></body></html>')
    assert fonts_of(data) == {"Noto-Naskh-Arabic", "Vazirmatn"}


def test_the_fetcher_reads_the_shipped_fonts_and_nothing_else(tmp_path: Path) -> None:
    fetcher = pdf._fetcher()
    font = pdf.FONTS / "Vazirmatn-Regular.woff2"
    assert fetcher.fetch(font.as_uri()).read() == font.read_bytes()
    other = tmp_path / "Vazirmatn-Regular.woff2"
    other.write_bytes(font.read_bytes())
    for url in (
        other.as_uri(),
        (pdf.FONTS / ".." / "app.css").as_uri(),
        (pdf.FONTS / "Vazirmatn-OFL.txt").as_uri(),
        "file:///etc/hostname",
        "https://example.com/Vazirmatn-Regular.woff2",
        "data:font/woff2;base64,AAAA",
    ):
        with pytest.raises(ValueError, match="not a shipped font"):
            fetcher.fetch(url)
    # A page asking for another file gets nothing: printed without it, no error.
    page = f'<html><body><img src="{other.as_uri()}"><p>x</p></body></html>'
    assert pdf.pdf_bytes(page).startswith(b"%PDF-")


def usd(minor: int) -> Amount:
    return Amount(minor, "USD", 2)


def target() -> TargetReport:
    series = tuple(
        MonthFigures(
            f"2024-{m:02d}",
            usd(20_000_000_000 + m * 1_000_000_000),
            usd(1_000_000_000),
            usd(500_000_000),
            usd(100_000_000),
            usd(21_000_000_000),
            usd(240_000_000_000) if m > 6 else None,
            usd(300_000_000_000),
        )
        for m in range(1, 13)
    )
    status = TargetStatus(
        unit_of_account="USD",
        as_of="2024-12",
        run_rate=usd(240_000_000_000),
        target=usd(1_000_000_000_000),
        target_year=2028,
        target_date="2028-12",
        baseline_year=2024,
        baseline=usd(300_000_000_000),
        multiple="3",
        tripled_baseline=usd(900_000_000_000),
        share_of_target="0.24",
        months_left=48,
        needed_monthly_growth="0.0321",
        sources=("comtrade.csv",),
    )
    path = tuple(PathPoint(f"2024-{m:02d}", usd(300_000_000_000)) for m in range(1, 13))
    return TargetReport(series, status, path)


@pytest.mark.parametrize(
    ("lang", "direction", "families"),
    [
        ("en", "ltr", ["Vazirmatn"]),
        ("fa", "rtl", ["Vazirmatn"]),
        ("ur", "rtl", ["Noto Naskh Arabic", "Vazirmatn"]),
    ],
)
def test_the_target_page_in_each_language_carries_its_fonts(
    lang: str, direction: str, families: list[str]
) -> None:
    with i18n.speaking(lang):
        html = render_target_report(target(), "html").decode()
    assert html.startswith(f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}">')
    faces = re.findall(r'@font-face \{ font-family: "([^"]+)"; src: url\("data:font/woff2', html)
    assert sorted(set(faces)) == sorted(families)
    assert not re.search(r"<(script|link|img)[^>]*\b(src|href)\s*=", html, re.IGNORECASE)
    assert not re.search(r"url\([\"']?(https?:|file:|/)", html)
    heading = TRANSLATIONS.get(lang, {}).get("Pakistan–Iran trade against its target")
    assert f"<h1>{heading or 'Pakistan–Iran trade against its target'}</h1>" in html


def test_the_target_page_in_persian_has_persian_digits() -> None:
    with i18n.speaking("fa"):
        html = target_html(target())
    assert "run rate ۲٬۴۰۰ million USD at ۲۰۲۴-۱۲" in html
    assert "target ۱۰٬۰۰۰ million USD a year by ۲۰۲۸-۱۲" in html
    assert "۳٫۲۱" in html  # the growth still needed, a percentage
    months = json.dumps("۲۰۲۴-۰۱")  # the months on the chart, in plotly's JSON
    assert f'"x":[{months},' in html
    with i18n.speaking("en"):
        english = target_html(target())
    assert "run rate 2,400 million USD at 2024-12" in english
    assert "needs 3.21% growth a month" in english
