"""A firm's set-off notice (``services.notice``) as an A4 PDF in the reader's language:
an HTML template (``templates/notice.html``) printed in the shipped fonts (``io.pdf``),
its words through ``_()``, amounts and dates through ``display`` (Persian digits and
Solar Hijri dates with the Gregorian beside them in Persian)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tahator import display, i18n
from tahator.domain.settlement import InstructionKind, InstructionStatus
from tahator.i18n import _
from tahator.io.pdf import document_context, document_environment, pdf_bytes
from tahator.services.notice import Role, SetoffNoticeDocument


def notice_html(notice: SetoffNoticeDocument) -> str:
    """The notice as the HTML page its PDF is printed from, in the active language."""
    roles = {
        Role.DEBTOR: _("debtor"),
        Role.CREDITOR: _("creditor"),
        Role.LIABLE: _("jointly liable"),
    }
    kinds = {
        InstructionKind.COLLECTION: _("collection (the firm pays in)"),
        InstructionKind.PAYOUT: _("payout (the firm is paid)"),
    }
    statuses = {
        InstructionStatus.PENDING: _("pending"),
        InstructionStatus.CONFIRMED: _("confirmed"),
        InstructionStatus.RETURNED: _("returned"),
        InstructionStatus.HELD: _("held"),
    }
    status = _("completed") if notice.run.status == "completed" else _("running")
    return (
        document_environment()
        .get_template("notice.html")
        .render(
            rate=rate_text,
            notice=notice,
            roles=roles,
            kinds=kinds,
            statuses=statuses,
            status=status,
            liable=any(line.role == Role.LIABLE for line in notice.lines),
            **document_context(),
        )
    )


def rate_text(rate: Decimal) -> str:
    """A rate exactly as stored, grouped in the reader's digits: ``1,100,000.00``,
    ``۱٬۱۰۰٬۰۰۰٫۰۰`` in Persian."""
    exponent = rate.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return display.number(rate, pattern="#,##0" + ("." + "0" * places if places else ""))


def notice_pdf(notice: SetoffNoticeDocument) -> bytes:
    """The notice as an A4 PDF in the active language and the shipped fonts."""
    return pdf_bytes(notice_html(notice))


def notice_file_name(notice: SetoffNoticeDocument) -> str:
    """``setoff-notice-run-3-PK-1.pdf``: ASCII letters, digits and ``-_.`` only."""
    name = f"setoff-notice-run-{notice.run.run_id}-{notice.firm.id}.pdf"
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


@dataclass(frozen=True)
class PrintedNotice:
    """A notice printed for download: the PDF and the file name to offer it under."""

    body: bytes
    file_name: str


def printed_notice(notice: SetoffNoticeDocument, language: str) -> PrintedNotice:
    """The notice as a PDF in ``language`` (the reader's zone kept), as the API and the
    web both offer it.  In rials even for a reader who reads tomans: the notice is the
    legal record."""
    with i18n.speaking(language, i18n.reader().zone):
        body = notice_pdf(notice)
    return PrintedNotice(body, notice_file_name(notice))


def pdf_headers(file_name: str) -> dict[str, str]:
    """A downloaded PDF's response headers: an attachment, never cached (it is a firm's)."""
    return {
        "Content-Disposition": f'attachment; filename="{file_name}"',
        "Cache-Control": "no-store",
    }
