"""Quality and speed of sanctions screening on a labelled set built from the UN list.

    .venv/bin/python benchmarks/bench_screening.py [--seeds 1 2 3] [--size 1000] [--list FILE]

For each seed the set holds ``size`` listed names written as traders and clerks
write them, each labelled with its entry's reference, and ``size`` unlisted names:

* positives — a listed entry's primary name or a Good/a.k.a. alias (the list's own
  "Low" aliases are too weak to identify anyone), changed in one of twelve ways:
  romanization variants (q/gh/kh, ou/u/oo, ee/i, e/a, w/v, doubled letters,
  Mohammad/Muhammad, al-/el-, -zadeh/-zade, Abdul/Abd al-/Abdol), tokens reordered,
  one token dropped (from names of three tokens or more; any but the rarest word, since people leave
  out a common part of a name, not its distinctive one), one typo (a
  substitution, insertion, deletion or transposition in a word of five letters
  or more), rendered in Persian script (a small Latin→Persian renderer below,
  short vowels mostly unwritten; individuals and Iran-list entities only, since
  other firms' names are translated rather than transliterated), decorated with
  an honorific (Haji, Mullah, Sayed) or a legal form (Co., Ltd, (Pvt) Ltd); and,
  for people, a title as clerks misspell it (Hajji, Hadji, Seyyed, Syed, Molla,
  Moulvi, Sheik, Dr., Eng., Brigadeer, Ayatolah, Hojjat ol-Eslam) or in Persian
  script (سردار، سرتیپ، حاج، سید), two neighbouring letters swapped in a short
  word (Ail, Omra), given names cut to initials (M. A. Jafari); a compound given
  name written joined (Mohammadali, Gholamreza, or محمدعلی in Persian script); a
  given name with one part of a hyphenated surname (Ali Ahmadian for Ali Akbar
  Ahmadian-Tehrani); bin/ibn written otherwise or left out; and round 3's kinds
  (``bench_screening_kinds.py``, OCR slips too).  A quarter start from an alias;
* negatives — names that share words with listed ones but name someone else: a
  word of a listed name with goods and a trade ("Shirazi Dates Export Co"), two
  common given names and a trade ("Mohammad Hassan Traders"), a common given name
  and a common surname of the corridor ("Ali Rezaei"), a word repeated, a listed
  one-word alias in a longer name; a fifth in Persian script.  One holding every
  word of a listed name (bar the alias) is listed, not a negative: drawn again.

A positive is found when its own entry is among the hits at ``review`` or above; a
hit on another entry only is a false positive, as is any hit on a negative.  Then
10,000 names (the set's, with fresh typos) are screened in one batch and timed.

The second, independently written generator (``screening_names.py``) is measured
too when present, on its own seeds (11, 12, 13 by default): nothing was tuned on it.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import bench_screening_kinds as kinds  # noqa: E402
from tahator.domain.names import matching_names, normalize  # noqa: E402
from tahator.domain.screening import ListEntry, Thresholds, build_index, screen  # noqa: E402
from tahator.io.un_list import parse_un  # noqa: E402

_LIST_FILE = Path("shared") / "data" / "sanctions" / "un-consolidated-2018-10-29.xml"
# the repository's parent holds shared/ in the main checkout; a worktree sits one deeper
DEFAULT_LIST = next(
    (p / _LIST_FILE for p in (ROOT.parent, ROOT.parent.parent) if (p / _LIST_FILE).exists()),
    ROOT.parent / _LIST_FILE,
)

VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\bmohammad\b|\bmuhammad\b|\bmohammed\b|\bmohamed\b", ("Mohammad", "Muhammad", "Mohammed")),
    (r"kh", ("gh", "q", "kh")),
    (r"gh", ("q", "kh")),
    (r"q", ("gh", "k" + "h")),
    (r"ou", ("u", "oo")),
    (r"oo", ("u", "ou")),
    (r"ee", ("i",)),
    (r"y", ("i",)),
    (r"\bal-", ("el-", "", "al ")),
    (r"zadeh\b", ("zade", " Zadeh")),
    (r"\babdul ", ("Abdul", "Abd al-", "Abdel ")),
    (r"\babdul", ("Abdul ", "Abd-al ")),
    (r"rahman", ("rehman",)),
    (r"rehman", ("rahman",)),
    (r"hossein|hussein|husain", ("Hussain", "Hosein", "Hossain")),
    (r"ahmad", ("ahmed",)),
    (r"ahmed", ("ahmad",)),
    (r"ss", ("s",)),
    (r"(?<=[bcdfghjklmnpqrstvz])e(?=[bcdfghjklmnpqrstvz])", ("a",)),
    (r"(?<=[a-z][bcdfghjklmnpqrstvz])i(?=[bcdfghjklmnpqrstvz])", ("e",)),
    (r"w", ("v",)),
    (r"v", ("w",)),
    (r"u(?=[bcdfghjklmnpqrstvz])", ("ou",)),
    (r"([bcdfghjklmnpqrstvz])\1", (r"\1",)),
    (r"(?<=[aeiou])([lmnrst])(?=[aeiou])", (r"\1\1",)),
    (r"\babd(?:ul|el|al)?[- ]?(?=[a-z])", ("Abdul", "Abdel ", "Abd al-", "Abdol")),
    (r"\babu[- ]", ("Abu", "Abou ", "Abu-")),
)
HONORIFICS = ("Haji", "Mullah", "Sayed", "Maulvi", "Sheikh")
# titles as clerks misspell and abbreviate them, in Latin and Persian script
# fmt: off
TITLES = (
    "Hajji", "Hadji", "Haj", "Al-Haj", "Seyyed", "Seyed", "Sayyid", "Syed", "Mulla", "Molla",
    "Maulana", "Moulvi", "Mawlawi", "Sheik", "Shaikh", "Dr", "Dr.", "Eng.", "Engr.", "General",
    "Brigadier General", "Brigadeer", "Ayatollah", "Ayatolah", "Hojatoleslam",
    "Hojjat ol-Eslam", "Col.", "Capt.",
)
# fmt: on
# fmt: off
PERSIAN_TITLES = (
    "سردار", "سرتیپ", "سرتیپ دوم", "سرلشکر", "حاج", "حاجی", "سید", "شیخ", "ملا", "مولوی",
    "دکتر", "مهندس", "آیت‌الله", "حجت‌الاسلام", "ڈاکٹر",
)
# fmt: on
# given names that combine into compounds written joined (Mohammadali, Gholamreza)
# fmt: off
COMPOUND_PARTS = frozenset(
    {
        "mohammad", "muhammad", "mohammed", "ali", "reza", "hossein", "hussain", "hassan",
        "hasan", "akbar", "asghar", "gholam", "ghulam", "abbas", "mehdi", "mahdi", "taqi",
        "naqi", "bagher", "baqer", "jafar", "javad", "sadegh", "kazem", "qasem", "karim",
        "rahim", "amir", "hadi", "mostafa", "morteza", "mojtaba", "mohsen", "hamid", "saeed",
        "majid",
    }
)
# fmt: on
NASAB = {"bin": ("ibn", "b.", "", "Ben"), "ibn": ("bin", ""), "ben": ("bin", "ibn")}
LEGAL_FORMS = ("Co.", "Ltd", "(Pvt) Ltd", "Company", "Trading Co.", "LLC")
# fmt: off
GIVEN = [
    "Mohammad", "Ali", "Hassan", "Hussain", "Ahmad", "Reza", "Mehdi", "Abbas", "Javad", "Hamid",
    "Karim", "Rahim", "Saeed", "Majid", "Imran", "Bilal", "Usman", "Tariq", "Asif", "Naveed",
    "Farhan", "Kamran", "Zahid", "Shahid", "Aslam", "Akbar", "Nasir", "Jamal", "Yousuf",
    "Ibrahim", "Ismail", "Omar", "Amir", "Babak", "Dariush", "Farhad", "Kaveh", "Arash",
    "Navid", "Omid", "Parviz",
]
# fmt: on
# fmt: off
SURNAMES = [
    "Khan", "Malik", "Qureshi", "Siddiqui", "Chaudhry", "Butt", "Baig", "Awan", "Sheikh",
    "Mirza", "Rezaei", "Ahmadi", "Hosseini", "Mohammadi", "Karimi", "Jafari", "Rahimi",
    "Moradi", "Sadeghi", "Heidari", "Ghasemi", "Tehrani", "Shirazi", "Isfahani", "Kermani",
    "Yazdani", "Baluch", "Rind", "Zehri", "Mengal", "Bugti", "Marri", "Jamali", "Abbasi",
    "Naqvi", "Zaidi", "Rizvi",
]
# fmt: on
# fmt: off
GOODS = [
    "Rice", "Dates", "Textiles", "Cement", "Steel", "Fruit", "Meat", "Maize", "Bitumen",
    "Carpets", "Saffron", "Pistachio", "Leather", "Pharma", "Polymers", "Tiles", "Glass",
    "Copper",
]
# fmt: on
TRADES = ("Traders", "Export", "Import Export", "Enterprises", "Mills", "Industries", "& Sons")

PERSIAN_DIGRAPHS = {
    "kh": "خ",
    "gh": "غ",
    "sh": "ش",
    "ch": "چ",
    "zh": "ژ",
    "th": "ث",
    "ph": "ف",
    "ou": "و",
    "oo": "و",
    "ee": "ی",
}
# fmt: off
PERSIAN_LETTERS = {
    "b": "ب", "p": "پ", "t": "ت", "j": "ج", "d": "د", "r": "ر", "z": "ز", "f": "ف", "q": "ق",
    "k": "ک", "c": "ک", "g": "گ", "l": "ل", "m": "م", "n": "ن", "v": "و", "w": "و", "y": "ی",
    "x": "کس",
}
# fmt: on


STOP_WORDS = frozenset({"of", "for", "and", "the"})


def persian(name: str, rng: random.Random) -> str:
    """Write a Latin name in Persian script as a clerk might: consonants letter for
    letter (h as ه or ح, s as س or ص, z as ز or ظ), short vowels mostly unwritten,
    Abdul- and al- joined to the next word as عبدال and ال."""
    words = []
    prefix = ""
    text = re.sub(r"['’‘`ʿʾ‘]", "", name.lower())
    for word in re.findall(r"[a-z]+", text):
        if word in STOP_WORDS:
            continue
        if word in {"al", "el", "abdul", "abdel", "abdal", "abd"}:
            prefix += "ال" if word in {"al", "el"} else "عبدال"
            continue
        for start in ("abdul", "abdel", "abdal"):
            if word.startswith(start) and len(word) > len(start) + 2:
                prefix, word = prefix + "عبدال", word[len(start) :]
                break
        out = [prefix]
        prefix = ""
        i = 0
        while i < len(word):
            two = word[i : i + 2]
            ch = word[i]
            first, last = i == 0, i == len(word) - 1
            if len(two) == 2 and two[0] == two[1] and two[0] not in "aeiou":
                i += 1  # a doubled consonant is written once
                continue
            if two in PERSIAN_DIGRAPHS:
                out.append(("ا" if first and two[0] in "aeiou" else "") + PERSIAN_DIGRAPHS[two])
                i += 2
                continue
            if ch == "a":
                out.append("آ" if first else ("ا" if rng.random() < 0.6 or last else ""))
            elif ch == "e":
                out.append("ا" if first else ("ه" if last else ""))
            elif ch == "i":
                out.append("ای" if first else "ی")
            elif ch == "o":
                out.append("او" if first else ("و" if rng.random() < 0.5 or last else ""))
            elif ch == "u":
                out.append("او" if first else "و")
            elif ch == "h":
                out.append("ح" if rng.random() < 0.3 else "ه")
            elif ch == "s":
                out.append("ص" if rng.random() < 0.2 else "س")
            elif ch == "z":
                out.append("ظ" if rng.random() < 0.1 else "ز")
            else:
                out.append(PERSIAN_LETTERS.get(ch, ""))
            i += 1
        if "".join(out):
            words.append("".join(out))
    return " ".join(words)


def variant(name: str, rng: random.Random) -> str:
    applicable = [(p, r) for p, r in VARIANTS if re.search(p, name, re.IGNORECASE)]
    if not applicable:
        return name.upper() if rng.random() < 0.5 else name.title()
    for pattern, replacements in rng.sample(applicable, k=min(len(applicable), rng.randint(1, 2))):
        matches = list(re.finditer(pattern, name, re.IGNORECASE))
        if not matches:  # an earlier change removed it
            continue
        m = rng.choice(matches)
        name = name[: m.start()] + m.expand(rng.choice(replacements)) + name[m.end() :]
    return name


def typo(name: str, rng: random.Random) -> str:
    words = name.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return name
    i = rng.choice(long)
    w = words[i]
    at = rng.randrange(1, len(w) - 1)
    kind = rng.choice(("substitute", "insert", "delete", "transpose"))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if kind == "substitute":
        w = w[:at] + letter + w[at + 1 :]
    elif kind == "insert":
        w = w[:at] + letter + w[at:]
    elif kind == "delete":
        w = w[:at] + w[at + 1 :]
    else:
        w = w[: at - 1] + w[at] + w[at - 1] + w[at + 1 :]
    words[i] = w
    return " ".join(words)


def transpose(name: str, rng: random.Random) -> str | None:
    """Two neighbouring letters swapped in a short word (Ail for Ali, Omra for Omar)."""
    words = name.split()
    short = [i for i, w in enumerate(words) if 3 <= len(w) <= 5 and w.isalpha()]
    if not short:
        return None
    i = rng.choice(short)
    w = words[i]
    at = rng.randrange(1, len(w))
    if w[at - 1] == w[at]:
        return None
    words[i] = w[: at - 1] + w[at] + w[at - 1] + w[at + 1 :]
    return " ".join(words)


def joined(name: str, rng: random.Random) -> str | None:
    """A compound given name written as one word (Mohammad Ali -> Mohammadali), in
    Latin or, for a Persian name, in Persian script (محمدعلی)."""
    words = name.split()
    pairs = [
        i
        for i in range(len(words) - 1)
        if words[i].casefold() in COMPOUND_PARTS and words[i + 1].casefold() in COMPOUND_PARTS
    ]
    if not pairs:
        return None
    i = rng.choice(pairs)
    if rng.random() < 0.4:
        rest = [persian(w, rng) for w in words]
        return " ".join([*rest[:i], rest[i] + rest[i + 1], *rest[i + 2 :]])
    return " ".join([*words[:i], (words[i] + words[i + 1].lower()).title(), *words[i + 2 :]])


def titled(name: str, rng: random.Random) -> str:
    """A person's name with a title, as often misspelled as not, Latin or Persian."""
    if rng.random() < 0.25:
        return f"{rng.choice(PERSIAN_TITLES)} {persian(name, rng)}"
    return f"{rng.choice(TITLES)} {name}"


