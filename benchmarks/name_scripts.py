"""Variant spellings of common names and a Latin -> Persian/Urdu script rendering,
for the labelled names of ``screening_names.py`` (kept apart to keep each file short).

The rendering is what a clerk typing a Latin name in Persian or Urdu script does:
short vowels unwritten, long ones as ا و ی, doubled consonants once, a final -e
as ه (Urdu ے), aspirates in Urdu with ھ and a final h as ہ.
"""

from __future__ import annotations

import re
import unicodedata

# fmt: off
VARIANTS: tuple[tuple[str, ...], ...] = tuple(
    tuple(w.replace("_", " ") for w in line.split())
    for line in """
mohammad muhammad mohammed mohamed mohamad muhammed mohd mehmet
hossein hussain husayn hussein hosein husain hossain
hassan hasan hassen hasson
ahmad ahmed ahmet
mahmoud mahmud mehmood mahmood
reza riza raza rida
abdullah abdallah abdollah abdulla
yousef yusuf yousuf youssef yusef
qasim ghasem qasem kasim qassem
jafar jaafar ja'far djafar
omar umar
osama usama oussama
mustafa mostafa moustafa
khalid khaled
saeed said saeid sayeed
rahman rehman rahmon
ibrahim ebrahim ibraheem
ismail esmail ismael esmaeil
yahya yahia yehia
mansour mansur mansoor
nasser naser nasir
javad jawad
morteza murtaza mortaza
mojtaba mujtaba
mehdi mahdi
gholam ghulam golam qolam
abdul abdol abdel abd_al
abu abou abo
bin ibn ben
karim kareem
rahim raheem
hamid hamed
abbas abas
usman osman uthman othman
""".strip().splitlines()
)
VARIANT_OF = {w: group for group in VARIANTS for w in group}

_FA_WORDS = {
    "mohammad": "محمد", "ali": "علی", "hossein": "حسین", "hassan": "حسن", "reza": "رضا",
    "ahmad": "احمد", "abdul": "عبدال", "abd": "عبد", "abdullah": "عبدالله", "allah": "الله",
    "ullah": "الله", "rahman": "رحمان", "rahim": "رحیم", "khan": "خان", "zadeh": "زاده",
    "gholam": "غلام", "akbar": "اکبر", "mehdi": "مهدی", "jafar": "جعفر", "abbas": "عباس",
    "yousef": "یوسف", "ibrahim": "ابراهیم", "ismail": "اسماعیل", "qasim": "قاسم",
    "mustafa": "مصطفی", "mahmoud": "محمود", "morteza": "مرتضی", "haji": "حاجی",
    "omar": "عمر", "osama": "اسامه", "abu": "ابو", "bin": "بن", "saeed": "سعید",
}
_FA_DIGRAPHS = {"kh": "خ", "gh": "غ", "sh": "ش", "ch": "چ", "zh": "ژ", "th": "ث", "dh": "ذ",
                "ph": "ف", "aa": "ا", "ee": "ی", "oo": "و", "ou": "و", "ei": "ی", "ey": "ی",
                "ai": "ی", "ay": "ی", "ow": "و", "au": "و"}
_UR_DIGRAPHS = {"bh": "بھ", "ph": "پھ", "th": "تھ", "dh": "دھ", "jh": "جھ", "kh": "کھ"}
_FA_LETTERS = {"b": "ب", "p": "پ", "t": "ت", "j": "ج", "h": "ح", "d": "د", "r": "ر", "z": "ز",
               "s": "س", "f": "ف", "q": "ق", "k": "ک", "g": "گ", "l": "ل", "m": "م", "n": "ن",
               "v": "و", "w": "و", "y": "ی", "x": "کس", "c": "ک", "'": "ع", "i": "ی", "u": "و"}
# fmt: on


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def canon(word: str) -> str:
    """A word's group head when it is a known variant (Muhammad -> mohammad)."""
    w = word.casefold()
    return VARIANT_OF[w][0] if w in VARIANT_OF else w


def persian_word(word: str, urdu: bool = False) -> str:
    """``word`` (Latin) as Persian (or Urdu) script writes it: short vowels unwritten,
    long ones as ا و ی, doubled consonants once."""
    w = re.sub(r"[^a-z'\-]", "", ascii_fold(word).casefold())
    if not w:
        return ""
    if w.startswith(("al-", "el-")):
        return "ال" + persian_word(w[3:], urdu)
    w = w.replace("-", "")
    known = _FA_WORDS.get(canon(w))
    if known:
        return known.replace("ه", "ہ") if urdu and known.endswith("ه") else known
    out: list[str] = []
    i = 0
    while i < len(w):
        two = w[i : i + 2]
        if urdu and two in _UR_DIGRAPHS:
            out.append(_UR_DIGRAPHS[two])
            i += 2
            continue
        if two in _FA_DIGRAPHS and not (two[0] == two[1] and two[0] not in "aeo"):
            out.append("آ" if i == 0 and two == "aa" else _FA_DIGRAPHS[two])
            i += 2
            continue
        c = w[i]
        last = i == len(w) - 1
        if i > 0 and c == w[i - 1] and c not in "aeiou":
            i += 1  # a doubled consonant is written once (the shadda is left out)
            continue
        if c in "aeo":
            if i == 0:
                out.append("ا")
            elif last:
                out.append({"a": "ا", "e": "ے" if urdu else "ه", "o": "و"}[c])
            # a short vowel inside a word is not written
        elif c in "iu" and i == 0:
            out.append("ای" if c == "i" else "او")
        elif c == "h" and last:
            out.append("ہ" if urdu else "ه")
        else:
            out.append(_FA_LETTERS.get(c, ""))
        i += 1
    return "".join(out)


def words(name: str) -> list[str]:
    """The words of a name as written (quotes around a nickname dropped)."""
    found = (w.strip('"“”«»') for w in re.split(r"[\s,;()/]+", name))
    return [w for w in found if w]


def persian(name: str, urdu: bool = False) -> str:
    return " ".join(p for p in (persian_word(w, urdu) for w in words(name)) if p)
