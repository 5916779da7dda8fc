"""The demo corridor's data: what each country trades and where, the goods of the
barter, the marketplace and the border market, valid tax ids and border residents."""

from __future__ import annotations

import random

from tahator.domain.border import iran_national_code_check_digit
from tahator.domain.corridor import iran_legal_id_check_digit

PAKISTAN_EXPORTS = ("Rice", "Maize", "Meat", "Fruit", "Textiles", "Medicines")
IRAN_EXPORTS = ("LPG", "Bitumen", "Petrochemicals", "Steel", "Cement", "Dates")
PAKISTAN_CITIES = ("Karachi", "Lahore", "Quetta", "Gwadar", "Faisalabad", "Multan", "Sialkot")
IRAN_CITIES = ("Tehran", "Isfahan", "Mashhad", "Zahedan", "Bandar Abbas", "Chabahar", "Shiraz")

IRAN_EXPORT_RATIO = 2
"""Iran exports about twice what it imports from Pakistan (seed reports)."""
DOMESTIC_CURRENCY = {"PK": ("PKR", 281), "IR": ("IRR", 1_100_000)}
"""Domestic invoices are in local currency, at about the seeded reference rates."""

BARTER_GOODS = {
    "2711": "LPG",
    "2713": "bitumen",
    "1006": "basmati rice",
    "0805": "kinnow",
    "3004": "medicines",
    "2523": "cement",
}

PAKISTAN_GOODS = {
    "10063010": ("Basmati rice", "kg"),
    "10059000": ("Maize", "kg"),
    "02013000": ("Boneless beef", "kg"),
    "08052100": ("Kinnow mandarins", "kg"),
    "52081100": ("Cotton fabric", "kg"),
    "30049099": ("Medicines", "kg"),
}
IRAN_GOODS = {
    "27111900": ("LPG", "t"),
    "27132000": ("Bitumen", "t"),
    "39011000": ("Polyethylene", "t"),
    "72085100": ("Steel plate", "t"),
    "25232900": ("Cement", "t"),
    "08041000": ("Dates", "kg"),
}

MEDIAN_OFFER = 150_000
"""US dollars; offers spread log-normally around it."""

BORDER_GOODS = ("100630", "110100", "151790", "170199", "090240", "080410", "271119", "340111")
"""Rice, flour, cooking oil, sugar, tea, dates, LPG, soap: on Mand–Pishin's list."""


def border_residents(count: int = 12) -> list[tuple[str, str, str]]:
    """Residents of both sides of Mand–Pishin: (national id, name, district)."""
    rng = random.Random(9)
    people = []
    for number in range(1, count + 1):
        if number % 2:  # a Pakistani CNIC from Balochistan (province digit 5), Kech
            people.append((f"54401{rng.randrange(10**7):07d}{number % 10}", "Kech"))
        else:  # an Iranian national code with its check digit, Sarbaz
            first_nine = f"37{rng.randrange(10**7):07d}"
            people.append((first_nine + str(iran_national_code_check_digit(first_nine)), "Sarbaz"))
    names = ("Karim", "Reza", "Nasir", "Hamid", "Jalal", "Dad", "Abdul", "Mahmoud", "Qadir")
    return [
        (national_id, f"{names[i % len(names)]} {'Baloch' if d == 'Kech' else 'Baluch'}", d)
        for i, (national_id, d) in enumerate(people)
    ]


def tax_id(country: str, number: int) -> str:
    """A valid demo tax id: a Pakistani NTN or an Iranian legal-entity national ID."""
    if country == "PK":
        return f"{4_100_000 + number:07d}-{number % 10}"
    first_ten = f"14{number:08d}"
    return first_ten + str(iran_legal_id_check_digit(first_ten))