def surname_part(name: str, rng: random.Random) -> str | None:
    """A name shortened to a given name and one part of a compound surname
    (Ali Akbar Ahmadian-Tehrani -> Ali Ahmadian)."""
    words = name.split()
    if len(words) < 2 or "-" not in words[-1]:
        return None
    parts = [p for p in words[-1].split("-") if len(p) >= 4]
    if len(parts) != 2:
        return None
    return f"{words[0]} {rng.choice(parts)}"


def nasab(name: str, rng: random.Random) -> str | None:
    """bin/ibn ("son of") written otherwise or left out (Usama bin Ladin, Usama Ladin)."""
    words = name.split()
    at = [i for i, w in enumerate(words) if w.casefold() in NASAB]
    if not at:
        return None
    i = rng.choice(at)
    words[i] = rng.choice(NASAB[words[i].casefold()])
    return " ".join(w for w in words if w)


def initials(name: str, rng: random.Random) -> str | None:
    """Given names cut to initials (M. A. Jafari, M.A. JAFARI)."""
    words = name.split()
    if len(words) < 2 or not all(w.isalpha() for w in words):
        return None
    cut = rng.randint(1, len(words) - 1)
    marks = [w[0].upper() + "." for w in words[:cut]]
    joined = "".join(marks) if rng.random() < 0.5 else " ".join(marks)
    return f"{joined} {' '.join(words[cut:])}"


