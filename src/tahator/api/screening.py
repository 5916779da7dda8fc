"""Sanctions lists, screening of names, and the operator's queue of hits to decide."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from tahator.api.deps import REQUEST, Reader, require, write
from tahator.api.problems import ApiError
from tahator.domain.party_facts import (
    MAX_NAME_WORDS,
    MAX_NUMBER,
    born_problem,
    number_problem,
    screened_name_problem,
)
from tahator.domain.screening import Identifier, Query
from tahator.formatting import jsonable
from tahator.io.un_list import read_list
from tahator.services import access, list_imports, sanctions_lists, screening, screening_views
from tahator.services.users import Principal

router = APIRouter(tags=["screening"])
Operator = Annotated[Principal, Depends(require("operator"))]
Screener = Annotated[Principal, Depends(require(*access.SCREENING_READERS))]
AnyReader = Annotated[
    Principal, Depends(require("operator", "customs", "bank", "trader", "auditor"))
]
MAX_LIST_BYTES = 64 * 1024 * 1024
MAX_NAMES = 10_000


MAX_SCREEN_CHARACTERS = 2_000_000
"""Characters in all the names of one ``/screen`` request together."""
MAX_SCREEN_WORDS = 100_000
"""Words in all the names of one request together: the matcher's time grows with
words (about 0.07 ms each: 10,000 names of 24 short words took 18 s, 100,000 words
of common names 7 s), ten a name on average for the most names."""


def _checked(problem: str | None, value: str) -> str:
    # a ValueError in a validator is a 422 naming the field
    if problem is not None:
        raise ValueError(problem)
    return value


class IdentifierIn(BaseModel):
    kind: Literal["passport", "national_id", "registration", "tax", "other"]
    number: str = Field(
        min_length=1,
        max_length=MAX_NUMBER,
        description="1 to 60 letters or digits of any script, spaces, dashes, slashes or dots",
    )
    country: str | None = Field(None, pattern="^[A-Za-z]{2}$")

    @field_validator("number")
    @classmethod
    def _number(cls, number: str) -> str:
        return _checked(number_problem(number), number)


class NameIn(BaseModel):
    id: str = Field("1", max_length=100)
    name: str = Field(min_length=1, max_length=500, description=f"At most {MAX_NAME_WORDS} words")
    country: str | None = Field(None, pattern="^[A-Za-z]{2}$")
    born: str | None = Field(
        None,
        pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
        description="Date of birth of a person: YYYY-MM-DD, YYYY-MM or YYYY; a real "
        "date from 1900 to this year",
    )
    nationality: str | None = Field(None, pattern="^[A-Za-z]{2}$")
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=10)
    kind: Literal["individual", "entity"] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return _checked(screened_name_problem(name), name)

    @field_validator("born")
    @classmethod
    def _born(cls, born: str | None) -> str | None:
        return born if born is None else _checked(born_problem(born), born)

    def query(self) -> Query:
        return Query(
            self.name,
            self.country.upper() if self.country else None,
            self.id,
            born=self.born,
            nationality=self.nationality.upper() if self.nationality else None,
            identifiers=tuple(
                Identifier(i.kind, i.number, i.country.upper() if i.country else None)
                for i in self.identifiers
            ),
            kind=self.kind,
        )


class ScreenIn(BaseModel):
    names: list[NameIn] = Field(
        min_length=1,
        max_length=MAX_NAMES,
        description=f"At most {MAX_SCREEN_CHARACTERS:,} characters and "
        f"{MAX_SCREEN_WORDS:,} words of names in all",
    )

    @field_validator("names")
    @classmethod
    def _size(cls, names: list[NameIn]) -> list[NameIn]:
        characters = sum(len(n.name) for n in names)
        if characters > MAX_SCREEN_CHARACTERS:
            raise ValueError(
                f"the names have {characters:,} characters in all; "
                f"at most {MAX_SCREEN_CHARACTERS:,}"
            )
        words = sum(len(n.name.split()) for n in names)
        if words > MAX_SCREEN_WORDS:
            raise ValueError(f"the names have {words:,} words in all; at most {MAX_SCREEN_WORDS:,}")
        return names


class DecisionIn(BaseModel):
    decision: Literal["false_positive", "confirmed"]
    reason: str = Field(min_length=1, max_length=1000)


@router.get("/lists")
def list_versions(session: Reader, principal: Screener) -> list[dict[str, Any]]:
    """The sanctions list versions imported."""
    return [jsonable(v) for v in sanctions_lists.list_versions(session)]


@router.get("/lists/{version}/changes")
def list_changes(version: int, session: Reader, principal: Screener) -> dict[str, Any]:
    """Every entry a list version added, removed and changed against the version of the
    same list before it."""
    result: dict[str, Any] = jsonable(sanctions_lists.version_changes(session, version))
    return result


@router.post("/lists/{list_format}", status_code=201)
def import_list(
    request: Request,
    list_format: str,
    file: UploadFile,
    principal: Operator,
    name: Annotated[
        str | None,
        Form(
            description="The list this is a version of (`OFAC SDN`; case does not matter); "
            "default: the file's own (`UN`; an FtM file's one dataset)"
        ),
    ] = None,
    new_list: Annotated[
        bool,
        Form(
            description="The name is of a list the house has not got yet: start it "
            "(otherwise refused, 422: a mistyped name would make a second list in force)"
        ),
    ] = False,
    confirm_shrink: Annotated[
        bool,
        Form(
            description="Import even though it removes more than the shrink limit of the "
            "entries in force (otherwise refused, 422, with the counts)"
        ),
    ] = False,
) -> JSONResponse:
    """Import a new version of a list (`un`: the UN Consolidated List XML; `ftm`:
    FollowTheMoney entities); the answer says which entries it added, removed and
    changed against the version of the same list in force; every firm is screened again
    and the changes reported.  Hostile XML is refused (422)."""
    data = file.file.read(MAX_LIST_BYTES + 1)
    if len(data) > MAX_LIST_BYTES:
        raise ApiError(413, f"the file is larger than {MAX_LIST_BYTES} bytes")

    # the upload's own file name is the version's source, as on the web page
    uploaded = Path(file.filename or "").name
    source = Path(uploaded) if uploaded and uploaded.isprintable() else REQUEST

    def work(session: Session) -> tuple[int, Any]:
        parsed = read_list(list_format, source, data=data, name=name)
        imported = list_imports.import_list(
            session, parsed, principal.actor, confirm_shrink=confirm_shrink, new_list=new_list
        )
        return 201, jsonable(imported)

    fingerprint = [hashlib.sha256(data).hexdigest(), name, confirm_shrink, new_list]
    return write(request, principal, fingerprint, work)


class WithdrawalIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/lists/{name}/withdrawal")
def withdraw_list(
    request: Request, name: str, body: WithdrawalIn, principal: Operator
) -> JSONResponse:
    """Withdraw a list (by name: `OFAC SDN`): no longer in force until a new version is
    imported; every firm is screened again.  The last list in force cannot be."""

    def work(session: Session) -> tuple[int, Any]:
        withdrawn = list_imports.withdraw_list(session, name, body.reason, principal.actor)
        return 200, jsonable(withdrawn)

    return write(request, principal, body.model_dump(), work)


@router.post("/screen", response_model=list[dict[str, Any]])
def screen(body: ScreenIn, session: Reader, principal: Screener) -> JSONResponse:
    """Screen names against the lists in force; hits ranked best first, each explained."""
    queries = [n.query() for n in body.names]
    # Encoded once here: FastAPI's own path (validating the returned list against the
    # response model, then jsonable_encoder on every value) took longer than the
    # screening on 10,000 names with many hits.
    return JSONResponse([jsonable(r) for r in screening.screen_names(session, queries)])


@router.get("/screening/queue")
def queue(session: Reader, principal: Screener) -> list[dict[str, Any]]:
    """Firms whose hits await an operator's decision."""
    return [jsonable(f) for f in screening.queue(session)]


@router.get("/firms/{firm_id}/screening")
def firm_screening(firm_id: str, session: Reader, principal: AnyReader) -> dict[str, Any]:
    """A firm's screening status and hits; a trader reads only where its own firm stands
    (``screening``: unscreened, clear or under review), with no hit."""
    access.hide_unless(access.sees_firm(principal, firm_id), f"firm {firm_id}")
    result: dict[str, Any] = jsonable(
        screening_views.firm_screening_for(session, firm_id, principal)
    )
    return result


@router.post("/firms/{firm_id}/screening/decision")
def decide(request: Request, firm_id: str, body: DecisionIn, principal: Operator) -> JSONResponse:
    """Decide a firm's hits: a false positive may trade, a confirmed match never may."""

    def work(session: Session) -> tuple[int, Any]:
        decided = screening.decide(session, firm_id, body.decision, body.reason, principal.actor)
        return 200, jsonable(decided)

    return write(request, principal, body.model_dump(), work)
