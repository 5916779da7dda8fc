"""Names as sanctions screening compares them (pure; no I/O).

Names arrive in Latin, Persian, Arabic and Urdu script and the same person is
written Qalibaf, Ghalibaf and Khalibaf.  :func:`normalize` turns a name into
words that compare equal across those variants (NFKC, casefold, script
transliteration, honorifics and legal forms dropped, romanization variants
folded: every rule a table in ``screening_tables.py``).  Persian-script names,
which leave short vowels unwritten, are compared on consonant skeletons.

What clerks write differently is written alike: compound given names joined or
apart (Mohammadali, Mohammad Ali, محمدعلی), titles before a name however spelt
(Hajji, Seyyed, Brigadeer, سردار), bin/ibn written or not; initials are kept
apart for the scoring to credit; a listed compound surname is also matched by
either part (:func:`surname_parts`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from tahator.domain import screening_tables as tables

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u06d6-\u06ed]")
_APOSTROPHES = re.compile(r"['’‘ʼʻ`´ʿʾ]")
_ZWNJ_YEH = re.compile("\u200c(?=\u0627?[\u06cc\u064a](?!\\w))")
# د then ه inside a word, by a vowel letter, is Latin dh written letter by letter
# (قادهافی, ریدهو: Qadhafi, Ridho): ذ, as dh between vowels is in Latin; not before ر
# (Urdu aspirate: Chaudhry) nor where ه begins a joined given name (موهمادهاسان)
_DH = re.compile(
    "(?:(?<=[\u0627\u0648\u06cc\u064a])\u062f\u0647(?=\\w)"
    "|(?<=\\w)\u062f\u0647(?=[\u0627\u0648\u06cc\u064a]))(?!\u0627?\u0633|\u0631)"
)
# a word's final he after a letter Latin writes s, z, k or g is the vowel -e (ملکه Maleke,
# ادویگه Edwige), not the h of a Latin digraph (sh, zh, kh, gh); after ye it is the -ie,
# -iyeh ending (مرضیه Marzieh, امیلیه Emilie), not the nisba -i (Faqih is the loss)
_FINAL_HE = re.compile(
    "(?<=[\u06cc\u064a\u06af\u06a9\u0643\u0633\u0635\u0632\u0638\u0636\u0630])[\u0647\u06c1](?!\\w)"
)
# he or hah inside a word after a letter Latin writes s, z, k or g is its own letter
# (سحب Saheb, سهراب Sohrab), not the h of sh, zh, kh, gh: written H until the skeleton
_APART_H = re.compile(
    "(?<=[\u06af\u06a9\u0643\u0633\u0635\u0632\u0638\u0636\u0630])[\u062d\u0647\u06c1](?=\\w)"
)
_URDU_TH = re.compile("\u062a\u06be")
_URDU_DH = re.compile("\u062f\u06be(?!\u0631)")
_SEPARATORS = re.compile(r"[\W_]+")
_LETTER_FOLDS = tuple((re.compile(p), r) for p, r in tables.LETTER_FOLDS)
_DOUBLED = re.compile(tables.DOUBLED_LETTERS)
_SKELETON_FOLDS = tuple((re.compile(p), r) for p, r in tables.SKELETON_FOLDS)
_LATIN_SKELETON_FOLDS = tuple((re.compile(p), r) for p, r in tables.LATIN_SKELETON_FOLDS)
_ARABIC_TABLE = str.maketrans(tables.ARABIC_SCRIPT)
_ABD_ALONE = {p.rstrip(): "عبد" for p, r in tables.ARABIC_WORD_PREFIXES if r == "عبد "}
_DROPPED = tables.LEGAL_FORMS | tables.GENERIC_WORDS | tables.NASAB
_MADDA_ABD = frozenset({"آب"})
_OCR_DIGITS = re.compile(r"(?<=[a-z])[01]|[01](?=[a-z])")
_OCR_LETTERS = {"0": "o", "1": "l"}
_OCR_RN = re.compile("rn", re.IGNORECASE)
_REPEATED_CONSONANT = re.compile(r"([^aeiouy])[aeiouy]+\1")


@lru_cache(maxsize=1 << 16)
def _dropped(word: str) -> bool:
    """An article, a legal form or generic word however it is spelled (variants folded,
    or one typo away in words of six letters or more)."""
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
    initials: tuple[str, ...] = ()
    """Single letters standing for words (M. A. Jafari: ``m``, ``a``), left out of
    ``words``; a listed word beginning with one earns part of its weight."""

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def repeated(self) -> bool:
        """A word written twice (Zahid Zahid): one listed word must not explain both.
        In Arabic script, a skeleton twice (ناوید نوید: Navid Navid)."""
        compared = self.skeleton if self.arabic_script else self.words
        return len(set(compared)) < len(compared)


@lru_cache(maxsize=1 << 16)
def split_compound(word: str, parts: frozenset[str], depth: int = 3) -> tuple[str, ...]:
    """A word made wholly of two or three known parts of three letters or more, split
    into them (``muhamadali`` -> ``muhamad ali``); any other word alone."""
    if word in parts or len(word) < 6 or depth < 2:
        return (word,)
    for cut in range(3, len(word) - 2):
        if word[:cut] not in parts:
            continue
        rest = word[cut:]
        tail = (rest,) if rest in parts else split_compound(rest, parts, depth - 1)
        if all(t in parts for t in tail):
            return (word[:cut], *tail)
    return (word,)


def transliterate(text: str) -> str:
    """Persian, Arabic and Urdu letters to Latin (other text unchanged)."""
    text = _ARABIC_MARKS.sub("", text)
    # the Persian -i written after a ZWNJ (خامنه‌ای) is part of the word
    text = _ZWNJ_YEH.sub("", text)
    text = _DH.sub("\u0630", text)
    text = _FINAL_HE.sub("\u06c3", text)
    text = _APART_H.sub("H", text)
    # Urdu's aspirates written for Latin th and dh (اتھمن Othman, قدھفی Qadhafi)
    text = _URDU_TH.sub("\u062b", _URDU_DH.sub("\u0630", text))
    words: list[str] = []
    for word in text.split():
        if word in tables.FINAL_ALEF_NAMES:
            word = word[:-1] + "ا"
        # Abdul written apart (عبدال حمید): the word is Abd and the article
        word = _ABD_ALONE.get(word, word)
        # Abdul written back with an initial alef madda (آبدول, آبدل: a clerk's Latin a)
        bare = "ا" + word[1:] if word[:2] in _MADDA_ABD else word
        word = _ABD_ALONE.get(bare, word)
        for prefix, replacement in tables.ARABIC_WORD_PREFIXES:
            probe = bare if replacement == "عبد " else word
            # ال, a letter and ye is a name with the nisba (المی Elmi, الهی Elahi), no article
            nisba = not replacement and len(probe) == 4 and probe[-1] in "\u06cc\u064a"
            if probe.startswith(prefix) and len(probe) > len(prefix) + 1 and not nisba:
                word = replacement + probe[len(prefix) :]
                break
        # عبدالالملک: the article written twice after Abd is still one article
        head, _, rest = word.rpartition(" ")
        if head and rest.startswith("ال") and len(rest) > 3:
            word = f"{head} {rest[2:]}"
        words.extend(split_compound(word, tables.PERSIAN_GIVEN_NAME_PARTS))
    return " ".join(words).translate(_ARABIC_TABLE)


_INVISIBLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors
    (0x2060, 0x206F),  # word joiner, invisible operators (and unassigned ones)
    (0x2800, 0x2800),  # Braille blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFFC),  # specials, object replacement
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement
)
"""Characters that show as nothing besides Unicode's format and control characters
(Default_Ignorable_Code_Point, with the blank-looking fillers)."""


def invisible(character: str) -> bool:
    """Whether ``character`` shows as nothing (whitespace is not invisible: it separates)."""
    if character.isspace():
        return False
    if unicodedata.category(character) in ("Cf", "Cc", "Zl", "Zp"):
        return True
    code = ord(character)
    return any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def has_letters(name: str) -> bool:
    """Whether ``name`` holds a letter or digit one can see (not a filler, not the
    Arabic tatweel, which only stretches a letter)."""
    return any(c.isalnum() and c != "\u0640" and not invisible(c) for c in name)


def joined_across_invisibles(name: str) -> str | None:
    """``name`` with its invisible characters (soft hyphens, zero-width spaces and
    joiners, direction marks, variation selectors, fillers: :func:`invisible`) taken
    out, or ``None`` when it has none.  Read as separators (as :func:`normalize` reads
    them) they split a word ("Shi\u00adrazi" becomes "shi razi"), which hid a listed
    name; taken out they would join two words ("Kavir\u200bZarrin"): screening reads
    both, on the lists' names as on the names screened.  Persian's ZWNJ, which writes
    -zadeh apart, is not invisible in Arabic script."""
    arabic = _ARABIC.search(name) is not None
    kept = "".join(c for c in name if not (invisible(c) and not (arabic and c == "\u200c")))
    return None if kept == name else kept


def _plain_words(name: str) -> tuple[list[str], bool]:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(" " if invisible(c) and c != "\u200c" else c for c in text)
    arabic = _ARABIC.search(text) is not None
    if arabic:
        text = transliterate(text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text)
    words = [w for w in _SEPARATORS.split(text) if w]
    # OCR reads o as 0 and l as 1: a digit in a word of letters is that letter
    return [_OCR_DIGITS.sub(lambda m: _OCR_LETTERS[m.group()], w) for w in words], arabic


def ocr_read(name: str) -> str | None:
    """``name`` with rn read as m (OCR sees Karim as Karirn), if it has an rn: screened
    too, as a name with invisible characters is."""
    read = _OCR_RN.sub("m", name)
    return read if read != name else None


_FOLD_KEYS: dict[int, list[str]] = {}
for _key in tables.WORD_FOLDS:
    if len(_key) >= 5 and _key.isalpha():
        _FOLD_KEYS.setdefault(len(_key), []).append(_key)


def _word_fold(word: str) -> str:
    """A word's fold (Mohamed: muhammad), a clerk's slip too: two neighbouring letters
    swapped (Adbul, Abudl: abd), one replaced in a word of seven letters or more
    (Abdalkah), one added inside (Abmdul); not a letter added at an end or replaced in
    a short word, which makes another name (Ahmadi is not Ahmad, Ahdal not Abdal)."""
    if word in tables.WORD_FOLDS or len(word) < 5:
        return tables.WORD_FOLDS.get(word, word)
    from rapidfuzz.distance import OSA, Levenshtein

    folds = {
        tables.WORD_FOLDS[k]
        for k in _FOLD_KEYS.get(len(word), ())
        if OSA.distance(word, k, score_cutoff=1) <= 1
        and (len(word) >= 7 or Levenshtein.distance(word, k) == 2)
        and not (word[-1] == "i" != k[-1])  # a nisba (Esmaeli) is no given name
    }
    # a letter slipped in inside the word (Abmdul), not at an end (Ahmadi, Ahmada)
    inside = {word[:at] + word[at + 1 :] for at in range(1, len(word) - 1)}
    folds |= {tables.WORD_FOLDS[k] for k in _FOLD_KEYS.get(len(word) - 1, ()) if k in inside}
    return folds.pop() if len(folds) == 1 else word


@lru_cache(maxsize=1 << 16)
def _prefixes(word: str) -> tuple[str, ...]:
    word = _word_fold(word)
    for prefix, replacement in tables.PREFIX_FOLDS:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = replacement + word[len(prefix) :]
            break
    return tuple(tables.WORD_FOLDS.get(p, p) for p in word.split() if p not in tables.ARTICLES)


@lru_cache(maxsize=1 << 16)
def _suffixes(word: str) -> tuple[str, ...]:
    for suffix, replacement in tables.SUFFIX_FOLDS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    return tuple(word.split())


@lru_cache(maxsize=1 << 16)
def _letters(word: str, collapse: bool) -> str:
    for pattern, replacement in _LETTER_FOLDS:
        word = pattern.sub(replacement, word)
    return _DOUBLED.sub(r"\1", word) if collapse else word


_BUSINESS_FOLDED = frozenset(_letters(w, True) for w in tables.LEGAL_FORMS | tables.GENERIC_WORDS)
_BUSINESS_LONG = sorted(w for w in _BUSINESS_FOLDED if len(w) >= 6)
_TITLES_LONG = sorted({f for w in tables.HONORIFICS if len(f := _letters(w, True)) >= 7})
_TITLE_PHRASES: dict[str, list[tuple[str, ...]]] = {}
for _phrase in sorted(
    {tuple(_plain_words(t)[0]) for t in tables.TITLE_PHRASES + tables.PERSIAN_TITLES}
    | {tuple(_plain_words(t.replace("\u200c", ""))[0]) for t in tables.PERSIAN_TITLES},
    key=len,
    reverse=True,
):
    if _phrase:
        _TITLE_PHRASES.setdefault(_phrase[0], []).append(_phrase)


def _parts(names: frozenset[str]) -> frozenset[str]:
    return frozenset(
        part
        for name in names
        for part in _letters(tables.WORD_FOLDS.get(name, name), True).split()
        if len(part) >= 3
    )


_SKELETON_PARTS = _parts(tables.GIVEN_NAME_PARTS)
_GIVEN_PARTS = _SKELETON_PARTS | _parts(tables.MORE_GIVEN_NAME_PARTS)
# titles of four letters or more (doubled letters folded: Hajj is three) with two
# neighbouring letters swapped (Ahji, Qrai, Mjaor), unless that makes a title or a name
_TITLE_SWAPS = (
    frozenset(
        swapped
        for t in tables.HONORIFICS
        if len(_letters(t, True)) >= 4 and t.isalpha()
        for at in range(len(t) - 1)
        if (swapped := t[:at] + t[at + 1] + t[at] + t[at + 2 :]) != t
    )
    - tables.HONORIFICS
    - _GIVEN_PARTS
    - frozenset(tables.WORD_FOLDS)
)


@lru_cache(maxsize=1 << 16)
def skeleton_of(word: str, arabic: bool = False) -> str:
    """A folded word's consonant skeleton: ``hussain`` -> ``hsn`` (``arabic``: the word
    was transliterated from Arabic script, where some Latin digraphs are two letters)."""
    for pattern, replacement in () if arabic else _LATIN_SKELETON_FOLDS:
        word = pattern.sub(replacement, word)
    for pattern, replacement in _SKELETON_FOLDS:
        word = pattern.sub(replacement, word)
    return word


def _article(word: str) -> str:
    """A folded word without the article joined to a given name (Elhassan: hasan)."""
    if word[:2] == "al" and len(word) >= 6:
        rest = word[2:]
        if rest in _GIVEN_PARTS or split_compound(rest, _GIVEN_PARTS) != (rest,):
            return rest
    return word


_GIVEN_SKELETONS = frozenset(skeleton_of(p) for p in _SKELETON_PARTS)


@lru_cache(maxsize=1 << 16)
def _split_skeleton(word: str) -> tuple[str, ...]:
    """A transliterated Arabic-script word made of two given names (آلیحسن, alihsn),
    split where both halves have a given name's consonant skeleton."""
    if not 6 <= len(word) <= 24:  # two given names; a longer word is no compound of them
        return (word,)
    for cut in range(3, len(word) - 2):
        head, tail = skeleton_of(word[:cut], True), skeleton_of(word[cut:], True)
        if head in _GIVEN_SKELETONS and tail in _GIVEN_SKELETONS and len(head + tail) >= 4:
            return (word[:cut], word[cut:])
    return (word,)


