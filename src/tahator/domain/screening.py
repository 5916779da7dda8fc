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
words ("Mohamed Hassan", "Hassan") is no evidence on its own.  The index and
the search for candidates are in ``screening_index.py``; what the lists carry
besides names (dates of birth, nationalities, identity and registration numbers)
raises or lowers a hit in ``screening_evidence.py``.

The lists arrive as :class:`ParsedList`s read by ``tahator.io``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from tahator.domain.names import Normalized, joined_across_invisibles, normalize, ocr_read
from tahator.domain.sanctions_lists import (
    UN,
    Identifier,
    ListedName,
    ListEntry,
    ParsedList,
    countries_of,
)
from tahator.domain.screening_evidence import (
    MAX_RAISE,
    SAME_IDENTIFIER,
    Evidence,
    adjusted,
    plain_number,
    weigh,
)
from tahator.domain.screening_forms import (
    PAIR_WORD,
    RARE_WORD,
    SHORT_FORM_COVER,
    names_by_word,
    short_form,
    unrepeated,
)
from tahator.domain.screening_index import (
    WORD_SIMILARITY,
    Index,
    _Space,
    build_index,
    candidates,
    word_similarity,
)

__all__ = [
    "UN",
    "WORD_SIMILARITY",
    "Band",
    "Decision",
    "Evidence",
    "Hit",
    "Identifier",
    "Index",
    "ListEntry",
    "ListedName",
    "ParsedList",
    "Query",
    "ScreeningStatus",
    "Thresholds",
    "WordMatch",
    "build_index",
    "countries_of",
    "screen",
    "word_similarity",
    "worst_band",
]

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
SPECIFICITY_POWER = 2
SKELETON_LETTERS = 4
"""Consonants a listed name's skeleton needs to count in full for Arabic-script names."""
INITIAL_CREDIT = 0.7
"""Share of a listed word's weight an initial standing for it earns (M. for Mohammad)."""
INITIAL_LETTERS: dict[str, str] = {
    "g": "gq",
    "k": "kq",
    "q": "qgk",
    "y": "yi",
    "o": "ou",
    "e": "ea",
}
"""First letters a folded listed word may have for an initial (G. for Gholam: ``qulam``)."""
LOW_QUALITY = frozenset({"low"})
"""Alias qualities the list itself calls too weak to identify: at most ``review``."""


