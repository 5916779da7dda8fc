"""The audit log, for auditors and operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

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
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Every state change: who, when, what, before and after."""
    after = decode_cursor(cursor) or 0
    if not isinstance(after, int):
        raise ApiError(422, "the cursor is not one this API gave")
    rows = audit.list_records(
        session, after_id=after, limit=limit + 1, actor=actor, action=action, subject=subject
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
