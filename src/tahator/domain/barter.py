"""Barter authorizations under a corridor's barter order: the rules, without storage.

A Pakistani firm (or consortium) applies to import goods from a partner-country
firm and export goods to it; customs authorizes the application under the
version of the order in force that day, which starts a balancing window; goods
declarations quoting the authorization, each matched to an authorized line
(``domain.barter_lines``), accumulate the imported and exported values; when both
sides reach the plan the authorization is balanced (or when it is closed on
purpose), and when the window closes first it is cancelled, or balanced if both
sides reached the plan within the tolerance.  Either way the difference becomes
an obligation, so no value is lost.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from tahator.domain.corridor import FIRST_DAY, LAST_DAY, day_problem
from tahator.domain.errors import InputError, Problem
from tahator.domain.policy import Direction, Policy, Rules


class AuthorizationStatus(StrEnum):
    """Where an authorization is in its life (stored as the value)."""

    SUBMITTED = "submitted"
    AUTHORIZED = "authorized"
    BALANCED = "balanced"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class AuthorizationEvent(StrEnum):
    """What happens to an authorization: customs decides, goods balance, time runs out."""

    AUTHORIZE = "authorize"
    REJECT = "reject"
    BALANCE = "balance"
    CANCEL = "cancel"


_TRANSITIONS: Mapping[tuple[AuthorizationStatus, AuthorizationEvent], AuthorizationStatus] = {
    (AuthorizationStatus.SUBMITTED, AuthorizationEvent.AUTHORIZE): AuthorizationStatus.AUTHORIZED,
    (AuthorizationStatus.SUBMITTED, AuthorizationEvent.REJECT): AuthorizationStatus.REJECTED,
    (AuthorizationStatus.AUTHORIZED, AuthorizationEvent.BALANCE): AuthorizationStatus.BALANCED,
    (AuthorizationStatus.AUTHORIZED, AuthorizationEvent.CANCEL): AuthorizationStatus.CANCELLED,
}


def transition(
    status: str, event: AuthorizationEvent, subject: str = "the authorization"
) -> AuthorizationStatus:
    """The status after ``event``; ``InputError`` when ``event`` cannot happen in ``status``.

    ``subject`` names the authorization in the refusal (``"authorization 7"``).
    """
    current = AuthorizationStatus(status)
    after = _TRANSITIONS.get((current, event))
    if after is None:
        allowed = " or ".join(str(s) for s, e in _TRANSITIONS if e == event)
        raise InputError([Problem(f"{subject} is {current}, not {allowed}")])
    return after


@dataclass(frozen=True)
class Party:
    """What the barter rules need to know of a registered firm."""

    id: str
    country: str
    status: str
    active_taxpayer: bool
    psw_subscribed: bool
    state_enterprise: bool


@dataclass(frozen=True)
class Applicant:
    """A firm applying alone, or a consortium of firms (then ``consortium`` is its id)."""

    id: str
    members: tuple[Party, ...]
    consortium: bool = False


@dataclass(frozen=True)
class GoodsLine:
    hs: str
    description: str
    quantity: Decimal
    unit: str
    value: int
    """Minor units of ``currency``."""
    currency: str


@dataclass(frozen=True)
class Application:
    applicant_id: str
    counterparty_id: str
    partner_country: str
    imports: tuple[GoodsLine, ...]
    exports: tuple[GoodsLine, ...]
    valid_from: date
    valid_until: date
    origin_declared: bool
    reference: str | None = None
    """The applicant's own reference, so that a retried application is filed once."""
    undertaking: bool = False
    """The applicant's undertaking that its foreign partner is not sanctioned."""
    proposal: int | None = None
    """The barter ring it is filed for: it may list one side only, since its plan's
    differences are already the ring's obligations."""


_HS = re.compile(r"[0-9]{4,10}")


