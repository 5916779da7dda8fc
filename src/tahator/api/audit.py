"""The audit log, for auditors and operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from tahator.api.deps import Cursor, Limit, Reader, decode_cursor, encode_cursor, require
from tahator.api.problems import ApiError
from tahator.formatting import jsonable
from tahator.services import audit
from tahator.services.users import Principal

router = APIRouter(prefix="/audit", tags=["audit"])
Auditor = Annotated[Principal, Depends(require("operator", "auditor"))]


class Record(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    subject: str
    before: Any
    after: Any
    hash: str
    request_id: str | None = Field(
        None, description="The request (`X-Request-ID`) or worker job that made the change"
    )


class RecordPage(BaseModel):
    items: list[Record]
    next_cursor: str | None


class ChainCheck(BaseModel):
    ok: bool
    records: int
    first_break: int | None
    reason: str | None


@router.get("", response_model=RecordPage)
def records(
    session: Reader,
    principal: Auditor,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
    request_id: Annotated[
        str | None, Query(max_length=64, description="The `X-Request-ID` of the change")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Every state change: who, when, what, before and after."""
    after = decode_cursor(cursor) or 0
    if not isinstance(after, int):
        raise ApiError(422, "the cursor is not one this API gave")
    rows = audit.list_records(
        session,
        after_id=after,
        limit=limit + 1,
        actor=actor,
        action=action,
        subject=subject,
        request_id=request_id,
    )
    items = rows[:limit]
    more = len(rows) > limit
    return {
        "items": jsonable(items),
        "next_cursor": encode_cursor(items[-1].id) if more else None,
    }


@router.get("/verify", response_model=ChainCheck)
def verify(session: Reader, principal: Auditor) -> dict[str, Any]:
    """Recompute the hash chain; name the first record that breaks it."""
    document: dict[str, Any] = jsonable(audit.check_chain(session))
    return document


_ID = Field(ge=0, le=2**63 - 1)
"""Ids and counts as the database holds them: a larger one names nothing."""


class Checkpoint(BaseModel):
    """The chain's head and the money tables' sizes, to keep outside the database."""

    model_config = ConfigDict(strict=True)  # a count is a number, never ``false``
    last_id: int = _ID
    hash: str = Field(max_length=64)
    records: int = _ID
    counts: dict[str, Annotated[int, _ID]]


class CheckpointCheck(BaseModel):
    ok: bool
    records: int
    breaks: list[str]


@router.get("/checkpoint", response_model=Checkpoint)
def checkpoint(session: Reader, principal: Auditor) -> dict[str, Any]:
    """The chain's head (last record's id and hash) and each money table's row count."""
    document: dict[str, Any] = jsonable(audit.checkpoint(session))
    return document


@router.post("/checkpoint/verify", response_model=CheckpointCheck)
def verify_checkpoint(saved: Checkpoint, session: Reader, principal: Auditor) -> dict[str, Any]:
    """Recompute the chain and compare it with a checkpoint taken earlier: a rewritten or
    truncated chain, or a money table with fewer rows, is named."""
    kept = audit.checkpoint_from(saved.model_dump())  # known tables only, a real hash
    document: dict[str, Any] = jsonable(audit.check_against(session, kept))
    return document
