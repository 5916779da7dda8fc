"""A serving process keeps the templates it started with: an upgrade in place (new
files beside the running Python) must not put a newer template before older code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tahator.asgi import create_app
from tahator.web import core


def test_the_app_compiles_every_template_and_never_reads_them_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    create_app(f"sqlite:///{tmp_path}/t.db")

    def unreadable(*_: object) -> None:
        raise AssertionError("a template was read from disk after start")

    assert core.templates.env.auto_reload is False  # a changed file is not read again
    loader = core.templates.env.loader
    assert loader is not None
    monkeypatch.setattr(loader, "get_source", unreadable)
    names = core.templates.env.list_templates(extensions=["html"])
    assert "dashboard.html" in names
    for name in names:
        assert core.templates.env.get_template(name).render is not None
