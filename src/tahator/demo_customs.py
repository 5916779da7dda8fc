"""The demo corridor's consignments at the border: a few hundred trucks over the three
crossings in the 90 days before the demo's business date, each phase at a plausible
time, so the consignments and release-time pages show something true to life.

Times are drawn, lanes are not: every consignment goes through the same services an
officer's clicks do (``services.consignments``), with explicit timestamps, and the
risk rules choose its lane.  What each phase then takes depends on that lane, as the
WCO Time Release Studies of the region find: a green or blue truck leaves within hours,
a yellow one within about a day (documents), a red one in one to three days (documents
and an inspection).  Each step is drawn on its own, lognormal (most quick, a long
tail), the busiest crossing is slowest, a few trucks are stuck for days at one step
(outliers), and about two in five declarations are lodged before the goods arrive.
The demo's declarations ride in the first consignments of their firms.

Most trucks come from a few dozen regular traders (a few large, many small), and each
regular has crossed before the 90 days (one consignment months earlier): a real
crossing's traders have a history, so the first-declaration criterion hits a few
newcomers, not a third of the trucks, and the lanes' shares look like a crossing's
(about seven in ten green).

Runs once per database, like the barter story: a demo run again finds them there.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tahator.domain.customs import Lane, Phase
from tahator.domain.policy import Policy
from tahator.services import consignments
from tahator.services.common import now
from tahator.store.database import transaction
from tahator.store.schema import Authorization, Consignment, Declaration, Firm

CONSIGNMENTS = 360
"""About four trucks a day over 90 days, across the three crossings."""
DAYS = 90
CROSSINGS = {"TFN": (0.6, 1.3), "GBD": (0.2, 1.0), "MND": (0.2, 0.9)}
"""Each crossing's share of the trucks and how slow it is (Taftan, the main road and
rail crossing, is the busiest)."""
STEPS: dict[Lane, tuple[tuple[Phase, float, float], ...]] = {
    Lane.GREEN: ((Phase.RELEASED, 2.0, 0.5),),
    Lane.BLUE: ((Phase.RELEASED, 2.5, 0.5),),
    Lane.YELLOW: ((Phase.DOCUMENTS, 9.0, 0.6), (Phase.RELEASED, 5.0, 0.6)),
    Lane.RED: (
        (Phase.DOCUMENTS, 10.0, 0.6),
        (Phase.INSPECTED, 14.0, 0.6),
        (Phase.RELEASED, 8.0, 0.6),
    ),
}
"""Each lane's steps after the lane: the phase a step ends at, its median hours and the
lognormal's sigma (drawn one by one: a slow inspection does not slow the documents)."""
OUTLIERS = 0.03
"""The share of trucks held far longer than their lane's usual at one step (a missing
document, a closed gate, a holiday)."""
REGULARS = 40
"""How many firms send the trucks (weights 1, 1/2, 1/3 …: a few large traders)."""
NEWCOMERS = 0.03
"""The share of trucks of a firm not among the regulars, with no history."""
HISTORY_DAYS = (120, 300)
"""When the regulars' earlier consignments crossed: this many days before the end."""
PRE_ARRIVAL = 0.4
"""The share of declarations lodged before the goods arrive."""
DISCREPANCY = 0.15
"""The share of red-lane inspections that find a discrepancy."""
ACTOR = "customs"


@dataclass(frozen=True)
class Truck:
    reference: str
    crossing: str
    direction: str
    vehicle: str
    firm_id: str
    origin: str | None
    declaration_ids: tuple[int, ...]
    arrived_at: datetime


