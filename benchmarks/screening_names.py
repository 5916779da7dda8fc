"""A second labelled set of names for sanctions screening, written apart from
``bench_screening.py`` so that neither generator grades its own normalization.

API::

    labelled_set(entries: list[ListEntry], seed: int, size: int) -> list[LabelledName]

``LabelledName(name, reference, kind)``: ``name`` is what a trader or a clerk might
type; ``reference`` is the listed entry's reference it should find, or ``None`` for
a negative (a name of nobody listed); ``kind`` is the variation applied (positives:
``exact``, ``romanization``, ``honorific``, ``honorific_persian``, ``compound_given``,
``surname_part``, ``transposition``, ``dropped_middle``, ``initials``,
``word_order``, ``nasab_article``, ``legal_form``, ``persian_script``,
``urdu_script``, ``original_script``, ``typo``; negatives start with ``neg_``), so a
benchmark reports recall and false positives per kind.  The same entries, seed and
size give the same list.

How names vary, and why each variation is here:

- Arabic names are chains: ism (given name), nasab (``bin``/``ibn`` + father),
  kunya (``Abu`` + child), laqab (epithet), nisba (``al-…i``, origin).  Writers drop
  or add ``bin`` and ``al-``, spell ``ibn``/``bin``/``ben``, glue ``Abd al-Latif``
  into ``Abdullatif`` or split it into ``Abdul Latif``.
- Persian compound given names (``Mohammad Ali``, ``Gholam Reza``, ``Abdol Rahim``)
  are one word in Persian script and written joined, hyphened or apart in Latin.
- Romanization has no standard: q/gh/kh (Qalibaf, Ghalibaf, Khalibaf), ou/u/oo,
  e/i/a, w/v, ``-zadeh``/``-zade``/``-zada``, Hossein/Hussain/Husayn.
- Titles are prefixed and misspelled (Haji, Hajji, Hadji; Seyed, Syed; Sheikh,
  Shiekh), in Latin or Persian script (حاج، سید، سردار).
- Clerks drop middle names, keep initials, put the surname first, name a person
  by the first name and one part of a compound surname, swap two letters of a
  short name (Ali → Ail), and OCR confuses rn/m, l/1, O/0.
- Companies' legal forms are translated or replaced (``Co.``, ``Company``,
  ``(Pvt) Ltd``, ``LLC``, ``Sherkat-e``, ``شرکت``).
- Persian and Urdu script write Latin names without short vowels; Urdu adds
  ے ی ھ ہ.

Negatives share words with listed names (a common given name with another
surname, a listed surname with another given name, a listed company's distinctive
word with other goods, the corridor's common surnames), some in Persian script.
A negative never contains every word of a listed name (words compared after a
crude romanization fold), so a hit on it is a false positive.

Run ``python benchmarks/screening_names.py [SEED]`` for 20 samples.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from name_scripts import VARIANT_OF, ascii_fold, canon, persian
from name_scripts import words as _words
from tahator.domain.sanctions_lists import ListEntry

UN_XML = Path("/work/shared/data/sanctions/un-consolidated-2018-10-29.xml")


@dataclass(frozen=True)
class LabelledName:
    name: str
    reference: str | None
    """The listed entry this name should find; ``None`` for a negative."""
    kind: str
    """The variation applied (``neg_…`` for negatives)."""


# --- tables ---------------------------------------------------------------------------

# fmt: off
# letter rules: (pattern, replacement) applied to one word
_LETTER_RULES: tuple[tuple[str, str], ...] = (
    ("q", "gh"), ("q", "k"), ("q", "kh"), ("gh", "q"), ("kh", "q"), ("kh", "h"),
    ("ou", "u"), ("u", "ou"), ("oo", "u"), ("u", "oo"), ("ee", "i"), ("i", "ee"),
    ("e", "i"), ("i", "e"), ("e", "a"), ("a", "e"), ("o", "u"), ("w", "v"), ("v", "w"),
    ("zadeh", "zade"), ("zadeh", "zada"), ("zada", "zadeh"), ("ss", "s"), ("s", "ss"),
    ("'", ""), ("y", "i"), ("dh", "z"), ("th", "s"),
)

_HONORIFICS = (
    "Haji", "Hajji", "Hadji", "Haj", "Al-Haj", "Alhaj", "Hajee",
    "Seyed", "Seyyed", "Sayyid", "Syed", "Sayed", "Sied",
    "Mulla", "Molla", "Mullah", "Mollah",
    "Sheikh", "Shaikh", "Sheik", "Shaykh", "Shiekh",
    "Maulvi", "Moulvi", "Maulana", "Mawlawi", "Molvi",
    "Dr.", "Dr", "Doctor", "General", "Gen.", "Sardar", "Serdar",
    "Ayatollah", "Ayatullah", "Ayatolah", "Mufti", "Qari", "Eng.", "Engineer", "Mr.",
)
_HONORIFICS_FA = ("حاج", "حاجی", "سید", "سردار", "آیت الله", "شیخ", "ملا", "مولوی", "دکتر", "مهندس")

_LEGAL_FORMS = re.compile(
    r"[\s,]*\b(company\s*,?\s*ltd\.?|co\.?\s*,?\s*ltd\.?|\(?pvt\)?\.?\s*ltd\.?|private limited|"
    r"limited|ltd\.?|l\s?td|company|co\.|corporation|corp\.?|llc|inc\.?|plc|jsc|"
    r"joint stock company|co)\s*\.?$",
    re.IGNORECASE,
)
_NEW_FORMS = (
    "{} Co.", "{} Company", "{} (Pvt) Ltd", "{} LLC", "{} Ltd.", "{} Private Limited",
    "{} Co. Ltd", "{} Corp.", "Sherkat-e {}", "Sherkate {}", "{}",
)

_COMPOUND_FIRST = {"mohammad", "muhammad", "mohammed", "gholam", "ghulam", "abdol", "abdul",
                   "abd", "ali", "mir", "amir", "hossein", "seyed", "noor", "nur", "fazl"}
_COMPOUND_SECOND = {"ali", "reza", "akbar", "asghar", "hossein", "hassan", "rahim", "rahman",
                    "allah", "ullah", "ollah", "din", "uddin", "eddin", "karim", "mohammad",
                    "taqi", "naqi", "javad", "mahdi", "zadeh", "zada", "nejad", "pour",
                    "latif", "aziz", "majid", "hamid", "qadir", "ghafoor", "haq"}

_PARTICLES = {"bin", "ibn", "ben", "bint", "al", "el", "ul", "ud", "of", "the", "and", "&"}

_GIVEN = (
    "Mohammad", "Ali", "Ahmad", "Hassan", "Hossein", "Reza", "Fatima", "Zahra", "Maryam",
    "Imran", "Bilal", "Farhad", "Mehdi", "Saeed", "Tariq", "Kamran", "Javad", "Nasir",
    "Asif", "Zahid", "Shahid", "Ayesha", "Sana", "Amir", "Hamid", "Majid", "Abdul Rahman",
    "Mohammad Reza", "Gholam Ali", "Parvin", "Shirin", "Babak", "Dariush", "Faisal",
)
_SURNAMES = (
    "Khan", "Ahmadi", "Hosseini", "Rezaei", "Mohammadi", "Karimi", "Rahimi", "Jafari",
    "Qureshi", "Malik", "Baloch", "Chaudhry", "Butt", "Siddiqui", "Hashemi", "Mousavi",
    "Sadeghi", "Akbari", "Nazari", "Kazemi", "Afridi", "Yousafzai", "Shah", "Bukhari",
    "Rizvi", "Naqvi", "Abbasi", "Rana", "Gill", "Bhatti", "Mirza", "Tehrani", "Shirazi",
    "Esfahani", "Tabrizi", "Kermani", "Zahedani", "Rostami", "Ghorbani", "Soltani",
)
_GOODS = (
    "Textile Mills", "Rice Export", "Dates Trading", "Cement", "Fresh Fruit", "Carpets",
    "Marble Works", "Saffron", "Leather Goods", "Surgical Instruments", "Sports Goods",
    "Dry Fruits", "Pistachio Export", "Tiles", "Poultry Feed", "Steel Re-Rolling",
)
_GENERIC = {
    "company", "trading", "co", "ltd", "limited", "corporation", "corp", "bank", "industrial",
    "industries", "group", "international", "services", "general", "state", "enterprise",
    "for", "and", "of", "the", "korea", "korean", "iran", "iranian", "national", "organization",
    "establishment", "foundation", "center", "centre", "office", "islamic", "republic",
    "development", "commercial", "import", "export", "investment", "engineering", "army",
    "brigade", "front", "movement", "network", "institute", "ministry", "department",
    "currency", "support", "fund", "trust", "finance", "shipping", "technology", "technical",
    "research", "science", "scientific", "equipment", "machinery", "mining", "electronics",
    "power", "energy", "petroleum", "industry", "chemical", "materials", "defence",
    "defense", "procurement", "supply", "relief", "charity", "charitable", "society",
    "association", "committee", "council", "bureau", "agency", "union", "party", "youth",
    "forces", "guard", "revolutionary", "battalion", "martyrs", "foreign", "economic",
    "central", "complex", "training", "factory", "company,", "trade", "mechanical",
    "electricity", "distribution", "directorate", "management", "marine", "maritime",
    "aviation", "airlines", "construction", "manufacturing", "production", "products",
}
_OCR = (("m", "rn"), ("rn", "m"), ("l", "1"), ("o", "0"), ("i", "l"), ("d", "cl"), ("h", "b"),
        ("e", "c"), ("s", "5"))
_KEYS = "qwertyuiop asdfghjkl zxcvbnm"
# fmt: on

# --- words and the fold negatives are checked with --------------------------------------


def _fold(word: str) -> str:
    w = re.sub(r"^(al|el)-", "", ascii_fold(word).casefold())
    w = canon(re.sub(r"[^a-z']", "", w)).replace("'", "")
    w = re.sub(r"zad(eh|e|ah|a)$", "zd", w)
    for a, b in (("kh", "k"), ("gh", "k"), ("q", "k"), ("ou", "u"), ("oo", "u"), ("o", "u"),
                 ("ee", "i"), ("ei", "i"), ("ey", "i"), ("e", "i"), ("y", "i"), ("w", "v"),
                 ("ph", "f")):  # fmt: skip
        w = w.replace(a, b)
    w = re.sub(r"(.)\1+", r"\1", w)
    return w.rstrip("h") or w


def _arabic_fold(word: str) -> str:
    w = word.replace("ي", "ی").replace("ك", "ک").replace("ة", "ه").replace("\u200c", "")
    w = w.replace("ہ", "ه").replace("ے", "ی").replace("ھ", "ه")
    return "".join(c for c in w if not unicodedata.combining(c))


def _is_latin(text: str) -> bool:
    return all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in text)


def _is_arabic(text: str) -> bool:
    return any(unicodedata.name(c, "").startswith("ARABIC") for c in text if c.isalpha())


_TITLE_KEYS = {_fold(h) for h in _HONORIFICS} - {""}
_SCRIPT_SKIP = {"بن", "ال", "آیت", *_HONORIFICS_FA}


def _key(name: str) -> frozenset[str]:
    """A name's words as the negatives' check compares them: folded, without
    particles and titles (``Haji Ahmad Shah`` is all in ``Ahmad Shah``)."""
    if _is_latin(name):
        words = (_fold(w) for w in re.split(r"[\s,;()/\-.]+", name))
        return frozenset(w for w in words if w and w not in _PARTICLES | _TITLE_KEYS)
    return frozenset(_arabic_fold(w) for w in name.split() if w not in _SCRIPT_SKIP)


# --- variations (each returns None when it does not apply) ------------------------------

Variation = Callable[[str, random.Random], str | None]


def _romanize(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    order = list(range(len(words)))
    rng.shuffle(order)
    changed = 0
    for i in order:
        low = words[i].casefold()
        group = VARIANT_OF.get(low)
        if group:
            words[i] = rng.choice([g for g in group if g != low])
            changed += 1
        else:
            rules = [(a, b) for a, b in _LETTER_RULES if a in low[1:]]
            if rules and len(low) > 3:
                a, b = rng.choice(rules)
                at = [m.start() for m in re.finditer(re.escape(a), low) if m.start() > 0]
                j = rng.choice(at)
                words[i] = low[:j] + b + low[j + len(a) :]
                changed += 1
        if changed >= 2 or (changed and rng.random() < 0.5):
            break
    return " ".join(words) if changed else None


def _honorific(name: str, rng: random.Random) -> str | None:
    return f"{rng.choice(_HONORIFICS)} {name}"


def _honorific_persian(name: str, rng: random.Random) -> str | None:
    script = name if not _is_latin(name) else persian(name)
    return f"{rng.choice(_HONORIFICS_FA)} {script}" if script else None


def _compound_given(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    for i in range(len(words) - 1):
        a, b = words[i], words[i + 1]
        la, lb = a.casefold(), re.sub(r"^al-", "", b.casefold())
        if lb in _COMPOUND_SECOND or (la in _COMPOUND_FIRST and lb in VARIANT_OF):
            if la == "abd" or la in VARIANT_OF.get("abdul", ()):
                joined = rng.choice(["Abdul", "Abdol", "Abdel", "Abd-al-", "Abdu"]) + lb
                glue = rng.choice([joined, f"{rng.choice(['Abdul', 'Abdol', 'Abd al-'])} {lb}"])
            else:
                glue = rng.choice([a + lb, f"{a}-{b}"])
            glue = glue.upper() if a.isupper() else glue[:1].upper() + glue[1:].lower()
            return " ".join([*words[:i], glue, *words[i + 2 :]])
    for i, w in enumerate(words):  # split a joined compound
        low = w.casefold()
        for part in sorted(_COMPOUND_SECOND, key=len, reverse=True):
            if low.endswith(part) and len(low) - len(part) >= 3:
                head = w[: len(w) - len(part)]
                return " ".join([*words[:i], head, w[len(head) :], *words[i + 1 :]])
    return None


def _surname_part(name: str, rng: random.Random) -> str | None:
    words = [w for w in _words(name) if w.casefold() not in _PARTICLES]
    if len(words) < 3:
        return None
    return f"{words[0]} {rng.choice(words[2:])}"


def _transpose(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    short = [i for i, w in enumerate(words) if 3 <= len(w) <= 5 and w.isalpha()]
    if not short:
        return None
    i = rng.choice(short)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words) if words[i] != w else None


def _drop_middle(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    if len(words) < 3:
        return None
    drop = rng.randrange(1, len(words) - 1)
    return " ".join(words[:drop] + words[drop + 1 :])


def _initials(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    if len(words) < 2:
        return None
    dot = rng.choice([".", "", ". "])
    given = [w[0].upper() + dot.strip() for w in words[:-1] if w.casefold() not in _PARTICLES]
    keep = rng.randrange(0, len(given))  # keep one given name whole, sometimes
    if rng.random() < 0.4:
        given[keep] = words[keep]
    return " ".join([*given, words[-1]])


def _word_order(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    if len(words) < 2:
        return None
    if rng.random() < 0.5:
        return f"{words[-1].upper()}, {' '.join(words[:-1])}"
    rest = words[1:]
    return " ".join([*rest, words[0]])


def _nasab_article(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    low = [w.casefold() for w in words]
    choices: list[list[str]] = []
    for i, w in enumerate(low):
        if w in ("bin", "ibn", "ben"):
            choices.append(words[:i] + words[i + 1 :])
            choices.append([*words[:i], rng.choice(["bin", "ibn", "Ben", "Bin"]), *words[i + 1 :]])
        if w.startswith(("al-", "el-")) and len(w) > 4:
            rest = words[i][3:]
            for new in (rest, f"Al {rest}", f"Al{rest.casefold()}", f"El-{rest}", f"al-{rest}"):
                choices.append([*words[:i], new, *words[i + 1 :]])
        if w in ("al", "el") and i + 1 < len(words):
            choices.append(words[:i] + words[i + 1 :])
    plain = not any(w.casefold() in _GENERIC for w in words)
    if len(words) >= 3 and not choices and plain and low[0] not in _COMPOUND_FIRST:
        choices.append([words[0], rng.choice(["bin", "ibn"]), *words[1:]])
    if not choices:
        return None
    new = " ".join(rng.choice(choices))
    return new if new != name else None


def _legal_form(name: str, rng: random.Random) -> str | None:
    core = re.sub(r"\s*\([^)]*\)\s*", " ", name).strip()
    while (shorter := _LEGAL_FORMS.sub("", core).strip(" ,.")) != core:
        core = shorter
    if not core:
        return None
    if rng.random() < 0.2 and not any(w.casefold() in _GENERIC for w in _words(core)):
        return f"شرکت {persian(core)}"
    new = rng.choice(_NEW_FORMS).format(core)
    return new if new.casefold() != name.casefold() else None


def _persian_script(name: str, rng: random.Random) -> str | None:
    return persian(name) if _is_latin(name) else None


def _urdu_script(name: str, rng: random.Random) -> str | None:
    if not _is_latin(name):
        return None
    script = persian(name, urdu=True)
    return script if script != persian(name) else None


def _original_script(name: str, rng: random.Random) -> str | None:
    if not _is_arabic(name):
        return None
    options = [
        name.replace("ي", "ی").replace("ك", "ک"),
        name.replace("ی", "ي").replace("ک", "ك"),
        re.sub(r" (الله|زاده|الدین|نژاد)", "\u200c\\1", name),
        re.sub(r" (الله|زاده|الدین|نژاد)", r"\1", name),
        re.sub(r"(\S)(الله|زاده)", r"\1 \2", name),
    ]
    changed = [o for o in options if o != name]
    return rng.choice(changed) if changed else None


def _typo(name: str, rng: random.Random) -> str | None:
    words = _words(name)
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) < 4:
        return None
    how = rng.randrange(4)
    j = rng.randrange(1, len(w) - 1)
    if how == 0:
        ocr = [(a, b) for a, b in _OCR if a in w.casefold()[1:]]
        if not ocr:
            return None
        a, b = rng.choice(ocr)
        at = w.casefold().find(a, 1)
        words[i] = w[:at] + b + w[at + len(a) :]
    elif how == 1:
        words[i] = w[:j] + w[j + 1 :]  # a letter dropped
    elif how == 2:
        words[i] = w[:j] + w[j] + w[j:]  # a letter doubled
    else:
        row = next((r for r in _KEYS.split() if w[j].casefold() in r), None)
        if not row:
            return None
        k = row.index(w[j].casefold())
        near = row[k - 1] if k and (k == len(row) - 1 or rng.random() < 0.5) else row[k + 1]
        words[i] = w[:j] + near + w[j + 1 :]
    return " ".join(words) if words[i] != w else None


# kind -> (variation, weight, which entries, which names: latin / script)
_POSITIVE: dict[str, tuple[Variation | None, int, str, str]] = {
    "exact": (None, 3, "any", "latin"),
    "romanization": (_romanize, 14, "any", "latin"),
    "honorific": (_honorific, 8, "corridor", "latin"),
    "honorific_persian": (_honorific_persian, 4, "corridor", "any"),
    "compound_given": (_compound_given, 6, "corridor", "latin"),
    "surname_part": (_surname_part, 5, "individual", "latin"),
    "transposition": (_transpose, 5, "individual", "latin"),
    "dropped_middle": (_drop_middle, 6, "individual", "latin"),
    "initials": (_initials, 4, "individual", "latin"),
    "word_order": (_word_order, 6, "individual", "latin"),
    "nasab_article": (_nasab_article, 6, "any", "latin"),
    "legal_form": (_legal_form, 9, "entity", "latin"),
    "persian_script": (_persian_script, 7, "corridor", "latin"),
    "urdu_script": (_urdu_script, 4, "corridor", "latin"),
    "original_script": (_original_script, 5, "any", "script"),
    "typo": (_typo, 8, "any", "latin"),
}
_FAR_PROGRAMMES = {"DPRK", "DRC", "CAR", "SouthSudan", "GB"}
_NEGATIVE_SHARE = 0.35
_NEGATIVE = {
    "neg_shared_given": 3,
    "neg_shared_surname": 3,
    "neg_company_word": 3,
    "neg_corridor": 2,
    "neg_persian": 2,
}


def _names_of(entry: ListEntry) -> list[str]:
    """The names a screened party might be written as: primary, Good and a.k.a.
    aliases (``Low`` ones are too weak to label), each ``;``-joined alias split."""
    found: list[str] = []
    for listed in entry.names:
        if listed.quality.casefold() == "low":
            continue
        found.extend(p.strip() for p in listed.name.split(";") if p.strip())
    return list(dict.fromkeys(found))


def _present(name: str, rng: random.Random) -> str:
    """As a person types it: the list's capitals, title case or lower case."""
    if not _is_latin(name):
        return name
    roll = rng.random()
    if roll < 0.5:
        return " ".join(w[:1].upper() + w[1:].lower() if w.isupper() else w for w in name.split())
    return name.lower() if roll < 0.6 else name