def application_problems(
    policy: Policy,
    rules: Rules,
    application: Application,
    applicant: Applicant | None,
    counterparty: Party | None,
) -> list[Problem]:
    """Every rule of the barter order the application breaks (empty when none)."""
    problems: list[Problem] = []

    def refuse(message: str, field: str | None = None) -> None:
        problems.append(Problem(message, field=field))

    if applicant is None:
        refuse(f"unknown firm or consortium {application.applicant_id!r}", "applicant")
    else:
        if not applicant.members:
            refuse(f"{applicant.id} has no members", "applicant")
        if applicant.consortium and not rules.consortium_allowed:
            refuse(f"the {rules.version} order does not allow consortia", "applicant")
        if (
            applicant.consortium
            and policy.consortium_one_country
            and len({m.country for m in applicant.members}) > 1
        ):
            refuse(f"the members of {applicant.id} are not of one country", "applicant")
        for member in applicant.members:
            who = f"{member.id} (member of {applicant.id})" if applicant.consortium else member.id
            if member.country != policy.home_country:
                refuse(f"{who} is not a firm of {policy.home_country}", "applicant")
            if member.status != "active":
                refuse(f"{who} is {member.status}, not active", "applicant")
            if member.state_enterprise and policy.state_enterprises_eligible:
                continue
            if policy.require_active_taxpayer and not member.active_taxpayer:
                refuse(f"{who} is not on the FBR's active-taxpayer list", "applicant")
            if policy.require_psw_subscription and not member.psw_subscribed:
                refuse(f"{who} is not subscribed to the Pakistan Single Window", "applicant")
    if application.partner_country not in policy.partners:
        allowed = ", ".join(sorted(policy.partners))
        refuse(
            f"{application.partner_country!r} is not a partner country of the order ({allowed})",
            "partner_country",
        )
    if counterparty is None:
        refuse(f"unknown firm {application.counterparty_id!r}", "counterparty")
    else:
        if counterparty.country != application.partner_country:
            refuse(
                f"{counterparty.id} is a firm of {counterparty.country}, "
                f"not of {application.partner_country}",
                "counterparty",
            )
        if counterparty.status != "active":
            refuse(f"{counterparty.id} is {counterparty.status}, not active", "counterparty")
    if rules.undertaking_required and not application.undertaking:
        refuse(
            f"an undertaking for the foreign partner is required under the {rules.version} order",
            "undertaking",
        )
    if application.proposal is not None and not (application.imports or application.exports):
        refuse("a ring's application needs at least one import or export line", "imports")
    for direction, lines in (
        (Direction.IMPORT, application.imports),
        (Direction.EXPORT, application.exports),
    ):
        field = f"{direction}s"
        if not lines and application.proposal is None:
            refuse(f"a barter needs at least one {direction} line", field)
        for number, line in enumerate(lines, start=1):
            problems += [
                Problem(p.message, field=f"{field}[{number}].{p.field}")
                for p in line_problems(rules, direction, line)
            ]
    if not application.origin_declared:
        refuse("the goods must be declared to originate in the partner country", "origin_declared")
    for field, day in (
        ("valid_from", application.valid_from),
        ("valid_until", application.valid_until),
    ):
        if (outside := day_problem(day)) is not None:
            refuse(outside, field)
    if application.valid_until < application.valid_from:
        refuse(
            f"the contract expires ({application.valid_until}) before it starts "
            f"({application.valid_from})",
            "valid_until",
        )
    return problems


def line_problems(rules: Rules, direction: Direction, line: GoodsLine) -> list[Problem]:
    """What is wrong with one line of goods going in ``direction``."""
    problems = []
    if not _HS.fullmatch(line.hs):
        problems.append(Problem(f"{line.hs!r} is not an HS code (4 to 10 digits)", field="hs"))
    elif len(line.hs) < rules.hs_digits:
        problems.append(Problem(subheading_problem(rules, line.hs), field="hs"))
    elif (goods := rules.goods_problem(direction, line.hs)) is not None:
        problems.append(Problem(goods, field="hs"))
    if not line.quantity > 0:
        problems.append(Problem("must be positive", field="quantity"))
    if not line.unit.strip() or len(line.unit) > MAX_UNIT:
        problems.append(Problem(f"must be 1 to {MAX_UNIT} characters", field="unit"))
    if line.value <= 0:
        problems.append(Problem("must be positive", field="value"))
    return problems


