"""Sanctions screening: list formats, name normalization, scoring (pure; no I/O).

Names arrive in Latin, Persian, Arabic and Urdu script and the same person is
written Qalibaf, Ghalibaf and Khalibaf.  :func:`normalize` turns a name into
words that compare equal across those variants (NFKC, casefold, script
transliteration, honorifics and legal forms dropped, romanization variants
folded: every rule a table in ``screening_tables.py``).  Persian-script names,
which leave short vowels unwritten, are compared on consonant skeletons.

Scoring (:func:`screen`) weighs words by rarity on the lists (IDF), so sharing a
common given name ("Mohammad Hassan Traders") or one word of a firm's name
("Shirazi Dates Export") scores low, while a reordered name, a dropped word or a
typo (one edit per word, Damerau/OSA) still scores high:

    score = 100 · √(listed_cover · query_cover) · specificity²

where ``listed_cover`` is the weighted share of the listed name's words found in
the query, ``query_cover`` the weighted share of the query's words found in the
listed name, and ``specificity`` the listed name's total weight as a share of one
word found nowhere else on the lists (at most 1): an alias made only of common
words ("Mohamed Hassan", "Hassan") is no evidence on its own.  Words are
compared all at once with ``rapidfuzz.process.cdist`` and the covers with
sparse matrix products, so 10,000 names screen against the whole UN list in
seconds.

List formats are parser functions in :data:`PARSERS` (format name -> function
from the file's bytes to a :class:`ParsedList`); the UN Security Council
Consolidated List is the first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from tahator.domain import screening_tables as tables
from tahator.domain.errors import InputError, Problem

# --- bands ------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Scores (0–100) at which a hit needs review and at which it is a match."""

    review: float = 75.0
    match: float = 92.0

    def band(self, score: float) -> str:
        if score >= self.match:
            return "match"
        if score >= self.review:
            return "review"
        return "clear"


BANDS = ("clear", "review", "match")
LISTED_WEIGHT = 0.5
"""Exponent of the listed name's cover in the score; the query's cover gets the rest."""
WORD_SIMILARITY: tuple[tuple[int, int, float], ...] = (
    # (edits, shortest word, similarity), the first that applies; OSA edits
    (0, 0, 1.0),
    (1, 6, 0.9),
    (1, 4, 0.8),
    (2, 9, 0.8),
)
SPECIFICITY_POWER = 2
SKELETON_LETTERS = 4
"""Consonants a listed name's skeleton needs to count in full for Arabic-script names."""
MIN_LISTED_COVER = 0.45
"""Candidates whose listed cover is below this cannot reach any sensible threshold."""
LOW_QUALITY = frozenset({"low"})
"""Alias qualities the list itself calls too weak to identify: at most ``review``."""


# --- normalization ------------------------------------------------------------

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


# --- lists --------------------------------------------------------------------


@dataclass(frozen=True)
class ListedName:
    name: str
    quality: str
    """``primary``, ``original script``, or the list's alias quality (Good, Low, a.k.a.)."""


@dataclass(frozen=True)
class ListEntry:
    """One individual or entity on a sanctions list."""

    reference: str
    kind: str
    """``individual`` or ``entity``."""
    name: str
    list_type: str
    """The programme: UN_LIST_TYPE, e.g. ``Iran``, ``DPRK``, ``Al-Qaida``."""
    aliases: tuple[ListedName, ...] = ()
    listed_on: date | None = None
    updated_on: tuple[date, ...] = ()
    data_id: str = ""
    countries: tuple[str, ...] = ()
    """Nationalities and address countries as the list writes them."""
    born: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[ListedName, ...]:
        return (ListedName(self.name, "primary"), *self.aliases)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "kind": self.kind,
            "name": self.name,
            "list_type": self.list_type,
            "aliases": [{"name": a.name, "quality": a.quality} for a in self.aliases],
            "listed_on": self.listed_on.isoformat() if self.listed_on else None,
            "updated_on": [d.isoformat() for d in self.updated_on],
            "data_id": self.data_id,
            "countries": list(self.countries),
            "born": list(self.born),
        }


@dataclass(frozen=True)
class ParsedList:
    format: str
    generated: str | None
    """When the list's publisher generated the file, as it says."""
    entries: tuple[ListEntry, ...]


def _text(element: Any, tag: str) -> str:
    found = element.find(tag)
    return " ".join((found.text or "").split()) if found is not None else ""


