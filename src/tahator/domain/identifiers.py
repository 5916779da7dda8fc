"""What an identifier and a name may contain (pure; no I/O).

**Identifiers** -- the ids users give firms, consortia, offers and obligations, and
usernames -- travel in URLs, file names, CSV cells, audit records and bank messages,
and a person compares them by eye.  So they are plain: after Unicode NFKC
normalization (a full-width ``ＰＫ-０００１`` becomes ``PK-0001``) and trimming, an
identifier uses only the ASCII letters ``A-Z`` and ``a-z``, the digits ``0-9``, ``-``,
``_`` and ``.``; starts with a letter or digit; has no ``..``; and is 1 to a limit of
characters that is its column's width.  That refuses control characters (NUL),
bidirectional overrides (U+202E), zero-width characters, look-alike letters of other
scripts (a Cyrillic ``РК-0001``), paths (``../../etc/passwd``), URL syntax (``/``,
``?``, ``#``), markup and spreadsheet formulas (``=``).  Letters keep their case.

The rule applies to what users submit.  References the system makes itself (a barter
authorization's ``BT-4100001-1-000001/residual``) keep their form, and ids stored
before the rule are not rewritten: pages link to every id URL-encoded.

**Names** -- of firms and consortia, aliases, an offer's description and unit -- keep
any script (Persian, Urdu, Arabic, Latin) but refuse characters that hide or reorder
text: control characters (Unicode category Cc: NUL, tab, newline, ...); the
bidirectional embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069; the
zero-width characters U+200B (space), U+200D (joiner), U+2060 (word joiner), U+FEFF
(byte-order mark) and U+180E (Mongolian vowel separator); and lone surrogates.  The
zero-width non-joiner U+200C stays: Persian spelling needs it (``می‌خواهم``).  The
left-to-right and right-to-left marks (U+200E, U+200F, U+061C) stay too: they only
set the direction of neutral characters next to them, as mixed Persian and Latin
names need, and cannot reverse the text after them.
"""

from __future__ import annotations

import re
import unicodedata

IDENTIFIER_RULE = "must use only letters A–Z, digits, '-', '_' and '.'"
"""An identifier's character set, as a problem states it."""
HIDDEN_RULE = "must not contain control, bidirectional-override or zero-width characters"
"""What a name refuses, as a problem states it."""

_IDENTIFIER = re.compile(r"[A-Za-z0-9._-]+")
BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
"""Embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069)."""
ZERO_WIDTH = frozenset("\u200b\u200d\u2060\ufeff\u180e")
"""Zero-width characters a name refuses; the non-joiner U+200C is not one of them."""


def normalize_identifier(text: str) -> str:
    """``text`` as an identifier is stored: NFKC-normalized, without surrounding blanks."""
    return unicodedata.normalize("NFKC", text).strip()


def _named(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character named so that it shows."""
    name = unicodedata.name(char, "")
    if not name:
        kind = {"Cc": "a control character", "Cs": "a lone surrogate"}
        name = f"({kind.get(unicodedata.category(char), 'unnamed')})"
    return f"U+{ord(char):04X} {name}"


def identifier_problem(text: str, longest: int) -> str | None:
    """What is wrong with ``text`` as an identifier of at most ``longest`` characters
    (checked as ``normalize_identifier`` stores it), or ``None``."""
    text = normalize_identifier(text)
    if not text or len(text) > longest:
        return f"must be 1 to {longest} characters"
    if not _IDENTIFIER.fullmatch(text):
        bad = next(c for c in text if not _IDENTIFIER.fullmatch(c))
        shown = repr(bad) if bad.isascii() and bad.isprintable() else _named(bad)
        return f"{IDENTIFIER_RULE} (found {shown})"
    if not text[0].isalnum():
        return "must start with a letter or a digit"
    if ".." in text:
        return "must not contain '..'"
    return None


def hidden_problem(text: str) -> str | None:
    """What is wrong with ``text`` as text a person reads (see the module: a name's
    characters, whatever its length), or ``None``."""
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or char in BIDI_CONTROLS or char in ZERO_WIDTH:
            return f"{HIDDEN_RULE} (found {_named(char)})"
    return None


def name_problem(text: str, longest: int) -> str | None:
    """What is wrong with ``text`` (already trimmed) as a name of 1 to ``longest``
    characters, or ``None``."""
    if not text or len(text) > longest:
        return f"must be 1 to {longest} characters"
    return hidden_problem(text)
