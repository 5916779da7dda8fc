"""Response models derived from the services' result dataclasses.

A result's JSON document is ``formatting.jsonable(result)``: its keys are the
dataclass's fields, amounts decimal strings, dates ISO strings, enums their values.
``model_of`` states that same shape for OpenAPI, so a response model never repeats
a result's field list by hand (and cannot drift from it).
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, Field, create_model

from tahator.domain.money import Amount
from tahator.services.bank_accounts import AccountView


def _json_type(hint: Any) -> Any:
    """The JSON-side type of a result field's type."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return Union[tuple(_json_type(arg) for arg in get_args(hint))]  # noqa: UP007
    if origin in (tuple, list, frozenset, set):
        return list[_json_type(get_args(hint)[0])]  # type: ignore[misc]
    if hint is Amount or hint is date or hint is datetime:
        return str
    if isinstance(hint, type) and issubclass(hint, Enum):
        return str
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return model_of(hint)
    return hint


def model_of(result: type, name: str | None = None) -> type[BaseModel]:
    """A Pydantic model of ``result``'s JSON document, named ``name`` in OpenAPI."""
    hints = get_type_hints(result)
    fields: dict[str, Any] = {
        field.name: (_json_type(hints[field.name]), ...) for field in dataclasses.fields(result)
    }
    return create_model(name or result.__name__, **fields)


def page_of(item: type[BaseModel], name: str) -> type[BaseModel]:
    """The model of a cursor page of ``item``: ``{"items": [...], "next_cursor": ...}``."""
    fields: dict[str, Any] = {"items": (list[item], ...), "next_cursor": (str | None, ...)}  # type: ignore[valid-type]
    return create_model(name, **fields)


class BankAccountIn(BaseModel):
    """A bank account to register: an IBAN of the owner's country, the bank's BIC where
    known, the holder's name (the firm's name, or the clearing account's, if empty)."""

    iban: str = Field(min_length=1, max_length=60, description="IBAN (spaces allowed)")
    bic: str | None = Field(default=None, max_length=20, description="The bank's BIC")
    holder: str = Field(default="", max_length=200, description="The holder's name")


BankAccountOut = model_of(AccountView, "BankAccount")
