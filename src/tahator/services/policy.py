"""Loading the corridor's barter policy from its TOML file."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Policy, parse_policy

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policies" / "pk-ir.toml"
POLICY_VARIABLE = "TAHATOR_POLICY"
T = TypeVar("T")


def chosen_file(explicit: Path | None, variable: str, default: Path) -> Path:
    """``explicit``, else the file named by ``$variable``, else the shipped ``default``."""
    if explicit is not None:
        return explicit
    from_environment = os.environ.get(variable)
    return Path(from_environment) if from_environment else default


def policy_path(explicit: Path | None = None) -> Path:
    """``explicit``, else ``$TAHATOR_POLICY``, else the shipped Pakistan–Iran policy."""
    return chosen_file(explicit, POLICY_VARIABLE, DEFAULT_POLICY)


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


def load_policy(path: Path | None = None) -> Policy:
    """The validated barter policy; ``InputError`` names the file and every bad field."""
    return load_settings(policy_path(path), parse_policy, "the policy")
