"""Who may see and act on which firms' records: the one access rule.

A trader acts for one firm and sees only the records that firm is a party to; to
it, every other firm's records do not exist, so the API and the web answer 404,
never 403 (no answer reveals whether another firm's record exists).  Every other
role sees every firm's records; what a role may *do* is checked where a request
arrives.

A firm is a party to
- an obligation it owes, is owed, or is jointly and severally liable for;
- a clearing run's set-off notice of such an obligation, and a settlement
  instruction to collect from or pay it;
- a barter authorization it applied for or is the counterparty of, or whose
  applicant is a consortium it leads or belongs to;
- an offer it made, and a proposal (a proposed ring) in which one of its offers is.

Each kind of record has one predicate (``obligations_of`` …) saying which rows a
firm is a party to: the services filter their lists with it, and the ``sees_…``
checks here ask it of one record.

What of a record a role reads is decided here too, in one table (``READERS``, asked
by ``may_read``): a resource's role-dependent parts (a run's instructions and its
clearing accounts' figures, a firm's screening hits, monthly figures that could
single out a firm) are left out by the service for a role not listed, so the API,
the web pages and their downloads show the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tahator.domain.corridor import day_problem
from tahator.domain.errors import InputError, NotFoundError, Problem
from tahator.domain.policy import Policy
from tahator.domain.roles import Role
from tahator.services.common import business_today
from tahator.services.users import Principal
from tahator.store.schema import (
    Authorization,
    Consortium,
    ConsortiumMember,
    Obligation,
    ObligationLiability,
    Offer,
    Proposal,
    ProposalLeg,
    SettlementInstruction,
)

_Key = TypeVar("_Key", int, str)

TRADER = Role.TRADER
"""The one role bound to a firm, and so the one whose view is cut to its firm's records."""
BARTER_READERS = (Role.OPERATOR, Role.CUSTOMS, Role.TRADER, Role.AUDITOR)
"""Roles that see barter authorizations (a bank has no part in barter)."""
APPLICANTS = (Role.OPERATOR, Role.TRADER)
"""Roles that apply for barter authorizations."""
REPORT_READERS = (Role.OPERATOR, Role.CUSTOMS, Role.AUDITOR)
"""Roles that read the quarterly barter report to the Ministry of Commerce."""
INSTRUCTION_READERS = (Role.OPERATOR, Role.BANK, Role.TRADER, Role.AUDITOR)
"""Roles that see settlement instructions (customs has no part in payments)."""
ACCOUNT_READERS = (Role.OPERATOR, Role.BANK, Role.AUDITOR)
"""Roles that see the clearing accounts' figures and the imbalance between them."""
SETTLERS = (Role.OPERATOR, Role.BANK)
"""Roles that handle the banks' files: export payment files, import statements (the
bank desk)."""
ACCOUNT_REGISTRARS = (Role.OPERATOR,)
"""Roles that register bank accounts, firms' and clearing accounts'."""
BANK_ACCOUNT_READERS = INSTRUCTION_READERS
"""Roles that see bank accounts (IBANs): a trader its own firm's and the clearing
accounts' (where it pays); customs has no business with where money goes."""
SCREENING_READERS = (Role.OPERATOR, Role.CUSTOMS, Role.BANK, Role.AUDITOR)
"""Roles that read screening hits (the listed entry, score, explanation, decision): a
trader is told only where its firm stands, lest it tip a listed partner off."""
FIRM_FIGURE_READERS = REPORT_READERS
"""Roles that may see one firm's trade in an aggregate: every other role reads a
monthly figure only when enough firms make it up (``[target] min_firms``)."""
WEBHOOK_MANAGERS = (Role.OPERATOR, Role.BANK, Role.TRADER)
"""Roles that register, disable and rotate webhooks: a trader its firm's, a bank user
the banks' (clearing accounts'), the operator any."""
WEBHOOK_READERS = (*WEBHOOK_MANAGERS, Role.AUDITOR)
"""Roles that read webhooks and their delivery logs (customs has none)."""
DATERS = (Role.OPERATOR, Role.CUSTOMS)
"""Roles that may state the business date an action takes effect on (``acting_date``):
every other role's actions take the server's business date."""


class Part(StrEnum):
    """A role-dependent part of a resource."""

    INSTRUCTIONS = "instructions"
    """Settlement instructions: in a run, on the clearing page, in their download."""
    CLEARING_ACCOUNTS = "clearing_accounts"
    """A run's settlement figures: the accounts, the imbalances, the rounding."""
    SCREENING_DETAIL = "screening_detail"
    """A firm's screening hits and the operator's decisions on them."""
    FIRM_FIGURES = "firm_figures"
    """Monthly trade figures made up by fewer firms than the minimum."""


