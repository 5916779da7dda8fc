"""Customs selectivity and the phases of a consignment (DESIGN §8), as ASYCUDA does it.

A consignment crosses at a border crossing in phases (lodgement, arrival, lane,
documents, inspection, release, exit), each with its time, as the WCO Time Release
Study measures them.  At the lane phase the corridor's risk rules route it: each
criterion that hits adds its weight to a score, the score's band gives a lane, and
a seeded draw sends a minimum share of consignments to a stricter lane at random,
so that no trader can learn a route around the rules.  The draw comes from a
recorded seed, so any selection can be recomputed and checked.

The rules are data (``[customs]`` in the corridor policy): ``parse_customs`` turns
that section into a ``CustomsPolicy`` or names every field that is wrong.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tahator.domain.audit import canonical
from tahator.domain.errors import Problem

DRAWS = 1_000_000
"""A draw is a whole number of millionths, 0 to 999,999: rates have at most six decimals."""
_CODE = re.compile(r"[A-Z][A-Z0-9]{1,19}")
_ID = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_HS_PREFIX = re.compile(r"[0-9]{2,10}")
MAX_TARGET_HOURS = 24 * 30


class Lane(StrEnum):
    """A selectivity lane, as ASYCUDA names them."""

    GREEN = "green"
    """Released without checks."""
    BLUE = "blue"
    """Released without checks at the border; audited after release (post-clearance)."""
    YELLOW = "yellow"
    """Documents are checked before release."""
    RED = "red"
    """Documents are checked and the goods inspected before release."""

    @property
    def rank(self) -> int:
        """How much control the lane puts on the border: a random draw never lowers it."""
        return _RANKS[self]

    @property
    def requires(self) -> tuple[Phase, ...]:
        """The phases that must be recorded before release in this lane."""
        return _REQUIRES[self]


_RANKS = {Lane.GREEN: 0, Lane.BLUE: 1, Lane.YELLOW: 2, Lane.RED: 3}


def _rank(lane: Lane) -> int:
    return lane.rank


class Phase(StrEnum):
    """A consignment's phases in the order the Time Release Study measures them."""

    LODGED = "lodged"
    """The goods declaration lodged (before arrival: pre-arrival lodgement)."""
    ARRIVED = "arrived"
    """The vehicle at the crossing's customs area."""
    LANE = "lane"
    """The lane selected by the risk rules."""
    DOCUMENTS = "documents"
    """Documents checked (yellow and red lanes)."""
    INSPECTED = "inspected"
    """Goods inspected, with the result (red lane)."""
    RELEASED = "released"
    """Released by customs."""
    EXITED = "exited"
    """Out of the customs area on the other side, where known."""

    @property
    def column(self) -> str:
        """The ``consignments`` column holding its time: ``lodged_at`` …"""
        return f"{self.value}_at"


PHASES = tuple(Phase)
_REQUIRES = {
    Lane.GREEN: (),
    Lane.BLUE: (),
    Lane.YELLOW: (Phase.DOCUMENTS,),
    Lane.RED: (Phase.DOCUMENTS, Phase.INSPECTED),
}


class Inspection(StrEnum):
    """An inspection's result: it feeds back into the criteria's hit rates."""

    CLEAR = "clear"
    DISCREPANCY = "discrepancy"


class Kind(StrEnum):
    """What a risk criterion looks at; the facts come from the consignment's declarations."""

    PRICE_BAND = "price_band"
    """A declaration's unit value outside the policy's reference band (its flag)."""
    HS = "hs"
    """Goods under one of the criterion's HS prefixes."""
    FIRST_DECLARATION = "first_declaration"
    """The firm's first declaration or consignment."""
    SCREENING = "screening"
    """The firm's name resembles a listed entry (a screening near-hit, whatever decided)."""
    EARLIER_DISCREPANCY = "earlier_discrepancy"
    """An earlier inspection of the firm's goods found a discrepancy."""
    PLAN_DEVIATION = "plan_deviation"
    """A declaration's unit value or its line's declared quantity departs from the
    authorization's plan by more than the criterion's share."""
    ORIGIN = "origin"
    """The declared origin is not the counterparty's country (imports) or home (exports)."""