MAX_UNIT = 20


def subheading_problem(rules: Rules, hs: str) -> str:
    """Why ``hs`` is too short to be matched against an authorization's lines."""
    return (
        f"HS {hs} must have at least {rules.hs_digits} digits: the {rules.version} order "
        f"matches declarations to authorized lines by their first {rules.hs_digits}"
    )


def parse_quantity(text: str) -> Decimal:
    """A positive quantity of goods, within sane bounds; ``ValueError`` otherwise."""
    try:
        value = Decimal(text.strip()) if len(text) <= 40 else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0 or not -9 <= value.adjusted() <= 15:
        raise ValueError(f"{text[:40]!r} is not a positive quantity")
    return value


def approval_number(ntn: str, sequence: int) -> str:
    """The Collector's approval number, linked to the applicant's NTN."""
    return f"BT-{ntn}-{sequence:06d}"


def deadline(authorized_on: date, rules: Rules) -> date:
    """The last day to balance: the balancing window counted from authorization."""
    return authorized_on + timedelta(days=rules.window_days)


def declaration_problems(
    rules: Rules,
    state: AuthorizationStatus,
    direction: Direction,
    hs: str,
    on: date,
    window: tuple[date, date],
    validity: tuple[date, date],
) -> list[Problem]:
    """Why a goods declaration cannot be recorded against an authorization, before its
    value is known (``barter_lines`` checks it against the plan)."""
    problems = []
    if state != AuthorizationStatus.AUTHORIZED:
        problems.append(Problem(f"the authorization is {state}; declarations need it authorized"))
        return problems
    if (outside := day_problem(on)) is not None:
        return [Problem(outside, field="date")]
    if not window[0] <= on <= window[1]:
        problems.append(
            Problem(
                f"{on} is outside the balancing window {window[0]} to {window[1]}", field="date"
            )
        )
    if not validity[0] <= on <= validity[1]:
        problems.append(
            Problem(
                f"{on} is outside the contract's validity {validity[0]} to {validity[1]}",
                field="date",
            )
        )
    if not _HS.fullmatch(hs):
        problems.append(Problem(f"{hs!r} is not an HS code (4 to 10 digits)", field="hs"))
    elif len(hs) < rules.hs_digits:
        problems.append(Problem(subheading_problem(rules, hs), field="hs"))
    elif (goods := rules.goods_problem(direction, hs)) is not None:
        problems.append(Problem(goods, field="hs"))
    return problems


def price_flag(
    policy: Policy, hs: str, unit: str, quantity: Decimal, value: int, unit_digits: int
) -> str | None:
    """Why a declared unit value needs review, or ``None``: flagged, never refused."""
    band = policy.band_for(hs)
    if band is None:
        return None
    if unit != band.unit:
        return f"declared per {unit!r}; the reference band for HS {band.hs} is per {band.unit!r}"
    unit_value = Decimal(value).scaleb(-unit_digits) / quantity
    if band.low <= unit_value <= band.high:
        return None
    shown = f"{unit_value:.2f}"
    if Decimal(shown) in (band.low, band.high):  # rounding must not land on the edge
        shown = f"{unit_value:.4f}"
    return (
        f"unit value {shown} per {unit} is outside the reference band "
        f"{band.low}–{band.high} for HS {band.hs}"
    )


def expiry_problems(valid_until: date, as_of: date) -> list[Problem]:
    """Why an application cannot be authorized on ``as_of``: its contract has expired."""
    if as_of > valid_until:
        return [Problem(f"the contract expired on {valid_until}, before {as_of}", field="as_of")]
    return []


