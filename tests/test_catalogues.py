"""Every string the UI shows is translated into Persian and Urdu.

The marked strings are extracted from the source as ``make messages`` does (same
``babel.cfg``), so a new ``_("…")`` or ``{% trans %}`` without a translation fails
here, naming it, until the catalogues have it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tahator import i18n

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    methods, options = [], {}
    section = None
    for raw in (ROOT / "babel.cfg").read_text().splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            method, _, pattern = line[1:-1].partition(":")
            section = pattern.strip()
            methods.append((section, method.strip()))
            options[section] = {}
        elif "=" in line and section and not line.startswith("#"):
            key, _, value = line.partition("=")
            options[section][key.strip()] = value.strip()
    return methods, options


def extracted() -> dict[str, tuple[str, ...]]:
    """Every marked message (its msgid; plurals as both forms) and where it is."""
    methods, options = _method_map()
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    found: dict[str, list[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        ROOT, methods, options, keywords=keywords
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, []).append(filename)
    return {text: tuple(places) for text, places in found.items()}


MESSAGES = extracted()


def test_strings_are_extracted_from_python_and_templates() -> None:
    assert "Sign out" in MESSAGES  # base.html
    assert "an auditor may not do this" in MESSAGES  # formatting.py


@pytest.mark.parametrize("lang", [code for code in i18n.LANGUAGES if code != "en"])
def test_every_string_is_translated(lang: str) -> None:
    path = i18n.CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalogue = read_po(source, locale=lang)
    missing, broken = [], []
    for text, places in sorted(MESSAGES.items()):
        entry = catalogue.get(text)
        if entry is None:
            # A plural's second form is its entry's msgid_plural.
            entry = next((m for m in catalogue if isinstance(m.id, tuple) and text in m.id), None)
        strings = entry.string if entry is not None else ""
        translations = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(t.strip() for t in translations):
            missing.append(f"{text!r} ({places[0]})")
            continue
        wanted = set(PLACEHOLDER.findall(text))
        for translation in translations:
            if set(PLACEHOLDER.findall(translation)) != wanted:
                broken.append(f"{text!r}: {translation!r}")
    assert not missing, (
        f"{len(missing)} untranslated in {lang}: run `make messages`:\n" + "\n".join(missing)
    )
    assert not broken, "placeholders differ from the English:\n" + "\n".join(broken)


def test_a_translation_is_used_in_its_language() -> None:
    with i18n.speaking("fa"):
        persian = i18n._("Sign out")
    with i18n.speaking("ur"):
        urdu = i18n._("Sign out")
    assert persian != "Sign out"
    assert urdu not in {"Sign out", persian}
    assert i18n._("Sign out") == "Sign out"