@dataclass(frozen=True)
class Crossing:
    code: str
    name: str


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: Kind
    weight: int
    description: str
    hs: tuple[str, ...] = ()
    """For ``hs``: the prefixes of interest."""
    share: Decimal = Decimal(0)
    """For ``plan_deviation``: how far from plan (0.25: 25 %) counts as far."""
    direction: str | None = None
    """``import`` or ``export`` when it applies to one direction only."""


@dataclass(frozen=True)
class RiskRules:
    criteria: tuple[Criterion, ...]
    thresholds: Mapping[Lane, int]
    """The least score that selects each lane but green (blue ≤ yellow ≤ red)."""
    random: Mapping[Lane, Decimal]
    """The minimum share of consignments each lane but green gets by the draw."""

    def as_dict(self) -> dict[str, Any]:
        """As the policy file writes them (and as their digest is computed)."""
        criteria = []
        for c in self.criteria:
            entry: dict[str, Any] = {
                "id": c.id,
                "kind": str(c.kind),
                "weight": c.weight,
                "description": c.description,
            }
            if c.kind is Kind.HS:
                entry["hs"] = list(c.hs)
            if c.kind is Kind.PLAN_DEVIATION:
                entry["share"] = str(c.share)
            if c.direction is not None:
                entry["direction"] = c.direction
            criteria.append(entry)
        return {
            "criteria": criteria,
            "thresholds": {str(lane): score for lane, score in self.thresholds.items()},
            "random": {str(lane): str(rate) for lane, rate in self.random.items()},
        }

    @property
    def digest(self) -> str:
        """SHA-256 of the rules as canonical JSON: recorded with every selection."""
        return hashlib.sha256(canonical(self.as_dict()).encode()).hexdigest()

    def criterion(self, id_: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == id_), None)


@dataclass(frozen=True)
class CustomsPolicy:
    crossings: tuple[Crossing, ...]
    rules: RiskRules
    target_hours: Mapping[Lane, int]
    """The target time from arrival to release in each lane, in hours."""

    def crossing(self, code: str) -> Crossing | None:
        return next((c for c in self.crossings if c.code == code), None)

    def as_dict(self) -> dict[str, Any]:
        """As the ``[customs]`` section of the policy file writes it."""
        return {
            "crossings": [{"code": c.code, "name": c.name} for c in self.crossings],
            "target_hours": {str(lane): hours for lane, hours in self.target_hours.items()},
            **self.rules.as_dict(),
        }


NO_CUSTOMS = CustomsPolicy(
    crossings=(),
    rules=RiskRules(
        criteria=(),
        thresholds={Lane.BLUE: 1, Lane.YELLOW: 1, Lane.RED: 1},
        random={Lane.BLUE: Decimal(0), Lane.YELLOW: Decimal(0), Lane.RED: Decimal(0)},
    ),
    target_hours=dict.fromkeys(Lane, 0),
)
"""A policy file without ``[customs]``: no crossings, so no consignment can be registered."""


# -- selection ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaneFacts:
    """What the risk criteria look at, gathered from a consignment and its declarations."""

    direction: str
    hs: tuple[str, ...] = ()
    price_flagged: bool = False
    first_declaration: bool = False
    screening_hit: bool = False
    earlier_discrepancy: bool = False
    plan_deviation: Decimal = Decimal(0)
    """The largest share by which a declaration departs from its authorized line's plan."""
    origin: str | None = None
    expected_origins: frozenset[str] = frozenset()
    """Where the goods should come from: the counterparties' countries for an import,
    home for an export (empty: unknown, so no origin criterion can hit)."""


@dataclass(frozen=True)
class LaneChoice:
    lane: Lane
    score: int
    hits: tuple[str, ...]
    """The ids of the criteria that hit, in the rules' order."""
    draw: int
    """The seeded draw in millionths (0 to 999,999)."""
    random: bool
    """Whether the draw, not the score, chose the lane (it was stricter)."""


