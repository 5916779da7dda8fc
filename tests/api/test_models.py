"""Response models derived from result dataclasses describe exactly their JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import pytest
from pydantic import ValidationError

from tahator.api.models import model_of, page_of
from tahator.domain.money import Amount
from tahator.formatting import jsonable


class Status(StrEnum):
    OPEN = "open"


@dataclass(frozen=True)
class Leg:
    firm: str
    value: Amount


@dataclass(frozen=True)
class Ring:
    id: int
    status: Status
    due: date | None
    legs: tuple[Leg, ...]


def test_a_results_json_validates_against_its_model() -> None:
    ring = Ring(7, Status.OPEN, date(2026, 1, 2), (Leg("PK-1", Amount(150, "USD", 2)),))
    model = model_of(Ring, "RingOut")
    assert model.model_validate(jsonable(ring)).model_dump() == jsonable(ring)
    assert set(model.model_json_schema()["properties"]) == {"id", "status", "due", "legs"}
    page = page_of(model, "RingPage")
    assert page.model_validate({"items": [jsonable(ring)], "next_cursor": None})


def test_a_document_missing_a_field_or_with_a_number_for_an_amount_is_refused() -> None:
    model = model_of(Leg)
    with pytest.raises(ValidationError):
        model.model_validate({"firm": "PK-1"})
    with pytest.raises(ValidationError):
        model.model_validate({"firm": "PK-1", "value": 1.5})
