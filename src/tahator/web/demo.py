"""Demo sign-ins for the web UI: one user per role (two traders, one per country)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from tahator.services import users
from tahator.store.database import transaction
from tahator.store.schema import Firm, User

DEMO_PASSWORD = "tahator-demo-2025"
"""Shown on the console by ``tahator demo``: a demonstration, not a deployment."""


def ensure_logins(engine: Engine) -> list[tuple[str, str, str, str | None]]:
    """Create the demo users that do not exist yet; return (role, username, password,
    firm) for each. Users created otherwise keep their own passwords."""
    with transaction(engine) as session:
        first = {
            country: session.scalar(
                select(Firm.id).where(Firm.country == country).order_by(Firm.id).limit(1)
            )
            for country in ("PK", "IR")
        }
        held = session.scalar(select(Firm.id).where(Firm.id == "IR-9001"))
        wanted = [
            ("operator", "demo-operator", None),
            ("customs", "demo-customs", None),
            ("bank", "demo-bank", None),
            ("trader", "demo-trader-pk", first["PK"]),
            ("trader", "demo-trader-ir", first["IR"]),
            ("auditor", "demo-auditor", None),
            # a trader of the look-alike firm screening holds: what a held firm's users see
            ("trader", "demo-trader-held", held),
        ]
        logins = []
        for role, username, firm in wanted:
            if role == "trader" and firm is None:
                continue
            existing = session.scalar(select(User).where(User.username == username))
            if existing is None:
                users.create_user(session, username, role, DEMO_PASSWORD, "demo", firm, demo=True)
            elif existing.role != role or existing.firm_id != firm:
                continue
            logins.append((role, username, DEMO_PASSWORD, firm))
    return logins


def print_logins(logins: list[tuple[str, str, str, str | None]], url: str) -> None:
    print(f"\nThe web UI: {url}   The API: {url}/api/v1 (documentation: {url}/api/docs;")
    print("  a token: POST /api/v1/auth/token with form fields username and password)")
    print("  in English, Persian (فارسی) or Urdu (اردو): the switch at the top of every page")
    print("Demo logins, one per role:")
    for role, username, password, firm in logins:
        print(f"  {role:<9} {username:<16} {password}" + (f"   (firm {firm})" if firm else ""))
