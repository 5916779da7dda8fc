"""The demo corridor's data: what each country trades and where, the goods of the
barter, the marketplace and the border market, valid tax ids and border residents, and
every firm's and clearing account's (fictitious, but valid) bank account."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import date

from schwifty import IBAN
from sqlalchemy import Engine, select
from stdnum.iso7064 import mod_97_10

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

CONSORTIUM = "PK-CONS-1"
"""A consortium of kinnow exporters (PK-0003 leads, with PK-0011): allowed since 2025-10."""


@dataclass(frozen=True)
class BarterStory:
    """A barter application of the demo and what becomes of it."""

    state: str
    """The state it ends in: balanced, cancelled, authorized, submitted or rejected."""
    applicant: str
    counterparty: str
    imports: str
    """One line, "HS:quantity:unit:USD"; likewise ``exports``."""
    exports: str
    contract: tuple[date, date]
    """The contract's validity."""
    submitted: date
    decided: date | None = None
    """Authorized (or rejected) on; ``None`` while submitted."""
    declarations: tuple[tuple[str, str, str, int], ...] = ()
    """(direction, quantity, USD value, days after the authorization)."""


BARTER_STORIES = (
    # Under the 2023 order (90 days, import first): rice for LPG, both sides
    # declared in full, so it balances on reaching its plan.
    BarterStory(
        "balanced",
        "PK-0001",
        "IR-0002",
        "27111900:500:t:300000",
        "10063010:400000:kg:290000",
        (date(2025, 7, 1), date(2026, 6, 30)),
        date(2025, 9, 22),
        date(2025, 10, 5),
        (("import", "500", "300000", 20), ("export", "400000", "290000", 45)),
    ),
    # Under the 2023 order: medicines for cement, exports short at the deadline
    # (2025-10-08): cancelled by the year-end sweep, dated by its deadline.
    BarterStory(
        "cancelled",
        "PK-0005",
        "IR-0006",
        "25232900:2000:t:150000",
        "30049099:3000:kg:155000",
        (date(2025, 6, 15), date(2026, 6, 14)),
        date(2025, 7, 1),
        date(2025, 7, 10),
        (("import", "2000", "150000", 20), ("export", "1500", "77000", 30)),
    ),
    # Under the 2025-10 order (120 days, consortia, the undertaking): the
    # consortium's kinnow for bitumen, its bitumen priced far below the band
    # (flagged), overdue since 2026-03-31 for customs to act on.
    BarterStory(
        "authorized",
        CONSORTIUM,
        "IR-0004",
        "27132000:800:t:300000",
        "08052100:300000:kg:280000",
        (date(2025, 11, 1), date(2026, 10, 31)),
        date(2025, 11, 20),
        date(2025, 12, 1),
        (("import", "800", "40000", 10),),
    ),
    # Under the 2025-10 order, under way: rice exported before any import.
    BarterStory(
        "authorized",
        "PK-0013",
        "IR-0014",
        "27111900:300:t:180000",
        "10063010:250000:kg:175000",
        (date(2026, 9, 1), date(2027, 8, 31)),
        date(2026, 9, 15),
        date(2026, 10, 1),
        (("export", "100000", "70000", 12),),
    ),
    BarterStory(
        "submitted",
        "PK-0007",
        "IR-0008",
        "27111900:200:t:120000",
        "10063010:150000:kg:118000",
        (date(2026, 11, 1), date(2027, 10, 31)),
        date(2026, 11, 20),
    ),
    BarterStory(
        "rejected",
        "PK-0009",
        "IR-0010",
        "27132000:100:t:45000",
        "08052100:60000:kg:44000",
        (date(2025, 10, 1), date(2026, 9, 30)),
        date(2025, 11, 1),
        date(2025, 11, 10),
    ),
)
BARTER_SWEEP = date(2025, 12, 31)
"""Customs' year-end sweep: cancels what was overdue then."""

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


DEMO_BANKS = {
    "PK": (("SCBL", "SCBLPKKX"), ("HABB", "HABBPKKA"), ("MUCB", "MUCBPKKA"), ("UNIL", "UNILPKKA")),
    "IR": (("017", "MELIIRTH"), ("012", "BKMTIRTH"), ("062", "AYBKIRTH"), ("055", "EDBIIRTH")),
}
"""Banks the demo's accounts are at: a Pakistani IBAN's four-letter bank code or an
Iranian one's three-digit bank id (0 and the bank's code), with a BIC of the right country."""
CLEARING_BANKS = {"PK": ("NBPA", "NBPAPKKA"), "IR": ("010", "BMJIIRTH")}
"""Where the demo's clearing accounts are kept (a settlement bank in each country)."""


def demo_iban(country: str, bank_code: str, number: int) -> str:
    """A valid fictitious IBAN: Pakistan's 24 characters (bank code + 16-digit account),
    Iran's 26 (3-digit bank id + 19-digit account; schwifty does not generate them,
    so the check digits are ISO 7064 mod 97-10's)."""
    if country == "PK":
        return str(IBAN.generate("PK", bank_code=bank_code, account_code=f"{number:016d}").compact)
    bban = f"{bank_code}{number:019d}"
    return "IR" + mod_97_10.calc_check_digits(bban + "IR") + bban


def demo_account(country: str, firm_id: str) -> tuple[str, str]:
    """The IBAN and BIC of a demo firm, the same for the same id on every run."""
    number = zlib.crc32(firm_id.encode())
    bank_code, bic = DEMO_BANKS[country][number % len(DEMO_BANKS[country])]
    return demo_iban(country, bank_code, number), bic


def register_bank_accounts(engine: Engine, actor: str) -> int:
    """Give every firm and both clearing accounts a bank account (through the service,
    audited as ``actor``); how many were registered."""
    from tahator.services import bank_accounts
    from tahator.store.database import transaction
    from tahator.store.schema import Firm

    with transaction(engine) as session:
        firms = session.execute(select(Firm.id, Firm.country).order_by(Firm.id)).all()
        for firm_id, country in firms:
            iban, bic = demo_account(country, firm_id)
            bank_accounts.register_firm_account(session, firm_id, iban, bic, "", actor)
        countries = bank_accounts.clearing_countries(session)
        for country in countries:
            bank_code, bic = CLEARING_BANKS[country]
            iban = demo_iban(country, bank_code, 1_000_001)
            bank_accounts.register_clearing_account(session, country, iban, bic, "", actor)
        return len(firms) + len(countries)
