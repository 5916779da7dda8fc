"""Lists a page at a time (``services.paging``)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.orm import Session

from tahator.services.paging import Window, page_of, paged

metadata = MetaData()
firms = Table("firms", metadata, Column("id", String, primary_key=True), Column("n", Integer))


def test_a_window_is_made_valid_never_an_error() -> None:
    window = Window(page=-3, size=7, sort="nope", descending=True, search="  x  ").within(["a"])
    assert window == Window(1, 50, "", False, "x")


def test_sql_lists_page_sort_and_search_case_insensitively() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        session.execute(
            insert(firms), [{"id": f"PK-Kavir-{i:03d}", "n": i % 7} for i in range(120)]
        )
        query = select(firms.c.id)
        sorts = {"id": firms.c.id, "n": firms.c.n}
        page = paged(
            session, query, Window(page=3, size=50, sort="id"), sorts, tiebreak=[firms.c.id]
        )
        assert (page.total, page.pages, page.first, page.last) == (120, 3, 101, 120)
        assert page.rows[0] == "PK-Kavir-100"
        found = paged(session, query, Window(search="kavir-01"), sorts, [firms.c.id], [firms.c.id])
        assert found.total == 10
        # A search for a LIKE wildcard finds the character, not everything.
        assert paged(session, query, Window(search="%"), sorts, [firms.c.id]).total == 0
        down = paged(
            session,
            select(firms.c.id, firms.c.n),
            Window(sort="n", descending=True),
            sorts,
            tiebreak=[firms.c.id],
        )
        assert [row.n for row in down.rows[:3]] == [6, 6, 6]


def test_a_search_finds_a_name_typed_with_the_other_yeh_and_kaf() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        session.execute(insert(firms), [{"id": "كوير علي", "n": 1}, {"id": "Lahore", "n": 2}])
        sorts = {"id": firms.c.id}
        assert paged(
            session, select(firms.c.id), Window(search="کویر"), sorts, [firms.c.id]
        ).rows == ("كوير علي",)
    items = [("شركت كوير",), ("Lahore",)]
    found = page_of(items, Window(search="شرکت"), {"n": lambda i: i[0]}, lambda i: i[0])
    assert found.total == 1


def test_lists_in_memory_page_like_sql_lists() -> None:
    items = [("Kavir", 3), ("kashan", 1), ("Lahore", 2)]
    page = page_of(items, Window(size=25, sort="n"), {"n": lambda i: i[1]}, lambda i: i[0])
    assert [i[0] for i in page.rows] == ["kashan", "Lahore", "Kavir"]
    found = page_of(items, Window(search="KA"), {"n": lambda i: i[1]}, lambda i: i[0])
    assert found.total == 2