@lru_cache(maxsize=1 << 16)
def _title(word: str) -> bool:
    """A title or form of address, misspelled too (one edit, in words of seven letters
    or more once folded: Ayatolah, Brigadeer; not shorter ones, where one edit turns a
    title into a name: Moulavi, Mousavi), or two of its letters swapped (Ahji)."""
    if word in tables.HONORIFICS or word in _TITLE_SWAPS:
        return True
    folded = _letters(word, True)
    if len(folded) < 7:
        return False
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import extractOne

    return extractOne(folded, _TITLES_LONG, scorer=OSA.distance, score_cutoff=1) is not None


_TITLE_SKELETONS = frozenset(
    k
    for k in (skeleton_of(_letters(t, True)) for t in tables.HONORIFICS)
    if (len(k) >= 3 or k in tables.SHORT_TITLE_SKELETONS) and k not in _GIVEN_SKELETONS
)


@lru_cache(maxsize=1 << 16)
def _script_title(word: str) -> bool:
    """A transliterated Persian-script word with a title's consonants (حجی, موله: a Latin
    title written back without its vowels); not one with a consonant written twice
    about a vowel (حجاج, Hajjaj: a name, not حاج)."""
    if _REPEATED_CONSONANT.search(word):
        return False
    return skeleton_of(_letters(word, True), True) in _TITLE_SKELETONS