SHAPERS = {"initials": initials, "transpose": transpose, "joined": joined, "title": titled}
SHAPERS |= {"surname part": surname_part, "nasab": nasab, **kinds.SHAPERS}
PEOPLE_ONLY = {"title", "transpose", "initials", *kinds.PEOPLE_ONLY}
KINDS = ("variant", "reorder", "drop", "typo", "persian", "decorate", *SHAPERS)


def word_counts(entries: list[ListEntry]) -> dict[str, int]:
    """In how many listed names (and aliases) each word appears."""
    counts: dict[str, int] = {}
    for entry in entries:
        for listed in entry.names:
            for word in set(listed.name.casefold().split()):
                counts[word] = counts.get(word, 0) + 1
    return counts


def positives(
    entries: list[ListEntry], size: int, rng: random.Random
) -> list[tuple[str, str, str]]:
    """(name, expected reference, how it was changed)."""
    counts = word_counts(entries)
    rows = []
    while len(rows) < size:
        entry = rng.choice(entries)
        aliases = [a.name for a in entry.aliases if a.quality.casefold() in {"good", "a.k.a."}]
        chosen = rng.choice(aliases) if aliases and rng.random() < 0.25 else entry.name
        name = rng.choice(matching_names(chosen, shortened=False) or [entry.name])
        if not normalize(name).words:
            continue
        how = rng.choice(KINDS)
        if how == "persian" and entry.kind == "entity" and entry.list_type != "Iran":
            how = "variant"  # other lists' firms are translated, not transliterated
        words = name.split()
        if how == "variant":
            changed = variant(name, rng)
        elif how == "reorder" and len(words) >= 2:
            while (shuffled := rng.sample(words, len(words))) == words:
                pass
            changed = " ".join(shuffled)
        elif how == "drop" and len(words) >= 3:
            # people leave out a common part of a name, not its most distinctive word
            rarest = min(range(len(words)), key=lambda i: counts.get(words[i].casefold(), 0))
            del words[rng.choice([i for i in range(len(words)) if i != rarest])]
            changed = " ".join(words)
        elif how == "typo":
            changed = typo(name, rng)
        elif how == "persian":
            changed = persian(name, rng)
        elif how in SHAPERS and (shaped := SHAPERS[how](name, rng)) is not None:
            if how in PEOPLE_ONLY and entry.kind != "individual":
                continue
            changed = shaped
        elif how == "decorate":
            extra = rng.choice(HONORIFICS if entry.kind == "individual" else LEGAL_FORMS)
            changed = f"{extra} {name}" if entry.kind == "individual" else f"{name} {extra}"
        else:
            continue
        rows.append((changed, entry.reference, how))
    return rows


