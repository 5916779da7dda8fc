"""The access rule's decisions that need no database: who sees every firm, and the
firm a list runs for."""

from __future__ import annotations

import pytest

from tahator.services import access
from tahator.services.users import Principal

ROLES = ("operator", "customs", "bank", "auditor")
TRADER = Principal(1, "t", "trader", "PK-1")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_but_a_trader_sees_every_firm(role: str) -> None:
    principal = Principal(1, "u", role, None)
    assert access.sees_every_firm(principal)
    assert access.firm_filter(principal, None) is None
    assert access.firm_filter(principal, "IR-2") == "IR-2"
    assert access.sees_firm(principal, "IR-2")
    assert access.acts_for(principal, "IR-2")
    assert access.acting_firm(principal) is None


def test_a_trader_s_lists_run_for_its_own_firm() -> None:
    assert not access.sees_every_firm(TRADER)
    assert access.firm_filter(TRADER, None) == "PK-1"
    assert access.firm_filter(TRADER, "PK-1") == "PK-1"
    assert access.acting_firm(TRADER) == "PK-1"


@pytest.mark.parametrize("asked", ["IR-2", "", "pk-1"])
def test_another_firm_does_not_exist_for_a_trader(asked: str) -> None:
    with pytest.raises(access.HiddenError) as raised:
        access.firm_filter(TRADER, asked)
    assert str(raised.value) == f"no firm {asked}"
    assert not access.sees_firm(TRADER, asked)
    assert not access.acts_for(TRADER, asked)


def test_hidden_is_not_found() -> None:
    """Every edge already answers a ``NotFoundError`` with its own 404."""
    from tahator.domain.errors import NotFoundError

    assert issubclass(access.HiddenError, NotFoundError)