def _values(element: Any, path: str) -> list[str]:
    return [
        " ".join((v.text or "").split()) for v in element.findall(path) if (v.text or "").strip()
    ]


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_un(data: bytes, label: str = "") -> ParsedList:
    """The UN Security Council Consolidated List (``sc-sanctions.xsd``), refusing DTDs,
    entities and external references; ``InputError`` names every problem."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise InputError(
            [Problem(f"refused: unsafe XML ({type(error).__name__}: {error})", label)]
        ) from None
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise InputError([Problem(f"not well-formed XML: {error}", label, line)]) from None
    except (LookupError, ValueError) as error:
        # An XML declaration naming an encoding Python does not know, or one expat cannot
        # read (found by atheris: ``encoding="UTF-4"`` escaped as a LookupError and
        # ``"UTF-7"`` as a ValueError, each a traceback and a 500).
        raise InputError([Problem(f"not readable XML: {error}", label)]) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise InputError([Problem(f"the root element is {root.tag}, not CONSOLIDATED_LIST", label)])
    problems: list[Problem] = []
    entries: list[ListEntry] = []
    seen: set[str] = set()
    for kind, path, alias_tag, address_tag in (
        ("individual", "INDIVIDUALS/INDIVIDUAL", "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS"),
        ("entity", "ENTITIES/ENTITY", "ENTITY_ALIAS", "ENTITY_ADDRESS"),
    ):
        for number, record in enumerate(root.findall(path), start=1):
            data_id = _text(record, "DATAID")
            where = f"{path.split('/')[1]} {number}" + (f" (DATAID {data_id})" if data_id else "")
            reference = _text(record, "REFERENCE_NUMBER")
            parts = [_text(record, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")]
            parts.append(_text(record, "FOURTH_NAME"))
            name = " ".join(p for p in parts if p)
            list_type = _text(record, "UN_LIST_TYPE")
            listed_text = _text(record, "LISTED_ON")
            listed_on = _date(listed_text) if listed_text else None
            for value, what in ((reference, "REFERENCE_NUMBER"), (name, "FIRST_NAME")):
                if not value:
                    problems.append(Problem(f"{where}: is empty", label, field=what))
            if not list_type:
                problems.append(Problem(f"{where}: is empty", label, field="UN_LIST_TYPE"))
            if listed_text and listed_on is None:
                problems.append(
                    Problem(f"{where}: {listed_text!r} is not a date", label, field="LISTED_ON")
                )
            if reference and reference in seen:
                problems.append(
                    Problem(f"{where}: {reference} appears twice", label, field="REFERENCE_NUMBER")
                )
            seen.add(reference)
            aliases: list[ListedName] = []
            for alias in record.findall(alias_tag):
                alias_name = _text(alias, "ALIAS_NAME")
                if alias_name and alias_name != name:
                    aliases.append(ListedName(alias_name, _text(alias, "QUALITY") or "a.k.a."))
            original = _text(record, "NAME_ORIGINAL_SCRIPT")
            if original:
                aliases.append(ListedName(original, "original script"))
            updated = tuple(
                d for d in (_date(v) for v in _values(record, "LAST_DAY_UPDATED/VALUE")) if d
            )
            countries = _values(record, "NATIONALITY/VALUE") + _values(
                record, f"{address_tag}/COUNTRY"
            )
            born = [
                _text(b, "DATE")
                or _text(b, "YEAR")
                or "-".join(v for v in (_text(b, "FROM_YEAR"), _text(b, "TO_YEAR")) if v)
                for b in record.findall("INDIVIDUAL_DATE_OF_BIRTH")
            ]
            entries.append(
                ListEntry(
                    reference=reference,
                    kind=kind,
                    name=name,
                    list_type=list_type,
                    aliases=tuple(dict.fromkeys(aliases)),
                    listed_on=listed_on,
                    updated_on=updated,
                    data_id=data_id,
                    countries=tuple(dict.fromkeys(countries)),
                    born=tuple(b for b in born if b),
                )
            )
    if problems:
        raise InputError(problems)
    if not entries:
        raise InputError([Problem("the list holds no individuals and no entities", label)])
    return ParsedList("un", root.get("dateGenerated"), tuple(entries))


PARSERS: dict[str, Callable[[bytes, str], ParsedList]] = {"un": parse_un}
"""List formats by name (``tahator lists import FORMAT FILE``); OFAC SDN, EU and
national lists are further entries here, each returning the same plain data."""


def countries_of(entry: ListEntry) -> frozenset[str]:
    """ISO codes of the countries the list ties an entry to (nationality, addresses)."""
    found = set()
    for written in entry.countries:
        text = written.casefold()
        for words, code in tables.COUNTRY_WORDS.items():
            if words in text:
                found.add(code)
    return frozenset(found)


# --- the index and scoring ----------------------------------------------------

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Space:
    """One way of comparing words (folded Latin, or consonant skeletons)."""

    vocabulary: dict[str, int]
    words: list[str]
    weights: FloatArray
    unknown_weight: float
    name_words: list[tuple[int, ...]]
    name_weight: FloatArray
    incidence: Any
    """Sparse (names × words) counts."""
    name_letters: IntArray
    """Letters in each name's distinct words."""


