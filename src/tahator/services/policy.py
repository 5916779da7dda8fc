"""Loading the corridor's barter policy from its TOML file."""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Policy, parse_policy

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policies" / "pk-ir.toml"
POLICY_VARIABLE = "TAHATOR_POLICY"


def policy_path(explicit: Path | None = None) -> Path:
    """``explicit``, else ``$TAHATOR_POLICY``, else the shipped Pakistan–Iran policy."""
    if explicit is not None:
        return explicit
    from_environment = os.environ.get(POLICY_VARIABLE)
    return Path(from_environment) if from_environment else DEFAULT_POLICY


@cache
def _load(path: Path, modified: float) -> Policy:
    del modified  # part of the cache key: an edited file is read again
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise InputError(
            [Problem(f"cannot read the policy: {error.strerror}", str(path))]
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise InputError([Problem(f"not valid TOML: {error}", str(path))]) from error
    return parse_policy(data, str(path))


def load_policy(path: Path | None = None) -> Policy:
    """The validated policy; ``InputError`` names the file and every bad field."""
    chosen = policy_path(path)
    try:
        modified = chosen.stat().st_mtime
    except OSError as error:
        raise InputError(
            [Problem(f"cannot read the policy: {error.strerror}", str(chosen))]
        ) from error
    return _load(chosen, modified)
