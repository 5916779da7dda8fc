"""A corridor's barter policy as plain data, validated (DESIGN §4).

The policy lives in a TOML file per corridor; ``parse_policy`` turns its parsed
content into a ``Policy`` or names every field that is wrong.  The barter order
changes: the file holds its versions (``Rules``) with their effective dates, and
the version in force on an authorization's date governs it for life.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Any

from tahator.domain.calendar import ClearingCalendar, parse_calendar
from tahator.domain.corridor import day_problem, is_zone, parse_day
from tahator.domain.customs import NO_CUSTOMS, CustomsPolicy, parse_customs
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
class Rules:
    """One version of the barter order: in force from ``effective`` until the next one."""

    version: str
    effective: date
    source: str
    sequencing: Sequencing
    window_days: int
    tolerance: Decimal
    """Share of the plan a side's declared value may differ by and still count as reached."""
    tolerance_source: str
    hs_digits: int
    """Digits of the HS code a declaration must share with an authorized line (6: subheading)."""
    consortium_allowed: bool
    undertaking_required: bool
    """Whether applicants must give an undertaking for their foreign partners (sanctions)."""
    prohibited: Mapping[Direction, tuple[str, ...]]
    allowed: Mapping[Direction, tuple[str, ...]]
    """HS prefixes eligible per direction; empty: whatever is not prohibited."""

    def prohibited_prefix(self, direction: Direction, hs: str) -> str | None:
        """The prohibited HS prefix that ``hs`` falls under in ``direction``, if any."""
        return next((p for p in self.prohibited[direction] if hs.startswith(p)), None)

    def goods_problem(self, direction: Direction, hs: str) -> str | None:
        """Why goods of ``hs`` may not go in ``direction`` under this version, or ``None``."""
        if (prefix := self.prohibited_prefix(direction, hs)) is not None:
            return f"HS {hs} is prohibited for {direction} (HS {prefix})"
        eligible = self.allowed[direction]
        if eligible and not any(hs.startswith(p) for p in eligible):
            return f"HS {hs} is not on the {self.version} list of goods eligible for {direction}"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective": self.effective.isoformat(),
            "source": self.source,
            "sequencing": str(self.sequencing),
            "window_days": self.window_days,
            "tolerance": str(self.tolerance),
            "tolerance_source": self.tolerance_source,
            "hs_digits": self.hs_digits,
            "consortium_allowed": self.consortium_allowed,
            "undertaking_required": self.undertaking_required,
            "prohibited": {str(d): list(p) for d, p in self.prohibited.items()},
            "allowed": {str(d): list(p) for d, p in self.allowed.items()},
        }


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
    consortium_liability: str
    every_member_eligible: bool
    consortium_one_country: bool
    reconciliation: str
    price_bands: tuple[PriceBand, ...]
    versions: tuple[Rules, ...]
    """The order's versions, oldest first."""
    customs: CustomsPolicy = NO_CUSTOMS
    """Border crossings, risk rules and release-time targets (``[customs]``)."""
    calendar: ClearingCalendar | None = None
    """When the jobs run (``[calendar]``); ``None``: the corridor has no calendar."""

    def rules_on(self, day: date) -> Rules:
        """The version in force on ``day``; ``InputError`` before the first one."""
        in_force = [rules for rules in self.versions if rules.effective <= day]
        if not in_force:
            first = self.versions[0]
            raise InputError(
                [
                    Problem(
                        f"no barter order was in force on {day}: {first.source} "
                        f"took effect on {first.effective}",
                        field="date",
                    )
                ]
            )
        return in_force[-1]

    def rules(self, version: str) -> Rules:
        """The version named ``version`` (as stored on an authorization)."""
        found = next((rules for rules in self.versions if rules.version == version), None)
        if found is None:
            raise InputError([Problem(f"the policy has no version {version!r}")])
        return found

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
                "liability": self.consortium_liability,
                "every_member_eligible": self.every_member_eligible,
                "one_country": self.consortium_one_country,
            },
            "reconciliation": self.reconciliation,
            "versions": [rules.as_dict() for rules in self.versions],
            "price_bands": [
                {"hs": b.hs, "unit": b.unit, "min": str(b.low), "max": str(b.high)}
                for b in self.price_bands
            ],
            **({"calendar": self.calendar.as_dict()} if self.calendar else {}),
        } | ({"customs": self.customs.as_dict()} if self.customs is not NO_CUSTOMS else {})


def _corridor_countries(corridor_id: object) -> frozenset[str] | None:
    """The two countries a corridor's id names (``PK-IR``): those whose clearing accounts
    the calendar's business days must be open in; ``None`` for an id of another form."""
    if isinstance(corridor_id, str) and re.fullmatch(r"[A-Z]{2}-[A-Z]{2}", corridor_id):
        return frozenset(corridor_id.split("-"))
    return None