def hits(criterion: Criterion, facts: LaneFacts) -> bool:
    """Whether ``criterion`` hits a consignment with ``facts``."""
    if criterion.direction is not None and criterion.direction != facts.direction:
        return False
    match criterion.kind:
        case Kind.PRICE_BAND:
            return facts.price_flagged
        case Kind.HS:
            return any(code.startswith(criterion.hs) for code in facts.hs)
        case Kind.FIRST_DECLARATION:
            return facts.first_declaration
        case Kind.SCREENING:
            return facts.screening_hit
        case Kind.EARLIER_DISCREPANCY:
            return facts.earlier_discrepancy
        case Kind.PLAN_DEVIATION:
            return facts.plan_deviation > criterion.share
        case Kind.ORIGIN:
            return (
                facts.origin is not None
                and bool(facts.expected_origins)
                and facts.origin not in facts.expected_origins
            )


def draw(seed: str) -> int:
    """The uniform draw (millionths) a seed gives: the first 8 bytes of its SHA-256."""
    digest = hashlib.sha256(seed.encode()).digest()
    return int.from_bytes(digest[:8], "big") % DRAWS


def score_lane(rules: RiskRules, score: int) -> Lane:
    """The lane a score's band selects."""
    for lane in (Lane.RED, Lane.YELLOW, Lane.BLUE):
        if score >= rules.thresholds[lane]:
            return lane
    return Lane.GREEN


def random_lane(rules: RiskRules, drawn: int) -> Lane:
    """The lane a draw selects: the red rate's first millionths, then yellow's, then
    blue's; green for the rest (the score decides)."""
    start = 0
    for lane in (Lane.RED, Lane.YELLOW, Lane.BLUE):
        start += int(rules.random[lane] * DRAWS)
        if drawn < start:
            return lane
    return Lane.GREEN


PRICE_FLOOR = Lane.YELLOW
"""The least lane for a consignment whose declarations carry a price-band flag: its
documents are checked whatever the weights say, since the criterion's weight is
data customs tunes and the rule "a price-band outlier is never green" is not."""


def lane_floor(price_flagged: bool) -> Lane:
    """The least lane a consignment may be in, by the rules or by an officer."""
    return PRICE_FLOOR if price_flagged else Lane.GREEN


def select_lane(rules: RiskRules, facts: LaneFacts, seed: str) -> LaneChoice:
    """The lane for a consignment with ``facts``: its score's (raised to the floor of
    a price-flagged consignment), or the draw's when that is stricter.  Pure: the same
    rules, facts and seed give the same choice."""
    hit = tuple(c.id for c in rules.criteria if hits(c, facts))
    score = sum(c.weight for c in rules.criteria if c.id in hit)
    by_score = max(score_lane(rules, score), lane_floor(facts.price_flagged), key=_rank)
    drawn = draw(seed)
    by_draw = random_lane(rules, drawn)
    if by_draw.rank > by_score.rank:
        return LaneChoice(by_draw, score, hit, drawn, True)
    return LaneChoice(by_score, score, hit, drawn, False)


def facts_data(facts: LaneFacts) -> dict[str, Any]:
    """``facts`` as JSON data, recorded with the selection (the data they come from
    changes later) so that it can be re-checked (``facts_of``)."""
    return {
        "direction": facts.direction,
        "hs": list(facts.hs),
        "price_flagged": facts.price_flagged,
        "first_declaration": facts.first_declaration,
        "screening_hit": facts.screening_hit,
        "earlier_discrepancy": facts.earlier_discrepancy,
        "plan_deviation": str(facts.plan_deviation),
        "origin": facts.origin,
        "expected_origins": sorted(facts.expected_origins),
    }


def facts_of(data: Mapping[str, Any]) -> LaneFacts:
    """The facts ``facts_data`` recorded."""
    return LaneFacts(
        direction=str(data["direction"]),
        hs=tuple(data["hs"]),
        price_flagged=bool(data["price_flagged"]),
        first_declaration=bool(data["first_declaration"]),
        screening_hit=bool(data["screening_hit"]),
        earlier_discrepancy=bool(data["earlier_discrepancy"]),
        plan_deviation=Decimal(data["plan_deviation"]),
        origin=data["origin"],
        expected_origins=frozenset(data["expected_origins"]),
    )


