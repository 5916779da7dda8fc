"""Query forms screening credits beyond plain word cover (pure): a word the query
repeats, and a long name shortened to its given name and one later word."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tahator.domain.names import Normalized, normalize
from tahator.domain.screening_index import Index, _Space

SHORT_FORM_COVER = 0.6
"""Listed cover credited to a given name with one rare later word of a name of three words
or more (Nayef Ujaym for Nayef Salam Muhammad Ujaym al-Hababi): at the default thresholds
such a name needs review, and no more."""
RARE_WORD = 0.9
"""Weight, as a share of a word found nowhere else on the lists, of a rare word.  Chosen
on our generator's unhyphenated surname parts (seeds 1-5): recall the same from 0.7 to
0.9 and lower at 1.0, precision highest from 0.9."""
PAIR_WORD = 0.5
"""Least weight, as a share of a word found nowhere else on the lists, of a later word
that with the given name is held by one entry's names only.  Chosen on our generator
(seeds 1-5): recall the same from 0.3 to 0.5, lower from 0.6; 0.5 credits fewest."""


@lru_cache(maxsize=1 << 14)
def _listed_form(text: str) -> Normalized:
    return normalize(text)


def unrepeated(index: Index, space: _Space, name: int, form: Normalized, explained: float) -> float:
    """The query cover with a word the query repeats (Zahid Zahid) explained only as
    often as the listed name holds it: one listed Zahid explains one of them."""
    from rapidfuzz.distance import OSA

    skeleton = space is index.skeleton
    query = form.skeleton if skeleton else form.words
    # the listed text whole (an alias in brackets too), as written: its repeats kept
    whole = _listed_form(index.name_text[name])
    listed = whole.skeleton if skeleton else whole.words

    def weight(word: str) -> float:
        known = space.vocabulary.get(word)
        return space.unknown_weight if known is None else float(space.weights[known])

    total = sum(weight(w) for w in query)
    extra = 0.0
    for word in set(query):
        copies = sum(1 for w in listed if OSA.distance(w, word, score_cutoff=1) <= 1)
        if copies < 2:  # a name that repeats the word itself may be written with more
            extra += max(0, query.count(word) - 1) * weight(word)
    return max(0.0, explained - extra / total) if total else explained


def short_form(index: Index, space: _Space, name: int, form: Normalized, listed: float) -> float:
    """The listed cover of a query that is a listed name's given name and one rare word
    after its second (a compound surname, unhyphenated, shortened to one part): at least
    :data:`SHORT_FORM_COVER`."""
    from rapidfuzz.distance import OSA

    ids = space.name_words[name]
    query = form.skeleton if space is index.skeleton else form.words
    if len(ids) < 3 or len(query) < 2:
        return listed
    if index.entries[index.name_entry[name]].kind != "individual":
        return listed  # a firm's name has no given name
    words = [space.words[i] for i in ids]
    # the given name as listed, one typo away in a Latin word of five letters or more
    slack = 1 if space is index.latin and len(words[0]) >= 5 else 0
    if OSA.distance(query[0], words[0], score_cutoff=slack + 1) > slack:
        return listed
    rare = RARE_WORD * space.unknown_weight
    floor = PAIR_WORD * space.unknown_weight
    for at in range(2, len(ids)):
        weight = float(space.weights[ids[at]])
        if weight < floor or not any(
            OSA.distance(q, words[at], score_cutoff=1) <= 1 for q in query[1:]
        ):
            continue
        # a word rare on its own, or one no other entry's name holds beside this given
        # name (Yasser ... Al-Tikriti: Tikriti is common, Yasser Tikriti is one person)
        if weight >= rare or _one_entry(index, space, ids[0], ids[at]):
            return SHORT_FORM_COVER
    return listed


_BY_WORD: dict[int, tuple[_Space, Any]] = {}


def names_by_word(space: _Space) -> Any:
    """The space's (words × names) incidence, kept for the space's life."""
    held = _BY_WORD.get(id(space))
    if held is None or held[0] is not space:
        if len(_BY_WORD) > 8:
            _BY_WORD.clear()
        held = _BY_WORD[id(space)] = (space, space.incidence.T.tocsr())
    return held[1]


def _one_entry(index: Index, space: _Space, given: int, later: int) -> bool:
    """Whether the names holding both words all belong to one entry."""
    by_word = names_by_word(space)
    names = by_word.indices[by_word.indptr[later] : by_word.indptr[later + 1]].tolist()
    return len({index.name_entry[n] for n in names if given in space.name_words[n]}) == 1