@dataclass(frozen=True)
class WordMatch:
    """A word of the listed name as compared, and the query's word that matched it."""

    listed: str
    query: str | None
    """``None``: nothing in the query matched it."""
    share: float
    """The word's share of the listed name's weight (rare words weigh more)."""

    @property
    def how(self) -> str:
        if self.query is None:
            return "missing"
        if self.query == self.listed:
            return "exactly"
        if len(self.query) == 1:
            return f"as the initial {self.query.upper()}"
        return f"as {self.query!r}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class Hit:
    """A listed entry a name resembles, and why."""

    reference: str
    name: str
    list_type: str
    kind: str
    score: float
    """The name's score with the evidence's points added, within 0–100."""
    band: Band
    matched_name: str
    matched_quality: str
    normalized_query: str
    normalized_matched: str
    listed_cover: float
    query_cover: float
    specificity: float = 1.0
    country_match: bool | None = None
    list: str = UN
    """The list the entry is on (``UN``, ``OFAC SDN``)."""
    name_score: float | None = None
    """The score of the name alone, before the evidence (``None``: the same as ``score``)."""
    evidence: tuple[Evidence, ...] = ()
    """Facts besides the name that raised or lowered the score."""
    words: tuple[WordMatch, ...] = ()
    """The compared listed name's words and what in the query matched each."""

    @property
    def list_name(self) -> str:
        """The list and programme as people name them: ``UN Iran``; another list's
        programme after a colon (``MoFA Pakistan: IRAN-EO13902``)."""
        if not self.list_type or self.list_type == self.list:
            return self.list
        return (
            f"{self.list} {self.list_type}" if self.list == UN else f"{self.list}: {self.list_type}"
        )

    @property
    def explanation(self) -> str:
        """Why the hit scored what it did, in words an operator reads."""
        quality = "primary name" if self.matched_quality == "primary" else self.matched_quality
        if self.words:
            found = [w for w in self.words if w.query is not None]
            exact = all(w.how == "exactly" for w in self.words)
            n = len(self.words)
            count = "both words" if n == 2 else f"all {n} words" if n > 2 else "the word"
            said = f"{self.normalized_query!r} matches "
            said += count if len(found) == n else f"{len(found)} of the {_count(n, 'word')}"
            said += f" of the listed name {self.matched_name!r} ({quality})"
            if exact:
                said += " exactly" if n > 1 else ""
            else:
                rarest = max(self.words, key=lambda w: w.share)
                others = [w for w in self.words if w.how != "exactly"]
                if sum(w.share == rarest.share for w in self.words) == 1 and n > 1:
                    said += f"; its rarest word ({rarest.listed}) {rarest.how}"
                    others = [w for w in others if w is not rarest]
                if others:
                    said += "; " + ", ".join(f"{w.listed} {w.how}" for w in others)
            if any(w.listed not in self.normalized_matched.split() for w in self.words):
                said += " (compared on consonants: the name screened is in Arabic script)"
        elif self.name_score == 0.0 and not self.query_cover:
            said = (
                f"the name {self.normalized_query!r} differs from the listed name "
                f"{self.matched_name!r} ({quality})"
            )
        else:
            said = (
                f"{self.normalized_query!r} resembles the listed name {self.matched_name!r} "
                f"({quality}), compared as {self.normalized_matched!r}"
            )
        unexplained = round((1 - self.query_cover) * 100)
        if unexplained >= 5 and self.query_cover:
            said += f"; {unexplained}% of the name screened is not in the listed name"
        if self.specificity < 0.995:
            said += (
                f"; the listed name is made of common words, so it counts for less "
                f"({self.specificity:.0%})"
            )
        for fact in self.evidence:
            said += f"; {fact.detail} ({fact.points:+g})"
        return f"{said}. Score {self.score:g}: {self.band}."