class _Negatives:
    def __init__(self, entries: Sequence[ListEntry]) -> None:
        keys: set[frozenset[str]] = set()
        self.given: list[str] = []
        self.surnames: list[str] = []
        self.company_words: list[str] = []
        for entry in entries:
            for name in _names_of(entry):
                key = _key(name)
                if key:
                    keys.add(key)
                if _is_latin(name):
                    keys.add(_key(persian(name)))
                    words = [w for w in _words(name) if w.casefold() not in _PARTICLES]
                    if entry.kind == "individual" and len(words) >= 2:
                        self.given.append(words[0].title())
                        self.surnames.append(words[-1].title())
                    elif entry.kind == "entity":
                        self.company_words.extend(
                            w.title()
                            for w in words
                            if w.isalpha() and len(w) >= 4 and w.casefold() not in _GENERIC
                        )
        self.keys = sorted(keys, key=sorted)
        self.given = sorted(set(self.given))
        self.surnames = sorted(set(self.surnames))
        self.company_words = sorted(set(self.company_words))

    def clean(self, name: str) -> bool:
        """No listed name has all its words in ``name``."""
        mine = _key(name)
        return bool(mine) and not any(k <= mine for k in self.keys)

    def make(self, kind: str, rng: random.Random) -> str | None:
        if kind == "neg_shared_given" and self.given:
            return f"{rng.choice(self.given)} {rng.choice(_SURNAMES)}"
        if kind == "neg_shared_surname" and self.surnames:
            return f"{rng.choice(_GIVEN)} {rng.choice(self.surnames)}"
        if kind == "neg_company_word" and self.company_words:
            form = rng.choice(_NEW_FORMS)
            return form.format(f"{rng.choice(self.company_words)} {rng.choice(_GOODS)}")
        if kind == "neg_corridor":
            title = f"{rng.choice(_HONORIFICS)} " if rng.random() < 0.3 else ""
            return f"{title}{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)}"
        if kind == "neg_persian":
            latin = self.make(rng.choice(["neg_shared_given", "neg_corridor"]), rng)
            return persian(latin) if latin and self.clean(latin) else None
        return None