def parse_policy(data: Mapping[str, Any], source: str = "policy") -> Policy:
    """A ``Policy`` from parsed TOML; ``InputError`` names every missing or bad field."""
    problems: list[Problem] = []
    missing: set[str] = set()

    def get(path: str, kind: type, default: Any = None, root: Any = data, at: str = "") -> Any:
        node: Any = root
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is not None:
                    return default
                problems.append(Problem("is missing", source, field=at + path))
                missing.add(at + path)
                return kind()
            node = node[part]
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            problems.append(
                Problem(f"must be {_KIND[kind]}, not {node!r}", source, field=at + path)
            )
            missing.add(at + path)  # reported: no further checks on it
            return kind()
        return node

    def decimal(path: str, root: Any, at: str) -> Decimal:
        text = get(path, str, root=root, at=at)
        if at + path in missing:
            return Decimal(0)
        try:
            value = Decimal(text)
        except InvalidOperation:
            problems.append(Problem(f"{text!r} is not a decimal number", source, field=at + path))
            return Decimal(0)
        if not value.is_finite() or value < 0:
            problems.append(
                Problem(f"{text!r} must be a non-negative number", source, field=at + path)
            )
            return Decimal(0)
        return value

    def codes(path: str, root: Any, at: str, optional: bool = False) -> tuple[str, ...]:
        values = get(path, list, [] if optional else None, root=root, at=at)
        for value in values:
            if not (isinstance(value, str) and _HS_PREFIX.fullmatch(value)):
                problems.append(
                    Problem(f"{value!r} is not an HS code or prefix", source, field=at + path)
                )
        return tuple(str(v) for v in values)

    def rules(node: Any, at: str) -> Rules:
        sequencing_text = get("sequencing", str, root=node, at=at)
        try:
            sequencing = Sequencing(sequencing_text)
        except ValueError:
            if at + "sequencing" not in missing:
                problems.append(
                    Problem(
                        f"{sequencing_text!r} must be 'simultaneous' or 'import_first'",
                        source,
                        field=at + "sequencing",
                    )
                )
            sequencing = Sequencing.SIMULTANEOUS
        window = get("window_days", int, root=node, at=at)
        if not 0 < window <= MAX_WINDOW_DAYS and at + "window_days" not in missing:
            problems.append(
                Problem(f"must be 1 to {MAX_WINDOW_DAYS} days", source, field=at + "window_days")
            )
        tolerance = decimal("tolerance", node, at)
        if tolerance >= 1 and at + "tolerance" not in missing:
            problems.append(Problem("must be a share below 1", source, field=at + "tolerance"))
        digits = get("hs_digits", int, root=node, at=at)
        if not 4 <= digits <= 10 and at + "hs_digits" not in missing:
            problems.append(Problem("must be 4 to 10 digits", source, field=at + "hs_digits"))
        effective = node.get("effective") if isinstance(node, Mapping) else None
        if isinstance(effective, str):  # as ``as_dict`` writes it
            try:
                effective = parse_day(effective)
            except ValueError as error:
                problems.append(Problem(str(error), source, field=at + "effective"))
                effective = date.min
        elif isinstance(effective, datetime) or not isinstance(effective, date):
            problems.append(
                Problem("must be a date (effective = 2025-10-17)", source, field=at + "effective")
            )
            effective = date.min
        elif (outside := day_problem(effective)) is not None:
            problems.append(Problem(outside, source, field=at + "effective"))
            effective = date.min
        return Rules(
            version=get("version", str, root=node, at=at),
            effective=effective,
            source=get("source", str, root=node, at=at),
            sequencing=sequencing,
            window_days=window,
            tolerance=tolerance,
            tolerance_source=get("tolerance_source", str, root=node, at=at),
            hs_digits=digits,
            consortium_allowed=get("consortium_allowed", bool, root=node, at=at),
            undertaking_required=get("undertaking_required", bool, root=node, at=at),
            prohibited={
                Direction.IMPORT: codes("import_prohibited", node, at),
                Direction.EXPORT: codes("export_prohibited", node, at),
            },
            allowed={
                Direction.IMPORT: codes("import_allowed", node, at, optional=True),
                Direction.EXPORT: codes("export_allowed", node, at, optional=True),
            },
        )

    versions = []
    for number, node in enumerate(get("versions", list), start=1):
        at = f"versions[{number}]."
        if not isinstance(node, Mapping):
            problems.append(Problem("must be a table", source, field=at.rstrip(".")))
            continue
        versions.append(rules(node, at))
    if not versions and "versions" not in missing:
        problems.append(
            Problem("needs at least one version of the order", source, field="versions")
        )
    for earlier, later in pairwise(versions):
        if date.min not in (earlier.effective, later.effective) and (
            later.effective <= earlier.effective
        ):
            problems.append(
                Problem(
                    f"version {later.version!r} must take effect after {earlier.version!r}",
                    source,
                    field="versions",
                )
            )
    if len({rules.version for rules in versions}) < len(versions):
        problems.append(Problem("version names must differ", source, field="versions"))
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
    customs, customs_problems = parse_customs(data.get("customs"), source)
    problems += customs_problems
    corridor_id = get("corridor.id", str)
    policy = Policy(
        corridor=corridor_id,
        name=get("corridor.name", str),
        home_country=get("corridor.home_country", str),
        source=get("corridor.source", str, default=source),
        zone=zone,
        partners=frozenset(str(p) for p in partners),
        require_active_taxpayer=get("eligibility.require_active_taxpayer", bool),
        require_psw_subscription=get("eligibility.require_psw_subscription", bool),
        state_enterprises_eligible=get("eligibility.state_enterprises_eligible", bool),
        consortium_liability=get("consortium.liability", str),
        every_member_eligible=get("consortium.every_member_eligible", bool),
        consortium_one_country=get("consortium.one_country", bool),
        reconciliation=get("balancing.reconciliation", str),
        price_bands=tuple(bands),
        versions=tuple(versions),
        customs=customs,
        calendar=parse_calendar(
            data.get("calendar"),
            zone or "UTC",
            source,
            problems,
            _corridor_countries(corridor_id),
        ),
    )
    if problems:
        raise InputError(problems)
    return policy
