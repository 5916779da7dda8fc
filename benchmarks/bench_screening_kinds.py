"""Round 3's kinds for ``bench_screening.py`` (kept apart: that module is near 600 lines).

Positives: a given name with one later word of a listed person's name of three words or
more, the surname compound but unhyphenated (Ali Ahmadian for Ali Akbar Ahmadian
Tehrani); the name in Urdu script (ہ for h, ے for a final e, aspirates with ھ, ٹ ڈ for
a doubled t or d now and then); a typo in a short given name (three or four letters:
Omar as Omer, Reza as Rzea).  Negatives: a word repeated (Zahid Zahid, Zahid Zahid
Khan), and a listed one-word alias inside a longer unlisted name (Mohammad Saifuddin
Khan, where Saifuddin alone is an alias of someone listed).  And OCR's slips (m read
as rn, l as 1, o as 0).
"""

from __future__ import annotations

import random
import re

from tahator.domain.names import normalize

# Latin letters and digraphs as an Urdu clerk writes them (short vowels mostly unwritten)
URDU_DIGRAPHS = {
    "kh": "خ", "gh": "غ", "sh": "ش", "ch": "چ", "zh": "ژ", "th": "تھ", "dh": "دھ",
    "bh": "بھ", "ph": "پھ", "ou": "و", "oo": "و", "ee": "ی", "ai": "ے", "ay": "ے",
}  # fmt: skip
URDU_LETTERS = {
    "b": "ب", "p": "پ", "t": "ت", "j": "ج", "d": "د", "r": "ر", "z": "ز", "f": "ف", "q": "ق",
    "k": "ک", "c": "ک", "g": "گ", "l": "ل", "m": "م", "n": "ن", "v": "و", "w": "و", "y": "ی",
    "x": "کس", "s": "س", "h": "ہ",
}  # fmt: skip
STOP = frozenset({"of", "for", "and", "the"})
NOT_SURNAME = frozenset({"bin", "ben", "ibn", "abdul", "abu", "ould", "wa", "ul", "ur"})


def urdu(name: str, rng: random.Random) -> str:
    """Write a Latin name in Urdu script as a clerk in Pakistan might."""
    words = []
    for word in re.findall(r"[a-z]+", re.sub(r"['’‘`ʿʾ]", "", name.lower())):
        if word in STOP:
            continue
        out = []
        i = 0
        while i < len(word):
            two, ch = word[i : i + 2], word[i]
            first, last = i == 0, i >= len(word) - 1
            if len(two) == 2 and two[0] == two[1] and two[0] not in "aeiou":
                if two[0] in "td" and rng.random() < 0.3:
                    out.append("ٹ" if two[0] == "t" else "ڈ")  # retroflex, as in Butt
                    i += 2
                else:
                    i += 1  # a doubled consonant is written once
                continue
            if two in URDU_DIGRAPHS and not (first and two in {"ai", "ay"}):
                out.append(("ا" if first and two[0] in "aeiou" else "") + URDU_DIGRAPHS[two])
                i += 2
                continue
            if ch == "a":
                out.append("آ" if first else ("ا" if rng.random() < 0.6 or last else ""))
            elif ch == "e":
                out.append("ا" if first else ("ے" if last else ""))
            elif ch in "iu":
                out.append(("ا" if first else "") + ("ی" if ch == "i" else "و"))
            elif ch == "o":
                out.append("او" if first else ("و" if rng.random() < 0.6 or last else ""))
            elif ch == "h" and rng.random() < 0.3:
                out.append("ح")
            else:
                out.append(URDU_LETTERS.get(ch, ""))
            i += 1
        if "".join(out):
            words.append("".join(out))
    return " ".join(words)


def unhyphenated_part(name: str, rng: random.Random) -> str | None:
    """A person's given name with one of the last two words of a name of three words
    or more (an unhyphenated compound surname shortened to one part)."""
    words = name.split()
    if len(words) < 3 or "-" in words[-1] or len(normalize(f"{words[0]} {words[-1]}").words) < 2:
        return None  # a hyphenated surname is the other kind; a title is no given name
    if {w.casefold() for w in words} & NOT_SURNAME:
        return None  # a chain of fathers' names (bin, ben) or Abdul: no compound surname
    # the surname is taken as the last two words (never the second: a given name's)
    later = [w for w in words[max(2, len(words) - 2) :] if len(w) >= 4 and w.isalpha()]
    if not later:
        return None
    return f"{words[0]} {rng.choice(later)}"


def short_typo(name: str, rng: random.Random) -> str | None:
    """One typo in a given name of three or four letters (the first letter kept)."""
    words = name.split()
    short = [i for i, w in enumerate(words[:-1]) if 3 <= len(w) <= 4 and w.isalpha()]
    if not short:
        return None
    i = rng.choice(short)
    w = words[i]
    at = rng.randrange(1, len(w))
    letter = rng.choice("aeioubdhklmnrstz")
    kind = rng.choice(("substitute", "insert", "delete"))
    if kind == "substitute" and letter != w[at].lower():
        w = w[:at] + letter + w[at + 1 :]
    elif kind == "insert":
        w = w[:at] + letter + w[at:]
    elif len(w) == 4:
        w = w[:at] + w[at + 1 :]
    else:
        return None
    words[i] = w
    return " ".join(words)


def repeated(given: list[str], surnames: list[str], rng: random.Random) -> str:
    """A word repeated: Zahid Zahid, or Zahid Zahid Khan."""
    word = rng.choice(given)
    return f"{word} {word}" + (f" {rng.choice(surnames)}" if rng.random() < 0.5 else "")


def alias_inside(
    one_word: list[str], given: list[str], surnames: list[str], rng: random.Random
) -> str:
    """A listed one-word alias inside a longer unlisted name."""
    return f"{rng.choice(given)} {rng.choice(one_word).title()} {rng.choice(surnames)}"


def ocr(name: str, rng: random.Random) -> str | None:
    """A name read back by OCR: m as rn, l as 1, o as 0, in one word."""
    words = name.split()
    spots = [
        (i, m.start(), m.group())
        for i, w in enumerate(words)
        for m in re.finditer(r"[mMlLoO]", w)
        if w.isalpha()
    ]
    if not spots:
        return None
    i, at, letter = rng.choice(spots)
    read = {"m": "rn", "M": "RN", "l": "1", "L": "1", "o": "0", "O": "0"}[letter]
    words[i] = words[i][:at] + read + words[i][at + 1 :]
    return " ".join(words)


SHAPERS = {
    "surname part (unhyphenated)": unhyphenated_part,
    "urdu": urdu,
    "short typo": short_typo,
    "ocr": ocr,
}
PEOPLE_ONLY = {"urdu", "short typo", "surname part (unhyphenated)"}
