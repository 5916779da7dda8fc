"""A corridor's settings files (TOML): which file, read and parsed once per change."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from tahator.domain.errors import InputError, Problem

T = TypeVar("T")


def chosen_file(explicit: Path | None, variable: str, default: Path) -> Path:
    """``explicit``, else the file named by ``$variable``, else the shipped ``default``."""
    if explicit is not None:
        return explicit
    from_environment = os.environ.get(variable)
    return Path(from_environment) if from_environment else default


@cache
def _load(path: Path, modified: float, parse: Callable[[dict[str, Any], str], T], what: str) -> T:
    del modified  # part of the cache key: an edited file is read again
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise InputError([Problem(f"cannot read {what}: {error.strerror}", str(path))]) from error
    except tomllib.TOMLDecodeError as error:
        raise InputError([Problem(f"not valid TOML: {error}", str(path))]) from error
    parsed: T = parse(data, str(path))
    return parsed


def load_settings(path: Path, parse: Callable[[dict[str, Any], str], T], what: str) -> T:
    """A corridor's settings file parsed by ``parse``, read again only when it changes;
    ``InputError`` names the file and every bad field."""
    try:
        modified = path.stat().st_mtime
    except OSError as error:
        raise InputError([Problem(f"cannot read {what}: {error.strerror}", str(path))]) from error
    loaded: T = _load(path, modified, parse, what)
    return loaded