def window_problems(
    as_of: date, closes: date, valid_from: date, valid_until: date, rules: Rules
) -> list[Problem]:
    """Why an application cannot be authorized on ``as_of``: its balancing window (to
    ``closes``) and its contract's validity share no day, so no declaration could
    ever be made; or its window closes on the last accepted date or later, so it
    could never be cancelled."""
    problems = expiry_problems(valid_until, as_of)
    if closes >= LAST_DAY:
        problems.append(
            Problem(
                f"the balancing window authorized on {as_of} would close on {closes}, and no "
                f"date after {LAST_DAY} is accepted: it could never be cancelled",
                field="as_of",
            )
        )
    if valid_from > closes:
        problems.append(
            Problem(
                f"the contract is valid only from {valid_from}, after the balancing window "
                f"authorized on {as_of} closes on {closes} ({rules.window_days} days under "
                f"the {rules.version} order): no goods could be declared in time",
                field="as_of",
            )
        )
    return problems


def rejection_problems(reason: str) -> list[Problem]:
    """A rejection must tell the applicant why."""
    return [] if reason.strip() else [Problem("a rejection needs a reason", field="reason")]


def closing_problems(reason: str, longest: int) -> list[Problem]:
    """Closing an authorization on purpose must say why, in at most ``longest`` characters."""
    if not reason.strip():
        return [Problem("closing an authorization early needs a reason", field="reason")]
    if len(reason) > longest:
        return [Problem(f"must be at most {longest} characters", field="reason")]
    return []


def plan_reached(planned: int, declared: int, tolerance: Decimal = Decimal(0)) -> bool:
    """Whether ``declared`` reaches ``planned`` within ``tolerance`` of it (exactly):
    with none, the full plan."""
    numerator, denominator = tolerance.as_integer_ratio()
    return declared * denominator >= planned * (denominator - numerator)


def imbalance_debtor_is_applicant(imported: int, exported: int) -> bool | None:
    """Who owes the difference: the side that received more goods than it gave.

    The applicant imports from the counterparty and exports to it, so it owes when
    it imported more; ``None`` when the two are equal.
    """
    if imported == exported:
        return None
    return imported > exported


@dataclass(frozen=True)
class Difference:
    """What the two sides' goods differ by, owed by the side that received more."""

    applicant_owes: bool
    amount: int
    """Minor units of the unit of account; always positive."""


def difference(
    imported: int, exported: int, planned: tuple[int, int] | None = None
) -> Difference | None:
    """The obligation an authorization's imbalance becomes, or ``None`` when even.

    ``planned`` (import, export) is given for a ring's application: the plan's own
    difference is already one of the ring's obligations, so only what the goods
    differ from the plan by is owed.
    """
    if planned is not None:
        imported, exported = imported - planned[0], exported - planned[1]
    applicant_owes = imbalance_debtor_is_applicant(imported, exported)
    if applicant_owes is None:
        return None
    return Difference(applicant_owes, abs(imported - exported))


@dataclass(frozen=True)
class Lifetime:
    """What a quarter's count needs of an authorization: its status and its dates."""

    status: AuthorizationStatus
    submitted_on: date
    authorized_on: date | None
    closed_on: date | None
    planned_import: int
    planned_export: int
    deadline: date | None = None
    decided_on: date | None = None
    """The business date of customs' decision (a rejection's date); ``None`` before one."""
    version: str | None = None
    """The version of the order that governs it (``None``: unknown)."""
    closed_by: str | None = None
    """Who closed it on purpose before its plan was reached, if anyone did."""

    @property
    def closed_day(self) -> date | None:
        """When it closed as the report dates it: a cancellation on its deadline (the
        window ran out then, whenever the sweep noticed), a balance on its closing day."""
        if self.status == AuthorizationStatus.CANCELLED and self.deadline is not None:
            return self.deadline
        return self.closed_on

    @property
    def rejected_day(self) -> date | None:
        """The business date of its rejection (the submission's for one recorded
        before decisions were dated), or ``None`` when it was not rejected."""
        if self.status != AuthorizationStatus.REJECTED:
            return None
        return self.decided_on or self.submitted_on


