"""Countries as sanctions lists write them -> ISO 3166 alpha-2 codes (the UN list
writes names and demonyms; FollowTheMoney writes lower-case codes)."""

from __future__ import annotations

import re

# Country names and demonyms as the UN list writes them (nationalities, addresses,
# issuing countries) -> ISO 3166 alpha-2.  A table rather than a dependency: the
# list uses a few dozen names, and ``rigour.territories`` costs ~2 s on first lookup.
COUNTRY_CODES: dict[str, str] = {
    **dict.fromkeys(("afghanistan", "afghan"), "AF"),
    "albania": "AL",
    **dict.fromkeys(("algeria", "algerian"), "DZ"),
    **dict.fromkeys(("bahrain", "bahraini"), "BH"),
    "bangladesh": "BD",
    "belgium": "BE",
    "bosnia and herzegovina": "BA",
    "british virgin islands": "VG",
    "central african republic": "CF",
    **dict.fromkeys(("china", "chinese"), "CN"),
    **dict.fromkeys(("democratic people's republic of korea", "rpdc", "dprk"), "KP"),
    "democratic republic of the congo": "CD",
    **dict.fromkeys(("egypt", "egyptian"), "EG"),
    "eritrea": "ER",
    **dict.fromkeys(("ethiopia", "ethiopian"), "ET"),
    **dict.fromkeys(("france", "french"), "FR"),
    "gabon": "GA",
    "georgia": "GE",
    **dict.fromkeys(("germany", "german"), "DE"),
    "guinea-bissau": "GW",
    **dict.fromkeys(("hong kong", "hong kong special administrative region"), "HK"),
    **dict.fromkeys(("india", "indian"), "IN"),
    **dict.fromkeys(("indonesia", "indonesian"), "ID"),
    **dict.fromkeys(("iran", "iran (islamic republic of)", "iranian"), "IR"),
    **dict.fromkeys(("iraq", "iraqi"), "IQ"),
    **dict.fromkeys(("italy", "italian"), "IT"),
    **dict.fromkeys(("jordan", "jordanian"), "JO"),
    **dict.fromkeys(("kenya", "kenyan"), "KE"),
    **dict.fromkeys(("kuwait", "kuwaiti"), "KW"),
    **dict.fromkeys(("lebanon", "lebanese"), "LB"),
    **dict.fromkeys(("libya", "libyan", "libyan arab jamahiriya"), "LY"),
    "liechtenstein": "LI",
    **dict.fromkeys(("malaysia", "malaysian"), "MY"),
    **dict.fromkeys(("mali", "malian"), "ML"),
    "marshall islands": "MH",
    **dict.fromkeys(("mauritania", "mauritanian"), "MR"),
    **dict.fromkeys(("morocco", "moroccan"), "MA"),
    **dict.fromkeys(("netherlands", "the netherlands", "dutch"), "NL"),
    "niger": "NE",
    **dict.fromkeys(("nigeria", "nigerian"), "NG"),
    "norway": "NO",
    **dict.fromkeys(("oman", "sultanate of oman", "omani"), "OM"),
    **dict.fromkeys(("pakistan", "pakistani"), "PK"),
    **dict.fromkeys(("state of palestine", "palestinian", "palestinian territories"), "PS"),
    "panama": "PA",
    **dict.fromkeys(("philippines", "filipino"), "PH"),
    **dict.fromkeys(("qatar", "qatari"), "QA"),
    **dict.fromkeys(("russian federation", "russia", "russian"), "RU"),
    **dict.fromkeys(("rwanda", "rwandan"), "RW"),
    **dict.fromkeys(("saudi arabia", "saudi arabian", "saudi"), "SA"),
    "senegal": "SN",
    "singapore": "SG",
    **dict.fromkeys(("somalia", "somali"), "SO"),
    "south sudan": "SS",
    **dict.fromkeys(("sudan", "sudanese"), "SD"),
    "sweden": "SE",
    "switzerland": "CH",
    **dict.fromkeys(("syrian arab republic", "syria", "syrian"), "SY"),
    "tajikistan": "TJ",
    **dict.fromkeys(("united republic of tanzania", "tanzania"), "TZ"),
    "trinidad and tobago": "TT",
    **dict.fromkeys(("tunisia", "tunisian"), "TN"),
    **dict.fromkeys(("turkey", "turkish", "türkiye"), "TR"),
    "uganda": "UG",
    **dict.fromkeys(("union of the comoros", "comoros"), "KM"),
    **dict.fromkeys(("united arab emirates", "uae"), "AE"),
    **dict.fromkeys(
        ("united kingdom", "united kingdom of great britain and northern ireland", "british"),
        "GB",
    ),
    **dict.fromkeys(("united states", "united states of america", "american"), "US"),
    "uzbekistan": "UZ",
    **dict.fromkeys(("viet nam", "vietnam"), "VN"),
    **dict.fromkeys(("yemen", "yemeni"), "YE"),
}
_COUNTRY_KEYS = sorted(COUNTRY_CODES, key=len, reverse=True)


def country_codes(written: str) -> tuple[str, ...]:
    """The ISO codes a country as written names (``"Sudan/South Sudan"`` names two,
    ``"Iran (Islamic Republic of)"`` one); none for one not in :data:`COUNTRY_CODES`."""
    text = " ".join(written.casefold().split())
    if text in COUNTRY_CODES:
        return (COUNTRY_CODES[text],)
    found: list[str] = []
    for key in _COUNTRY_KEYS:  # longest first: "south sudan" before "sudan"
        at = re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text)
        if at:
            found.append(COUNTRY_CODES[key])
            text = text[: at.start()] + " " + text[at.end() :]
    return tuple(dict.fromkeys(found))


def code_of(written: str) -> str | None:
    """One ISO code for a country written as a code (``ir``, ``IR``) or a name the
    table knows; ``None`` when it names none or several."""
    text = written.strip()
    if re.fullmatch(r"[A-Za-z]{2}", text):
        return text.upper() if text.upper() != "ZZ" else None  # FtM's "unknown"
    codes = country_codes(text)
    return codes[0] if len(codes) == 1 else None


_NAMES = {code: name for name, code in reversed(COUNTRY_CODES.items())}


def name_of(code: str) -> str | None:
    """A country's name for an ISO code (``IR`` -> ``Iran``), as lists write it."""
    name = _NAMES.get(code.upper())
    if not name:
        return None
    small = ("of", "the", "and")
    return " ".join(w if w in small else w[:1].upper() + w[1:] for w in name.split())
