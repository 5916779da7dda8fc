"""A firm's set-off notice for a clearing run: what the run set off against what, in
each obligation's currency and the unit of account, the firm's instructions, the run's
rates and its audit record; printed as a PDF in English and Persian."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tahator import i18n
from tahator.domain.errors import NotFoundError
from tahator.io import pdf
from tahator.io.notice import notice_html, notice_pdf
from tahator.services import audit, clearing
from tahator.services.notice import Role, setoff_notice
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    firms_file,
    import_firms_file,
    import_obligations_file,
    obligations_file,
)
from tests.pdf_file import pdf_info, pdf_pages

FIRMS = {"PK-1": "PK", "PK-2": "PK", "PK-3": "PK", "IR-1": "IR", "IR-2": "IR"}
AS_OF = date(2026, 7, 1)
OBLIGATIONS = [
    ("INV-1", "PK-1", "IR-1", "1000.00", "USD"),
    ("INV-2", "IR-1", "PK-2", "800.00", "USD"),
    ("INV-3", "PK-2", "PK-1", "600.00", "USD"),
    ("INV-5", "PK-1", "IR-2", "280000.00", "PKR"),
    ("INV-6", "IR-2", "PK-1", "50000000", "IRR"),
]


def fill_and_run(session: Session, folder: Path) -> None:
    """Five firms; a cycle in dollars and one in rupees and rials; one run."""
    import_firms_file(session, firms_file(folder / "firms.csv", FIRMS), "test")
    import_obligations_file(session, obligations_file(folder / "o.csv", OBLIGATIONS), "test")
    clearing.run_clearing(session, "operator", AS_OF, today=AS_OF)


@pytest.fixture
def ran(engine: Engine, tmp_path: Path) -> Iterator[Session]:  # noqa: F811
    with transaction(engine) as session:
        fill_and_run(session, tmp_path)
    with transaction(engine) as session:
        yield session


def laid_out_text(html: str) -> str:
    """The text of every box of the page as WeasyPrint lays it out for the PDF."""

    def texts(box: object) -> Iterator[str]:
        text = getattr(box, "text", None)
        if isinstance(text, str):
            yield text
        for child in getattr(box, "children", None) or []:
            yield from texts(child)

    document = pdf.render(html)
    return "\n".join(t for page in document.pages for t in texts(page._page_box))


def test_the_notice_lists_what_the_run_set_off_of_the_firm(ran: Session) -> None:
    notice = setoff_notice(ran, 1, "PK-1")
    assert (notice.firm.id, notice.firm.name, notice.firm.country) == ("PK-1", "PK-1 Trading", "PK")
    assert (notice.run.run_id, notice.run.as_of, notice.run.status) == (1, AS_OF, "completed")
    rows = [
        (n.reference, n.role, n.counterparty, n.currency, n.before.minor, n.setoff.minor)
        for n in notice.lines
    ]
    assert rows == [
        ("INV-1", Role.DEBTOR, "IR-1", "USD", 100000, 60000),
        ("INV-3", Role.CREDITOR, "PK-2", "USD", 60000, 60000),
        ("INV-5", Role.DEBTOR, "IR-2", "PKR", 28000000, 1277145),
        ("INV-6", Role.CREDITOR, "IR-2", "IRR", 5000000000, 4999500000),
    ]
    for line in notice.lines:
        assert line.before.minor - line.setoff.minor == line.after.minor
    assert notice.lines[0].counterparty_name == "IR-1 Trading"
    totals = {t.currency: (t.owed_by_firm.minor, t.owed_to_firm.minor) for t in notice.totals}
    assert totals == {"IRR": (0, 4999500000), "PKR": (1277145, 0), "USD": (60000, 60000)}
    assert notice.setoff_by_firm.minor == sum(
        n.setoff_unit.minor for n in notice.lines if n.role == Role.DEBTOR
    )
    assert (notice.setoff_by_firm.minor, notice.setoff_to_firm.minor) == (64545, 64545)
    (collection,) = notice.instructions
    assert collection.kind == "collection"
    assert collection.reference.startswith("RF")
    assert "TAH1C" in collection.reference
    assert collection.local_amount.currency == "PKR"
    rates = {r.currency: str(r.per_unit_of_account) for r in notice.rates}
    assert rates["PKR"] == "281.00"
    assert rates["IRR"] == "1100000.00"
    record = ran.scalars(select(AuditRecord).where(AuditRecord.subject == "clearing_run:1")).one()
    assert notice.record is not None
    assert (notice.record.record_id, notice.record.hash) == (record.id, record.hash)
    assert notice.record.previous_hash == record.previous_hash
    assert notice.record.notices_digest
    assert len(notice.record.notices_digest) == 64
    assert notice.record.journal_digest
    assert notice.record.journal_digest in record.after
    assert audit.check_chain(ran).ok


def test_a_firm_with_nothing_set_off_gets_a_notice_saying_so(ran: Session) -> None:
    notice = setoff_notice(ran, 1, "PK-3")
    assert notice.lines == ()
    assert notice.totals == ()
    assert notice.instructions == ()
    assert notice.setoff_by_firm.minor == 0
    html = notice_html(notice)
    assert "set off nothing of this firm" in laid_out_text(html)
    assert pdf_pages(notice_pdf(notice)) == 1


def test_an_unknown_run_or_firm_is_not_found(ran: Session) -> None:
    with pytest.raises(NotFoundError, match="no clearing run 9"):
        setoff_notice(ran, 9, "PK-1")
    with pytest.raises(NotFoundError, match="no firm XX-9"):
        setoff_notice(ran, 1, "XX-9")


def test_the_english_pdf_opens_and_shows_the_runs_figures(ran: Session) -> None:
    notice = setoff_notice(ran, 1, "PK-1")
    assert notice.record is not None
    data = notice_pdf(notice)
    assert data.startswith(b"%PDF-")
    assert pdf_pages(data) >= 1
    info = pdf_info(data)
    assert info["Title"] == "Set-off notice: clearing run 1, PK-1"
    assert notice.record.hash in info["Subject"]
    assert info["Subject"].startswith(f"Run 1; firm PK-1; audit record {notice.record.record_id};")
    text = laid_out_text(notice_html(notice))
    for shown in (
        "PK-1 Trading",
        "2026-07-01",
        "600.00 USD",  # INV-3 set off in whole
        "12,771.45 PKR",  # INV-5's part, in rupees
        "2,67,228.55 PKR",  # what remains of it, in lakh groups
        "645.45 USD",  # each side in the unit of account
        "281.00",  # the run's rupee rate
        "1,100,000.00",  # and its rial rate
        notice.instructions[0].reference,
        notice.record.hash,
        "tahator audit verify",
    ):
        assert shown in text, shown


def test_the_persian_pdf_has_persian_digits_and_solar_hijri_dates(ran: Session) -> None:
    notice = setoff_notice(ran, 1, "PK-1")
    assert notice.record is not None
    with i18n.speaking("fa", "Asia/Tehran"):
        html = notice_html(notice)
        data = notice_pdf(notice)
    assert data.startswith(b"%PDF-")
    assert 'lang="fa" dir="rtl"' in html
    text = laid_out_text(html)
    for shown in (
        "۱۴۰۵/۰۴/۱۰ (2026-07-01)",  # as of, Solar Hijri with the Gregorian
        "۶۰۰٫۰۰ USD",
        "۱۲٬۷۷۱٫۴۵ PKR",
        "۲۸۱٫۰۰",
        "۱٬۱۰۰٬۰۰۰٫۰۰",
        notice.record.hash,  # the hash stays as the auditor's tools print it
    ):
        assert shown in text, shown
    assert "600.00 USD" not in text


def test_the_urdu_pdf_opens(ran: Session) -> None:
    with i18n.speaking("ur"):
        data = notice_pdf(setoff_notice(ran, 1, "IR-2"))
    assert data.startswith(b"%PDF-")
    assert pdf_pages(data) >= 1
