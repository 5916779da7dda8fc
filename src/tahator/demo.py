"""The Pakistan–Iran demo corridor: generated firms and invoices, cleared and settled.

Pakistan exports rice, maize, meat, fruit, textiles and medicines; Iran exports
LPG, bitumen, petrochemicals, steel, cement and dates, about twice as much as it
imports.  Importers owe exporters across the border; at home, exporters buy from
importers and distributors (fuel, cement, steel, packaging), so debts run in
rings that set-off can close.  What remains settles through each country's
clearing account, whose credit line is 20 % of its gross payments (the Asian
Clearing Union's rule).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from tahator.services.clear_file import ClearedFile, CreditLine, clear_file
from tahator.services.tables import write_csv_atomically

PAKISTAN_EXPORTS = ("Rice", "Maize", "Meat", "Fruit", "Textiles", "Medicines")
IRAN_EXPORTS = ("LPG", "Bitumen", "Petrochemicals", "Steel", "Cement", "Dates")
PAKISTAN_CITIES = ("Karachi", "Lahore", "Quetta", "Gwadar", "Faisalabad", "Multan", "Sialkot")
IRAN_CITIES = ("Tehran", "Isfahan", "Mashhad", "Zahedan", "Bandar Abbas", "Chabahar", "Shiraz")
IRAN_EXPORT_RATIO = 2
"""Iran exports about twice what it imports from Pakistan (seed reports)."""
CREDIT_LINE_SHARE = Fraction(20, 100)


@dataclass(frozen=True)
class DemoFirm:
    id: str
    name: str
    country: str
    role: str
    """``exporter`` or ``importer`` of ``goods``."""
    goods: str


@dataclass(frozen=True)
class DemoInvoice:
    id: str
    debtor: str
    creditor: str
    amount_cents: int
    due_date: date


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    firms: tuple[DemoFirm, ...]
    invoices: tuple[DemoInvoice, ...]
    cleared: ClearedFile

    def summary(self) -> dict[str, Any]:
        return {"folder": str(self.folder), **self.cleared.summary()}


def build_corridor(
    seed: int, firms_per_country: int = 150, invoices: int = 2400
) -> tuple[tuple[DemoFirm, ...], tuple[DemoInvoice, ...]]:
    """A seeded corridor: firms of both countries and the invoices between them."""
    rng = random.Random(seed)
    firms: list[DemoFirm] = []
    for country, cities, exports, imports, suffix in (
        ("PK", PAKISTAN_CITIES, PAKISTAN_EXPORTS, IRAN_EXPORTS, "(Pvt) Ltd"),
        ("IR", IRAN_CITIES, IRAN_EXPORTS, PAKISTAN_EXPORTS, "Co."),
    ):
        for number in range(1, firms_per_country + 1):
            role = "exporter" if number % 2 else "importer"
            goods = rng.choice(exports if role == "exporter" else imports)
            city = rng.choice(cities)
            kind = "Exports" if role == "exporter" else "Trading"
            firms.append(
                DemoFirm(
                    f"{country}-{number:04d}",
                    f"{city} {goods} {kind} {suffix}",
                    country,
                    role,
                    goods,
                )
            )

    def pick(country: str, role: str, goods: str | None = None) -> DemoFirm:
        pool = [
            f
            for f in firms
            if f.country == country and f.role == role and (goods is None or f.goods == goods)
        ]
        return rng.choice(pool)

    start = date(2026, 1, 1)
    rows: list[DemoInvoice] = []
    # Invoices of one size distribution; Iran's exports are twice as many.
    kinds = ["pk_export"] * 10 + ["ir_export"] * 10 * IRAN_EXPORT_RATIO
    kinds += ["pk_domestic"] * 8 + ["ir_domestic"] * 8
    for number in range(1, invoices + 1):
        kind = rng.choice(kinds)
        if kind == "pk_export":  # an Iranian importer owes a Pakistani exporter
            exporter = pick("PK", "exporter")
            debtor, creditor = pick("IR", "importer", exporter.goods), exporter
        elif kind == "ir_export":  # a Pakistani importer owes an Iranian exporter
            exporter = pick("IR", "exporter")
            debtor, creditor = pick("PK", "importer", exporter.goods), exporter
        else:  # at home, an exporter buys fuel, steel or services from an importer
            country = "PK" if kind == "pk_domestic" else "IR"
            debtor, creditor = pick(country, "exporter"), pick(country, "importer")
        cents = round(rng.lognormvariate(11.0, 1.0) * 100)  # median ≈ $60,000
        due = start + timedelta(days=rng.randrange(0, 330))
        rows.append(DemoInvoice(f"INV-{number:05d}", debtor.id, creditor.id, cents, due))
    return tuple(firms), tuple(rows)


def run_demo(seed: int = 2025, folder: Path = Path("var/demo")) -> DemoRun:
    """Build the corridor, write it as CSV files in ``folder``, clear and settle it."""
    firms, invoices = build_corridor(seed)
    obligations_path = folder / "obligations.csv"
    participants_path = folder / "participants.csv"
    write_csv_atomically(
        participants_path,
        ("id", "country", "name"),
        [[f.id for f in firms], [f.country for f in firms], [f.name for f in firms]],
    )
    write_csv_atomically(
        obligations_path,
        ("id", "debtor", "creditor", "amount", "due_date"),
        [
            [i.id for i in invoices],
            [i.debtor for i in invoices],
            [i.creditor for i in invoices],
            [f"{i.amount_cents // 100}.{i.amount_cents % 100:02d}" for i in invoices],
            [i.due_date.isoformat() for i in invoices],
        ],
    )
    cleared = clear_file(
        obligations_path,
        output=folder / "setoffs.csv",
        participants=participants_path,
        credit_lines=(
            CreditLine("PK", share=CREDIT_LINE_SHARE),
            CreditLine("IR", share=CREDIT_LINE_SHARE),
        ),
        settlement_output=folder / "settlement.csv",
    )
    return DemoRun(folder, firms, invoices, cleared)
