"""What runs read of the corridor, rebuilt from the audit log (``ledger verify``).

A run records the rates, credit lines and limits it read; the replay re-runs it on
them, so they must themselves be proved: they are checked against the corridor as
seeded (or sealed) and every audited change since (``corridor.rate``,
``corridor.credit_line``, ``corridor.settings``).  A rate or line changed in the
database without an audit record shows as a run that read something the history
never said, or as a row that differs from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from tahator.domain.run import RunInputs

ACTIONS = ("corridor.seed", "corridor.rate", "corridor.credit_line", "corridor.settings")
"""The audit actions that set what runs read of the corridor."""


@dataclass
class History:
    """The corridor as its audit records say, up to the record being replayed."""

    known: bool = False
    """Whether a seed or seal record started the history."""
    rates: dict[str, dict[str, str]] = field(default_factory=dict)
    """Currency → valid-from date (ISO) → rate."""
    lines: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    """Country → (credit line, share)."""
    settings: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    """Countries' currencies and currencies' digits, as seeded (absent from older seeds)."""

    def start(self, state: Mapping[str, Any]) -> None:
        """Begin from a recorded state (``proof.corridor_state``)."""
        self.known = True
        self.rates = {}
        for currency, valid_from, rate in state.get("rates") or []:
            self.rates.setdefault(str(currency), {})[str(valid_from)] = str(rate)
        self.lines = {
            str(c): (int(line), None if share is None else str(share))
            for c, (line, share) in (state.get("credit_lines") or {}).items()
        }
        self.settings = dict(state.get("settings") or {})
        self.fixed = {key: state[key] for key in ("countries", "digits") if key in state}

    def apply(self, action: str, subject: str, after: Any) -> None:
        """One audited change (``after`` is the record's document)."""
        if not isinstance(after, dict):
            return
        if action == "corridor.seed" and isinstance(after.get("corridor"), dict):
            self.start(after["corridor"])
        elif action == "corridor.rate":
            _, currency, valid_from = subject.split(":", 2)
            self.rates.setdefault(currency, {})[valid_from] = str(after["rate"])
        elif action == "corridor.credit_line":
            share = after.get("credit_line_share")
            self.lines[subject.split(":", 1)[1]] = (
                int(after["credit_line"]),
                None if share is None else str(share),
            )
        elif action == "corridor.settings":
            self.settings.update(after)

    def rate_on(self, currency: str, day: date) -> str | None:
        valid = [d for d in self.rates.get(currency, {}) if d <= day.isoformat()]
        return self.rates[currency][max(valid)] if valid else None


def _same_rate(recorded: str | None, read: Decimal) -> bool:
    try:
        return recorded is not None and Decimal(recorded) == read
    except InvalidOperation:
        return False


def input_breaks(history: History, name: str, inputs: RunInputs) -> list[str]:
    """What run ``name`` read of the corridor that its audited history does not say."""
    if not history.known:
        return [
            f"{name}: the corridor it read has no audited starting point "
            "(no corridor.seed or ledger.seal record; run `tahator audit seal`)"
        ]
    breaks = []
    for currency, rate in sorted(inputs.rates.items()):
        if currency == inputs.unit_of_account:
            continue
        recorded = history.rate_on(currency, inputs.as_of)
        if not _same_rate(recorded, rate.per_unit_of_account):
            breaks.append(
                f"{name}: it read {currency} at {rate.per_unit_of_account}, the audited rates "
                f"say {recorded}"
            )
    lines = {c: line for c, (line, _) in history.lines.items()}
    shares = {c: Fraction(share) for c, (_, share) in history.lines.items() if share is not None}
    if dict(inputs.credit_lines) != lines or dict(inputs.credit_line_shares) != shares:
        breaks.append(f"{name}: the credit lines it read differ from the audited credit lines")
    for key in ("max_obligation", "setoff_before_due"):
        if key in history.settings and getattr(inputs, key) != history.settings[key]:
            breaks.append(
                f"{name}: it read {key} {getattr(inputs, key)}, the audited settings say "
                f"{history.settings[key]}"
            )
    return breaks


def state_breaks(history: History, state: Mapping[str, Any]) -> list[str]:
    """Today's corridor rows (``proof.corridor_state``) that its audited history does
    not say, each named."""
    if not history.known:
        return [
            "the corridor has no audited starting point (no corridor.seed or ledger.seal "
            "record; run `tahator audit seal`)"
        ]
    breaks = []
    stored: dict[tuple[str, str], str] = {
        (str(c), str(d)): str(rate) for c, d, rate in state.get("rates") or []
    }
    audited = {(c, d): rate for c, by_day in history.rates.items() for d, rate in by_day.items()}
    for currency, day in sorted(set(stored) | set(audited)):
        said, found = audited.get((currency, day)), stored.get((currency, day))
        if found is None or said is None or Decimal(found) != Decimal(said):
            breaks.append(
                f"fx_rates ({currency}, {day}): rate is {found}, the audited rates say {said}"
            )
    for country, (line, share) in sorted((state.get("credit_lines") or {}).items()):
        said_line = history.lines.get(country)
        if said_line != (line, share):
            breaks.append(
                f"clearing_accounts {country}: credit line is {line} (share {share}), the "
                f"audited credit lines say {said_line}"
            )
    for key, seeded in sorted(history.fixed.items()):
        now = state.get(key) or {}
        table, column = ("countries", "currency") if key == "countries" else ("currencies", key)
        breaks += [
            f"{table} {code}: {column} is {now.get(code)}, the seed says {seeded.get(code)}"
            for code in sorted(set(seeded) | set(now))
            if seeded.get(code) != now.get(code)
        ]
    for key, value in sorted((state.get("settings") or {}).items()):
        if key in history.settings and history.settings[key] != value:
            breaks.append(
                f"corridor: {key} is {value}, the audited settings say {history.settings[key]}"
            )
    return breaks