def _titles(words: list[str], arabic: bool = False) -> list[bool]:
    """Which of ``words`` are titles, single words or phrases (Hojjat ol-Eslam), before
    the name itself: a title after a name's first word is part of it (Abdul Rahman Agha,
    Amir Sheikh)."""
    flags = [False] * len(words)
    at = 0
    while at < len(words):
        if at and not flags[at - 1]:
            break
        phrase = next(
            (p for p in _TITLE_PHRASES.get(words[at], ()) if tuple(words[at : at + len(p)]) == p),
            None,
        )
        if phrase is not None:
            flags[at : at + len(phrase)] = [True] * len(phrase)
            at += len(phrase)
            continue
        flags[at] = (
            _title(words[at])
            or words[at] in tables.ARTICLES
            or (arabic and at + 1 < len(words) and _script_title(words[at]))
        )
        at += 1
    return flags


def normalize(name: str) -> Normalized:
    """Fold ``name`` to the words screening compares (see the module docstring)."""
    raw, arabic = _plain_words(name)
    titles = _titles(raw, arabic)
    kept = [w for w, title in zip(raw, titles, strict=True) if not title and not _dropped(w)]
    if not kept and any(titles):
        # a name made only of a title and business words ("Haji Traders") keeps the title
        kept = [w for w in raw if not _dropped(w)]
    if not kept:  # a name made only of generic words is still a name
        kept = [w for w in raw if w not in tables.ARTICLES]
    initials: tuple[str, ...] = ()
    if any(len(w) > 1 for w in kept) and not arabic:
        # initials (M. A. Jafari) are compared apart: a letter is not a word
        initials = tuple(w for w in kept if len(w) == 1 and w.isalpha())
        kept = [w for w in kept if len(w) > 1]
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
    letters = (_letters(w, not arabic) for w in split)
    # compound given names written joined (Mohammadali, Gholamreza) as written apart
    words = tuple(
        part
        for w in letters
        if w
        for part in (_split_skeleton(w) if arabic else split_compound(_article(w), _GIVEN_PARTS))
    )
    skeleton = tuple(s for s in (skeleton_of(w, arabic) for w in words) if s)
    return Normalized(words, skeleton, arabic, initials)


