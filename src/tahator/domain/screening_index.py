"""The index of every listed name and the search for candidate pairs (pure; no I/O).

Words are compared all at once with ``rapidfuzz.process.cdist`` and a name's
covers with sparse matrix products, so 10,000 names screen against a whole list
in seconds.  :func:`tahator.domain.screening.screen` turns candidates into hits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from tahator.domain.names import Normalized, matching_names, normalize
from tahator.domain.sanctions_lists import ListEntry, countries_of
from tahator.domain.screening_evidence import plain_number

WORD_SIMILARITY: tuple[tuple[int, int, float], ...] = (
    # (edits, shortest word, similarity), the first that applies; OSA edits
    (0, 0, 1.0),
    (1, 6, 0.9),
    (1, 4, 0.8),
    (2, 9, 0.8),
)
TRANSPOSED: tuple[int, float] = (3, 0.9)
"""(shortest word, similarity) of two neighbouring letters swapped (Ail, Ali; Omra, Omar):
one OSA edit that is two Levenshtein edits; clerks swap letters in short names too."""
MIN_LISTED_COVER = 0.45
"""Candidates whose listed cover is below this cannot reach any sensible threshold."""

PRODUCT_TOUCHES = 20_000_000
"""Above this many (query, word, name) steps, candidates are found through the names'
heavier words rather than the whole sparse product (same pairs, same figures): 10,000
names of common words take 6 million steps on the UN list (the product is quicker), 80
million on a list of 200,000 names (the product 6.6 s, the heavier words 0.5 s)."""

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

    @cached_property
    def identifier_holders(self) -> dict[str, frozenset[int]]:
        """The entries holding each listed identifier number, as evidence compares
        numbers; derived once per index, not on every screening that carries one."""
        holders: dict[str, set[int]] = {}
        for number, entry in enumerate(self.entries):
            for listed in entry.identifiers:
                if plain := plain_number(listed.number):
                    holders.setdefault(plain, set()).add(number)
        return {plain: frozenset(found) for plain, found in holders.items()}


def _space(names: Sequence[tuple[str, ...]]) -> _Space:
    from scipy.sparse import csr_matrix

    vocabulary: dict[str, int] = {}
    name_words = [
        tuple(dict.fromkeys([vocabulary.setdefault(w, len(vocabulary)) for w in words]))
        for words in names
    ]
    lengths = np.fromiter((len(ids) for ids in name_words), dtype=np.int64, count=len(name_words))
    flat = np.fromiter(
        (i for ids in name_words for i in ids), dtype=np.int64, count=int(lengths.sum())
    )
    rows = np.repeat(np.arange(len(name_words), dtype=np.int64), lengths)
    frequency = np.bincount(flat, minlength=len(vocabulary)).astype(np.int64)
    total = max(len(names), 1)
    weights = np.log1p(total / np.maximum(frequency, 1)).astype(np.float64)
    incidence = csr_matrix(
        (np.ones(len(flat)), (rows, flat)), shape=(len(names), max(len(vocabulary), 1))
    )
    # each name's weights summed in order, as numpy sums fewer than 8 numbers, so the
    # figures are bit for bit those of ``weights[ids].sum()`` (which sums 8 or more
    # pairwise: those names, rare, are summed by numpy itself)
    column = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    first = column < 8
    table = np.zeros((len(name_words), 8), dtype=np.float64)
    table[rows[first], column[first]] = weights[flat[first]]
    name_weight = np.zeros(len(name_words), dtype=np.float64)
    for j in range(8):
        name_weight += table[:, j]
    for row in np.flatnonzero(lengths >= 8).tolist():
        name_weight[row] = float(weights[list(name_words[row])].sum())
    listed = list(vocabulary)
    word_lengths = np.fromiter((len(w) for w in listed), dtype=np.int64, count=len(listed))
    name_letters = np.bincount(rows, weights=word_lengths[flat], minlength=len(name_words)).astype(
        np.int64
    )
    return _Space(
        vocabulary,
        listed,
        weights,
        float(math.log1p(total)),
        name_words,
        name_weight,
        incidence,
        name_letters,
    )


@dataclass(frozen=True)
class IndexForms:
    """What indexing derives from the entries by normalizing their names (nearly all of
    the build's time): per indexed name, its entry's number, the listed name and its
    quality, the normalized text, and its distinct Latin words and skeletons."""

    name_entry: tuple[int, ...]
    name_text: tuple[str, ...]
    name_quality: tuple[str, ...]
    name_normalized: tuple[str, ...]
    latin: tuple[tuple[str, ...], ...]
    skeleton: tuple[tuple[str, ...], ...]


def index_forms(entries: Iterable[ListEntry]) -> IndexForms:
    """Normalize every name and alias (and bracketed acronym) of ``entries``."""
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
    return IndexForms(
        name_entry=tuple(name_entry),
        name_text=tuple(texts),
        name_quality=tuple(qualities),
        name_normalized=tuple(n.text for n in normalized),
        # a name's repeated word counts once (_space), so only distinct words are kept
        latin=tuple(tuple(dict.fromkeys(n.words)) for n in normalized),
        skeleton=tuple(tuple(dict.fromkeys(n.skeleton)) for n in normalized),
    )


def index_from_forms(entries: Iterable[ListEntry], forms: IndexForms) -> Index:
    """The index of ``entries`` from their forms (:func:`index_forms`, perhaps kept
    from an earlier build); ``ValueError`` if the forms cannot be those entries'."""
    entries = tuple(entries)
    count = len(forms.name_entry)
    if not all(
        len(column) == count
        for column in (
            forms.name_text,
            forms.name_quality,
            forms.name_normalized,
            forms.latin,
            forms.skeleton,
        )
    ):
        raise ValueError("the index's columns differ in length")
    if any(not 0 <= n < len(entries) for n in forms.name_entry) or any(
        b < a for a, b in zip(forms.name_entry, forms.name_entry[1:], strict=False)
    ):
        raise ValueError("the index names entries that are not there")
    return Index(
        entries=entries,
        name_entry=forms.name_entry,
        name_text=forms.name_text,
        name_quality=forms.name_quality,
        name_normalized=forms.name_normalized,
        latin=_space(forms.latin),
        skeleton=_space(forms.skeleton),
        entry_countries=tuple(countries_of(e) for e in entries),
    )


def forms_of(index: Index) -> IndexForms:
    """The forms ``index`` was built from, to keep for another process."""
    return IndexForms(
        name_entry=index.name_entry,
        name_text=index.name_text,
        name_quality=index.name_quality,
        name_normalized=index.name_normalized,
        latin=tuple(tuple(index.latin.words[i] for i in ids) for ids in index.latin.name_words),
        skeleton=tuple(
            tuple(index.skeleton.words[i] for i in ids) for ids in index.skeleton.name_words
        ),
    )


def build_index(entries: Iterable[ListEntry]) -> Index:
    """Index every name and alias (and bracketed acronym) of ``entries``."""
    entries = tuple(entries)
    return index_from_forms(entries, index_forms(entries))


def word_similarity(distance: int, length: int) -> float:
    """How alike two words are, from their edit distance and the shorter one's length:
    equal 1; one edit 0.9 from 6 letters, 0.8 in words of 4 or 5; two edits 0.8 from 9."""
    for edits, shortest, similarity in WORD_SIMILARITY:
        if distance == edits and length >= shortest:
            return similarity
    return 0.0


def _similar_words(space: _Space, words: list[str], longer: bool) -> Any:
    """Sparse (query words × list words) similarities, judging the length by the
    longer word of a pair (Latin: folding shortens words) or the shorter (skeletons).

    Words are compared by length: two words whose lengths differ by more than the
    table's most edits cannot be that close, and of the pairs that can, only those
    whose lengths allow an edit are compared by edit distance; the rest must be equal.
    """
    from rapidfuzz.distance import OSA, Levenshtein
    from rapidfuzz.process import cdist
    from scipy.sparse import csr_matrix

    shape = (len(words), max(len(space.words), 1))
    if not words or not space.words:
        return csr_matrix(shape)
    most = max(edits for edits, _, similarity in WORD_SIMILARITY if similarity > 0)
    by_length: dict[int, list[int]] = {}
    for number, word in enumerate(space.words):
        by_length.setdefault(len(word), []).append(number)
    asked: dict[int, list[int]] = {}
    for number, word in enumerate(words):
        asked.setdefault(len(word), []).append(number)
    pick = max if longer else min
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    edits: list[IntArray] = []
    for length, numbers in asked.items():
        for other in range(max(length - most, 1), length + most + 1):
            listed = by_length.get(other)
            if listed is None:
                continue
            allowed = max(
                (
                    e
                    for e, shortest, similarity in WORD_SIMILARITY
                    if similarity > 0 and pick(length, other) >= shortest
                ),
                default=-1,
            )
            if pick(length, other) >= TRANSPOSED[0]:
                allowed = max(allowed, 1)  # a swap of two letters in a short word
            if allowed < abs(length - other):
                continue  # no edit distance these lengths allow earns anything
            if allowed == 0:  # equal words only
                found = [
                    (n, space.vocabulary[words[n]]) for n in numbers if words[n] in space.vocabulary
                ]
                if found:
                    pairs = np.array(found, dtype=np.int64)
                    rows.append(pairs[:, 0])
                    cols.append(pairs[:, 1])
                    edits.append(np.zeros(len(found), dtype=np.int64))
                continue
            query_numbers = np.array(numbers, dtype=np.int64)
            list_numbers = np.array(listed, dtype=np.int64)
            for start in range(0, len(numbers), 2000):
                chunk = query_numbers[start : start + 2000]
                distances = cdist(
                    [words[n] for n in chunk],
                    [space.words[n] for n in listed],
                    scorer=OSA.distance,
                    score_cutoff=allowed,
                    workers=-1,
                )
                r, c = np.nonzero(distances <= allowed)
                rows.append(chunk[r])
                cols.append(list_numbers[c])
                edits.append(distances[r, c].astype(np.int64))
    if not rows:
        return csr_matrix(shape)
    row, col, d = np.concatenate(rows), np.concatenate(cols), np.concatenate(edits)
    lengths = (np.maximum if longer else np.minimum)(
        np.array([len(w) for w in words], dtype=np.int64)[row],
        np.array([len(w) for w in space.words], dtype=np.int64)[col],
    )
    similarity = np.zeros(len(d), dtype=np.float64)
    for e, shortest, value in reversed(WORD_SIMILARITY):
        similarity[(d == e) & (lengths >= shortest)] = value
    # a transposition in a short word: one OSA edit that Levenshtein counts as two
    swapped = np.flatnonzero((d == 1) & (similarity < TRANSPOSED[1]) & (lengths >= TRANSPOSED[0]))
    for k in swapped.tolist():
        if Levenshtein.distance(words[row[k]], space.words[col[k]], score_cutoff=2) == 2:
            similarity[k] = TRANSPOSED[1]
    keep = similarity > 0
    result = csr_matrix((similarity[keep], (row[keep], col[keep])), shape=shape)
    result.sort_indices()
    return result


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


def candidates(
    index: Index,
    space: _Space,
    queries: list[tuple[int, tuple[str, ...]]],
) -> list[tuple[int, int, float, float]]:
    """(query, indexed name, listed cover, query cover) for every promising pair."""

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
    found_rows, found_names, found_sums = _found(space, key, s, len(queries))
    listed_cover = found_sums / np.maximum(space.name_weight[found_names], 1e-9)
    promising = np.flatnonzero(listed_cover >= MIN_LISTED_COVER)
    rows, names = found_rows[promising], found_names[promising]
    covers = np.minimum(listed_cover[promising], 1.0)
    explained = _explained(space, similar, queries, unique, query_weight, rows, names)
    return [
        (queries[row][0], name, cover, share)
        for row, name, cover, share in zip(
            rows.tolist(), names.tolist(), covers.tolist(), explained.tolist(), strict=True
        )
    ]


def _found(
    space: _Space, key: IntArray, credit: FloatArray, query_count: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """(query, name, summed credit) for every pair that may reach ``MIN_LISTED_COVER``,
    from each query's best credit per list word (``key`` = query × words + word, sorted).

    The sums and the order are those of the sparse product ``best @ incidence.T``
    (credits added in the order of the words' numbers; per query, names in the
    reverse of the order first reached), which this replaces: that product paired
    every query with every name sharing any word, millions of pairs for names of
    common words on a large list.  A pair is only looked at if the query matches
    one of the name's heavier words: the lighter ones together weigh less than
    ``MIN_LISTED_COVER`` of the name, and a word earns at most its weight.
    """
    from scipy.sparse import csr_matrix

    size = len(space.words)
    incidence = space.incidence
    touches = int(np.bincount(incidence.indices, minlength=size)[key % size].sum())
    if touches <= PRODUCT_TOUCHES:  # the product itself is quicker
        best = csr_matrix((credit, (key // size, key % size)), shape=(query_count, size))
        found = (best @ incidence.T).tocoo()
        return found.row.astype(np.int64), found.col.astype(np.int64), found.data
    if not incidence.has_sorted_indices:
        incidence = incidence.sorted_indices()
    starts = incidence.indptr[:-1].astype(np.int64)
    lengths = np.diff(incidence.indptr).astype(np.int64)
    name_count = len(lengths)
    # the heavier words of each name: those left when its lightest words, together
    # under the floor (with a margin for rounding), are set aside
    weight = space.weights[incidence.indices]
    lightest = np.lexsort((weight, np.repeat(np.arange(name_count), lengths)))
    running = np.zeros(name_count, dtype=np.float64)
    light = np.zeros(len(weight), dtype=bool)
    floor = MIN_LISTED_COVER * space.name_weight * (1 - 1e-6)
    for j in range(int(lengths.max()) if name_count else 0):
        at = np.flatnonzero(lengths > j)
        position = lightest[starts[at] + j]
        running[at] += weight[position]
        light[position] = running[at] < floor[at]
    heavy = ~light
    name_of = np.repeat(np.arange(name_count), lengths)
    prefix = csr_matrix(
        (np.ones(int(heavy.sum())), (name_of[heavy], incidence.indices[heavy])),
        shape=(name_count, max(size, 1)),
    )
    asked = csr_matrix(
        (np.ones(len(key)), (key // size, key % size)), shape=(query_count, max(size, 1))
    )
    pairs = (asked @ prefix.T).tocoo()
    rows, names = pairs.row.astype(np.int64), pairs.col.astype(np.int64)
    sums = np.zeros(len(rows), dtype=np.float64)
    reached = np.full(len(rows), size, dtype=np.int64)
    for j in range(int(lengths[names].max()) if len(names) else 0):
        at = np.flatnonzero(lengths[names] > j)
        word = incidence.indices[starts[names[at]] + j].astype(np.int64)
        wanted = rows[at] * size + word
        place = np.minimum(np.searchsorted(key, wanted), len(key) - 1)
        hit = key[place] == wanted
        sums[at[hit]] += credit[place[hit]]
        first = at[hit][reached[at[hit]] == size]
        reached[first] = word[hit][reached[at[hit]] == size]
    order = np.lexsort((-names, -reached, rows))
    return rows[order], names[order], sums[order]


def _explained(
    space: _Space,
    credit: Any,
    queries: list[tuple[int, tuple[str, ...]]],
    unique: dict[str, int],
    query_weight: FloatArray,
    rows: IntArray,
    names: IntArray,
) -> FloatArray:
    """Each pair's query cover: the sum over the query's words (repeats included) of the
    best credit the word earns against one of the name's words, over the sum of the
    words' weights.  Summed word by word in the query's order, as floats, so the
    figures are the very ones a loop over the words gives."""
    name_count = len(space.name_words)
    # most[u, n]: the best credit word u earns against any word of name n
    by_word = space.incidence.tocsc()
    pairs = credit.tocoo()
    counts = np.diff(by_word.indptr)[pairs.col]
    offsets = np.repeat(by_word.indptr[pairs.col] - (np.cumsum(counts) - counts), counts)
    listed = by_word.indices[offsets + np.arange(counts.sum())].astype(np.int64)
    key = np.repeat(pairs.row.astype(np.int64), counts) * name_count + listed
    value = np.repeat(pairs.data, counts)
    order = np.lexsort((-value, key))
    key, value = key[order], value[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, value = key[first], value[first]
    # the queries' words in order, one row per query, padded with -1
    length = np.array([len(words) for _, words in queries], dtype=np.int64)
    width = int(length.max()) if len(length) else 0
    word_of = np.full((len(queries), max(width, 1)), -1, dtype=np.int64)
    for row, (_, words) in enumerate(queries):
        word_of[row, : len(words)] = [unique[w] for w in words]
    weight = np.where(word_of >= 0, query_weight[np.maximum(word_of, 0)], 0.0)
    total = np.zeros(len(queries), dtype=np.float64)
    explained = np.zeros(len(rows), dtype=np.float64)
    for j in range(width):
        total += weight[:, j]
        words = word_of[rows, j]
        asked = np.flatnonzero(words >= 0)
        wanted = words[asked] * name_count + names[asked]
        at = np.minimum(np.searchsorted(key, wanted), max(len(key) - 1, 0))
        if len(key):
            hit = key[at] == wanted
            explained[asked[hit]] += value[at[hit]]
    share: FloatArray = np.zeros(len(rows), dtype=np.float64)
    totals = total[rows]
    np.divide(explained, totals, out=share, where=totals != 0)
    return share
