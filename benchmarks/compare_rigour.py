"""OpenSanctions' ``rigour`` against Tahator's own name handling, on both labelled sets.

    .venv/bin/uv pip install rigour   # not a dependency of Tahator: see below
    .venv/bin/python benchmarks/compare_rigour.py [--seeds 1 2 3] [--second-seeds 11 12]

Variants, each screened at the default thresholds and scored as in
``bench_screening.py`` (precision, recall):

* ``ours`` — the engine as it is;
* ``rigour translit`` — Arabic-script names transliterated by ``rigour.text.ascii_text``
  (then folded as Latin) instead of our Persian/Arabic/Urdu table and skeletons;
* ``rigour prefixes+org types`` — titles and legal forms removed by
  ``rigour.names.remove_person_prefixes`` and ``remove_org_types`` instead of our tables;
* ``ours + rigour prefixes/types`` — rigour's removal first, then our tables as well;
* ``rigour tokenize`` — names split into words by ``rigour.names.tokenize_name``;
* ``rigour compare`` — our candidates (down to a score of 50) rescored by rigour's own
  comparison (``analyze_names`` + ``compare_parts``: the aligned parts' scores, weighted
  by length), flagged from a cut chosen on the first generator's seeds only;
* ``ours + rigour veto`` — our score, but a hit whose rigour comparison is below a cut
  (chosen likewise) is cleared.

Every variant screens the same labelled names; an index is built per variant since
normalization applies to listed names too.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_screening as bench  # noqa: E402
from tahator.domain import names  # noqa: E402
from tahator.domain import screening_tables as tables  # noqa: E402
from tahator.domain.screening import Hit, ListEntry, Query, Thresholds, build_index, screen  # noqa: E402
from tahator.io.un_list import parse_un  # noqa: E402

Row = tuple[str, str | None, str]
"""(name, expected reference or None for a negative, kind)."""


def rows_first(entries: list[ListEntry], seed: int, size: int) -> list[Row]:
    rng = random.Random(seed)
    pos = bench.positives(entries, size, rng)
    neg = bench.negatives(entries, size, rng)
    return [(n, r, k) for n, r, k in pos] + [(n, None, k) for n, k in neg]


def rows_second(generator: object, entries: list[ListEntry], seed: int, size: int) -> list[Row]:
    return [(r.name, r.reference, r.kind) for r in generator.labelled_set(entries, seed, size)]  # type: ignore[attr-defined]


def measure(
    rows: list[Row], results: list[list[Hit]], flagged: Callable[[Hit], bool]
) -> tuple[float, float]:
    tp = fp = positives = 0
    for (_name, reference, _kind), hits in zip(rows, results, strict=True):
        found = [h for h in hits if flagged(h)]
        if reference is None:
            fp += bool(found)
            continue
        positives += 1
        if any(h.reference == reference for h in found):
            tp += 1
        elif found:
            fp += 1
    return (tp / (tp + fp) if tp + fp else 1.0, tp / positives if positives else 1.0)


def _clear_caches() -> None:
    for f in (
        names._dropped,
        names._title,
        names._prefixes,
        names._suffixes,
        names._letters,
        names.skeleton_of,
        names.split_compound,
        names._split_skeleton,
    ):
        f.cache_clear()


@contextmanager
def rigour_translit() -> Iterator[Callable[[str], str]]:
    from rigour.text import ascii_text

    saved = names.transliterate
    names.transliterate = lambda text: ascii_text(text).casefold()  # type: ignore[assignment]
    _clear_caches()
    try:
        yield lambda name: name
    finally:
        names.transliterate = saved
        _clear_caches()


@contextmanager
def rigour_prefixes() -> Iterator[Callable[[str], str]]:
    from rigour.names import remove_org_types, remove_person_prefixes

    saved = (names._titles, names._DROPPED, names._BUSINESS_FOLDED, names._BUSINESS_LONG)
    names._titles = lambda words: [False] * len(words)  # type: ignore[assignment]
    names._DROPPED = tables.GENERIC_WORDS | tables.NASAB
    names._BUSINESS_FOLDED = frozenset(names._letters(w, True) for w in tables.GENERIC_WORDS)
    names._BUSINESS_LONG = sorted(w for w in names._BUSINESS_FOLDED if len(w) >= 6)
    _clear_caches()
    try:
        yield lambda name: remove_org_types(remove_person_prefixes(name)) or name
    finally:
        names._titles, names._DROPPED, names._BUSINESS_FOLDED, names._BUSINESS_LONG = saved
        _clear_caches()


@contextmanager
def rigour_prefixes_too() -> Iterator[Callable[[str], str]]:
    from rigour.names import remove_org_types, remove_person_prefixes

    yield lambda name: remove_org_types(remove_person_prefixes(name)) or name


@contextmanager
def rigour_tokenize() -> Iterator[Callable[[str], str]]:
    from rigour.names import tokenize_name

    yield lambda name: " ".join(tokenize_name(name)) or name


@contextmanager
def unchanged() -> Iterator[Callable[[str], str]]:
    yield lambda name: name


def _rewritten(entries: list[ListEntry], rewrite: Callable[[str], str]) -> list[ListEntry]:
    from dataclasses import replace

    out = []
    for e in entries:
        aliases = tuple(replace(a, name=rewrite(a.name)) for a in e.aliases)
        out.append(replace(e, name=rewrite(e.name), aliases=aliases))
    return out


def rigour_similarity(query: str, hit: Hit, kind: str | None) -> float:
    """rigour's comparison of two names: the aligned parts' scores weighted by length."""
    from rigour.names import NameTypeTag, analyze_names, compare_parts

    tag = NameTypeTag.PER if hit.kind == "individual" else NameTypeTag.ORG
    q = analyze_names(tag, [query], infer_initials=True)
    r = analyze_names(tag, [hit.matched_name], consolidate=False)
    best = 0.0
    for qn in q:
        for rn in r:
            total = score = 0.0
            for a in compare_parts(qn.parts, rn.parts):
                size = (len(a.qstr) + len(a.rstr)) * a.weight
                total += size
                score += size * a.score
            best = max(best, score / total if total else 0.0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--second-seeds", type=int, nargs="*", default=[11, 12, 13])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--list", type=Path, default=bench.DEFAULT_LIST)
    parser.add_argument("--second-from", type=Path, default=HERE)
    args = parser.parse_args()
    thresholds = Thresholds()
    entries = list(parse_un(args.list.read_bytes(), str(args.list)).entries)
    generator = bench.second_generator(args.second_from)
    sets: list[tuple[str, int, list[Row]]] = [
        ("first", s, rows_first(entries, s, args.size)) for s in args.seeds
    ]
    if generator is not None:
        sets += [
            ("second", s, rows_second(generator, entries, s, args.size)) for s in args.second_seeds
        ]
    else:
        print("second generator (screening_names.py) not found: first only")

    def report(
        label: str, figures: dict[tuple[str, int], tuple[float, float]], seconds: float
    ) -> None:
        for which in ("first", "second"):
            got = [v for (w, _s), v in figures.items() if w == which]
            if not got:
                continue
            p = sum(v[0] for v in got) / len(got)
            r = sum(v[1] for v in got) / len(got)
            seeds = " ".join(
                f"{s}:{v[0]:.3f}/{v[1]:.3f}" for (w, s), v in figures.items() if w == which
            )
            print(f"{label:28} {which:6} precision {p:.4f} recall {r:.4f}   [{seeds}]")
        print(f"{'':28} screening time {seconds:.2f} s")

    for label, variant in (
        ("ours", unchanged),
        ("rigour translit", rigour_translit),
        ("rigour prefixes+org types", rigour_prefixes),
        ("ours + rigour prefixes/types", rigour_prefixes_too),
        ("rigour tokenize", rigour_tokenize),
    ):
        with variant() as rewrite:
            index = build_index(_rewritten(entries, rewrite))
            figures = {}
            started = time.perf_counter()
            for which, seed, rows in sets:
                results = screen(index, [Query(rewrite(n)) for n, _, _ in rows], thresholds)
                figures[which, seed] = measure(rows, results, lambda h: h.band != "clear")
            report(label, figures, time.perf_counter() - started)

    # rigour's own comparison, as a rescoring of our candidates
    index = build_index(entries)
    scored: dict[tuple[str, int], list[list[tuple[Hit, float]]]] = {}
    started = time.perf_counter()
    for which, seed, rows in sets:
        results = screen(index, [n for n, _, _ in rows], thresholds, min_score=50)
        scored[which, seed] = [
            [(h, rigour_similarity(name, h, None)) for h in hits]
            for (name, _r, _k), hits in zip(rows, results, strict=True)
        ]
    seconds = time.perf_counter() - started

    def figures_for(
        flag: Callable[[Hit, float], bool],
    ) -> dict[tuple[str, int], tuple[float, float]]:
        out = {}
        for which, seed, rows in sets:
            marked = [[h for h, r in hits if flag(h, r)] for hits in scored[which, seed]]
            out[which, seed] = measure(rows, marked, lambda h: True)
        return out

    def f1(figures: dict[tuple[str, int], tuple[float, float]]) -> float:
        got = [v for (w, _s), v in figures.items() if w == "first"]
        p = sum(v[0] for v in got) / len(got)
        r = sum(v[1] for v in got) / len(got)
        return 2 * p * r / (p + r)

    cuts = [c / 100 for c in range(5, 100, 5)]
    # the cut is chosen on the first generator only
    alone = max(cuts, key=lambda c: f1(figures_for(lambda h, r, c=c: r >= c)))
    report(f"rigour compare (>= {alone:.2f})", figures_for(lambda h, r: r >= alone), seconds)
    veto = max(
        cuts,
        key=lambda c: f1(figures_for(lambda h, r, c=c: h.score >= thresholds.review and r >= c)),
    )
    report(
        f"ours + rigour veto ({veto:.2f})",
        figures_for(lambda h, r: h.score >= thresholds.review and r >= veto),
        seconds,
    )


if __name__ == "__main__":
    main()
