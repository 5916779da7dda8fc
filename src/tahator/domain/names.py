"""Names as sanctions screening compares them (pure; no I/O).

Names arrive in Latin, Persian, Arabic and Urdu script and the same person is
written Qalibaf, Ghalibaf and Khalibaf.  :func:`normalize` turns a name into
words that compare equal across those variants (NFKC, casefold, script
transliteration, honorifics and legal forms dropped, romanization variants
folded: every rule a table in ``screening_tables.py``).  Persian-script names,
which leave short vowels unwritten, are compared on consonant skeletons.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tahator.domain import screening_tables as tables

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u06d6-\u06ed]")
_APOSTROPHES = re.compile(r"['’‘ʼʻ`´ʿʾ]")
_SEPARATORS = re.compile(r"[\W_]+")
_LETTER_FOLDS = tuple((re.compile(p), r) for p, r in tables.LETTER_FOLDS)
_DOUBLED = re.compile(tables.DOUBLED_LETTERS)
_SKELETON_FOLDS = tuple((re.compile(p), r) for p, r in tables.SKELETON_FOLDS)
_ARABIC_TABLE = str.maketrans(tables.ARABIC_SCRIPT)
_DROPPED = tables.HONORIFICS | tables.LEGAL_FORMS | tables.GENERIC_WORDS


def _dropped(word: str) -> bool:
    """An honorific, article, or a legal form or generic word however it is spelled
    (variants folded, or one typo away in words of six letters or more)."""
    if word in _DROPPED or word in tables.ARTICLES:
        return True
    folded = _letters(word, True)
    if folded in _BUSINESS_FOLDED:
        return True
    if len(folded) < 6:
        return False
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import extractOne

    return extractOne(folded, _BUSINESS_LONG, scorer=OSA.distance, score_cutoff=1) is not None


@dataclass(frozen=True)
class Normalized:
    """A name as screening compares it."""

    words: tuple[str, ...]
    """Latin words with every variant folded."""
    skeleton: tuple[str, ...]
    """The words' consonant skeletons (for names written in Arabic script)."""
    arabic_script: bool

    @property
    def text(self) -> str:
        return " ".join(self.words)


def transliterate(text: str) -> str:
    """Persian, Arabic and Urdu letters to Latin (other text unchanged)."""
    text = _ARABIC_MARKS.sub("", text)
    words = []
    for word in text.split():
        for prefix, replacement in tables.ARABIC_WORD_PREFIXES:
            if word.startswith(prefix) and len(word) > len(prefix) + 1:
                word = replacement + word[len(prefix) :]
                break
        words.append(word)
    return " ".join(words).translate(_ARABIC_TABLE)


def _plain_words(name: str) -> tuple[list[str], bool]:
    text = unicodedata.normalize("NFKC", name).casefold()
    arabic = _ARABIC.search(text) is not None
    if arabic:
        text = transliterate(text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text)
    return [w for w in _SEPARATORS.split(text) if w], arabic


def _prefixes(word: str) -> list[str]:
    word = tables.WORD_FOLDS.get(word, word)
    for prefix, replacement in tables.PREFIX_FOLDS:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = replacement + word[len(prefix) :]
            break
    return [tables.WORD_FOLDS.get(p, p) for p in word.split() if p not in tables.ARTICLES]


def _suffixes(word: str) -> list[str]:
    for suffix, replacement in tables.SUFFIX_FOLDS:
        if word.endswith(suffix) and len(word) > len(suffix):
            word = word[: -len(suffix)] + replacement
            break
    return word.split()


def _letters(word: str, collapse: bool) -> str:
    for pattern, replacement in _LETTER_FOLDS:
        word = pattern.sub(replacement, word)
    return _DOUBLED.sub(r"\1", word) if collapse else word


_BUSINESS_FOLDED = frozenset(_letters(w, True) for w in tables.LEGAL_FORMS | tables.GENERIC_WORDS)
_BUSINESS_LONG = sorted(w for w in _BUSINESS_FOLDED if len(w) >= 6)


def skeleton_of(word: str) -> str:
    """A folded word's consonant skeleton: ``hussain`` -> ``hsn``."""
    for pattern, replacement in _SKELETON_FOLDS:
        word = pattern.sub(replacement, word)
    return word


def normalize(name: str) -> Normalized:
    """Fold ``name`` to the words screening compares (see the module docstring)."""
    raw, arabic = _plain_words(name)
    kept = [w for w in raw if not _dropped(w)]
    if not kept:  # a name made only of generic words is still a name
        kept = [w for w in raw if w not in tables.ARTICLES]
    folded: list[str] = []
    for word in kept:
        folded.extend(_prefixes(word))
    joined: list[str] = []
    for word in folded:
        if joined and word in tables.JOIN_WITH_PREVIOUS:
            joined[-1] += word
        else:
            joined.append(word)
    split = [part for word in joined for part in _suffixes(word)]
    words = tuple(w for w in (_letters(w, not arabic) for w in split) if w)
    skeleton = tuple(s for s in (skeleton_of(w) for w in words) if s)
    return Normalized(words, skeleton, arabic)


def matching_names(name: str) -> list[str]:
    """The names to match a listed name as: itself without bracketed parts, and each
    bracketed part alone (``SHAHID HEMMAT INDUSTRIAL GROUP (SHIG)`` -> both)."""
    inner = [m.strip() for m in re.findall(r"\(([^()]*)\)", name)]
    outer = re.sub(r"\([^()]*\)", " ", name).strip()
    names = [outer] if outer else []
    # an acronym in brackets is another name; a lower-case remark ("combat name") is not
    acronyms = [i for i in inner if i.isupper() and " " not in i and 2 <= len(i) <= 6]
    return names + [i for i in acronyms if normalize(i).words]
