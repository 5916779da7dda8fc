"""The corridor's barter policy file (TOML), validated by ``domain.policy.parse_policy``."""

from __future__ import annotations

from pathlib import Path

from tahator.domain.policy import Policy, parse_policy
from tahator.io.settings import chosen_file, load_settings

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policies" / "pk-ir.toml"
POLICY_VARIABLE = "TAHATOR_POLICY"


def policy_path(explicit: Path | None = None) -> Path:
    """``explicit``, else ``$TAHATOR_POLICY``, else the shipped Pakistan–Iran policy."""
    return chosen_file(explicit, POLICY_VARIABLE, DEFAULT_POLICY)


def load_policy(path: Path | None = None) -> Policy:
    """The validated barter policy; ``InputError`` names the file and every bad field."""
    return load_settings(policy_path(path), parse_policy, "the policy")
