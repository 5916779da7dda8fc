"""A checkpoint is read strictly: a malformed one is "not a checkpoint" (exit 2 / 422),
never taken for a tampered chain (exit 1) nor a crash (ATTACK 4, 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tahator.domain.errors import InputError
from tahator.services.audit import checkpoint_from, read_checkpoint

GOOD = {"last_id": 5, "hash": "ab" * 32, "records": 5, "counts": {"obligations": 3}}


def test_a_checkpoint_as_written_reads_back() -> None:
    saved = read_checkpoint(json.dumps(GOOD), "cp.json")
    assert (saved.last_id, saved.records, saved.counts) == (5, 5, {"obligations": 3})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"last_id": "5"}, "last_id is '5'"),
        ({"last_id": 571.9}, "last_id is 571.9"),
        ({"last_id": -1}, "last_id is -1"),
        ({"last_id": 10**30}, "last_id is 1000000000000000000000000000000"),
        ({"records": True}, "records is True"),
        ({"hash": "AB" * 32}, "hash is not 64 lowercase"),
        ({"hash": "ab"}, "hash is not 64 lowercase"),
        ({"counts": {"obligations": -1}}, "counts.obligations is -1"),
        ({"counts": {"audit_log": 9, "evil": 1}}, "counts names no money table: audit_log, evil"),
        ({"counts": []}, "counts is not a JSON object"),
    ],
)
def test_a_malformed_field_is_named(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(InputError, match="not a checkpoint: " + reason.replace("(", r"\(")):
        checkpoint_from({**GOOD, **change}, "cp.json")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("[" * 100_000, "not JSON"), ("[1]", "not a JSON object"), ("{}", "no last_id")],
)
def test_text_that_is_no_checkpoint_is_named(text: str, reason: str) -> None:
    with pytest.raises(InputError, match="not a checkpoint: " + reason):
        read_checkpoint(text, "cp.json")