@dataclass(frozen=True)
class Index:
    """Every name and alias of the lists, ready to screen against."""

    entries: tuple[ListEntry, ...]
    name_entry: tuple[int, ...]
    """Index of the entry each indexed name belongs to."""
    name_text: tuple[str, ...]
    name_quality: tuple[str, ...]
    name_normalized: tuple[str, ...]
    latin: _Space
    skeleton: _Space
    entry_countries: tuple[frozenset[str], ...] = field(default=())


def _space(names: Sequence[tuple[str, ...]]) -> _Space:
    from scipy.sparse import csr_matrix

    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    name_words: list[tuple[int, ...]] = []
    for row, words in enumerate(names):
        ids = tuple(dict.fromkeys(vocabulary.setdefault(w, len(vocabulary)) for w in words))
        name_words.append(ids)
        rows.extend([row] * len(ids))
        cols.extend(ids)
    frequency = np.zeros(len(vocabulary), dtype=np.int64)
    for ids in name_words:
        for word in set(ids):
            frequency[word] += 1
    total = max(len(names), 1)
    weights = np.log1p(total / np.maximum(frequency, 1)).astype(np.float64)
    incidence = csr_matrix(
        (np.ones(len(rows)), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
        shape=(len(names), max(len(vocabulary), 1)),
    )
    name_weight = np.array(
        [float(weights[list(ids)].sum()) if ids else 0.0 for ids in name_words], dtype=np.float64
    )
    listed = list(vocabulary)
    return _Space(
        vocabulary,
        listed,
        weights,
        float(math.log1p(total)),
        name_words,
        name_weight,
        incidence,
        np.array([sum(len(listed[i]) for i in ids) for ids in name_words], dtype=np.int64),
    )


def build_index(entries: Iterable[ListEntry]) -> Index:
    """Index every name and alias (and bracketed acronym) of ``entries``."""
    entries = tuple(entries)
    name_entry: list[int] = []
    texts: list[str] = []
    qualities: list[str] = []
    normalized: list[Normalized] = []
    for number, entry in enumerate(entries):
        seen: set[tuple[str, ...]] = set()
        for listed in entry.names:
            for text in matching_names(listed.name):
                form = normalize(text)
                if not form.words or form.words in seen:
                    continue
                seen.add(form.words)
                name_entry.append(number)
                texts.append(listed.name)
                qualities.append(listed.quality)
                normalized.append(form)
    return Index(
        entries=entries,
        name_entry=tuple(name_entry),
        name_text=tuple(texts),
        name_quality=tuple(qualities),
        name_normalized=tuple(n.text for n in normalized),
        latin=_space([n.words for n in normalized]),
        skeleton=_space([n.skeleton for n in normalized]),
        entry_countries=tuple(countries_of(e) for e in entries),
    )


@dataclass(frozen=True)
class Hit:
    """A listed entry a name resembles, and why."""

    reference: str
    name: str
    list_type: str
    kind: str
    score: float
    band: str
    matched_name: str
    matched_quality: str
    normalized_query: str
    normalized_matched: str
    listed_cover: float
    query_cover: float
    specificity: float = 1.0
    country_match: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "name": self.name,
            "list": f"UN {self.list_type}" if self.list_type else "UN",
            "list_type": self.list_type,
            "kind": self.kind,
            "score": self.score,
            "band": self.band,
            "matched_name": self.matched_name,
            "matched_quality": self.matched_quality,
            "normalized": {"query": self.normalized_query, "matched": self.normalized_matched},
            "explanation": (
                f"{self.normalized_query!r} against {self.matched_quality} name "
                f"{self.normalized_matched!r}: {self.listed_cover:.0%} of the listed name's "
                f"weight found, {self.query_cover:.0%} of the query's explained, "
                f"specificity {self.specificity:.2f}; "
                f"score {self.score} is {self.band}"
            ),
            "country_match": self.country_match,
        }