def rules_of(data: Mapping[str, Any]) -> RiskRules:
    """The rules ``RiskRules.as_dict`` wrote (recorded with a selection; already
    checked when the policy was parsed)."""
    return RiskRules(
        criteria=tuple(
            Criterion(
                c["id"],
                Kind(c["kind"]),
                c["weight"],
                c["description"],
                tuple(c.get("hs", ())),
                Decimal(c.get("share", "0")),
                c.get("direction"),
            )
            for c in data["criteria"]
        ),
        thresholds={Lane(lane): score for lane, score in data["thresholds"].items()},
        random={Lane(lane): Decimal(rate) for lane, rate in data["random"].items()},
    )


# -- phases --------------------------------------------------------------------------------


def phase_problem(phase: Phase, lane: Lane | None, recorded: Mapping[Phase, object]) -> str | None:
    """Why ``phase`` cannot be recorded now, given the lane in force and the phases
    ``recorded`` already (with their times), or ``None``.

    Lodgement and arrival come in either order (a declaration may be lodged before
    the goods arrive, or after); the lane needs both; documents and inspection only
    where the lane calls for them, in that order; release once the lane's
    requirements are met; exit after release.  A phase is recorded once."""
    if phase in recorded:
        return f"the {phase} phase is already recorded"
    if phase is Phase.LANE:
        missing = [p for p in (Phase.LODGED, Phase.ARRIVED) if p not in recorded]
        if missing:
            return f"a lane is selected once the consignment is {' and '.join(missing)}"
        return None
    if phase in (Phase.LODGED, Phase.ARRIVED):
        return None
    if lane is None:
        return f"the {phase} phase comes after the lane is selected"
    if phase in (Phase.DOCUMENTS, Phase.INSPECTED) and phase not in lane.requires:
        return f"the {lane} lane has no {phase} phase"
    if phase is Phase.INSPECTED and Phase.DOCUMENTS not in recorded:
        return "goods are inspected after their documents are checked"
    if phase is Phase.RELEASED:
        missing = [p for p in lane.requires if p not in recorded]
        if missing:
            return f"the {lane} lane needs {' and '.join(missing)} before release"
    if phase is Phase.EXITED and Phase.RELEASED not in recorded:
        return "a consignment exits after it is released"
    return None


def predecessors(phase: Phase) -> tuple[Phase, ...]:
    """The phases whose times ``phase``'s time may not precede (lodgement and arrival
    in either order)."""
    if phase in (Phase.LODGED, Phase.ARRIVED):
        return ()
    return PHASES[: PHASES.index(phase)]


def successors(phase: Phase) -> tuple[Phase, ...]:
    """The phases whose times ``phase``'s time may not follow."""
    if phase in (Phase.LODGED, Phase.ARRIVED):
        return PHASES[2:]
    return PHASES[PHASES.index(phase) + 1 :]


# -- parsing the [customs] section -------------------------------------------------------------


