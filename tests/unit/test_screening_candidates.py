"""The candidate search gives the very figures it gave before it was made fast.

``_candidates_before`` and ``_similar_words_before`` are the implementations of
main before issue 19's speed work (a Python loop over the promising pairs, one
``cdist`` of every query word against every listed word); the fast ones must
return the same pairs, in the same order, with the same floats, on thousands of
names of every kind that made the loop slow: common words, long names, Persian
script, typos.  Then the forms kept between processes: restored, they give the
same index; a file that is not what was written is ignored.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tahator.domain import screening_index
from tahator.domain.names import normalize
from tahator.domain.screening import ListedName, ListEntry, Query, screen
from tahator.domain.screening_index import (
    MIN_LISTED_COVER,
    PRODUCT_TOUCHES,
    TRANSPOSED,
    WORD_SIMILARITY,
    Index,
    _query_weight,
    _similar_words,
    _Space,
    build_index,
    candidates,
    forms_of,
    index_from_forms,
)
from tahator.io.screening_index_cache import read_forms, write_forms
from tahator.io.un_list import parse_un
from tests.conftest import SHARED_DATA, absent_in_ci

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "tahator" / "data" / "un-sample.xml"
UN_LIST = SHARED_DATA / "sanctions" / "un-consolidated-2018-10-29.xml"

GIVEN = [
    "Mohammad",
    "Muhammad",
    "Ali",
    "Hassan",
    "Hasan",
    "Hussain",
    "Ahmad",
    "Ahmed",
    "Abdul",
    "Rahman",
    "Reza",
    "Karim",
]
SURNAMES = [
    "Rezaei",
    "Ahmadi",
    "Hosseini",
    "Karimi",
    "Jafari",
    "Rahimi",
    "Qureshi",
    "Siddiqui",
    "Haqqani",
    "Tehrani",
]
FIRM_WORDS = [
    "Shipping",
    "Trading",
    "Industries",
    "Company",
    "Petrochemical",
    "Bank",
    "Saderat",
    "Sepah",
]
PERSIAN = [
    "محمد",
    "علی",
    "حسن",
    "حسین",
    "احمد",
    "عبدالرحمن",
    "رضایی",
    "احمدی",
    "حسینی",
    "کریمی",
    "شرکت",
    "کشتیرانی",
]


def _space_before(names: list[tuple[str, ...]]) -> _Space:
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


def _similar_words_before(space: _Space, words: list[str], longer: bool) -> Any:
    """Every pair compared in full, with the short-word transposition rule of main."""
    from rapidfuzz.distance import OSA, Levenshtein
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
        swapped = np.flatnonzero(
            (d == 1) & (similarity < TRANSPOSED[1]) & (lengths >= TRANSPOSED[0])
        )
        for k in swapped.tolist():
            if Levenshtein.distance(chunk[rows[k]], space.words[cols[k]], score_cutoff=2) == 2:
                similarity[k] = TRANSPOSED[1]
        keep = similarity > 0
        blocks.append(
            csr_matrix(
                (similarity[keep], (rows[keep], cols[keep])), shape=(len(chunk), len(space.words))
            )
        )
    return vstack(blocks).tocsr()


def _candidates_before(
    index: Index, space: _Space, queries: list[tuple[int, tuple[str, ...]]]
) -> list[tuple[int, int, float, float]]:
    from scipy.sparse import csr_matrix

    if not queries or not space.words:
        return []
    unique: dict[str, int] = {}
    for _, words in queries:
        for w in words:
            unique.setdefault(w, len(unique))
    similar = _similar_words_before(space, list(unique), longer=space is index.latin)
    query_weight = np.array(
        [_query_weight(space, similar, u, w) for w, u in unique.items()], dtype=np.float64
    )
    row_of = np.repeat(np.arange(len(unique)), np.diff(similar.indptr))
    similar.data = similar.data * np.minimum(query_weight[row_of], space.weights[similar.indices])
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


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if kind == 0:
        return word[:at] + letter + word[at + 1 :]
    if kind == 1:
        return word[:at] + letter + word[at:]
    if kind == 2:
        return word[:at] + word[at + 1 :]
    return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]


def made_up_entries(rng: random.Random, count: int) -> list[ListEntry]:
    """Persons and firms made of a few common words, so that names share words."""
    entries = []
    for n in range(count):
        if n % 3:
            words = [*rng.sample(GIVEN, rng.randint(1, 3)), rng.choice(SURNAMES)]
            kind = "individual"
        else:
            words = [rng.choice(SURNAMES), *rng.sample(FIRM_WORDS, 2)]
            kind = "entity"
        aliases = [" ".join(rng.sample(PERSIAN, 3))] if n % 5 == 0 else []
        aliases.append(" ".join(_typo(w, rng) for w in words))
        entries.append(
            ListEntry(
                reference=f"M{n}",
                kind=kind,
                name=" ".join(words),
                list_type="Made up",
                aliases=tuple(ListedName(a, "a.k.a.") for a in aliases),
            )
        )
    return entries


def queries_for(entries: list[ListEntry], rng: random.Random, count: int) -> list[str]:
    """Listed names reordered, with typos, doubled, in Persian script, or made only of
    common words."""
    names = []
    words = GIVEN + SURNAMES + FIRM_WORDS
    for _ in range(count):
        kind = rng.randrange(5)
        listed = rng.choice(rng.choice(entries).names).name.split()
        if kind == 0:
            names.append(" ".join(rng.sample(listed, len(listed))))
        elif kind == 1:
            names.append(" ".join(_typo(w, rng) for w in listed))
        elif kind == 2:
            other = rng.choice(rng.choice(entries).names).name
            names.append(f"{' '.join(listed)} {other}")
        elif kind == 3:
            names.append(" ".join(rng.choices(PERSIAN, k=rng.randint(1, 5))))
        else:
            names.append(" ".join(rng.choices(words, k=rng.randint(1, 7))))
    return names


def assert_same_spaces(a: _Space, b: _Space) -> None:
    assert a.vocabulary == b.vocabulary
    assert a.words == b.words
    assert a.name_words == b.name_words
    assert a.unknown_weight == b.unknown_weight
    for x, y in (
        (a.weights, b.weights),
        (a.name_weight, b.name_weight),  # bit for bit
        (a.name_letters, b.name_letters),
        (a.incidence.indptr, b.incidence.indptr),
        (a.incidence.indices, b.incidence.indices),
        (a.incidence.data, b.incidence.data),
    ):
        assert x.dtype == y.dtype
        assert np.array_equal(x, y)


def assert_same_candidates(index: Index, names: list[str]) -> int:
    for space in (index.latin, index.skeleton):
        words = [tuple(space.words[i] for i in ids) for ids in space.name_words]
        assert_same_spaces(space, _space_before(words))
    forms = [normalize(n) for n in names]
    latin = [(i, f.words) for i, f in enumerate(forms) if f.words and not f.arabic_script]
    skeleton = [(i, f.skeleton) for i, f in enumerate(forms) if f.skeleton and f.arabic_script]
    pairs = 0
    for space, batch, longer, key in (
        (index.latin, latin, True, "words"),
        (index.skeleton, skeleton, False, "skeleton"),
    ):
        words = list(dict.fromkeys(w for f in forms for w in getattr(f, key)))
        before, now = (
            _similar_words_before(space, words, longer),
            _similar_words(space, words, longer),
        )
        assert before.shape == now.shape
        assert np.array_equal(before.indptr, now.indptr)
        assert np.array_equal(before.indices, now.indices)
        assert np.array_equal(before.data, now.data)  # exactly: no tolerance
        expected = _candidates_before(index, space, batch)
        assert candidates(index, space, batch) == expected
        pairs += len(expected)
    return pairs


@pytest.mark.parametrize(("seed", "product_touches"), [(1, PRODUCT_TOUCHES), (2, 0)])
def test_candidates_are_the_same_as_before_on_names_sharing_words(
    seed: int, product_touches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of finding the pairs: the sparse product, and (as on a large list)
    through the names' heavier words."""
    monkeypatch.setattr(screening_index, "PRODUCT_TOUCHES", product_touches)
    rng = random.Random(seed)
    entries = made_up_entries(rng, 400) + list(parse_un(SAMPLE.read_bytes(), "s").entries)
    long = " ".join(rng.sample(GIVEN, 9) + rng.sample(SURNAMES, 3))  # summed pairwise
    entries.append(ListEntry("LONG", "individual", long, "Made up", ()))
    index = build_index(entries)
    pairs = assert_same_candidates(index, queries_for(entries, rng, 3000))
    assert pairs > 20_000  # the set is one where the pairs explode, not a trivial one


