"""A corridor's barter policy as plain data, validated (DESIGN §4).

The policy lives in a TOML file per corridor; ``parse_policy`` turns its parsed
content into a ``Policy`` or names every field that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tahator.domain.corridor import is_zone
from tahator.domain.errors import InputError, Problem

_HS_PREFIX = re.compile(r"[0-9]{2,10}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_KIND = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}
MAX_WINDOW_DAYS = 3650


class Sequencing(StrEnum):
    SIMULTANEOUS = "simultaneous"
    """Imports and exports in any order (since October 2025)."""
    IMPORT_FIRST = "import_first"
    """No export before an import has been declared (the 2023 rule)."""


class Direction(StrEnum):
    IMPORT = "import"
    EXPORT = "export"


@dataclass(frozen=True)
class PriceBand:
    """The range of unit values (unit of account per ``unit``) expected for an HS prefix."""

    hs: str
    unit: str
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class Policy:
    corridor: str
    name: str
    home_country: str
    source: str
    zone: str
    """The corridor's business time zone (IANA): business dates and deadlines are dates there."""
    partners: frozenset[str]
    require_active_taxpayer: bool
    require_psw_subscription: bool
    state_enterprises_eligible: bool
    consortium_allowed: bool
    consortium_liability: str
    every_member_eligible: bool
    consortium_one_country: bool
    sequencing: Sequencing
    window_days: int
    reconciliation: str
    tolerance: Decimal
    """Share of the import value that exports may differ by and still balance."""
    prohibited: Mapping[Direction, tuple[str, ...]]
    price_bands: tuple[PriceBand, ...]

    def prohibited_prefix(self, direction: Direction, hs: str) -> str | None:
        """The prohibited HS prefix that ``hs`` falls under in ``direction``, if any."""
        return next((p for p in self.prohibited[direction] if hs.startswith(p)), None)

    def band_for(self, hs: str) -> PriceBand | None:
        """The price band of the longest HS prefix matching ``hs``."""
        matching = [band for band in self.price_bands if hs.startswith(band.hs)]
        return max(matching, key=lambda band: len(band.hs), default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "corridor": self.corridor,
            "name": self.name,
            "home_country": self.home_country,
            "source": self.source,
            "zone": self.zone,
            "partners": sorted(self.partners),
            "eligibility": {
                "require_active_taxpayer": self.require_active_taxpayer,
                "require_psw_subscription": self.require_psw_subscription,
                "state_enterprises_eligible": self.state_enterprises_eligible,
            },
            "consortium": {
                "allowed": self.consortium_allowed,
                "liability": self.consortium_liability,
                "every_member_eligible": self.every_member_eligible,
                "one_country": self.consortium_one_country,
            },
            "sequencing": str(self.sequencing),
            "balancing": {
                "window_days": self.window_days,
                "reconciliation": self.reconciliation,
                "tolerance": str(self.tolerance),
            },
            "prohibited": {str(d): list(p) for d, p in self.prohibited.items()},
            "price_bands": [
                {"hs": b.hs, "unit": b.unit, "min": str(b.low), "max": str(b.high)}
                for b in self.price_bands
            ],
        }


