"""The corridor's border markets and trade target (TOML), validated by
``domain.border.parse_trade_policy``."""

from __future__ import annotations

from pathlib import Path

from tahator.domain.border import TradePolicy, parse_trade_policy
from tahator.io.settings import chosen_file, load_settings

DEFAULT_MARKETS = Path(__file__).resolve().parent.parent / "policies" / "pk-ir-markets.toml"
MARKETS_VARIABLE = "TAHATOR_MARKETS"


def markets_path() -> Path:
    """``$TAHATOR_MARKETS``, else the shipped Pakistan–Iran markets."""
    return chosen_file(None, MARKETS_VARIABLE, DEFAULT_MARKETS)


def load_trade_policy() -> TradePolicy:
    """The validated markets and target; ``InputError`` names the file and every bad field."""
    return load_settings(markets_path(), parse_trade_policy, "the markets file")