@absent_in_ci(UN_LIST.exists(), "shared/data/sanctions")
@pytest.mark.parametrize("product_touches", [PRODUCT_TOUCHES, 0])
def test_candidates_are_the_same_as_before_on_the_un_list(
    product_touches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screening_index, "PRODUCT_TOUCHES", product_touches)
    rng = random.Random(3)
    entries = list(parse_un(UN_LIST.read_bytes(), "un").entries)
    index = build_index(entries)
    assert assert_same_candidates(index, queries_for(entries, rng, 3000)) > 10_000


def test_kept_forms_give_the_same_index_and_hits(tmp_path: Path) -> None:
    rng = random.Random(4)
    entries = made_up_entries(rng, 200)
    index = build_index(entries)
    path = tmp_path / "cache" / "index.json"
    write_forms(path, "key-1", forms_of(index))
    assert path.stat().st_mode & 0o077 == 0  # the owner's alone
    forms = read_forms(path, "key-1")
    assert forms == forms_of(index)
    restored = index_from_forms(entries, forms)
    assert_same_spaces(index.latin, restored.latin)
    assert_same_spaces(index.skeleton, restored.skeleton)
    names = [Query(n) for n in queries_for(entries, rng, 300)]
    assert screen(restored, names) == screen(index, names)


def test_a_kept_file_that_is_not_what_was_written_is_ignored(tmp_path: Path) -> None:
    entries = made_up_entries(random.Random(5), 50)
    index = build_index(entries)
    path = tmp_path / "index.json"
    write_forms(path, "key-1", forms_of(index))
    assert read_forms(path, "key-2") is None  # another list, or other code
    assert read_forms(tmp_path / "absent.json", "key-1") is None
    document = json.loads(path.read_text())
    for field, value in (("name_entry", ["0"]), ("latin", [[1]]), ("format", 99)):
        path.write_text(json.dumps(document | {field: value}))
        assert read_forms(path, "key-1") is None
    path.write_text("{not json")
    assert read_forms(path, "key-1") is None
    forms = forms_of(index)
    with pytest.raises(ValueError, match="entries that are not there"):
        index_from_forms(entries[:10], forms)
    with pytest.raises(ValueError, match="differ in length"):
        index_from_forms(entries, forms.__class__(**(vars(forms) | {"latin": forms.latin[1:]})))