@dataclass(frozen=True)
class QuarterCounts:
    """Authorizations in a quarter, as the Ministry of Commerce counts them."""

    issued: int
    """Authorized within the quarter."""
    planned_import: int
    """Planned values of those issued (minor units of the unit of account)."""
    planned_export: int
    balanced: int
    """Balanced within the quarter by reaching the plan: by its declarations, or at its
    deadline within the tolerance."""
    cancelled: int
    """Whose deadline fell within the quarter, cancelled."""
    rejected: int
    """Rejected by a decision dated within the quarter."""
    outstanding: int
    """Authorized by the quarter's end and not closed by then."""
    closed_on_purpose: int = 0
    """Closed within the quarter on purpose (by customs or the trader) before its plan
    was reached: not counted as balanced."""
    versions: tuple[tuple[str, int], ...] = ()
    """The versions of the order governing the authorizations counted above, each with
    how many of them it governs, in version order."""


def quarter_counts(lives: Iterable[Lifetime], start: date, end: date) -> QuarterCounts:
    """How many authorizations were issued, closed, rejected and outstanding in the
    quarter from ``start`` to ``end`` (both included).  One closed on purpose counts as
    such, not as balanced.

    A cancellation is dated by its deadline, a rejection by its decision's business
    date; outstanding at the end means authorized by then and not closed by then."""

    def within(day: date | None) -> bool:
        return day is not None and start <= day <= end

    def open_at_end(life: Lifetime) -> bool:
        closed = life.closed_day
        return (
            life.authorized_on is not None
            and life.authorized_on <= end
            and (closed is None or closed > end)
        )

    lives = list(lives)
    issued = [a for a in lives if within(a.authorized_on)]
    closed = [a for a in lives if within(a.closed_day)]
    rejected = [a for a in lives if within(a.rejected_day)]
    outstanding = [a for a in lives if open_at_end(a)]
    versions: dict[str, int] = {}
    # Each authorization once, though it may be issued, closed and outstanding alike.
    for life in {id(a): a for a in issued + closed + rejected + outstanding}.values():
        if life.version is not None:
            versions[life.version] = versions.get(life.version, 0) + 1
    return QuarterCounts(
        issued=len(issued),
        planned_import=sum(a.planned_import for a in issued),
        planned_export=sum(a.planned_export for a in issued),
        balanced=sum(
            1 for a in closed if a.status == AuthorizationStatus.BALANCED and a.closed_by is None
        ),
        closed_on_purpose=sum(
            1
            for a in closed
            if a.status == AuthorizationStatus.BALANCED and a.closed_by is not None
        ),
        cancelled=sum(1 for a in closed if a.status == AuthorizationStatus.CANCELLED),
        rejected=len(rejected),
        outstanding=len(outstanding),
        versions=tuple(sorted(versions.items())),
    )


def quarter_bounds(text: str) -> tuple[date, date]:
    """First and last day of a quarter written ``2025Q4``."""
    match = re.fullmatch(r"([0-9]{4})[Qq]([1-4])", text.strip())
    if match is None:
        raise InputError([Problem(f"{text!r} is not a quarter like 2025Q4", field="quarter")])
    year, quarter = int(match[1]), int(match[2])
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise InputError(
            [
                Problem(
                    f"{text!r} is outside the accepted dates, {FIRST_DAY} to {LAST_DAY}",
                    field="quarter",
                )
            ]
        )
    last_month = 3 * quarter
    return date(year, last_month - 2, 1), date(year, last_month, monthrange(year, last_month)[1])
