"""List versions by name, what each import changes, and the refusal of a shrinking list
without confirmation (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tahator.domain.errors import InputError, NotFoundError
from tahator.domain.sanctions_lists import ListEntry, ParsedList
from tahator.services import list_imports, sanctions_lists, screening
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, SanctionsEntry, SanctionsList, ScreeningHit
from tests.integration.conftest import import_firms_file
from tests.integration.test_screening import LOOK_ALIKE, firms_csv, statuses
from tests.list_files import imported, only, references, renamed
from tests.unit.test_screening import SAMPLE


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    """Two firms: a look-alike of a listed Iranian entity (UN IRe.070), a rice exporter."""
    path = firms_csv(
        tmp_path / "firms.csv",
        [
            ("PK-1", "Karachi Rice Mills", "PK", 1),
            (LOOK_ALIKE, "Shahid Sayad Shirazi Industries Co.", "IR", 1),
        ],
    )
    with transaction(engine) as session:
        import_firms_file(session, path, "test")
    return engine


def counts(engine: Engine) -> tuple[int, int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(SanctionsList)) or 0,
            session.scalar(select(func.count()).select_from(SanctionsEntry)) or 0,
            session.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        )


def test_the_newest_version_of_each_name_applies_and_hits_name_their_list(
    house: Engine, tmp_path: Path
) -> None:
    un = imported(house, SAMPLE)
    assert (un.list.name, un.list.version) == ("UN", 1)
    assert un.entries is not None
    assert (un.entries.added, un.entries.before) == (21, 0)
    # The same file under another name is another list, not "nothing new".
    sdn = imported(
        house, only(["IRe.070", "IRe.024"], tmp_path / "sdn.xml"), "  OFAC   SDN ", new_list=True
    )
    assert (sdn.unchanged, sdn.list.name, sdn.list.version) == (False, "OFAC SDN", 2)
    with transaction(house) as session:
        in_force = sanctions_lists.in_force(session)
        assert [(v.name, v.version, v.entries) for v in in_force] == [
            ("OFAC SDN", 2, 2),
            ("UN", 1, 21),
        ]
        recorded = {(h.reference, h.list_id) for h in session.scalars(select(ScreeningHit))}
        stored = screening.firm_screening(session, LOOK_ALIKE)
        # Both lists in force: the UN list was not replaced by the two-entry list.
        assert len(sanctions_lists.current_index(session)[1].entries) == 23  # type: ignore[union-attr]
    assert statuses(house)[LOOK_ALIKE] == "blocked"
    # IRe.070 is on both lists: a hit on each, recorded against its own list's version.
    assert recorded == {("IRe.070", 1), ("IRe.070", 2)}
    assert {(h.list, h.list_version) for h in stored.hits} == {
        ("UN Iran", 1),
        ("OFAC SDN: Iran", 2),
    }
    # A newer UN version leaves OFAC SDN in force.
    newer = imported(house, renamed("HARA COMPANY", "HARA CO", tmp_path / "un2.xml"))
    assert newer.entries is not None
    assert (newer.entries.added, newer.entries.removed, newer.entries.changed) == (0, 0, 1)
    assert newer.entries.first_changed[0].reference == "IRe.025"
    assert newer.entries.first_changed[0].fields == ("name",)
    with transaction(house) as session:
        assert [(v.name, v.version) for v in sanctions_lists.in_force(session)] == [
            ("OFAC SDN", 2),
            ("UN", 3),
        ]
        diff = sanctions_lists.version_changes(session, 3)
        assert diff.previous == 1
        assert [c.reference for c in diff.changes.changed] == ["IRe.025"]
        first = sanctions_lists.version_changes(session, 2)
        assert (first.previous, len(first.changes.added)) == (None, 2)
        with pytest.raises(NotFoundError):
            sanctions_lists.version_changes(session, 99)


def test_a_shrinking_list_is_refused_unless_confirmed_and_the_confirmation_audited(
    house: Engine, tmp_path: Path
) -> None:
    imported(house, SAMPLE)
    before = counts(house)
    kept = [*references()[:2], "IRe.070"]
    small = only(kept, tmp_path / "truncated.xml")
    with pytest.raises(sanctions_lists.ShrinkRefusedError) as refused:
        imported(house, small)
    assert str(refused.value.problems[0].message).startswith(
        "UN: would remove 18 of 21 entries (86 %), leaving 3;"
    )
    assert refused.value.summary.removed == 18
    assert counts(house) == before, "a refused list stored something"
    done = imported(house, small, confirm=True)
    assert (done.shrink_confirmed, done.list.entries) == (True, 3)
    assert done.entries is not None
    assert done.entries.removed == 18
    with transaction(house) as session:
        record = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "lists.import")
            .order_by(AuditRecord.id.desc())
        ).first()
        assert record is not None
        after, before_import = json.loads(record.after), json.loads(record.before)
    assert after["shrink_confirmed"] is True
    assert after["changes"] == {"added": 0, "removed": 18, "changed": 0}
    assert before_import == {"version": 1, "entries": 21}
    # Removing one entry of 21 (5 %) is within the default limit.
    regrown = imported(house, SAMPLE)
    assert regrown.shrink_confirmed is False
    assert imported(house, only(references()[1:], tmp_path / "less.xml")).shrink_confirmed is False


def test_the_shrink_limit_is_a_setting(
    house: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported(house, SAMPLE)
    smaller = only(references()[1:], tmp_path / "less.xml")
    monkeypatch.setenv(sanctions_lists.SHRINK_VARIABLE, "2")
    with pytest.raises(sanctions_lists.ShrinkRefusedError, match=r"1 of 21 entries \(5 %\)"):
        imported(house, smaller)
    for bad in ("lots", "150", "-1"):
        monkeypatch.setenv(sanctions_lists.SHRINK_VARIABLE, bad)
        with pytest.raises(InputError, match=sanctions_lists.SHRINK_VARIABLE):
            imported(house, smaller)
    monkeypatch.setenv(sanctions_lists.SHRINK_VARIABLE, "100 %")
    assert imported(house, only(["IRe.070"], tmp_path / "one.xml")).list.entries == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "UN\nEU", "OFAC\x00SDN"])
def test_a_bad_list_name_is_refused_and_nothing_stored(house: Engine, name: str) -> None:
    with pytest.raises(InputError, match="1 to 100 printable characters"):
        imported(house, SAMPLE, name)
    assert counts(house)[0] == 0


def test_a_withdrawn_list_is_no_longer_in_force_and_the_last_one_stays(
    house: Engine, tmp_path: Path
) -> None:
    imported(house, SAMPLE)
    imported(house, only(["IRe.070"], tmp_path / "sdn.xml"), "OFAC SDN", new_list=True)
    with transaction(house) as session, pytest.raises(InputError, match="give the reason"):
        list_imports.withdraw_list(session, "OFAC SDN", " ", "operator")
    with transaction(house) as session, pytest.raises(NotFoundError, match="no list 'EU'"):
        list_imports.withdraw_list(session, "EU", "gone", "operator")
    # Pakistan's order applies the UN list whatever else is in force (an attacker's
    # one-entry list beside it must not make withdrawing UN possible)
    with transaction(house) as session, pytest.raises(InputError, match="always applied"):
        list_imports.withdraw_list(session, "un", "gone", "operator")
    with transaction(house) as session:
        done = list_imports.withdraw_list(session, "OFAC SDN", "published in error", "operator")
        assert done.list.version == 2
        assert [v.name for v in sanctions_lists.in_force(session)] == ["UN"]
        shown = {v.version: v.withdrawn for v in sanctions_lists.list_versions(session)}
        assert shown[1] is None
        assert shown[2] is not None
        assert shown[2].endswith("by operator: published in error")
        hits = screening.firm_screening(session, LOOK_ALIKE).hits
        assert {h.list_version for h in hits} == {1}  # the withdrawn list's hit is gone
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "lists.withdraw")
        ).one()
        assert json.loads(record.after)["reason"] == "published in error"
    with transaction(house) as session, pytest.raises(InputError, match="only list in force"):
        list_imports.withdraw_list(session, "UN", "gone", "operator")
    # A new version of the withdrawn list puts it back in force.
    again = imported(house, only(["IRe.070"], tmp_path / "sdn.xml"), "OFAC SDN")
    assert (again.unchanged, again.list.version) == (False, 3)
    with transaction(house) as session:
        assert [v.version for v in sanctions_lists.in_force(session)] == [3, 1]


def test_a_reader_s_own_list_name_is_kept_and_an_empty_list_refused(house: Engine) -> None:
    entry = ListEntry("NK-1", "entity", "SHAHID SAYYADE SHIRAZI INDUSTRIES", "SDN")
    parsed = ParsedList("ftm", "2026-11-30", (entry,), "sdn.jsonl", "0" * 64, "OFAC SDN")
    with transaction(house) as session:
        done = list_imports.import_list(session, parsed, "operator")
        assert (done.list.name, done.list.format) == ("OFAC SDN", "ftm")
        hits = screening.firm_screening(session, LOOK_ALIKE).hits
        assert [(h.reference, h.list) for h in hits] == [("NK-1", "OFAC SDN: SDN")]
    empty = ParsedList("ftm", None, (), "empty.jsonl", "1" * 64, "EU")
    with transaction(house) as session, pytest.raises(InputError, match="holds no entries"):
        list_imports.import_list(session, empty, "operator")
    assert counts(house)[0] == 1
