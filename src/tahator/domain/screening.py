"""Sanctions screening: scoring names against the lists' entries (pure; no I/O).

Names are compared as :func:`tahator.domain.names.normalize` folds them (scripts,
romanization variants, honorifics and legal forms).  Scoring (:func:`screen`)
weighs words by rarity on the lists (IDF), so sharing a common given name
("Mohammad Hassan Traders") or one word of a firm's name ("Shirazi Dates
Export") scores low, while a reordered name, a dropped word or a typo (one edit
per word, Damerau/OSA) still scores high:

    score = 100 · √(listed_cover · query_cover) · specificity²

where ``listed_cover`` is the weighted share of the listed name's words found in
the query, ``query_cover`` the weighted share of the query's words found in the
listed name, and ``specificity`` the listed name's total weight as a share of one
word found nowhere else on the lists (at most 1): an alias made only of common
words ("Mohamed Hassan", "Hassan") is no evidence on its own.  Words are
compared all at once with ``rapidfuzz.process.cdist`` and the covers with
sparse matrix products, so 10,000 names screen against the whole UN list in
seconds.

The lists arrive as :class:`ParsedList`s read by ``tahator.io.un_list``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from tahator.domain import screening_tables as tables
from tahator.domain.names import Normalized, matching_names, normalize

# --- bands, statuses, decisions -----------------------------------------------------


class Band(StrEnum):
    """How strongly a name resembles a listed one, weakest first."""

    CLEAR = "clear"
    REVIEW = "review"
    MATCH = "match"


class ScreeningStatus(StrEnum):
    """A firm's standing with sanctions screening (``firms.screening``)."""

    UNSCREENED = "unscreened"
    CLEAR = "clear"
    BLOCKED = "blocked"
    """A hit awaits an operator's decision."""
    CONFIRMED = "confirmed"
    """An operator confirmed a true match: the firm never trades."""
    CLEARED = "cleared"
    """An operator decided its hits are false positives."""


NO_TRADE = frozenset({ScreeningStatus.BLOCKED, ScreeningStatus.CONFIRMED})


class Decision(StrEnum):
    """An operator's decision on a firm's hits."""

    FALSE_POSITIVE = "false_positive"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Thresholds:
    """Scores (0–100) at which a hit needs review and at which it is a match."""

    review: float = 75.0
    match: float = 92.0

    def band(self, score: float) -> Band:
        if score >= self.match:
            return Band.MATCH
        if score >= self.review:
            return Band.REVIEW
        return Band.CLEAR


BANDS = tuple(Band)
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


@dataclass(frozen=True)
class ParsedList:
    """A list file's entries, as a reader in ``tahator.io`` parsed them."""

    format: str
    generated: str | None
    """When the list's publisher generated the file, as it says."""
    entries: tuple[ListEntry, ...]
    source: str = ""
    """The file's name."""
    sha256: str = ""
    """The file's SHA-256: a file equal to the version in force is not a new version."""


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
    band: Band
    matched_name: str
    matched_quality: str
    normalized_query: str
    normalized_matched: str
    listed_cover: float
    query_cover: float
    specificity: float = 1.0
    country_match: bool | None = None

    @property
    def list_name(self) -> str:
        """The list as people name it: ``UN Iran``."""
        return f"UN {self.list_type}" if self.list_type else "UN"

    @property
    def explanation(self) -> str:
        """Why the hit scored what it did, in a sentence."""
        return (
            f"{self.normalized_query!r} against {self.matched_quality} name "
            f"{self.normalized_matched!r}: {self.listed_cover:.0%} of the listed name's "
            f"weight found, {self.query_cover:.0%} of the query's explained, "
            f"specificity {self.specificity:.2f}; "
            f"score {self.score} is {self.band}"
        )


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
    """A name to screen, with its party's country (ISO 3166) when known."""

    name: str
    country: str | None = None
    id: str = ""
    """The caller's identifier for the name, echoed in its results."""


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
            if band == Band.MATCH and index.name_quality[name].casefold() in LOW_QUALITY:
                band = Band.REVIEW
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


def worst_band(hits: Iterable[Hit]) -> Band:
    """``match`` if any hit is a match, else ``review`` if any needs review, else ``clear``."""
    bands = {h.band for h in hits}
    return next((b for b in reversed(BANDS) if b in bands), Band.CLEAR)