def parse_customs(data: Any, source: str = "policy") -> tuple[CustomsPolicy, list[Problem]]:
    """The ``[customs]`` section (``data``; ``None`` when absent) as a ``CustomsPolicy``,
    and every problem with it (fields named ``customs.…``), as ``parse_policy`` reports."""
    if data is None:
        return NO_CUSTOMS, []
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(message, source, field=f"customs.{field}"))

    if not isinstance(data, Mapping):
        bad("", "must be a table")
        return NO_CUSTOMS, problems

    def whole(node: Any, field: str, low: int, high: int) -> int:
        if type(node) is not int or not low <= node <= high:
            bad(field, f"must be a whole number from {low} to {high}, not {node!r}")
            return low
        return node

    def rate(node: Any, field: str) -> Decimal:
        try:
            value = Decimal(node) if isinstance(node, str) else None
        except InvalidOperation:
            value = None
        if (
            value is None
            or not value.is_finite()
            or not 0 <= value <= 1
            or value * DRAWS != int(value * DRAWS)
        ):
            bad(field, f'must be a share from "0" to "1" with at most 6 decimals, not {node!r}')
            return Decimal(0)
        return value

    crossings: list[Crossing] = []
    entries = data.get("crossings")
    if not isinstance(entries, list) or not entries:
        bad("crossings", "must be a non-empty list of [[customs.crossings]] tables")
        entries = []
    for number, entry in enumerate(entries, start=1):
        at = f"crossings[{number}]"
        code, name = (
            (entry.get(k) for k in ("code", "name")) if isinstance(entry, Mapping) else ("", "")
        )
        if not (isinstance(code, str) and _CODE.fullmatch(code)):
            bad(f"{at}.code", f"must be 2 to 20 capital letters and digits, not {code!r}")
            code = ""
        elif any(c.code == code for c in crossings):
            bad(f"{at}.code", f"{code!r} appears twice")
        if not (isinstance(name, str) and name.strip()):
            bad(f"{at}.name", "must be a non-empty string")
            name = ""
        crossings.append(Crossing(str(code), str(name).strip()))

    criteria: list[Criterion] = []
    entries = data.get("criteria", [])
    if not isinstance(entries, list):
        bad("criteria", "must be a list of [[customs.criteria]] tables")
        entries = []
    for number, entry in enumerate(entries, start=1):
        at = f"criteria[{number}]"
        if not isinstance(entry, Mapping):
            bad(at, "must be a table")
            continue
        id_ = entry.get("id")
        if not (isinstance(id_, str) and _ID.fullmatch(id_)):
            bad(f"{at}.id", f"must be lowercase letters, digits, '-' and '_', not {id_!r}")
            id_ = ""
        elif any(c.id == id_ for c in criteria):
            bad(f"{at}.id", f"{id_!r} appears twice")
        try:
            kind: Kind | None = Kind(str(entry.get("kind")))
        except ValueError:
            bad(f"{at}.kind", f"must be one of {', '.join(Kind)}, not {entry.get('kind')!r}")
            kind = None  # reported: its own fields are not checked
        weight = whole(entry.get("weight"), f"{at}.weight", 0, 1000)
        description = entry.get("description", "")
        if not (isinstance(description, str) and description.strip()):
            bad(f"{at}.description", "must say what the criterion catches")
            description = ""
        prefixes: tuple[str, ...] = ()
        if kind is Kind.HS:
            codes = entry.get("hs")
            if not (
                isinstance(codes, list)
                and codes
                and all(isinstance(c, str) and _HS_PREFIX.fullmatch(c) for c in codes)
            ):
                bad(f"{at}.hs", "must list HS codes or prefixes (2 to 10 digits)")
                codes = []
            prefixes = tuple(codes)
        share = Decimal(0)
        if kind is Kind.PLAN_DEVIATION:
            share = rate(entry.get("share"), f"{at}.share")
        direction = entry.get("direction")
        if direction is not None and direction not in ("import", "export"):
            bad(f"{at}.direction", f"must be 'import' or 'export', not {direction!r}")
            direction = None
        criteria.append(
            Criterion(id_, kind or Kind.HS, weight, description.strip(), prefixes, share, direction)
        )

    stricter = (Lane.BLUE, Lane.YELLOW, Lane.RED)
    node = data.get("thresholds")
    if not isinstance(node, Mapping):
        bad("thresholds", "must be a table: the least score for blue, yellow and red")
        node = {}
    thresholds = {
        lane: whole(node.get(str(lane)), f"thresholds.{lane}", 1, 100_000) for lane in stricter
    }
    if not thresholds[Lane.BLUE] <= thresholds[Lane.YELLOW] <= thresholds[Lane.RED]:
        bad("thresholds", "must grow: blue ≤ yellow ≤ red")
    node = data.get("random")
    if not isinstance(node, Mapping):
        bad("random", "must be a table: the minimum random share of blue, yellow and red")
        node = {}
    rates = {lane: rate(node.get(str(lane)), f"random.{lane}") for lane in stricter}
    if sum(rates.values()) > 1:
        bad("random", "the random shares must add up to 1 at most")
    node = data.get("target_hours")
    if not isinstance(node, Mapping):
        bad("target_hours", "must be a table: hours from arrival to release per lane")
        node = {}
    targets = {
        lane: whole(node.get(str(lane)), f"target_hours.{lane}", 1, MAX_TARGET_HOURS)
        for lane in Lane
    }
    rules = RiskRules(tuple(criteria), thresholds, rates)
    return CustomsPolicy(tuple(crossings), rules, targets), problems
