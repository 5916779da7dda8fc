"""Lists a page at a time: which rows a user asks for (a ``Window``) and what comes
back (a ``Page``).  Every list on a page or in the API is paged on the server, sorted
by a column the list names, and searched case-insensitively by id or name.

``paged`` applies a window to a SQL query (the database counts, sorts and cuts);
``page_of`` to rows already in memory (a run's notices, computed from its tables).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

Row = TypeVar("Row")
Item = TypeVar("Item")

SIZES = (25, 50, 100, 200)
"""The page sizes offered; a bigger one is not served (use the CSV export)."""
DEFAULT_SIZE = 50
MAX_SEARCH = 100


def row_id(text: str) -> int | None:
    """``text`` as a stored row's id (1 to 2**63 - 1, ASCII digits only: ``"²"`` is a
    digit to ``str.isdigit`` but not a number), or ``None``."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number < 2**63 else None


@dataclass(frozen=True)
class Window:
    """A page of a list: its number (from 1), its size, the sort key (one the list
    names; ``""`` is the list's own order), the direction and a search text."""

    page: int = 1
    size: int = DEFAULT_SIZE
    sort: str = ""
    descending: bool = False
    search: str = ""

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def within(self, sorts: Sequence[str]) -> Window:
        """This window made valid: a page from 1, a size offered, a known sort key,
        the search trimmed (a list never errors on what a link asked for)."""
        size = self.size if self.size in SIZES else DEFAULT_SIZE
        sort = self.sort if self.sort in sorts else ""
        return Window(
            max(1, min(self.page, 10**6)),
            size,
            sort,
            self.descending and bool(sort),
            self.search.strip()[:MAX_SEARCH],
        )


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a list, and how many rows the whole (searched) list has."""

    rows: tuple[Row, ...]
    total: int
    window: Window

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.window.size))

    @property
    def first(self) -> int:
        """The 1-based position of the first row shown (0 when none)."""
        return self.window.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.window.offset + len(self.rows)


SAME_LETTERS = (("ي", "ی"), ("ى", "ی"), ("ك", "ک"))
"""Arabic letters a Persian or Urdu keyboard types differently (yeh, kaf): a search
finds a name whichever was stored."""


def _folded(text: str) -> str:
    for arabic, persian in SAME_LETTERS:
        text = text.replace(arabic, persian)
    return text.lower()


def _contains(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    folded: ColumnElement[Any] = func.lower(column)
    for arabic, persian in SAME_LETTERS:
        folded = func.replace(folded, arabic, persian)
    return folded.contains(_folded(text), autoescape=True)


def paged(
    session: Session,
    query: Select[Any],
    window: Window,
    sorts: Mapping[str, ColumnElement[Any] | tuple[ColumnElement[Any], ...]],
    searched: Sequence[ColumnElement[Any]] = (),
    tiebreak: Sequence[ColumnElement[Any]] = (),
) -> Page[Any]:
    """The rows of ``query`` that ``window`` asks for.

    ``sorts`` maps the list's sort keys to columns (or several: amounts sort by their
    currency first, never minor units of one currency against another's);
    ``searched`` are the columns a search looks in (case-insensitive, anywhere in the
    text); ``tiebreak`` keeps the
    order stable between pages (a unique column: the id).  Rows are what the query
    selects (``session.execute(...).all()``, or entities for a one-entity select)."""
    window = window.within(list(sorts))
    if window.search and searched:
        query = query.where(or_(*(_contains(column, window.search) for column in searched)))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if window.sort:  # else the query's own order, made stable by the tiebreak
        key = sorts[window.sort]
        columns = key if isinstance(key, tuple) else (key,)
        query = query.order_by(None).order_by(
            *(column.desc() if window.descending else column.asc() for column in columns)
        )
    query = query.order_by(*tiebreak)
    query = query.offset(window.offset).limit(window.size)
    single = len(query.selected_columns) == 1
    rows = session.scalars(query).all() if single else session.execute(query).all()
    return Page(tuple(rows), total, window)


def page_of(
    items: Sequence[Item],
    window: Window,
    sorts: Mapping[str, Callable[[Item], Any]],
    text: Callable[[Item], str] | None = None,
) -> Page[Item]:
    """``window`` over rows in memory: ``sorts`` maps keys to sort-key functions,
    ``text`` gives the words a search looks in (case-insensitively)."""
    window = window.within(list(sorts))
    rows = list(items)
    if window.search and text is not None:
        needle = _folded(window.search).casefold()
        rows = [row for row in rows if needle in _folded(text(row)).casefold()]
    if window.sort:
        rows.sort(key=sorts[window.sort], reverse=window.descending)
    return Page(tuple(rows[window.offset : window.offset + window.size]), len(rows), window)
