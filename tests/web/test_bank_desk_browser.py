"""The bank's round trip in Chromium: the payment file out, the bank's camt.054 in,
the report of what was confirmed and what was not applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tahator.demo_bank import Line, camt_file
from tests.web.conftest import House, uvicorn_serving
from tests.web.test_bank_desk_pages import PK_IBAN, _run, _status
from tests.web.test_desks_browser import chromium, sign_in  # noqa: F401  (fixture)


def test_the_bank_does_the_round_trip(house: House, chromium: Any, tmp_path: Path) -> None:  # noqa: F811
    pending = _run(house)
    collection = next(i for i in pending if i["kind"] == "collection" and i["country"] == "PK")
    payout = next(i for i in pending if i["kind"] == "payout" and i["country"] == "PK")
    with uvicorn_serving(house.url) as base:
        context = chromium.new_context(accept_downloads=True)
        page = sign_in(context, base, "bank")
        page.click("nav.nav a[href='/bank']")
        page.wait_for_url(base + "/bank")
        button = f"#pain-{payout['run_id']}-PK"
        assert page.locator(button).is_visible()
        with page.expect_download() as download:
            page.click(button)
        saved = tmp_path / "pain.xml"
        download.value.save_as(saved)
        assert payout["reference"] in saved.read_text()
        # Sent once: the desk now offers that file again by its message id, not a new one.
        page.goto(base + "/bank")
        assert page.locator(button).count() == 0
        with page.expect_download() as again:
            page.click("#payment-files a[href$='.xml']")
        assert again.value.suggested_filename == download.value.suggested_filename
        statement = tmp_path / "camt054.xml"
        statement.write_bytes(
            camt_file(
                "BROWSER-1",
                PK_IBAN,
                [
                    Line(collection["local_amount"], "PKR", reference=collection["reference"]),
                    Line(
                        payout["local_amount"],
                        "PKR",
                        credit=False,
                        end_to_end_id=payout["reference"],
                    ),
                    Line("7.00", "PKR", reference="RF18TAH99C999", bank_reference="B-9"),
                ],
            )
        )
        page.set_input_files("#camt-file", str(statement))
        page.click("#import-statement")
        page.wait_for_url("**/bank/statements/*/BROWSER-1?imported=new")
        main = page.inner_text("main")
        assert "Statement imported." in main
        assert "2 confirmed" in main
        assert "1 not applied" in main
        assert "B-9" in page.inner_text("#unmatched")
        # Uploading it again: the stored report, nothing changed.
        page.goto(base + "/bank")
        page.set_input_files("#camt-file", str(statement))
        page.click("#import-statement")
        page.wait_for_url("**/bank/statements/*/BROWSER-1?imported=again")
        assert page.locator("#already-imported").is_visible()
        context.close()
    assert _status(house, collection["id"]) == "confirmed"
    assert _status(house, payout["id"]) == "confirmed"
