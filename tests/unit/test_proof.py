"""Digests, row tags and checkpoints of the proof (DESIGN §3.5), without a database."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tahator.domain import ledger
from tahator.domain.audit import (
    TAG_LENGTH,
    Checkpoint,
    checkpoint_breaks,
    digest,
    expand_ranges,
    id_ranges,
    row_tag,
)
from tahator.domain.corridor import Rate
from tahator.domain.money import MAX_MINOR
from tahator.domain.run import OpenObligations, RunInputs
from tahator.services import replay_state
from tahator.services.proof import decode_inputs, decode_value, encode_inputs, encode_value
from tahator.services.replay_state import Replay, compare_lines


@given(st.sets(st.integers(min_value=1, max_value=10_000)))
def test_id_ranges_round_trip(ids: set[int]) -> None:
    ranges = id_ranges(ids)
    assert expand_ranges(ranges) == sorted(ids)
    assert all(b[0] > a[1] + 1 for a, b in pairwise(ranges))


def test_a_digest_changes_with_any_cell_and_the_order_of_rows() -> None:
    rows = [
        (1, "A1", "PK-1", "IR-1", 100, "USD", date(2026, 6, 30)),
        (2, "A2", "IR-1", "PK-1", 5, "PKR", date(2026, 7, 1)),
    ]
    base = digest(rows)
    assert digest(list(rows)) == base
    assert digest(rows[::-1]) != base
    assert digest([rows[0], (*rows[1][:4], 6, *rows[1][5:])]) != base
    assert digest(rows[:1]) != base
    assert len(row_tag(rows[0])) == TAG_LENGTH
    assert row_tag(rows[0]) != row_tag((1, "A1", "PK-2", "IR-1", 100, "USD", date(2026, 6, 30)))


def _checkpoint(last: int, head: str, counts: dict[str, int]) -> Checkpoint:
    return Checkpoint(last, head, last, counts)


def test_a_checkpoint_tells_a_rewritten_chain_from_a_truncated_one() -> None:
    saved = _checkpoint(5, "a" * 64, {"rollovers": 3, "journal_lines": 9})
    grown = _checkpoint(7, "b" * 64, {"rollovers": 3, "journal_lines": 12})
    assert checkpoint_breaks(saved, grown, "a" * 64) == []
    rewritten = checkpoint_breaks(saved, grown, "c" * 64)
    assert rewritten == [
        "audit record 5 no longer has the checkpoint's hash aaaaaaaaaaaa…: the chain was rewritten"
    ]
    truncated = checkpoint_breaks(saved, _checkpoint(4, "d" * 64, saved.counts), None)
    assert truncated[0].startswith("audit record 5, the checkpoint's head, is gone")
    assert "fewer than the checkpoint's 5" in truncated[1]
    lost = _checkpoint(7, "b" * 64, {"rollovers": 2, "journal_lines": 12})
    assert checkpoint_breaks(saved, lost, "a" * 64) == [
        "rollovers has 2 rows, fewer than the checkpoint's 3: rows were deleted"
    ]


def test_a_runs_inputs_survive_their_record() -> None:
    open_ = OpenObligations([1], ["PK-1"], ["IR-1"], [100], ["USD"], ["2026-06-30"])
    inputs = RunInputs(
        as_of=date(2026, 11, 23),
        unit_of_account="USD",
        unit_digits=2,
        digits={"USD": 2, "PKR": 2, "IRR": 0},
        countries={"PK": "PKR", "IR": "IRR"},
        credit_lines={"PK": 5000, "IR": 0},
        rates={"USD": Rate("USD", Decimal(1)), "IRR": Rate("IRR", Decimal("1100000.00"))},
        obligations=open_,
        country_of={"PK-1": "PK", "IR-1": "IR"},
        opening={"PK": -12, "IR": 12},
        carried={"IR-1": 40},
    )
    stored = json.loads(json.dumps(encode_inputs(inputs)))
    assert "obligations" not in stored
    assert stored["rates"]["IRR"] == "1100000.00"
    assert decode_inputs(stored, open_, inputs.country_of) == inputs


def test_inputs_of_other_shapes_survive_their_record() -> None:
    cases = [
        ("Mapping[tuple[str, str], int]", {("PK", "IR"): 120, ("IR", "PK"): 0}),
        ("Mapping[str, Fraction]", {"PK": Fraction(1, 5)}),
        ("bool", False),
        ("int", 10**20),
        ("Decimal | None", None),
    ]
    for annotation, value in cases:
        stored = json.loads(json.dumps(encode_value(value)))
        assert decode_value(annotation, stored, "x") == value, annotation
    with pytest.raises(ValueError, match="cannot rebuild the run's x"):
        decode_value("frozenset[str]", [], "x")


def _replay_with_lines(monkeypatch: pytest.MonkeyPatch, lines: list[tuple]) -> Replay:
    monkeypatch.setattr(replay_state.proof, "entry_lines", lambda session, ids: lines)
    return Replay(session=None)


def test_lines_split_past_64_bits_are_compared_as_a_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An amount past 64 bits is posted as several lines to one account: the replay
    compares their amounts together, not the last line alone."""
    builder = ledger.EntryBuilder()
    builder.transfer("payout:A", "clearing:PK", "USD", MAX_MINOR + 5)
    postings = builder.build(ledger.EntryKind.PAYOUT, "").postings
    assert len(postings) == 4
    stored = [(n, 1, p.account, p.currency, p.amount) for n, p in enumerate(postings)]
    r = _replay_with_lines(monkeypatch, stored)
    compare_lines(r, 1, postings, "a test")
    assert r.breaks == []
    stored[0] = (*stored[0][:4], stored[0][4] + 1)
    r = _replay_with_lines(monkeypatch, stored)
    compare_lines(r, 1, postings, "a test")
    assert len(r.breaks) == 1
    assert r.breaks[0].startswith("journal_lines 0 (entry 1, ")