READERS: Mapping[Part, tuple[Role, ...]] = {
    Part.INSTRUCTIONS: INSTRUCTION_READERS,
    Part.CLEARING_ACCOUNTS: ACCOUNT_READERS,
    Part.SCREENING_DETAIL: SCREENING_READERS,
    Part.FIRM_FIGURES: FIRM_FIGURE_READERS,
}
"""Who reads each role-dependent part: the one table every entry point follows."""


class HiddenError(NotFoundError):
    """A record the principal may not see: to it, it does not exist."""


def hide_unless(visible: bool, what: str) -> None:
    """The rule's "no" for one record: ``HiddenError`` (a ``NotFoundError``, so the API
    answers 404 and the web its 404 page), never a refusal that confirms ``what`` exists."""
    if not visible:
        raise HiddenError(f"no {what}")


def may_read(principal: Principal, part: Part) -> bool:
    """Whether ``principal``'s role reads ``part`` of the resources it is in (``READERS``)."""
    return principal.role in READERS[part]


def sees_instructions(principal: Principal) -> bool:
    """Whether ``principal``'s role sees settlement instructions at all."""
    return may_read(principal, Part.INSTRUCTIONS)


def sees_every_firm(principal: Principal) -> bool:
    """Whether ``principal`` sees every firm's records (every role but a trader)."""
    return principal.role != TRADER


def _own(principal: Principal) -> str:
    return principal.firm or ""


def firm_filter(principal: Principal, asked: str | None) -> str | None:
    """The firm a list of records runs for: what was asked (``None``: every firm's), or,
    for a trader, its own firm; ``HiddenError`` when a trader asks for another's."""
    if sees_every_firm(principal):
        return asked
    if asked is not None and asked != principal.firm:
        raise HiddenError(f"no firm {asked}")
    return _own(principal)


def acting_firm(principal: Principal) -> str | None:
    """The one firm ``principal`` acts for (a trader's), or ``None`` for a role that acts
    for none in particular: what a trader registers, it registers as its firm."""
    return None if sees_every_firm(principal) else _own(principal)


def sees_firm(principal: Principal, firm: str) -> bool:
    """Whether ``principal`` may see ``firm`` itself (its registration, its screening)."""
    return sees_every_firm(principal) or firm == principal.firm


def acts_for(principal: Principal, firm: str) -> bool:
    """Whether ``principal`` may act in the name of ``firm`` (offer its goods, answer for
    it): a trader only for its own firm."""
    return sees_firm(principal, firm)


def acting_date(
    principal: Principal, stated: date | None, policy: Policy, field: str = "as_of"
) -> date:
    """The business date ``principal``'s action takes effect on: the date it ``stated``
    where its role may state one (``DATERS``, within the accepted dates), otherwise today
    in the corridor's zone.  A trader that states a date is refused (``InputError`` naming
    ``field``): it may not backdate or postdate its own actions."""
    if stated is None:
        return business_today(policy.zone)
    if principal.role not in DATERS:
        raise InputError([Problem(f"a {principal.role}'s actions take today's date", field=field)])
    problem = day_problem(stated)
    if problem is not None:
        raise InputError([Problem(problem, field=field)])
    return stated


# --- which rows a firm is a party to ------------------------------------------------


def obligations_of(firm: str) -> ColumnElement[bool]:
    """Obligations ``firm`` owes, is owed, or is jointly and severally liable for."""
    jointly = select(ObligationLiability.obligation_id).where(ObligationLiability.firm_id == firm)
    return or_(Obligation.debtor == firm, Obligation.creditor == firm, Obligation.id.in_(jointly))


def notices_of(firm: str) -> ColumnElement[bool]:
    """Set-off notices (rows joined to their ``Obligation``) ``firm`` receives: those of
    the obligations it sees, jointly liable ones included."""
    return obligations_of(firm)


def instructions_of(firm: str) -> ColumnElement[bool]:
    """Settlement instructions to collect from or pay ``firm``."""
    return SettlementInstruction.firm_id == firm


def consortia_of(firm: str) -> ColumnElement[bool]:
    """Consortia ``firm`` leads or belongs to (a predicate on ``Consortium``)."""
    members = select(ConsortiumMember.consortium_id).where(ConsortiumMember.firm_id == firm)
    return or_(Consortium.lead_firm == firm, Consortium.id.in_(members))


