"""Firms and consortia."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tahator.api.deps import (
    READERS,
    REQUEST,
    Cursor,
    Limit,
    Reader,
    page,
    require,
    write,
)
from tahator.api.models import BankAccountIn, BankAccountOut
from tahator.api.problems import ApiError
from tahator.domain.errors import InputError, Problem
from tahator.formatting import jsonable
from tahator.io.firms import aliases_of, firm_record
from tahator.services import access, bank_accounts, firms
from tahator.services.users import Principal

router = APIRouter(tags=["firms"])
Operator = Annotated[Principal, Depends(require("operator"))]
AnyReader = Annotated[Principal, Depends(require(*READERS))]
AccountReader = Annotated[Principal, Depends(require(*access.BANK_ACCOUNT_READERS))]
"""Who reads bank accounts (IBANs), firms' and clearing accounts' alike."""
SOURCE = str(REQUEST)


ID_RULE = (
    "Letters A–Z, digits, '-', '_' and '.' (after NFKC normalization), starting with a"
    " letter or digit, without '..'"
)
NAME_RULE = "Any script; no control, bidirectional-override or zero-width characters"


class FirmIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, description=ID_RULE)
    name: str = Field(min_length=1, max_length=300, description=NAME_RULE)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2")
    tax_id: str = Field(min_length=1, max_length=40, description="NTN (PK) or national ID (IR)")
    aliases: list[str] = Field(default_factory=list)
    active_taxpayer: bool = False
    psw_subscribed: bool = False
    state_enterprise: bool = False


class FirmOut(BaseModel):
    id: str
    name: str
    country: str
    tax_id: str
    status: str
    aliases: list[str]
    active_taxpayer: bool
    psw_subscribed: bool
    state_enterprise: bool


class FirmPage(BaseModel):
    items: list[FirmOut]
    next_cursor: str | None


class ConsortiumIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, description=ID_RULE)
    name: str = Field(min_length=1, max_length=300, description=NAME_RULE)
    lead: str
    members: list[str] = Field(min_length=1)


class ConsortiumOut(BaseModel):
    id: str
    name: str
    lead: str
    liability: str
    members: list[str]


class ConsortiumPage(BaseModel):
    items: list[ConsortiumOut]
    next_cursor: str | None


@router.get("/firms", response_model=FirmPage)
def list_firms(
    session: Reader,
    principal: AnyReader,
    country: str | None = None,
    q: Annotated[str | None, "Part of the name or id"] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Registered firms; a trader sees its own."""
    rows = firms.list_firms(session, access.firm_filter(principal, None))
    if country:
        rows = [r for r in rows if r.country == country.upper()]
    if q:
        needle = q.casefold()
        rows = [r for r in rows if needle in r.name.casefold() or needle in r.id]
    return page(jsonable(rows), cursor, limit)


@router.get("/firms/{firm_id}", response_model=FirmOut)
def get_firm(firm_id: str, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """One firm."""
    access.hide_unless(access.sees_firm(principal, firm_id), f"firm {firm_id}")
    rows = firms.list_firms(session, firm_id)
    if not rows:
        raise ApiError(404, f"no firm {firm_id}")
    view: dict[str, Any] = jsonable(rows[0])
    return view


@router.post("/firms", status_code=201, response_model=FirmOut)
def register_firm(request: Request, body: FirmIn, principal: Operator) -> JSONResponse:
    """Register a firm (validated as `tahator firms import` validates a row)."""
    problems: list[Problem] = []
    record = firm_record(
        SOURCE,
        2,  # where a file's only row would be
        (body.id, body.name, body.country, body.tax_id),
        aliases_of(body.aliases),
        (body.active_taxpayer, body.psw_subscribed, body.state_enterprise),
        problems,
    )

    def work(session: Any) -> tuple[int, Any]:
        if record is None:
            raise InputError(problems)
        stored = firms.register_firm(session, record, principal.actor, source=SOURCE)
        return (201 if stored.result.created else 200), jsonable(stored.firm)

    return write(request, principal, body.model_dump(), work)


@router.get("/firms/{firm_id}/bank-account", response_model=BankAccountOut)
def get_bank_account(firm_id: str, session: Reader, principal: AccountReader) -> dict[str, Any]:
    """The firm's bank account, where its payouts go; a trader reads only its own."""
    access.hide_unless(access.sees_firm(principal, firm_id), f"firm {firm_id}")
    if not firms.list_firms(session, firm_id):
        raise ApiError(404, f"no firm {firm_id}")
    missing = f"firm {firm_id} has no bank account registered"
    return account_out(bank_accounts.firm_account(session, firm_id), missing)


def account_out(account: bank_accounts.AccountView | None, missing: str) -> dict[str, Any]:
    """A bank account as the API returns it, or a 404 saying ``missing``."""
    if account is None:
        raise ApiError(404, missing)
    view: dict[str, Any] = jsonable(account)
    return view


@router.put("/firms/{firm_id}/bank-account", response_model=BankAccountOut)
def put_bank_account(
    request: Request, firm_id: str, body: BankAccountIn, principal: Operator
) -> JSONResponse:
    """Register or replace the firm's bank account: an IBAN of the firm's country (a
    422 says why one is refused), the bank's BIC where known, the holder's name (the
    firm's name if empty)."""

    def work(session: Any) -> tuple[int, Any]:
        account = bank_accounts.register_firm_account(
            session, firm_id, body.iban, body.bic, body.holder, principal.actor
        )
        return 200, jsonable(account)

    return write(request, principal, body.model_dump(), work)


@router.get("/consortia", response_model=ConsortiumPage)
def list_consortia(
    session: Reader, principal: AnyReader, cursor: Cursor = None, limit: Limit = 100
) -> dict[str, Any]:
    """Consortia and their members; a trader sees those its firm belongs to."""
    rows = firms.list_consortia(session)
    seen = access.visible_consortia(session, principal, (r.id for r in rows))
    rows = [r for r in rows if r.id in seen]
    return page(jsonable(rows), cursor, limit)


@router.post("/consortia", status_code=201, response_model=ConsortiumOut)
def create_consortium(request: Request, body: ConsortiumIn, principal: Operator) -> JSONResponse:
    """Form a consortium of firms of one country, jointly and severally liable."""

    def work(session: Any) -> tuple[int, Any]:
        view = firms.create_consortium(
            session, body.id, body.name, body.lead, body.members, principal.actor
        )
        return 201, jsonable(view)

    return write(request, principal, body.model_dump(), work)
