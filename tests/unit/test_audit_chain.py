"""The audit chain without a database (``domain.audit``): hashes and the first break."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from tahator.domain.audit import GENESIS, AuditEntry, canonical, chain_hash, first_break

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def entries(count: int = 4) -> list[AuditEntry]:
    return [
        AuditEntry(
            id=n,
            at=AT + timedelta(minutes=n),
            actor="operator",
            action="clearing.run",
            subject=f"clearing_run:{n}",
            before=canonical(None),
            after=canonical({"run_id": n, "cleared": f"{n}.00"}),
        )
        for n in range(1, count + 1)
    ]


def chained(items: list[AuditEntry]) -> list[tuple[AuditEntry, str, str]]:
    """Each entry with its previous hash and its own, as the log stores them."""
    records = []
    previous = GENESIS
    for entry in items:
        digest = chain_hash(previous, entry)
        records.append((entry, previous, digest))
        previous = digest
    return records


def test_an_untouched_chain_has_no_break() -> None:
    assert first_break(chained(entries())) is None
    assert first_break([]) is None


def test_a_changed_record_breaks_the_chain_at_that_record() -> None:
    records = chained(entries())
    entry, previous, digest = records[2]
    records[2] = (
        replace(entry, after=canonical({"run_id": 3, "cleared": "999.00"})),
        previous,
        digest,
    )
    found = first_break(records)
    assert found is not None
    assert found.id == 3
    assert found.reason == "its content does not match its hash"


def test_a_changed_record_rehashed_breaks_the_chain_at_the_next() -> None:
    records = chained(entries())
    entry, previous, _ = records[1]
    forged = replace(entry, actor="someone else")
    records[1] = (forged, previous, chain_hash(previous, forged))
    found = first_break(records)
    assert found is not None
    assert found.id == 3
    assert found.reason == "its previous hash is not the hash of the record before it"


def test_a_removed_record_breaks_the_chain_at_the_one_after_it() -> None:
    records = chained(entries())
    del records[1]
    found = first_break(records)
    assert found is not None
    assert found.id == 3


def test_reordered_records_break_the_chain() -> None:
    records = chained(entries())
    records[1], records[2] = records[2], records[1]
    found = first_break(records)
    assert found is not None
    assert found.id == 3


def test_the_first_record_must_follow_the_genesis_hash() -> None:
    records = chained(entries())
    found = first_break(records[1:])
    assert found is not None
    assert found.id == 2


def test_every_field_is_covered_by_the_hash() -> None:
    entry = entries(1)[0]
    digest = chain_hash(GENESIS, entry)
    for change in (
        {"id": 2},
        {"at": AT + timedelta(microseconds=1)},
        {"actor": "auditor"},
        {"action": "settlement.confirm"},
        {"subject": "clearing_run:2"},
        {"before": canonical({})},
        {"after": canonical({"run_id": 1})},
    ):
        assert chain_hash(GENESIS, replace(entry, **change)) != digest, change  # type: ignore[arg-type]
    assert chain_hash("1" * 64, entry) != digest


def test_one_instant_hashes_alike_in_any_zone() -> None:
    entry = entries(1)[0]
    karachi = replace(entry, at=entry.at.astimezone(timezone(timedelta(hours=5))))
    assert chain_hash(GENESIS, karachi) == chain_hash(GENESIS, entry)


def test_canonical_text_does_not_depend_on_key_order() -> None:
    assert canonical({"b": 1, "a": [1, "ری"]}) == canonical({"a": [1, "ری"], "b": 1})
    assert canonical({"b": 1, "a": [1, "ری"]}) == '{"a":[1,"ری"],"b":1}'
    assert canonical(None) == "null"


def test_a_record_without_a_request_id_hashes_as_before_ids_were_kept() -> None:
    entry = entries(1)[0]
    # The hash as chain_hash computed it before records carried a request id.
    from hashlib import sha256

    old = sha256(
        canonical(
            [
                GENESIS,
                entry.id,
                entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
                entry.actor,
                entry.action,
                entry.subject,
                entry.before,
                entry.after,
            ]
        ).encode()
    ).hexdigest()
    assert chain_hash(GENESIS, entry) == old
    assert chain_hash(GENESIS, replace(entry, request_id="req-1")) != old


def test_a_changed_or_removed_request_id_breaks_the_chain() -> None:
    items = [replace(e, request_id=f"req-{e.id}") for e in entries()]
    records = chained(items)
    assert first_break(records) is None
    for forged in ("req-other", None):
        changed = list(records)
        entry, previous, digest = changed[1]
        changed[1] = (replace(entry, request_id=forged), previous, digest)
        found = first_break(changed)
        assert found is not None
        assert found.id == 2