def negatives(entries: list[ListEntry], size: int, rng: random.Random) -> list[tuple[str, str]]:
    """(name, how it was made): unlisted names sharing words with listed ones."""
    listed = {
        normalize(n).words
        for e in entries
        for a in e.names
        for n in matching_names(a.name, shortened=False)
    }
    containing: dict[str, list[frozenset[str]]] = {}
    for words in listed:
        for word in words:
            containing.setdefault(word, []).append(frozenset(words))
    listed_words = sorted(
        {w for e in entries for w in re.findall(r"[A-Za-z]{4,}", e.name)}, key=str.lower
    )
    one_word = sorted({a.name for e in entries for a in e.names if re.fullmatch(r"\w{5,}", a.name)})
    rows: list[tuple[str, str]] = []
    while len(rows) < size:
        kind = rng.choice(("listed word", "given names", "person", "repeated", "alias inside"))
        if kind == "listed word":
            name = (
                f"{rng.choice(listed_words).title()} {rng.choice(GOODS)} {rng.choice(TRADES)} "
                f"{rng.choice(LEGAL_FORMS)}"
            )
        elif kind == "given names":
            first, second = rng.sample(GIVEN, 2)
            name = f"{first} {second} {rng.choice(TRADES)}"
        elif kind == "repeated":
            name = kinds.repeated(GIVEN, SURNAMES, rng)
        elif kind == "alias inside":
            name = kinds.alias_inside(one_word, GIVEN, SURNAMES, rng)
        else:
            name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
        words = frozenset(normalize(name).words)
        if kind != "alias inside" and any(
            listed_name <= words for w in words for listed_name in containing.get(w, ())
        ):
            continue  # it holds a whole listed name: listed, not a negative
        if rng.random() < 0.2:
            name, kind = persian(name, rng), kind + " (Persian script)"
        rows.append((name, kind))
    return rows


