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
    csv_bytes,
    firm_scope,
    hide_unless,
    page,
    require,
    write,
)
from tahator.api.problems import ApiError
from tahator.services import access, firms
from tahator.services.users import Principal

router = APIRouter(tags=["firms"])
Operator = Annotated[Principal, Depends(require("operator"))]
AnyReader = Annotated[Principal, Depends(require(*READERS))]


class FirmIn(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
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
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
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
    rows = firms.list_firms(session, firm_scope(principal, None))
    if country:
        rows = [r for r in rows if r["country"] == country.upper()]
    if q:
        needle = q.casefold()
        rows = [r for r in rows if needle in str(r["name"]).casefold() or needle in str(r["id"])]
    return page(rows, cursor, limit)


@router.get("/firms/{firm_id}", response_model=FirmOut)
def get_firm(firm_id: str, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """One firm."""
    hide_unless(access.sees_firm(principal, firm_id), f"firm {firm_id}")
    rows = firms.list_firms(session, firm_id)
    if not rows:
        raise ApiError(404, f"no firm {firm_id}")
    return rows[0]


@router.post("/firms", status_code=201, response_model=FirmOut)
def register_firm(request: Request, body: FirmIn, principal: Operator) -> JSONResponse:
    """Register a firm (validated as `tahator firms import` validates a row)."""
    data = csv_bytes(
        [
            "id",
            "name",
            "country",
            "tax_id",
            "aliases",
            "active_taxpayer",
            "psw_subscribed",
            "state_enterprise",
        ],
        [
            [
                body.id,
                body.name,
                body.country,
                body.tax_id,
                "|".join(body.aliases),
                body.active_taxpayer,
                body.psw_subscribed,
                body.state_enterprise,
            ]
        ],
    )

    def work(session: Any) -> tuple[int, Any]:
        result = firms.import_firms(session, REQUEST, principal.actor, data=data)
        return (201 if result.created else 200), firms.list_firms(session, body.id.strip())[0]

    return write(request, principal, body.model_dump(), work)


@router.get("/consortia", response_model=ConsortiumPage)
def list_consortia(
    session: Reader, principal: AnyReader, cursor: Cursor = None, limit: Limit = 100
) -> dict[str, Any]:
    """Consortia and their members; a trader sees those its firm belongs to."""
    rows = firms.list_consortia(session)
    seen = access.visible_consortia(session, principal, (str(r["id"]) for r in rows))
    rows = [r for r in rows if r["id"] in seen]
    return page(rows, cursor, limit)


@router.post("/consortia", status_code=201, response_model=ConsortiumOut)
def create_consortium(request: Request, body: ConsortiumIn, principal: Operator) -> JSONResponse:
    """Form a consortium of firms of one country, jointly and severally liable."""

    def work(session: Any) -> tuple[int, Any]:
        firms.create_consortium(
            session, body.id, body.name, body.lead, body.members, principal.actor
        )
        view = next(c for c in firms.list_consortia(session) if c["id"] == body.id)
        return 201, view

    return write(request, principal, body.model_dump(), work)
