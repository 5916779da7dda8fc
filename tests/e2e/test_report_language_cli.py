"""``--language`` for the reports people read from the command line: English by
default, Persian or Urdu when asked, anything else refused."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli
from tests.e2e.test_border_cli import db, trading  # noqa: F401  (fixtures)
from tests.unit.test_report_languages import fonts_of


def test_the_barter_pdf_in_persian_and_urdu(cli: Cli, db: str, tmp_path: Path) -> None:  # noqa: F811
    for lang, font in (("en", "Vazirmatn"), ("fa", "Vazirmatn"), ("ur", "Noto-Naskh-Arabic")):
        out = tmp_path / f"{lang}.pdf"
        args = ["--db", db, "report", "barter", "--quarter", "2025Q4", "--format", "pdf"]
        code, _, err = cli(*args, "-o", out, "--language", lang)
        assert code == 0, err
        assert font in fonts_of(out.read_bytes()), lang
    code, _, err = cli(*args, "-o", tmp_path / "x.pdf", "--language", "de")
    assert code == 2
    assert "--language" in err
    assert not (tmp_path / "x.pdf").exists()


def test_the_target_page_in_urdu(cli: Cli, trading: str, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "t.html"
    code, _, err = cli(
        "--db", trading, "report", "target", "--format", "html", "-o", out, "--language", "ur"
    )
    assert code == 0, err
    html = out.read_text()
    assert '<html lang="ur" dir="rtl">' in html
    assert 'font-family: "Noto Naskh Arabic"' in html
    code, _, err = cli("--db", trading, "report", "target", "-o", out, "--language", "xx")
    assert code == 2
