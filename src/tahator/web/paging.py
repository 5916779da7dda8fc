"""A list page's window from its query string, and links that change one part of it.

``?page=2&size=100&sort=-amount&q=kavir``: ``sort`` is a key the list names, ``-`` in
front for descending.  Bad values fall back to the defaults: a link never errors.
The templates' ``pager``, ``sort_header`` and ``search_box`` macros (``macros.html``)
write the controls with ``with_query``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request

from tahator.services.paging import DEFAULT_SIZE, Window
from tahator.web.core import templates


def _int(text: str | None, default: int) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default


def window(request: Request, prefix: str = "") -> Window:
    """The window a list's query parameters ask for (``prefix`` tells two lists on one
    page apart: ``n_page``, ``i_page``).  Check it with ``Window.within``."""
    params = request.query_params
    sort = params.get(f"{prefix}sort", "")
    return Window(
        page=_int(params.get(f"{prefix}page"), 1),
        size=_int(params.get(f"{prefix}size"), DEFAULT_SIZE),
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        search=params.get(f"{prefix}q", ""),
    )


def with_query(here: str, **changes: object) -> str:
    """``here`` (a path and query) with some parameters changed; ``None`` removes one.
    A change of sort, size or search starts again at page 1."""
    parts = urlsplit(here)
    params = dict(parse_qsl(parts.query, keep_blank_values=False))
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
        for part in ("sort", "size", "q"):
            if key.endswith(part):
                params.pop(key[: -len(part)] + "page", None)
    query = urlencode(params)
    return parts.path + (f"?{query}" if query else "")


templates.env.globals["with_query"] = with_query
