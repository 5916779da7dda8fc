"""Money that does not arrive: returned collections and payouts (DESIGN §3.2).

A bank returns a collection or a payout with an ISO 20022 return reason
(``ExternalReturnReason1Code``).  The rules here decide, without a database, what a
return does: which jointly liable member is asked next, each creditor's part of
what a returned collection was to pay, and how much of a payout is held.

What ``services.settlement.return_instruction`` does with them:

- A returned **payout**: the money stays in the clearing account, the claim stays
  owed (``payout:FIRM`` keeps its credit) and the next run carries it like a
  roll-over (``services.returned.carried_payouts``).
- A returned **collection** asks the next member jointly liable for every obligation
  it pays (lowest firm id, each firm once along the chain of ``replaces``): a new
  pending collection of the same amount in the member's country, the claim between
  the clearing accounts moving with it.
- With no member left, each creditor's exact part (its obligations' amounts at the
  run's rates, rounded once) comes off its payout: the pending payout is split into a
  ``held`` row (``replaces`` naming the returned collection) and a pending rest, then
  the run's roll-over; its obligations reopen with their remaining restored.  Where
  the payout has left already, or the corridor's policy is ``credit_line``, the
  creditor keeps its money, its obligations stay in settlement, the clearing account
  lends it, and the debtor is asked again (a new collection) for that part: reopening
  them too would pay the creditor twice.
- Members sanctions screening stops are skipped, and named in the result.
- Its own country's account paid its creditors counting on that collection: what it
  is now short (``services.holds.shortfall``) holds that account's pending payouts
  pro rata under the ``hold`` policy (their claims stay owed and are carried like
  roll-overs); what was paid already is lent by its credit line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType

from tahator.domain.settlement import InstructionStatus
from tahator.i18n import N_

MOVING = (InstructionStatus.PENDING, InstructionStatus.CONFIRMED)
"""Instructions whose money moves or has moved; a returned or held one's does not."""

REASONS: Mapping[str, str] = MappingProxyType(
    {
        "AC01": N_("incorrect account number"),
        "AC04": N_("closed account number"),
        "AC06": N_("blocked account"),
        "AG01": N_("transaction forbidden on this type of account"),
        "AM04": N_("insufficient funds"),
        "AM05": N_("duplication"),
        "BE04": N_("missing creditor address"),
        "MD07": N_("end customer deceased"),
        "MS02": N_("not specified reason, customer generated"),
        "MS03": N_("not specified reason, agent generated"),
        "RC01": N_("bank identifier incorrect"),
        "RR01": N_("missing debtor account or identification (regulatory)"),
        "RR02": N_("missing debtor name or address (regulatory)"),
        "RR03": N_("missing creditor name or address (regulatory)"),
        "RR04": N_("regulatory reason"),
        "FOCR": N_("following cancellation request"),
        "NARR": N_("narrative: the reason is given in words"),
    }
)
"""The return reasons a bank may give, ISO 20022 ``ExternalReturnReason1Code``,
with their meanings (the external code set's definitions, shortened; marked for
translation, translated where shown)."""


def reason_code(text: str) -> str:
    """``text`` as a known return reason code; ``ValueError`` naming the known ones."""
    code = text.strip().upper()
    if code not in REASONS:
        known = ", ".join(REASONS)
        raise ValueError(
            f"unknown return reason {text[:20]!r}: give an ISO 20022 return reason code, "
            f"one of {known}"
        )
    return code


def next_liable(
    liable: Iterable[frozenset[str]], tried: Iterable[str], skip: Iterable[str] = ()
) -> str | None:
    """The next firm to collect from: jointly liable for every obligation (``liable``
    holds each obligation's liable firms), not yet tried nor to ``skip`` (sanctions
    screening stops it), lowest firm id first."""
    candidates = sorted(set(liable_members(liable)) - set(tried) - set(skip))
    return candidates[0] if candidates else None


def liable_members(liable: Iterable[frozenset[str]]) -> frozenset[str]:
    """The firms jointly liable for every one of the obligations."""
    common: frozenset[str] | None = None
    for firms in liable:
        common = firms if common is None else common & firms
    return common or frozenset()


def creditor_parts(exact: Mapping[str, Fraction]) -> dict[str, int]:
    """Each creditor's exact part of a returned collection, rounded once, half-even:
    what its payouts carry for that collection.  What the parts do not add up to of
    the collection's own amount is the rounding account's."""
    return {firm: round(value) for firm, value in exact.items()}


def hold(part: int, pending: int, rolled_over: int, slack: int = 0) -> tuple[int, int, int] | None:
    """How much of a creditor's ``part`` comes off its pending payout and off its
    roll-over, and the rest they no longer hold (``None``: they do not cover it; the
    clearing account lends it instead).

    The pending payout is held first: it is the money the returned collection was to
    fund.  What the account could not pay anyway is the roll-over.  ``slack``: what
    earlier holds of the same payout may have taken beyond their exact parts (a unit
    each, rounded once); a part short by at most that is held as far as it goes and
    the rest, never more than what is left, is returned as rounding."""
    covered = pending + rolled_over
    if part > covered + slack:
        return None
    take = min(part, covered)
    from_payout = min(take, pending)
    return from_payout, take - from_payout, part - take