def word_similarity(distance: int, length: int) -> float:
    """How alike two words are, from their edit distance and the shorter one's length:
    equal 1; one edit 0.9 from 6 letters, 0.8 in words of 4 or 5; two edits 0.8 from 9."""
    for edits, shortest, similarity in WORD_SIMILARITY:
        if distance == edits and length >= shortest:
            return similarity
    return 0.0


def _similar_words(space: _Space, words: list[str], longer: bool) -> Any:
    """Sparse (query words × list words) similarities, judging the length by the
    longer word of a pair (Latin: folding shortens words) or the shorter (skeletons)."""
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import cdist
    from scipy.sparse import csr_matrix, vstack

    if not words or not space.words:
        return csr_matrix((len(words), max(len(space.words), 1)))
    list_lengths = np.array([len(w) for w in space.words], dtype=np.int64)
    blocks = []
    for start in range(0, len(words), 2000):
        chunk = words[start : start + 2000]
        distances = cdist(chunk, space.words, scorer=OSA.distance, score_cutoff=2, workers=-1)
        rows, cols = np.nonzero(distances <= 2)
        d = distances[rows, cols].astype(np.int64)
        pick = np.maximum if longer else np.minimum
        lengths = pick(np.array([len(w) for w in chunk], dtype=np.int64)[rows], list_lengths[cols])
        similarity = np.zeros(len(d), dtype=np.float64)
        for edits, shortest, value in reversed(WORD_SIMILARITY):
            similarity[(d == edits) & (lengths >= shortest)] = value
        keep = similarity > 0
        blocks.append(
            csr_matrix(
                (similarity[keep], (rows[keep], cols[keep])), shape=(len(chunk), len(space.words))
            )
        )
    return vstack(blocks).tocsr()


def _query_weight(space: _Space, similar: Any, row: int, word: str) -> float:
    """A query word's weight: its own on the lists; for a word not on them (a typo,
    a variant), that of the list word it is most like; else that of a unique word."""
    known = space.vocabulary.get(word)
    if known is not None:
        return float(space.weights[known])
    lo, hi = similar.indptr[row], similar.indptr[row + 1]
    if lo == hi:
        return space.unknown_weight
    data = similar.data[lo:hi]
    best = np.flatnonzero(data == data.max())
    return float(space.weights[similar.indices[lo:hi][best]].min())