def matching_names(name: str, shortened: bool = True) -> list[str]:
    """The names to match a listed name as: itself without bracketed parts, and each
    bracketed part alone (``SHAHID HEMMAT INDUSTRIAL GROUP (SHIG)`` -> both); and,
    unless ``shortened`` is false, as people shorten a compound surname."""
    inner = [m.strip() for m in re.findall(r"\(([^()]*)\)", name)]
    outer = re.sub(r"\([^()]*\)", " ", name).strip()
    names = [outer] if outer else []
    # an acronym in brackets is another name; a lower-case remark ("combat name") is not
    acronyms = [i for i in inner if i.isupper() and " " not in i and 2 <= len(i) <= 6]
    found = names + [i for i in acronyms if normalize(i).words]
    if (joined := joined_across_invisibles(outer)) is not None:
        found.append(joined)  # a list's own zero-width characters must not hide its entry
    return found + surname_parts(outer) if shortened else found


_COMPOUND = re.compile(r"^([^\W\d_]{4,})-([^\W\d_]{4,})$")
_NOT_SURNAME = frozenset({"abd", "abdul", "abu", "bin", "ibn"}) | tables.ARTICLES


def surname_parts(name: str) -> list[str]:
    """A name with a compound surname as people shorten it: with one part of a
    hyphenated surname (Ali Akbar Ahmadian-Tehrani: Ali Akbar Ahmadian, Ali Akbar
    Tehrani) or without a Persian suffix written apart (Zolghadr Nejad: Zolghadr)."""
    words = name.split()
    if not 2 <= len(words) <= 5:
        return []
    found = []
    last = _COMPOUND.match(words[-1])
    if last and not {p.casefold() for p in last.groups()} & _NOT_SURNAME:
        found += [" ".join([*words[:-1], part]) for part in last.groups()]
    if len(words) >= 3:
        found += [
            " ".join(words[:at] + words[at + 1 :])
            for at in range(2, len(words))
            if words[at].casefold() in tables.JOIN_WITH_PREVIOUS
        ]
    return found