def parse_policy(data: Mapping[str, Any], source: str = "policy") -> Policy:
    """A ``Policy`` from parsed TOML; ``InputError`` names every missing or bad field."""
    problems: list[Problem] = []
    missing: set[str] = set()

    def get(path: str, kind: type, default: Any = None) -> Any:
        node: Any = data
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not None:
                    return default
                problems.append(Problem("is missing", source, field=path))
                missing.add(path)
                return kind()
            node = node[part]
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            problems.append(Problem(f"must be {_KIND[kind]}, not {node!r}", source, field=path))
            missing.add(path)  # reported: no further checks on it
            return kind()
        return node

    def decimal(path: str) -> Decimal:
        text = get(path, str)
        if path in missing:
            return Decimal(0)
        try:
            value = Decimal(text)
        except InvalidOperation:
            problems.append(Problem(f"{text!r} is not a decimal number", source, field=path))
            return Decimal(0)
        if not value.is_finite() or value < 0:
            problems.append(Problem(f"{text!r} must be a non-negative number", source, field=path))
            return Decimal(0)
        return value

    def codes(path: str) -> tuple[str, ...]:
        values = get(path, list)
        for value in values:
            if not (isinstance(value, str) and _HS_PREFIX.fullmatch(value)):
                problems.append(
                    Problem(f"{value!r} is not an HS code or prefix", source, field=path)
                )
        return tuple(str(v) for v in values)

    sequencing_text = get("sequencing.rule", str)
    try:
        sequencing = Sequencing(sequencing_text)
    except ValueError:
        if "sequencing.rule" not in missing:
            problems.append(
                Problem(
                    f"{sequencing_text!r} must be 'simultaneous' or 'import_first'",
                    source,
                    field="sequencing.rule",
                )
            )
        sequencing = Sequencing.SIMULTANEOUS
    window = get("balancing.window_days", int)
    if not 0 < window <= MAX_WINDOW_DAYS and "balancing.window_days" not in missing:
        problems.append(
            Problem(f"must be 1 to {MAX_WINDOW_DAYS} days", source, field="balancing.window_days")
        )
    tolerance = decimal("balancing.tolerance")
    if tolerance >= 1 and "balancing.tolerance" not in missing:
        problems.append(Problem("must be a share below 1", source, field="balancing.tolerance"))
    partners = get("partners.allowed", list)
    for partner in partners:
        if not (isinstance(partner, str) and _COUNTRY.fullmatch(partner)):
            problems.append(
                Problem(f"{partner!r} is not a country code", source, field="partners.allowed")
            )
    bands = []
    for number, band in enumerate(get("price_bands", list, default=[]), start=1):
        path = f"price_bands[{number}]"
        if not isinstance(band, Mapping):
            problems.append(Problem("must be a table", source, field=path))
            continue
        try:
            low, high = Decimal(str(band["min"])), Decimal(str(band["max"]))
            entry = PriceBand(str(band["hs"]), str(band["unit"]), low, high)
        except (KeyError, InvalidOperation):
            problems.append(Problem("needs hs, unit, min and max", source, field=path))
            continue
        if not (
            _HS_PREFIX.fullmatch(entry.hs)
            and low.is_finite()
            and high.is_finite()
            and 0 <= low <= high
        ):
            problems.append(Problem("needs a numeric hs and 0 ≤ min ≤ max", source, field=path))
        bands.append(entry)
    zone = get("corridor.zone", str)
    if zone and not is_zone(zone):
        problems.append(
            Problem(f"{zone!r} is not an IANA time zone", source, field="corridor.zone")
        )
    policy = Policy(
        corridor=get("corridor.id", str),
        name=get("corridor.name", str),
        home_country=get("corridor.home_country", str),
        source=get("corridor.source", str, default=source),
        zone=zone,
        partners=frozenset(str(p) for p in partners),
        require_active_taxpayer=get("eligibility.require_active_taxpayer", bool),
        require_psw_subscription=get("eligibility.require_psw_subscription", bool),
        state_enterprises_eligible=get("eligibility.state_enterprises_eligible", bool),
        consortium_allowed=get("consortium.allowed", bool),
        consortium_liability=get("consortium.liability", str),
        every_member_eligible=get("consortium.every_member_eligible", bool),
        consortium_one_country=get("consortium.one_country", bool),
        sequencing=sequencing,
        window_days=window,
        reconciliation=get("balancing.reconciliation", str),
        tolerance=tolerance,
        prohibited={
            Direction.IMPORT: codes("goods.import_prohibited"),
            Direction.EXPORT: codes("goods.export_prohibited"),
        },
        price_bands=tuple(bands),
    )
    if problems:
        raise InputError(problems)
    return policy
