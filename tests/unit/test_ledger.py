"""Journal entries: postings, balance per currency, merging (``domain.ledger``)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tahator.domain import ledger
from tahator.domain.ledger import Entry, EntryBuilder, EntryKind, Posting


def test_an_unbalanced_entry_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("'lopsided' does not balance: {'USD': 5}")):
        ledger.entry(
            EntryKind.SETOFF,
            "lopsided",
            [Posting("payable:A", "USD", 10), Posting("receivable:B", "USD", -5)],
        )


def test_an_entry_balances_in_every_currency_not_across_them() -> None:
    with pytest.raises(ValueError, match="does not balance"):
        ledger.entry(
            EntryKind.SETTLEMENT,
            "dollars for rupees",
            [Posting("collection:A", "USD", 5), Posting("interaccount:PK", "PKR", -5)],
        )
    lopsided = Entry(
        EntryKind.SETTLEMENT,
        "two currencies",
        (
            Posting("a", "USD", 5),
            Posting("b", "USD", -5),
            Posting("c", "PKR", 7),
            Posting("d", "PKR", -4),
        ),
    )
    assert lopsided.imbalance() == {"PKR": 3}


def test_an_entry_merges_postings_to_one_account_and_drops_zeros() -> None:
    entry = ledger.entry(
        EntryKind.SETOFF,
        "merged",
        [
            *ledger.transfer("payable:A", "receivable:B", "USD", 30),
            *ledger.transfer("payable:A", "receivable:C", "USD", 20),
            *ledger.transfer("payable:D", "receivable:D", "USD", 0),
        ],
    )
    assert entry.postings == (
        Posting("payable:A", "USD", 50),
        Posting("receivable:B", "USD", -30),
        Posting("receivable:C", "USD", -20),
    )
    assert entry.imbalance() == {}


def test_a_transfer_debits_one_account_and_credits_the_other() -> None:
    debit, credit = ledger.transfer(ledger.clearing("PK"), ledger.collection("PK-1"), "USD", 12)
    assert debit == Posting("clearing:PK", "USD", 12)
    assert credit == Posting("collection:PK-1", "USD", -12)


def test_the_chart_of_accounts_names() -> None:
    assert [
        ledger.receivable("F"),
        ledger.payable("F"),
        ledger.collection("F"),
        ledger.payout("F"),
        ledger.clearing("PK"),
        ledger.interaccount("IR"),
    ] == ["receivable:F", "payable:F", "collection:F", "payout:F", "clearing:PK", "interaccount:IR"]


def test_a_builder_sums_transfers_per_account() -> None:
    builder = EntryBuilder()
    assert not builder
    builder.transfer("payable:A", "receivable:B", "USD", 7)
    builder.transfer("payable:A", "receivable:B", "PKR", 300)
    builder.transfer("payable:A", "receivable:B", "USD", 3)
    assert builder
    entry = builder.build(EntryKind.SETOFF, "set-offs")
    assert entry.kind == EntryKind.SETOFF
    assert entry.memo == "set-offs"
    assert entry.postings == (
        Posting("payable:A", "PKR", 300),
        Posting("payable:A", "USD", 10),
        Posting("receivable:B", "PKR", -300),
        Posting("receivable:B", "USD", -10),
    )


def test_transfers_that_cancel_leave_nothing_to_post() -> None:
    builder = EntryBuilder()
    builder.transfer("a", "b", "USD", 5)
    builder.transfer("b", "a", "USD", 5)
    assert not builder
    assert builder.build(EntryKind.SETOFF, "nothing").postings == ()


def test_a_builder_refuses_to_build_an_unbalanced_entry() -> None:
    builder = EntryBuilder()
    builder.transfer("a", "b", "USD", 5)
    builder.totals["a", "USD"] += 1  # a bug in the caller
    with pytest.raises(ValueError, match=re.escape("does not balance: {'USD': 1}")):
        builder.build(EntryKind.SETOFF, "broken")


@given(
    st.lists(
        st.tuples(
            st.sampled_from("abcde"),
            st.sampled_from("abcde"),
            st.sampled_from(["USD", "PKR"]),
            st.integers(0, 10**12),
        ),
        max_size=40,
    )
)
def test_any_transfers_build_a_balanced_entry_with_the_same_balances(
    transfers: list[tuple[str, str, str, int]],
) -> None:
    builder = EntryBuilder()
    expected: dict[tuple[str, str], int] = {}
    for debit, credit, currency, amount in transfers:
        builder.transfer(debit, credit, currency, amount)
        expected[debit, currency] = expected.get((debit, currency), 0) + amount
        expected[credit, currency] = expected.get((credit, currency), 0) - amount
    entry = builder.build(EntryKind.SETTLEMENT, "random")
    assert entry.imbalance() == {}
    assert {(p.account, p.currency): p.amount for p in entry.postings} == {
        key: amount for key, amount in expected.items() if amount
    }
    assert not any(ledger.currency_totals(entry.postings).values())
