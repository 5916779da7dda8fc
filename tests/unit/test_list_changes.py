"""What a new list version changes: added, removed and changed entries by reference."""

from __future__ import annotations

from typing import Any

from tahator.domain.list_changes import (
    ChangedEntry,
    EntryRef,
    changes,
    exceeds,
    shrink_message,
    summary,
)
from tahator.domain.sanctions_lists import Identifier, ListedName, ListEntry


def entry(reference: str, name: str = "", **fields: Any) -> ListEntry:
    values: dict[str, Any] = {"kind": "entity", "list_type": "Iran"} | fields
    return ListEntry(reference=reference, name=name or reference.upper(), **values)


def test_added_removed_and_changed_by_reference() -> None:
    old = [entry("a"), entry("b"), entry("c", aliases=(ListedName("C1", "Good"),)), entry("d")]
    new = [
        entry("b"),
        entry("c", aliases=(ListedName("C2", "Good"),)),
        entry("d", "D RENAMED", identifiers=(Identifier("passport", "X1"),)),
        entry("e"),
    ]
    found = changes(old, new)
    assert found.added == (EntryRef("e", "E"),)
    assert found.removed == (EntryRef("a", "A"),)
    assert found.changed == (
        ChangedEntry("c", "C", ("aliases",), "C"),
        ChangedEntry("d", "D RENAMED", ("name", "identifiers"), "D"),
    )
    assert (found.before, found.after) == (4, 4)
    assert found.removed_share == 0.25


def test_order_and_alias_grading_are_not_changes() -> None:
    one = entry(
        "a", aliases=(ListedName("X", "Good"), ListedName("Y", "Low")), born=("1960", "1961")
    )
    other = entry(
        "a", aliases=(ListedName("Y", "a.k.a."), ListedName("X", "Good")), born=("1961", "1960")
    )
    assert changes([one], [other]).changed == ()
    assert changes([one], [entry("a", list_type="DPRK")]).changed[0].fields[:1] == ("list_type",)


def test_a_first_version_only_adds_and_never_shrinks() -> None:
    found = changes([], [entry("a"), entry("b")])
    assert (len(found.added), found.removed, found.removed_share) == (2, (), 0.0)
    assert not exceeds(found, 0)


def test_the_shrink_limit_and_its_message_name_the_numbers() -> None:
    old = [entry(f"r{i:04}") for i in range(1093)]
    found = changes(old, old[:22])
    assert len(found.removed) == 1071
    assert exceeds(found, 10)
    assert not exceeds(changes(old, old[:984]), 10)  # 109 of 1,093 = 9.97 %
    assert exceeds(changes(old, old[:983]), 10)
    message = shrink_message(found, 10)
    assert message.startswith("would remove 1,071 of 1,093 entries (98 %), leaving 22;")
    brief = summary(found, 3)
    assert (brief.removed, len(brief.first_removed), brief.first_removed[0].reference) == (
        1071,
        3,
        "r0022",
    )


def test_restoring_a_whole_list_over_a_truncated_one_is_no_shrink() -> None:
    from tahator.domain.list_changes import changes, exceeds

    whole = [ListEntry(f"R{i}", "individual", f"Name {i}", "Iran") for i in range(1093)]
    junk = [ListEntry("J1", "individual", "Junk", "Iran")]
    assert not exceeds(changes(junk, whole), 10)  # 1 of 1 removed, 1,093 back
    assert exceeds(changes(whole, whole[:22]), 10)  # the truncated file itself
    wrong = [ListEntry(f"W{i}", "entity", f"Other {i}", "EU") for i in range(2000)]
    assert exceeds(changes(whole, wrong), 10)  # another list's file, larger but wrong
