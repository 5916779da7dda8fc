"""tahator clearing notice: a firm's set-off notice for a run as a PDF file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tahator.services import corridor
from tahator.store import migrate
from tahator.store.database import make_engine, transaction
from tests.conftest import Cli
from tests.pdf_file import pdf_info, pdf_objects, pdf_pages
from tests.services.test_notice import fill_and_run


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
        fill_and_run(session, tmp_path)
    engine.dispose()
    return url


def test_the_notice_is_written_as_a_pdf_in_the_language_asked(
    cli: Cli, db: str, tmp_path: Path
) -> None:
    out_file = tmp_path / "notices" / "pk-1.pdf"
    out_file.parent.mkdir()
    code, out, err = cli(
        "--db", db, "clearing", "notice", "--run", "1", "--firm", "PK-1", "-o", out_file
    )
    assert code == 0, err
    assert out == (
        f"set-off notice of PK-1 for clearing run 1 written to {out_file} (4 obligations set off)\n"
    )
    data = out_file.read_bytes()
    assert data.startswith(b"%PDF-")
    assert pdf_pages(data) >= 1
    assert pdf_info(data)["Title"] == "Set-off notice: clearing run 1, PK-1"
    assert "audit record" in pdf_info(data)["Subject"]
    persian = tmp_path / "fa.pdf"
    code, _, err = cli(
        "--db", db, "clearing", "notice", "--run", "1", "--firm", "PK-1", "-o", persian,
        "--language", "fa",
    )  # fmt: skip
    assert code == 0, err
    assert persian.read_bytes().startswith(b"%PDF-")
    assert b"/Lang (fa)" in pdf_objects(persian.read_bytes())
    assert b"/Lang (en)" in pdf_objects(data)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--run", "9", "--firm", "PK-1"), "no clearing run 9"),
        (("--run", "1", "--firm", "XX-9"), "no firm XX-9"),
        (("--run", "1", "--firm", "PK-1", "--language", "de"), "must be en, fa or ur"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    cli: Cli, db: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    target = tmp_path / "notice.pdf"
    code, _, err = cli("--db", db, "clearing", "notice", *args, "-o", target)
    assert code == 2
    assert message in err
    assert not target.exists()
