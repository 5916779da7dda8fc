"""The settlement bank's files: its statements of a clearing account (camt.054/053)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tahator.api.deps import require, write
from tahator.api.models import model_of
from tahator.api.problems import ApiError
from tahator.formatting import jsonable
from tahator.i18n import _
from tahator.io import camt
from tahator.io.camt import MAX_BYTES
from tahator.services import bank_statements
from tahator.services import corridor as corridors
from tahator.services.access import SETTLERS
from tahator.services.users import Principal

router = APIRouter(tags=["clearing"])
Settler = Annotated[Principal, Depends(require(*SETTLERS))]
StatementReport = model_of(bank_statements.StatementReport, "StatementReport")
XML_TYPES = ("application/xml", "text/xml")


async def statement_file(request: Request) -> bytes:
    """The file: the raw body (``application/xml``), or a multipart form's ``file``."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, _("send the camt file as the form's file field"))
        data = await upload.read(MAX_BYTES + 1)
    elif media in XML_TYPES:
        data = await request.body()
    else:
        raise ApiError(
            415,
            _("send the camt file as application/xml (or multipart/form-data), not %(type)s")
            % {"type": media or _("no content type")},
        )
    if len(data) > MAX_BYTES:
        raise ApiError(413, _("the file is larger than %(size)s bytes") % {"size": MAX_BYTES})
    return data


@router.post(
    "/settlement/bank-statements",
    response_model=StatementReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
    responses={415: {"description": "Not an XML body or form"}},
)
def import_statement(
    request: Request,
    principal: Settler,
    content: Annotated[bytes, Depends(statement_file)],
) -> JSONResponse:
    """A settlement bank's statement of a clearing account (camt.054 or camt.053, any
    version .001.02–.12): booked credits and debits confirm the pending instructions
    they name with their exact amount, returns in their direction return them, what an
    earlier file applied is listed as ``already_applied``, the rest as ``unmatched``
    (``reason`` a code with its ``details``, ``why`` in English).  The same file again
    (by account and ``MsgId``) answers the stored report, ``already_imported``."""

    def work(session: Session) -> tuple[int, Any]:
        message = camt.read(content, corridors.load(session).digits)
        return 200, jsonable(bank_statements.import_statement(session, message, principal.actor))

    return write(request, principal, hashlib.sha256(content).hexdigest(), work)
