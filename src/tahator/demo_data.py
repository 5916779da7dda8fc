"""The demo corridor's tables: goods each country trades, its cities, and the goods
of the barter, the marketplace and the border market, and the border market's residents."""

from __future__ import annotations

import random

from tahator.domain.border import iran_national_code_check_digit

PAKISTAN_EXPORTS = ("Rice", "Maize", "Meat", "Fruit", "Textiles", "Medicines")
IRAN_EXPORTS = ("LPG", "Bitumen", "Petrochemicals", "Steel", "Cement", "Dates")
PAKISTAN_CITIES = ("Karachi", "Lahore", "Quetta", "Gwadar", "Faisalabad", "Multan", "Sialkot")
IRAN_CITIES = ("Tehran", "Isfahan", "Mashhad", "Zahedan", "Bandar Abbas", "Chabahar", "Shiraz")

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