@dataclass(frozen=True)
class Query:
    """A name to screen, with what else is known of its party."""

    name: str
    country: str | None = None
    """The party's country (ISO 3166 alpha-2): residence or registration."""
    id: str = ""
    """The caller's identifier for the name, echoed in its results."""
    born: str | None = None
    """Date of birth (``YYYY-MM-DD`` or ``YYYY``) of a person."""
    nationality: str | None = None
    """ISO 3166 alpha-2."""
    identifiers: tuple[Identifier, ...] = ()
    """Passport, national id, registration or tax numbers."""
    kind: str | None = None
    """``individual`` or ``entity`` when known."""
    numbers_only_raise: bool = False
    """The identifiers are the party's own declaration (a firm's tax number given at
    registration): the listed one's raises a hit, a different one proves nothing,
    since a front company would declare another number to lower a near-name."""


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
    count = len(asked)
    # a name with invisible characters is also screened with them taken out, and one
    # with an rn with it read as m
    origin = list(range(count))
    for number, written in enumerate(asked[:count]):
        if (joined := joined_across_invisibles(written.name)) is not None:
            asked.append(replace(written, name=joined))
            origin.append(number)
        if (read := ocr_read(written.name)) is not None:
            asked.append(replace(written, name=read))
            origin.append(number)
    forms = [normalize(q.name) for q in asked]
    latin = [(i, f.words) for i, f in enumerate(forms) if f.words and not f.arabic_script]
    skeleton = [(i, f.skeleton) for i, f in enumerate(forms) if f.skeleton and f.arabic_script]
    best: list[dict[int, Hit]] = [{} for _ in asked]
    for space, batch in ((index.latin, latin), (index.skeleton, skeleton)):
        pairs = candidates(index, space, batch)
        if space is index.latin:
            pairs += _word_candidates(index, forms, pairs)
        for query, name, listed, explained in pairs:
            if forms[query].repeated:
                explained = unrepeated(index, space, name, forms[query], explained)
            if forms[query].initials and space is index.latin:
                listed = _with_initials(index, name, forms[query], listed)
            if explained > 0.99 and listed < SHORT_FORM_COVER:
                listed = short_form(index, space, name, forms[query], listed)
            # how much a name says, measured on the Latin lists (skeletons collide more)
            specificity = min(
                1.0, float(index.latin.name_weight[name]) / index.latin.unknown_weight
            )
            if space is index.skeleton:
                # a short skeleton ("nd": Navid, Nada, Nadia) is no evidence on its own
                specificity *= min(1.0, int(space.name_letters[name]) / SKELETON_LETTERS)
            name_score = round(
                100
                * listed**LISTED_WEIGHT
                * explained ** (1 - LISTED_WEIGHT)
                * specificity**SPECIFICITY_POWER,
                1,
            )
            if name_score < floor - MAX_RAISE:
                continue
            entry_number = index.name_entry[name]
            entry = index.entries[entry_number]
            evidence = weigh(entry, asked[query], name_score=name_score)
            score = adjusted(name_score, evidence)
            if score < floor:
                continue
            held = best[query].get(entry_number)
            if held is not None and held.score >= score:
                continue
            band = thresholds.band(score)
            if band == Band.MATCH and index.name_quality[name].casefold() in LOW_QUALITY:
                band = Band.REVIEW
            words = _word_matches(index, space, name, forms[query])
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
                country_match=_country_match(index, entry_number, asked[query].country),
                list=entry.list_name,
                name_score=name_score if evidence else None,
                evidence=evidence,
                words=words,
            )
    _identified(index, asked, forms, best, thresholds)
    for variant in range(count, len(asked)):
        found = best[origin[variant]]
        for entry_number, hit in best[variant].items():
            if entry_number not in found or found[entry_number].score < hit.score:
                found[entry_number] = hit
    del best[count:]
    return [
        sorted(found.values(), key=lambda h: (-h.score, h.country_match is not True, h.reference))[
            :limit
        ]
        for found in best
    ]


def _country_match(index: Index, entry_number: int, country: str | None) -> bool | None:
    """Whether the party's country is one the list ties the entry to (its addresses'
    countries or its nationalities); ``None`` when either side has none."""
    entry = index.entries[entry_number]
    known = index.entry_countries[entry_number] | {n.upper() for n in entry.nationalities}
    return country.upper() in known if country and known else None


def _identified(
    index: Index,
    asked: Sequence[Query],
    forms: Sequence[Normalized],
    best: list[dict[int, Hit]],
    thresholds: Thresholds,
) -> None:
    """Add to ``best`` the entries whose identifier a query carries, whatever the name:
    a listed passport or registration number is a hit (at least ``review``) even under
    another name, compared as the evidence compares them (same family, countries
    agreeing).  Entries the name already found are left as scored."""
    if not any(q.identifiers for q in asked):
        return
    holders = index.identifier_holders
    for query, party in enumerate(asked):
        numbers = {plain_number(i.number) for i in party.identifiers} - {""}
        found: set[int] = set().union(*(holders.get(n, frozenset()) for n in numbers))
        for entry_number in sorted(found):
            if entry_number in best[query]:
                continue
            entry = index.entries[entry_number]
            evidence = weigh(entry, party)
            if not any(e.fact == "identifier" and e.points == SAME_IDENTIFIER for e in evidence):
                continue  # another family, or another issuing country
            raised = sum(e.points for e in evidence)
            score = round(max(thresholds.review, min(100.0, raised)), 1)
            best[query][entry_number] = Hit(
                reference=entry.reference,
                name=entry.name,
                list_type=entry.list_type,
                kind=entry.kind,
                score=score,
                band=thresholds.band(score),
                matched_name=entry.name,
                matched_quality="primary",
                normalized_query=forms[query].text,
                normalized_matched=normalize(entry.name).text,
                listed_cover=0.0,
                query_cover=0.0,
                country_match=_country_match(index, entry_number, party.country),
                list=entry.list_name,
                name_score=0.0,
                evidence=evidence,
            )