def _screen_space(
    index: Index,
    space: _Space,
    queries: list[tuple[int, tuple[str, ...]]],
) -> list[tuple[int, int, float, float]]:
    """(query, indexed name, listed cover, query cover) for every promising pair."""
    from scipy.sparse import csr_matrix

    if not queries or not space.words:
        return []
    unique: dict[str, int] = {}
    for _, words in queries:
        for w in words:
            unique.setdefault(w, len(unique))
    similar = _similar_words(space, list(unique), longer=space is index.latin)
    # credit[u, v]: what query word u earns for list word v: their similarity times the
    # rarer-is-worth-more weight of the more common of the two, so a common word ("hasan")
    # one edit from a rare one ("hashan") earns what a common word earns.
    query_weight = np.array(
        [_query_weight(space, similar, u, w) for w, u in unique.items()], dtype=np.float64
    )
    row_of = np.repeat(np.arange(len(unique)), np.diff(similar.indptr))
    similar.data = similar.data * np.minimum(query_weight[row_of], space.weights[similar.indices])
    # best[q, v]: the best credit any of query q's words earns for list word v
    query_rows: list[int] = []
    word_ids: list[int] = []
    for row, (_, words) in enumerate(queries):
        for w in set(words):
            query_rows.append(row)
            word_ids.append(unique[w])
    qi = np.array(query_rows, dtype=np.int64)
    ui = np.array(word_ids, dtype=np.int64)
    starts, ends = similar.indptr[ui], similar.indptr[ui + 1]
    counts = ends - starts
    if counts.sum() == 0:
        return []
    q_rep = np.repeat(qi, counts)
    first_of_pair = np.cumsum(counts) - counts
    offsets = np.repeat(starts - first_of_pair, counts) + np.arange(counts.sum())
    v = similar.indices[offsets].astype(np.int64)
    s = similar.data[offsets]
    size = len(space.words)
    key = q_rep * size + v
    order = np.lexsort((-s, key))
    key, s = key[order], s[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, s = key[first], s[first]
    best = csr_matrix((s, (key // size, key % size)), shape=(len(queries), size))
    found = (best @ space.incidence.T).tocoo()
    listed_cover = found.data / np.maximum(space.name_weight[found.col], 1e-9)
    promising = listed_cover >= MIN_LISTED_COVER
    pairs: list[tuple[int, int, float, float]] = []
    similarity_rows: dict[int, dict[int, float]] = {}
    for row, name, cover in zip(
        found.row[promising].tolist(),
        found.col[promising].tolist(),
        listed_cover[promising].tolist(),
        strict=True,
    ):
        words = queries[row][1]
        name_words = space.name_words[name]
        total = explained = 0.0
        for w in words:
            u = unique[w]
            if u not in similarity_rows:
                lo, hi = similar.indptr[u], similar.indptr[u + 1]
                similarity_rows[u] = dict(
                    zip(similar.indices[lo:hi].tolist(), similar.data[lo:hi].tolist(), strict=True)
                )
            total += float(query_weight[u])
            row_credit = similarity_rows[u]
            explained += max((row_credit.get(t, 0.0) for t in name_words), default=0.0)
        pairs.append((queries[row][0], name, min(cover, 1.0), explained / total if total else 0.0))
    return pairs


@dataclass(frozen=True)
class Query:
    name: str
    country: str | None = None


def screen(
    index: Index,
    queries: Sequence[Query | str],
    thresholds: Thresholds = Thresholds(),
    *,
    min_score: float | None = None,
    limit: int = 10,
) -> list[list[Hit]]:
    """For each query, the listed entries it resembles with a score of at least
    ``min_score`` (default: the review threshold), best first, one hit per entry."""
    floor = thresholds.review if min_score is None else min_score
    asked = [q if isinstance(q, Query) else Query(q) for q in queries]
    forms = [normalize(q.name) for q in asked]
    latin = [(i, f.words) for i, f in enumerate(forms) if f.words and not f.arabic_script]
    skeleton = [(i, f.skeleton) for i, f in enumerate(forms) if f.skeleton and f.arabic_script]
    best: list[dict[int, Hit]] = [{} for _ in asked]
    for space, batch in ((index.latin, latin), (index.skeleton, skeleton)):
        for query, name, listed, explained in _screen_space(index, space, batch):
            # how much a name says, measured on the Latin lists (skeletons collide more)
            specificity = min(
                1.0, float(index.latin.name_weight[name]) / index.latin.unknown_weight
            )
            if space is index.skeleton:
                # a short skeleton ("nd": Navid, Nada, Nadia) is no evidence on its own
                specificity *= min(1.0, int(space.name_letters[name]) / SKELETON_LETTERS)
            score = round(
                100
                * listed**LISTED_WEIGHT
                * explained ** (1 - LISTED_WEIGHT)
                * specificity**SPECIFICITY_POWER,
                1,
            )
            if score < floor:
                continue
            entry_number = index.name_entry[name]
            held = best[query].get(entry_number)
            if held is not None and held.score >= score:
                continue
            entry = index.entries[entry_number]
            band = thresholds.band(score)
            if band == "match" and index.name_quality[name].casefold() in LOW_QUALITY:
                band = "review"
            country = asked[query].country
            best[query][entry_number] = Hit(
                reference=entry.reference,
                name=entry.name,
                list_type=entry.list_type,
                kind=entry.kind,
                score=score,
                band=band,
                matched_name=index.name_text[name],
                matched_quality=index.name_quality[name],
                normalized_query=forms[query].text,
                normalized_matched=index.name_normalized[name],
                listed_cover=round(listed, 3),
                query_cover=round(explained, 3),
                specificity=round(specificity, 3),
                country_match=(
                    country.upper() in index.entry_countries[entry_number]
                    if country and index.entry_countries[entry_number]
                    else None
                ),
            )
    return [
        sorted(found.values(), key=lambda h: (-h.score, h.country_match is not True, h.reference))[
            :limit
        ]
        for found in best
    ]


def worst_band(hits: Iterable[Hit]) -> str:
    """``match`` if any hit is a match, else ``review`` if any needs review, else ``clear``."""
    bands = {h.band for h in hits}
    return next((b for b in reversed(BANDS) if b in bands), "clear")
