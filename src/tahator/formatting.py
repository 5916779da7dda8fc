"""The one place where results become text: amounts, dates and JSON documents.

Services return frozen dataclasses of integers, ``Amount``s, dates and enums.  The
CLI's tables and ``--json``, the API's documents and the web's templates format
them here, so a change of presentation (or a locale) is made once.

A result dataclass's field names are its JSON keys.  A field declared with
``field(metadata=OMIT_EMPTY)`` is left out of the JSON when it is empty (``None``,
an empty tuple, zero), for documents whose keys appear only when they apply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from tahator.domain.money import Amount, format_amount

OMIT_EMPTY: Mapping[str, bool] = {"omit_empty": True}
"""``field(metadata=OMIT_EMPTY)``: no key in the JSON when the value is empty."""


def amount(value: Amount | None) -> str:
    """``value`` as a plain decimal string at its currency's precision (``"1234.50"``)."""
    return "" if value is None else format_amount(value.minor, value.digits)


def money(value: Amount | None) -> str:
    """``value`` with its currency, for people: ``"1234.50 USD"``."""
    return "" if value is None else f"{amount(value)} {value.currency}"


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses become objects keyed by field name,
    amounts decimal strings, dates ISO 8601, enums their values, tuples lists."""
    if isinstance(value, Amount):
        return amount(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        document: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if field.metadata.get("omit_empty") and not item:
                continue
            document[field.name] = jsonable(item)
        return document
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return value