def _hours(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(hours=median * math.exp(rng.gauss(0, sigma)))


def _vehicle(rng: random.Random, direction: str) -> str:
    """A Pakistani truck's plate for an export, an Iranian one's (in Latin letters) for
    an import."""
    if direction == "export":
        return f"{rng.choice(('QTA', 'CAB', 'TKN', 'LES'))}-{rng.randrange(100, 9999)}"
    letter = rng.choice("BDJSTQ")
    return f"IR {rng.randrange(10, 99)}{letter}{rng.randrange(100, 999)}-{rng.randrange(10, 99)}"


def _trucks(session: Session, rng: random.Random, end: datetime) -> list[Truck]:
    """The consignments to register, oldest first: the demo's declarations in the first
    ones of their firms, the rest carrying goods not under a barter authorization."""
    firms = list(
        session.scalars(
            select(Firm.id)
            .where(Firm.country == "PK", Firm.screening != "blocked")
            .order_by(Firm.id)
        )
    )
    declared = session.execute(
        select(Declaration.id, Declaration.direction, Declaration.declared_on, Authorization)
        .join(Authorization, Authorization.id == Declaration.authorization_id)
        .where(Declaration.consignment_id.is_(None))
        .order_by(Declaration.id)
    ).all()
    trucks: list[Truck] = []
    start = end - timedelta(days=DAYS)
    regulars = rng.sample(firms, min(REGULARS, len(firms)))
    others = [f for f in firms if f not in regulars] or firms
    weights = [1 / rank for rank in range(1, len(regulars) + 1)]
    for firm in regulars:  # each regular's earlier crossing: its history
        days = rng.uniform(*HISTORY_DAYS)
        direction = "import" if rng.random() < 0.6 else "export"
        origin = "IR" if direction == "import" else "PK"
        trucks.append(
            Truck(
                "",
                "",
                direction,
                _vehicle(rng, direction),
                firm,
                origin,
                (),
                end - timedelta(days=days),
            )
        )
    for _ in range(CONSIGNMENTS):
        arrived = start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        direction = "import" if rng.random() < 0.6 else "export"
        newcomer = rng.random() < NEWCOMERS
        firm = rng.choice(others) if newcomer else rng.choices(regulars, weights)[0]
        origin = "IR" if direction == "import" else "PK"
        if rng.random() < 0.04:
            origin = rng.choice(("AE", "CN", "TR"))  # re-exports: the origin criterion
        trucks.append(Truck("", "", direction, _vehicle(rng, direction), firm, origin, (), arrived))
    for declaration_id, direction, on, authorization in declared:
        if authorization.applicant not in firms:
            continue  # a consortium's or a held firm's: not in this demo's trucks
        arrived = datetime.combine(on, time(9), UTC)
        if arrived >= end:
            continue
        trucks.append(
            Truck(
                "",
                "",
                direction,
                _vehicle(rng, direction),
                authorization.applicant,
                authorization.partner_country if direction == "import" else "PK",
                (declaration_id,),
                arrived,
            )
        )
    trucks.sort(key=lambda t: t.arrived_at)
    codes, weights = list(CROSSINGS), [share for share, _ in CROSSINGS.values()]
    numbered = []
    for number, truck in enumerate(trucks, 1):
        crossing = rng.choices(codes, weights)[0]
        reference = f"{crossing}-{truck.arrived_at.year}-{number:05d}"
        numbered.append(
            Truck(
                reference,
                crossing,
                truck.direction,
                truck.vehicle,
                truck.firm_id,
                truck.origin,
                truck.declaration_ids,
                truck.arrived_at,
            )
        )
    return numbered


def _cross(
    session: Session, policy: Policy, rng: random.Random, truck: Truck, end: datetime
) -> consignments.ConsignmentView:
    """Register ``truck`` and record its phases up to ``end``: a phase due later has not
    happened yet (the truck is still at the border)."""
    slow = CROSSINGS[truck.crossing][1]
    pre_arrival = rng.random() < PRE_ARRIVAL
    lodged = truck.arrived_at + (-_hours(rng, 14, 0.6) if pre_arrival else _hours(rng, 1.0, 0.5))
    record = consignments.ConsignmentRecord(
        reference=truck.reference,
        crossing=truck.crossing,
        direction=truck.direction,
        vehicle=truck.vehicle,
        firm_id=truck.firm_id,
        origin=truck.origin,
        declaration_ids=truck.declaration_ids,
        lodged_at=lodged if pre_arrival else None,
    )
    view = consignments.register(session, policy, record, ACTOR)
    lane_at = max(lodged, truck.arrived_at) + _hours(rng, 0.6 * slow, 0.5)
    plan = [(Phase.ARRIVED, truck.arrived_at)]
    if not pre_arrival:
        plan.append((Phase.LODGED, lodged))
    plan.append((Phase.LANE, lane_at))
    for phase, moment in plan:
        if moment > end:
            return view
        # The draw's seed from the demo's generator: the same demo every time it is built.
        draw_seed = f"{rng.getrandbits(128):032x}" if phase is Phase.LANE else None
        view = consignments.record_phase(
            session, policy, view.id, phase, moment, ACTOR, draw_seed=draw_seed
        )
    lane = Lane(view.lane) if view.lane else Lane.GREEN
    steps = STEPS[lane]
    stuck = rng.randrange(len(steps)) if rng.random() < OUTLIERS else None
    plan, moment = [], lane_at
    for number, (phase, median, sigma) in enumerate(steps):
        step = _hours(rng, median * slow, sigma)
        moment += step * rng.uniform(3, 6) if number == stuck else step
        plan.append((phase, moment))
    if rng.random() < 0.7:  # exit on the other side, where known
        plan.append((Phase.EXITED, moment + _hours(rng, 1.0, 0.6)))
    for phase, moment in plan:
        if moment > end:
            break
        result = note = None
        if phase is Phase.INSPECTED:
            result = "discrepancy" if rng.random() < DISCREPANCY else "clear"
            note = "quantity short of the declaration" if result == "discrepancy" else None
        view = consignments.record_phase(
            session, policy, view.id, phase, moment, ACTOR, result=result, note=note
        )
    return view


def build_consignments(engine: Engine, policy: Policy, today: date, seed: int = 23) -> int:
    """The demo's consignments, up to the end of ``today`` (or now, if earlier, since no
    phase is in the future); the number registered (none if any are there already)."""
    with transaction(engine) as session:
        if session.scalar(select(func.count()).select_from(Consignment)):
            return 0
        rng = random.Random(seed)
        end = min(now() - timedelta(minutes=30), datetime.combine(today, time(13), UTC))
        trucks = _trucks(session, rng, end)
        for truck in trucks:
            _cross(session, policy, rng, truck, end)
    return len(trucks)


__all__ = ["build_consignments"]