def labelled_set(entries: list[ListEntry], seed: int, size: int) -> list[LabelledName]:
    """``size`` labelled names (about a third negatives) made from ``entries``;
    deterministic for the same entries, seed and size."""
    rng = random.Random(seed)
    ordered = sorted(entries, key=lambda e: e.reference)
    pools = {
        "any": ordered,
        "individual": [e for e in ordered if e.kind == "individual"],
        "entity": [e for e in ordered if e.kind == "entity"],
        # names from the corridor's languages (not Korean, Congolese...): titles,
        # compounds and Persian script are written on these
        "corridor": [
            e for e in ordered if e.kind == "individual" and e.list_type not in _FAR_PROGRAMMES
        ],
    }
    negatives = _Negatives(ordered)
    kinds = list(_POSITIVE)
    weights = [_POSITIVE[k][1] for k in kinds]
    neg_kinds = list(_NEGATIVE)
    neg_weights = [_NEGATIVE[k] for k in neg_kinds]
    out: list[LabelledName] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < size and attempts < size * 50:
        attempts += 1
        if rng.random() < _NEGATIVE_SHARE:
            kind = rng.choices(neg_kinds, neg_weights)[0]
            made = negatives.make(kind, rng)
            if made and made not in seen and negatives.clean(made):
                made = _present(made, rng)
                seen.add(made)
                out.append(LabelledName(made, None, kind))
            continue
        kind = rng.choices(kinds, weights)[0]
        variation, _, pool_name, script = _POSITIVE[kind]
        pool = pools[pool_name]
        if not pool:
            continue
        entry = rng.choice(pool)
        names = [
            n for n in _names_of(entry) if script == "any" or (script == "latin") == _is_latin(n)
        ]
        if not names:
            continue
        source = rng.choice(names)
        made_name = source if variation is None else variation(source, rng)
        if not made_name or (variation is not None and made_name.casefold() == source.casefold()):
            continue
        made_name = _present(" ".join(made_name.split()), rng)
        if made_name in seen:
            continue
        seen.add(made_name)
        out.append(LabelledName(made_name, entry.reference, kind))
    return out


if __name__ == "__main__":
    from tahator.io.un_list import parse_un

    parsed = parse_un(UN_XML.read_bytes(), str(UN_XML))
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    for item in labelled_set(list(parsed.entries), seed, 20):
        print(f"{item.kind:18} {item.reference or '-':12} {item.name}")
