"""Valid fictitious bank accounts for tests' firms and clearing accounts, written with
the ORM (until every test registers them through ``services.bank_accounts``)."""

from __future__ import annotations

from sqlalchemy import Engine

from tahator.demo_data import demo_iban
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import BankAccount

BANKS = {"PK": "SCBL", "IR": "017"}


def register_accounts(
    engine: Engine, firms: dict[str, str], clearing: tuple[str, ...] = ("PK", "IR")
) -> dict[str, str]:
    """Give each of ``firms`` ({firm: country}) and each clearing account in
    ``clearing`` a bank account; return {firm or country: IBAN}."""
    ibans: dict[str, str] = {}
    with transaction(engine) as session:
        for number, (firm, country) in enumerate(sorted(firms.items()), start=1):
            ibans[firm] = demo_iban(country, BANKS[country], number)
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
            ibans[country] = demo_iban(country, BANKS[country], number)
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
