"""Shared test helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tahator.cli import app

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


IN_CI = os.environ.get("CI") == "true"


def absent_in_ci(present: bool, what: str) -> pytest.MarkDecorator:
    """Skip a test whose shared data is absent on a user's machine, saying so; in CI,
    where ``shared/`` is always beside the clone, run it and let it fail instead."""
    return pytest.mark.skipif(not present and not IN_CI, reason=f"{what} is absent")


class Cli:
    """Runs ``tahator`` in-process and returns exit code, stdout and stderr."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> tuple[int, str, str]:
        result = self.runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cli() -> Cli:
    return Cli()


def write(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (str as UTF-8) to ``path`` and return it."""
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path
