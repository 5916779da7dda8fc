"""The quarterly barter report for the Ministry of Commerce.

What was authorized, balanced, cancelled and rejected in a quarter, and the
declared flows by partner country and HS chapter, in the unit of account, with the
versions of the barter order that govern the authorizations counted.
``tahator.io.barter_report`` writes it as JSON, CSV and a one-page PDF.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tahator.domain import barter
from tahator.domain.barter import AuthorizationStatus
from tahator.domain.errors import InputError
from tahator.domain.money import Amount
from tahator.domain.policy import Direction, Policy
from tahator.services import corridor as corridors
from tahator.services.barter_views import rules_of
from tahator.services.common import now
from tahator.store.schema import Authorization, Declaration


@dataclass(frozen=True)
class Flow:
    """Declared goods with one partner country in one HS chapter."""

    partner_country: str
    hs_chapter: str
    imported: Amount
    exported: Amount
    declarations: int


@dataclass(frozen=True)
class FlaggedDeclaration:
    """A declaration whose unit value is outside its reference band."""

    declaration: int
    authorization: int
    hs: str
    date: dt.date
    flag: str


@dataclass(frozen=True)
class PolicyVersion:
    """A version of the barter order governing some of the authorizations counted."""

    version: str
    effective: dt.date
    source: str
    authorizations: int
    """How many of the authorizations counted it governs."""


@dataclass(frozen=True)
class QuarterlyReport:
    """The report; its JSON document names ``from_`` ``from`` (a Python keyword)."""

    quarter: str
    from_: dt.date
    to: dt.date
    unit_of_account: str
    authorizations_issued: int
    planned_import: Amount
    planned_export: Amount
    balanced: int
    """Balanced by reaching the plan (its declarations, or within the tolerance at its
    deadline)."""
    closed_on_purpose: int
    """Closed on purpose by customs or the trader before its plan was reached."""
    cancelled: int
    rejected: int
    outstanding: int
    flows: tuple[Flow, ...]
    flagged: tuple[FlaggedDeclaration, ...]
    policy_versions: tuple[PolicyVersion, ...]
    """Oldest first; empty when the quarter counts no authorization."""
    generated_at: dt.datetime
    """When the report was made (UTC)."""


@dataclass(frozen=True)
class ReportRow:
    """One row of the report in long format: a measure of a section."""

    section: str
    partner_country: str
    hs_chapter: str
    measure: str
    value: int | Amount | str


def quarterly_report(session: Session, policy: Policy, quarter: str) -> QuarterlyReport:
    """The quarterly barter report; ``InputError`` for a quarter not like ``2025Q4`` or
    outside the accepted dates."""
    start, end = barter.quarter_bounds(quarter)
    corridor = corridors.load(session)
    authorizations = session.execute(select(Authorization)).scalars().all()

    def money(minor: int) -> Amount:
        return Amount(minor, corridor.unit_of_account, corridor.unit_digits)

    def version(authorization: Authorization) -> str | None:
        try:
            return rules_of(policy, authorization).version
        except InputError:  # submitted before the first version took effect
            return None

    counts = barter.quarter_counts(
        (
            barter.Lifetime(
                AuthorizationStatus(a.state),
                a.submitted_on,
                a.authorized_on,
                a.closed_on,
                a.planned_import,
                a.planned_export,
                deadline=a.deadline,
                decided_on=a.decided_on,
                version=version(a),
                closed_by=a.closed_by,
            )
            for a in authorizations
        ),
        start,
        end,
    )
    governing = dict(counts.versions)
    partner_of = {a.id: a.partner_country for a in authorizations}
    flows: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"imported": 0, "exported": 0, "declarations": 0}
    )
    flagged = []
    for d in session.execute(
        select(Declaration)
        .where(Declaration.declared_on >= start, Declaration.declared_on <= end)
        .order_by(Declaration.id)
    ).scalars():
        cell = flows[partner_of[d.authorization_id], d.hs[:2]]
        cell["imported" if d.direction == Direction.IMPORT else "exported"] += d.value_unit
        cell["declarations"] += 1
        if d.flag:
            flagged.append(
                FlaggedDeclaration(d.id, d.authorization_id, d.hs, d.declared_on, d.flag)
            )
    return QuarterlyReport(
        quarter=quarter.upper(),
        from_=start,
        to=end,
        unit_of_account=corridor.unit_of_account,
        authorizations_issued=counts.issued,
        planned_import=money(counts.planned_import),
        planned_export=money(counts.planned_export),
        balanced=counts.balanced,
        closed_on_purpose=counts.closed_on_purpose,
        cancelled=counts.cancelled,
        rejected=counts.rejected,
        outstanding=counts.outstanding,
        flows=tuple(
            Flow(
                partner_country=partner,
                hs_chapter=chapter,
                imported=money(cell["imported"]),
                exported=money(cell["exported"]),
                declarations=cell["declarations"],
            )
            for (partner, chapter), cell in sorted(flows.items())
        ),
        flagged=tuple(flagged),
        policy_versions=tuple(
            PolicyVersion(rules.version, rules.effective, rules.source, governing[rules.version])
            for rules in policy.versions
            if rules.version in governing
        ),
        generated_at=now(),
    )


SUMMARY_MEASURES = (
    "authorizations_issued",
    "planned_import",
    "planned_export",
    "balanced",
    "closed_on_purpose",
    "cancelled",
    "rejected",
    "outstanding",
)


def report_rows(report: QuarterlyReport) -> tuple[ReportRow, ...]:
    """The report in long format: the summary, the flows, the flagged declarations, the
    versions of the order governing what it counts, then when it was made."""
    rows = [
        ReportRow("summary", "", "", measure, getattr(report, measure))
        for measure in SUMMARY_MEASURES
    ]
    for flow in report.flows:
        rows += [
            ReportRow("flows", flow.partner_country, flow.hs_chapter, "imported", flow.imported),
            ReportRow("flows", flow.partner_country, flow.hs_chapter, "exported", flow.exported),
            ReportRow(
                "flows", flow.partner_country, flow.hs_chapter, "declarations", flow.declarations
            ),
        ]
    rows += [
        ReportRow("flagged", "", item.hs[:2], f"declaration {item.declaration}", item.flag)
        for item in report.flagged
    ]
    for rules in report.policy_versions:
        rows += [
            ReportRow("policy", "", "", f"version {rules.version} source", rules.source),
            ReportRow(
                "policy", "", "", f"version {rules.version} effective", rules.effective.isoformat()
            ),
            ReportRow(
                "policy", "", "", f"version {rules.version} authorizations", rules.authorizations
            ),
        ]
    rows.append(ReportRow("report", "", "", "generated_at", report.generated_at.isoformat()))
    return tuple(rows)
