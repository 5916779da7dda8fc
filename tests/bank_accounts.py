"""Valid fictitious bank accounts for tests' firms and clearing accounts, written with
the ORM (until every test registers them through ``services.bank_accounts``)."""

from __future__ import annotations

from sqlalchemy import Engine
from stdnum.iso7064 import mod_97_10

from tahator.domain import bank
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import BankAccount

BANKS = {"PK": "SCBL", "IR": "017"}


def fictitious_iban(country: str, number: int) -> str:
    """A checked IBAN of ``country`` (PK: 24 characters, IR: 26) for account ``number``."""
    bban = BANKS[country] + (f"{number:016d}" if country == "PK" else f"{number:019d}")
    return bank.iban(country + mod_97_10.calc_check_digits(bban + country) + bban, country)


def register_accounts(
    engine: Engine, firms: dict[str, str], clearing: tuple[str, ...] = ("PK", "IR")
) -> dict[str, str]:
    """Give each of ``firms`` ({firm: country}) and each clearing account in
    ``clearing`` a bank account; return {firm or country: IBAN}."""
    ibans: dict[str, str] = {}
    with transaction(engine) as session:
        for number, (firm, country) in enumerate(sorted(firms.items()), start=1):
            ibans[firm] = fictitious_iban(country, number)
            session.add(
                BankAccount(
                    firm_id=firm,
                    iban=ibans[firm],
                    holder=f"{firm} Holder",
                    registered_at=now(),
                    registered_by="test",
                )
            )
        for number, country in enumerate(clearing, start=900):
            ibans[country] = fictitious_iban(country, number)
            session.add(
                BankAccount(
                    clearing_country=country,
                    iban=ibans[country],
                    holder=f"Clearing account {country}",
                    registered_at=now(),
                    registered_by="test",
                )
            )
    return ibans
