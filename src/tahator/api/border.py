"""Border markets (residents, sales within quotas) and the corridor's trade target."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tahator.api.deps import READERS, REQUEST, Cursor, Day, Limit, Reader, page, require, write
from tahator.api.problems import ApiError
from tahator.domain.border import TradePolicy
from tahator.formatting import jsonable
from tahator.io.comtrade import read_comtrade
from tahator.io.markets import load_trade_policy
from tahator.io.sales import sale_record
from tahator.services import border, corridor, stats
from tahator.services.users import Principal

router = APIRouter(tags=["border markets and target"])
AnyReader = Annotated[Principal, Depends(require(*READERS))]
Officer = Annotated[Principal, Depends(require("operator", "customs"))]
Operator = Annotated[Principal, Depends(require("operator"))]
NotTrader = Annotated[Principal, Depends(require("operator", "customs", "bank", "auditor"))]
MAX_STATISTICS_BYTES = 8 * 1024 * 1024


def trade_policy(request: Request) -> TradePolicy:
    return load_trade_policy()


TradePolicyDep = Annotated[TradePolicy, Depends(trade_policy)]


class ResidentIn(BaseModel):
    market: str = Field(min_length=1, max_length=40)
    national_id: str = Field(min_length=1, max_length=20, description="CNIC (PK) or code (IR)")
    name: str = Field(min_length=1, max_length=200)
    district: str = Field(min_length=1, max_length=100)


class SaleIn(BaseModel):
    market: str = Field(min_length=1, max_length=40)
    resident: str = Field(min_length=1, max_length=20, description="The buyer's national id")
    hs: str
    value: str = Field(description="A decimal string in `currency`")
    currency: str
    date: Day
    reference: str | None = Field(None, max_length=100, description="The receipt number")


@router.get("/border/markets")
def markets(principal: AnyReader, policy: TradePolicyDep) -> list[dict[str, Any]]:
    """The corridor's border markets: goods lists, opening days and quotas per resident."""
    documents: list[dict[str, Any]] = jsonable(border.list_markets(policy))
    return documents


@router.get("/border/residents")
def residents(
    session: Reader,
    principal: NotTrader,
    market: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Residents registered at border markets."""
    rows = [
        jsonable(r) | {"key": f"{r.market}/{r.national_id}"}
        for r in border.list_residents(session, market)
    ]
    return page(sorted(rows, key=lambda r: r["key"]), cursor, limit, key="key")


@router.post("/border/residents", status_code=201)
def add_resident(
    request: Request, body: ResidentIn, principal: Officer, policy: TradePolicyDep
) -> JSONResponse:
    """Register a resident of a border district for a market."""

    def work(session: Session) -> tuple[int, Any]:
        view = border.add_resident(
            session,
            policy,
            market=body.market,
            national_id=body.national_id,
            name=body.name,
            district=body.district,
            actor=principal.actor,
        )
        return 201, jsonable(view)

    return write(request, principal, body.model_dump(), work)


@router.post("/border/sales", status_code=201)
def sell(
    request: Request, body: SaleIn, principal: Officer, policy: TradePolicyDep
) -> JSONResponse:
    """Record a sale within the resident's quotas; a refusal names the quota and what is left."""

    def work(session: Session) -> tuple[int, Any]:
        record, problems = sale_record(
            market=body.market,
            resident=body.resident,
            hs=body.hs,
            value=body.value,
            currency=body.currency,
            on=body.date,
            reference=body.reference,
            digits=corridor.load(session).digits,
        )
        view = border.sell(session, policy, record, actor=principal.actor, problems=problems)
        return 201, jsonable(view)

    return write(request, principal, body.model_dump(mode="json"), work)


@router.get("/border/totals")
def totals(
    session: Reader,
    principal: NotTrader,
    market: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Daily sales per market, in the unit of account, by market and day."""
    rows = sorted(
        (
            jsonable(row) | {"key": f"{row.market} {row.date.isoformat()}"}
            for row in border.daily_totals(session, market)
        ),
        key=lambda row: row["key"],
    )
    return page(rows, cursor, limit, key="key")


@router.post("/stats/imports", status_code=201)
def import_statistics(request: Request, file: UploadFile, principal: Operator) -> JSONResponse:
    """Import official trade statistics (UN Comtrade's bulk CSV layout)."""
    data = file.file.read(MAX_STATISTICS_BYTES + 1)
    if len(data) > MAX_STATISTICS_BYTES:
        raise ApiError(413, f"the file is larger than {MAX_STATISTICS_BYTES} bytes")

    def work(session: Session) -> tuple[int, Any]:
        statistics = read_comtrade(REQUEST, data=data)
        return 201, jsonable(stats.import_statistics(session, statistics, principal.actor))

    return write(request, principal, hashlib.sha256(data).hexdigest(), work)


@router.get("/stats/target")
def target(session: Reader, principal: AnyReader, policy: TradePolicyDep) -> dict[str, Any]:
    """The corridor's trade against its target: status and the monthly series.  A bank
    or a trader reads a month's barter and set-off as ``null`` where fewer firms than
    the markets file's ``[target] min_firms`` make them up (totals and run rates then
    leave them out)."""
    document: dict[str, Any] = jsonable(stats.target_report(session, policy, principal))
    return document