def evaluate(entries: list[ListEntry], seed: int, size: int, thresholds: Thresholds) -> dict:
    rng = random.Random(seed)
    index = build_index(entries)
    pos = positives(entries, size, rng)
    neg = negatives(entries, size, rng)
    results = screen(index, [n for n, _, _ in pos] + [n for n, _ in neg], thresholds)
    tp = fp = 0
    missed: dict[str, int] = {}
    false: dict[str, int] = {}
    for (_name, reference, how), hits in zip(pos, results[: len(pos)], strict=True):
        flagged = [h for h in hits if h.band != "clear"]
        if any(h.reference == reference for h in flagged):
            tp += 1
        else:
            missed[how] = missed.get(how, 0) + 1
            if flagged:
                fp += 1
    for (_name, kind), hits in zip(neg, results[len(pos) :], strict=True):
        if any(h.band != "clear" for h in hits):
            fp += 1
            false[kind] = false.get(kind, 0) + 1
    return {
        "seed": seed,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / len(pos),
        "missed": missed,
        "false_positives": false,
    }


def second_generator(where: Path) -> object | None:
    """``screening_names`` (the second, independently written generator), if present."""
    sys.path.insert(0, str(where))
    try:
        import screening_names
    except ImportError:
        return None
    finally:
        sys.path.remove(str(where))
    return screening_names


