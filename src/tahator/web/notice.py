"""A firm's set-off notice for a clearing run, as a PDF in the reader's language: a
trader downloads its own firm's; the operator, the bank and the auditor any firm's
(``?firm=``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tahator import i18n
from tahator.domain.errors import NotFoundError
from tahator.i18n import _
from tahator.io.notice import pdf_headers, printed_notice
from tahator.services import access, notice
from tahator.web.core import PageError, Reader, User, allow

router = APIRouter(include_in_schema=False)


@router.get("/clearing/runs/{run_id:int}/notice.pdf")
def notice_download(run_id: int, principal: User, session: Reader, firm: str = "") -> Response:
    allow(principal, *access.INSTRUCTION_READERS)
    chosen = access.firm_filter(principal, firm.strip() or None)
    if chosen is None:
        raise PageError(404, _("Choose a firm first."))
    try:
        document = notice.setoff_notice(session, run_id, chosen)
    except NotFoundError:
        raise PageError(404, _("There is no such page, or it is not visible to you.")) from None
    printed = printed_notice(document, i18n.language())
    return Response(
        printed.body, media_type="application/pdf", headers=pdf_headers(printed.file_name)
    )
