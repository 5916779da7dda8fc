"""What a bound barter ring makes: obligations for the differences in value, and
barter applications for only the goods that cross the border, with true origins.

A ring's leg ``i`` is a firm giving its goods to leg ``i+1`` and receiving those
of leg ``i-1`` (``domain.matching`` finds the rings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RingDebt:
    """What one firm of a bound ring owes its supplier beyond what barter covers."""

    position: int
    """The debtor's leg in the ring."""
    debtor: str
    creditor: str
    amount: int
    """In the unit of account's minor units."""


def ring_debts(firms: Sequence[str], gives: Sequence[int]) -> tuple[RingDebt, ...]:
    """The obligations of a ring whose leg ``i`` is firm ``firms[i]`` giving ``gives[i]``.

    Each firm receives the previous leg's goods and gives its own.  Barter covers
    the smallest value in the ring; each firm owes its supplier the rest of what
    it received, so every firm's net position is what it received less what it
    gave.  Legs owing nothing are left out.
    """
    if len(firms) != len(gives) or not firms:
        raise ValueError("a ring needs one value for each of its legs")
    floor = min(gives)
    return tuple(
        RingDebt(position, firms[position], firms[position - 1], gives[position - 1] - floor)
        for position in range(len(firms))
        if gives[position - 1] != floor
    )


@dataclass(frozen=True)
class RingApplication:
    """The barter application a bound ring makes for one home firm and one foreign
    partner: only the goods that cross the border between them, with true origins."""

    applicant: str
    """A firm of the home country."""
    partner: str
    """The foreign firm it trades with: its counterparty."""
    partner_country: str
    """The partner's country: where the imported goods originate."""
    imports: tuple[int, ...]
    """Legs whose goods the partner gives the applicant (the partner's legs)."""
    exports: tuple[int, ...]
    """Legs whose goods the applicant gives the partner (the applicant's legs)."""


def ring_applications(
    firms: Sequence[str], countries: Sequence[str], home: str
) -> tuple[RingApplication, ...]:
    """The applications of a ring whose leg ``i`` is firm ``firms[i]`` of ``countries[i]``.

    Leg ``i`` receives the goods of leg ``i-1`` and gives its own to leg ``i+1``.
    Goods received by a home firm from a foreign one are its imports from that
    firm; goods a home firm gives a foreign one are its exports to it.  One
    application per (home firm, foreign firm), in the order of the legs: two-sided
    when the two trade both ways, one-sided when the firm's supplier and customer
    are different foreign firms.  Goods passing between two home firms cross no
    border and appear on no application (the ring's obligations cover them);
    foreign firms apply under their own country's rules, so a ring without a
    home firm makes none.  Whether the partner's country is one the order allows
    is the barter rules' to judge, not this.
    """
    if len(firms) != len(countries) or len(firms) < 2:
        raise ValueError("a ring needs a country for each of its legs, two legs at least")
    count = len(firms)
    imports: dict[tuple[str, str], list[int]] = {}
    exports: dict[tuple[str, str], list[int]] = {}
    order: dict[tuple[str, str], str] = {}
    for position in range(count):
        if countries[position] != home:
            continue
        supplier, customer = (position - 1) % count, (position + 1) % count
        if countries[supplier] != home:
            pair = (firms[position], firms[supplier])
            order.setdefault(pair, countries[supplier])
            imports.setdefault(pair, []).append(supplier)
        if countries[customer] != home:
            pair = (firms[position], firms[customer])
            order.setdefault(pair, countries[customer])
            exports.setdefault(pair, []).append(position)
    return tuple(
        RingApplication(
            applicant,
            partner,
            country,
            tuple(imports.get((applicant, partner), ())),
            tuple(exports.get((applicant, partner), ())),
        )
        for (applicant, partner), country in order.items()
    )