def evaluate_second(
    generator: object, entries: list[ListEntry], seed: int, size: int, thresholds: Thresholds
) -> dict:
    """The same measures on the second generator's labelled set (its seeds are held out:
    nothing here was tuned on them)."""
    rows = generator.labelled_set(entries, seed, size)  # type: ignore[attr-defined]
    index = build_index(entries)
    results = screen(index, [r.name for r in rows], thresholds)
    tp = fp = positives_count = 0
    missed: dict[str, int] = {}
    false: dict[str, int] = {}
    for row, hits in zip(rows, results, strict=True):
        flagged = [h for h in hits if h.band != "clear"]
        if row.reference is None:
            if flagged:
                fp += 1
                false[row.kind] = false.get(row.kind, 0) + 1
            continue
        positives_count += 1
        if any(h.reference == row.reference for h in flagged):
            tp += 1
        else:
            missed[row.kind] = missed.get(row.kind, 0) + 1
            if flagged:
                fp += 1
    return {
        "seed": seed,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / positives_count if positives_count else 1.0,
        "missed": missed,
        "false_positives": false,
    }


def timing(entries: list[ListEntry], thresholds: Thresholds, count: int = 10_000) -> dict:
    rng = random.Random(0)
    started = time.perf_counter()
    index = build_index(entries)
    built = time.perf_counter() - started
    names = [n for n, _, _ in positives(entries, count // 2, rng)]
    names += [n for n, _ in negatives(entries, count - len(names), rng)]
    names = [typo(n, rng) if rng.random() < 0.5 else n for n in names]
    started = time.perf_counter()
    screen(index, names, thresholds)
    return {
        "names": len(names),
        "index_seconds": built,
        "screen_seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--list", type=Path, default=DEFAULT_LIST)
    parser.add_argument("--review", type=float, default=Thresholds().review)
    parser.add_argument("--match", type=float, default=Thresholds().match)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--second-seeds", type=int, nargs="*", default=[11, 12, 13])
    parser.add_argument(
        "--second-from",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="the folder holding screening_names.py (the second generator)",
    )
    args = parser.parse_args()
    thresholds = Thresholds(args.review, args.match)
    entries = list(parse_un(args.list.read_bytes(), str(args.list)).entries)
    print(
        f"{len(entries)} entries; thresholds review {thresholds.review}, match {thresholds.match}"
    )
    for seed in args.seeds:
        result = evaluate(entries, seed, args.size, thresholds)
        print(
            f"seed {seed}: precision {result['precision']:.4f}  recall {result['recall']:.4f}"
            + (
                f"  missed {result['missed']}  false {result['false_positives']}"
                if args.verbose
                else ""
            )
        )
    generator = second_generator(args.second_from)
    if generator is None:
        print("second generator (screening_names.py) not found: skipped")
    for seed in args.second_seeds if generator is not None else []:
        result = evaluate_second(generator, entries, seed, args.size, thresholds)
        print(
            f"second generator seed {seed}: precision {result['precision']:.4f}  "
            f"recall {result['recall']:.4f}"
            + (
                f"  missed {result['missed']}  false {result['false_positives']}"
                if args.verbose
                else ""
            )
        )
    figures = timing(entries, thresholds)
    print(
        f"screen {figures['names']:,} names: {figures['screen_seconds']:.2f} s "
        f"(index of the list built in {figures['index_seconds']:.2f} s)"
    )


if __name__ == "__main__":
    main()