def authorizations_of(firm: str) -> ColumnElement[bool]:
    """Barter authorizations ``firm`` applied for or is the counterparty of, and those of
    every consortium it leads or belongs to."""
    consortia = select(Consortium.id).where(consortia_of(firm))
    # A consortium's id is never a firm's (``firms.create_consortium``): no flag needed.
    return or_(
        Authorization.applicant == firm,
        Authorization.counterparty == firm,
        Authorization.applicant.in_(consortia),
    )


def offers_of(firm: str) -> ColumnElement[bool]:
    """Offers ``firm`` made."""
    return Offer.firm == firm


def proposals_of(firm: str) -> ColumnElement[bool]:
    """Proposals (proposed rings) with a leg of ``firm``'s."""
    return Proposal.id.in_(select(ProposalLeg.proposal_id).where(ProposalLeg.firm == firm))


# --- one record ---------------------------------------------------------------------


def _is_party(
    session: Session,
    principal: Principal,
    key: InstrumentedAttribute[_Key],
    value: _Key,
    parties: Callable[[str], ColumnElement[bool]],
) -> bool:
    """Whether the row whose ``key`` is ``value`` is one ``principal`` may see."""
    if sees_every_firm(principal):
        return True
    query = select(key).where(key == value, parties(_own(principal)))
    return session.scalar(query) is not None


def sees_obligation(session: Session, principal: Principal, obligation_id: int) -> bool:
    """Whether ``principal`` may see the obligation (``False`` too if there is none)."""
    return _is_party(session, principal, Obligation.id, obligation_id, obligations_of)


def sees_authorization(session: Session, principal: Principal, authorization_id: int) -> bool:
    """Whether ``principal`` may see the barter authorization: a trader of one of its
    parties, a consortium applicant's lead and every member included."""
    return _is_party(session, principal, Authorization.id, authorization_id, authorizations_of)


def sees_offer(session: Session, principal: Principal, offer_id: str) -> bool:
    """Whether ``principal`` may see the offer."""
    return _is_party(session, principal, Offer.id, offer_id, offers_of)


def sees_proposal(session: Session, principal: Principal, proposal_id: int) -> bool:
    """Whether ``principal`` may see the proposal: a trader of any firm in the ring."""
    return proposal_id in visible_proposals(session, principal, (proposal_id,))


def visible_proposals(
    session: Session, principal: Principal, proposal_ids: Iterable[int]
) -> frozenset[int]:
    """Those of ``proposal_ids`` that ``principal`` may see, in one query."""
    wanted = frozenset(proposal_ids)
    if sees_every_firm(principal) or not wanted:
        return wanted
    query = select(Proposal.id).where(Proposal.id.in_(wanted), proposals_of(_own(principal)))
    return frozenset(session.scalars(query))


def visible_consortia(
    session: Session, principal: Principal, consortium_ids: Iterable[str]
) -> frozenset[str]:
    """Those of ``consortium_ids`` that ``principal`` may see: a trader those its firm
    leads or belongs to."""
    wanted = frozenset(consortium_ids)
    if sees_every_firm(principal) or not wanted:
        return wanted
    query = select(Consortium.id).where(Consortium.id.in_(wanted), consortia_of(_own(principal)))
    return frozenset(session.scalars(query))


def may_apply_for(session: Session, principal: Principal, applicant: str) -> bool:
    """Whether ``principal`` may apply for a barter authorization as ``applicant`` (a firm
    or a consortium): a trader for its own firm or a consortium it leads or belongs to."""
    return applicant == principal.firm or _is_party(
        session, principal, Consortium.id, applicant, consortia_of
    )


__all__ = [
    "ACCOUNT_READERS",
    "ACCOUNT_REGISTRARS",
    "APPLICANTS",
    "BANK_ACCOUNT_READERS",
    "BARTER_READERS",
    "FIRM_FIGURE_READERS",
    "INSTRUCTION_READERS",
    "READERS",
    "REPORT_READERS",
    "SCREENING_READERS",
    "SETTLERS",
    "TRADER",
    "WEBHOOK_MANAGERS",
    "WEBHOOK_READERS",
    "HiddenError",
    "Part",
    "acting_firm",
    "acts_for",
    "authorizations_of",
    "consortia_of",
    "firm_filter",
    "hide_unless",
    "instructions_of",
    "may_apply_for",
    "may_read",
    "notices_of",
    "obligations_of",
    "offers_of",
    "proposals_of",
    "sees_authorization",
    "sees_every_firm",
    "sees_firm",
    "sees_instructions",
    "sees_obligation",
    "sees_offer",
    "sees_proposal",
    "visible_consortia",
    "visible_proposals",
]