def _word_matches(
    index: Index, space: _Space, name: int, form: Normalized
) -> tuple[WordMatch, ...]:
    """Each word of the listed name and the query word most like it (an edit or two
    away at most), for the explanation; only for hits, so the cost is small."""
    from rapidfuzz.distance import OSA

    ids = space.name_words[name]
    total = float(space.name_weight[name]) or 1.0
    query = form.skeleton if space is index.skeleton else form.words
    initials = list(form.initials) if space is index.latin else []
    out = []
    for w in ids:
        listed = space.words[w]
        near = [(OSA.distance(listed, q), q) for q in query]
        close = [(d, q) for d, q in near if d <= (2 if len(listed) >= 8 else 1)]
        matched: str | None = min(close)[1] if close else None
        if matched is None:
            letters = INITIAL_LETTERS.get(listed[0], listed[0])
            initial = next((i for i in initials if i in letters), None)
            if initial is not None:
                initials.remove(initial)
                matched = initial
        out.append(WordMatch(listed, matched, round(float(space.weights[w]) / total, 3)))
    return tuple(out)


def _word_candidates(
    index: Index, forms: Sequence[Normalized], found: list[tuple[int, int, float, float]]
) -> list[tuple[int, int, float, float]]:
    """Listed names holding every word of a query the search for candidates passed over
    (it needs most of a listed name's weight): a name written with initials (A. M.
    Huwaysh; the initials are credited after, by :func:`_with_initials`), or a given name
    and one rare word of a long name (Hamad Dahi; see :func:`short_form`).  Looked up
    from the query's rarest word, so a common given name costs nothing."""
    space = index.latin
    rare = RARE_WORD * space.unknown_weight
    pair = PAIR_WORD * space.unknown_weight
    asked = []
    for i, f in enumerate(forms):
        if f.arabic_script or not f.words or not all(w in space.vocabulary for w in f.words):
            continue
        ids = [space.vocabulary[w] for w in f.words]
        top = max(float(space.weights[w]) for w in ids)
        if f.initials or (len(ids) <= 3 and top >= pair):
            asked.append((i, ids, bool(f.initials) or top >= rare))
    if not asked:
        return []
    seen = {(q, n) for q, n, _, _ in found}
    by_word = names_by_word(space)
    extra = []
    for query, ids, rare_word in asked:
        rarest = max(ids, key=lambda w: float(space.weights[w]))
        held = float(space.weights[ids].sum())
        names = [
            name
            for name in by_word.indices[
                by_word.indptr[rarest] : by_word.indptr[rarest + 1]
            ].tolist()
            if set(ids) <= set(space.name_words[name])
        ]
        # without a rare word the words together must name one entry (Yasser Tikriti)
        if not rare_word and len({index.name_entry[n] for n in names}) != 1:
            continue
        extra += [
            (query, name, held / float(space.name_weight[name]), 1.0)
            for name in names
            if (query, name) not in seen
        ]
    return extra


def _with_initials(index: Index, name: int, form: Normalized, listed: float) -> float:
    """The listed cover with the query's initials credited: each initial earns part of
    the weight of the first listed word it could stand for that no query word matched."""
    from rapidfuzz.distance import OSA

    space = index.latin
    total = float(space.name_weight[name])
    if total <= 0:
        return listed
    credit = 0.0
    open_words = [
        w
        for w in space.name_words[name]
        if not any(OSA.distance(space.words[w], q, score_cutoff=1) <= 1 for q in form.words)
    ]
    for initial in form.initials:
        letters = INITIAL_LETTERS.get(initial, initial)
        stands_for = next((w for w in open_words if space.words[w][0] in letters), None)
        if stands_for is not None:
            open_words.remove(stands_for)
            credit += INITIAL_CREDIT * float(space.weights[stands_for])
    return min(1.0, listed + credit / total)


def worst_band(hits: Iterable[Hit]) -> Band:
    """``match`` if any hit is a match, else ``review`` if any needs review, else ``clear``."""
    bands = {h.band for h in hits}
    return next((b for b in reversed(BANDS) if b in bands), Band.CLEAR)
