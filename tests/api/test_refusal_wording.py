"""A role refused says so in one wording everywhere (``formatting.not_allowed``)."""

from __future__ import annotations

import pytest

from tahator.formatting import not_allowed
from tests.api.conftest import House


@pytest.mark.parametrize("path", ["/api/v1/ledger/balances", "/api/v1/settlement/instructions"])
def test_customs_is_refused_as_a_customs_officer_everywhere(house: House, path: str) -> None:
    refused = house.client.get(path, headers=house.as_("customs"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "a customs officer may not do this"


def test_other_roles_are_named_as_they_are() -> None:
    assert not_allowed("auditor") == "an auditor may not do this"
    assert not_allowed("trader") == "a trader may not do this"
