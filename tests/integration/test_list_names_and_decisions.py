"""List names that cannot split a list in two, the baseline a new version is checked
against, references never cut, decisions that reopen when a hit or its entry changes,
and a firm's own tax number that only raises a hit (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from tahator.demo import tax_id
from tahator.domain.errors import InputError
from tahator.domain.sanctions_lists import Identifier, ListEntry, ParsedList
from tahator.services import firm_hits, list_imports, sanctions_lists, screening
from tahator.store.database import transaction
from tahator.store.schema import (
    AuditRecord,
    FirmAlias,
    SanctionsAlias,
    SanctionsEntry,
    SanctionsList,
)
from tests.integration.conftest import import_firms_file
from tests.integration.test_screening import LOOK_ALIKE, firms_csv, statuses
from tests.list_files import imported, only, references, renamed
from tests.unit.test_screening import SAMPLE

FIRM_NAME = "Shahid Sayad Shirazi Industries Co."


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    """A look-alike of UN IRe.070, a steel firm of Isfahan, a rice exporter."""
    path = firms_csv(
        tmp_path / "firms.csv",
        [
            ("PK-1", "Karachi Rice Mills", "PK", 1),
            (LOOK_ALIKE, FIRM_NAME, "IR", 1),
            ("IR-2", "Isfahan Steel Co.", "IR", 2),
        ],
    )
    with transaction(engine) as session:
        import_firms_file(session, path, "test")
    return engine


def stored_lists(engine: Engine) -> list[tuple[int, str]]:
    with transaction(engine) as session:
        return list(session.execute(select(SanctionsList.id, SanctionsList.name)).all())


def decide(engine: Engine, decision: str = "false_positive") -> None:
    with transaction(engine) as session:
        screening.decide(session, LOOK_ALIKE, decision, "a tile maker in Shiraz", "op")


def hit_decisions(engine: Engine) -> dict[tuple[str, str], str | None]:
    with transaction(engine) as session:
        hits = screening.firm_screening(session, LOOK_ALIKE).hits
    return {(h.list, h.reference): h.decision for h in hits}


# --- list names ---------------------------------------------------------------------------


def test_names_are_one_regardless_of_case_and_a_new_name_needs_confirming(
    house: Engine, tmp_path: Path
) -> None:
    # The house's first list needs no confirmation, whatever its name.
    first = imported(house, SAMPLE, "Un")
    assert first.list.name == "UN"  # the UN list's name, as "UN" is always known
    # Another spelling of a list's name is that list: a new version, checked for shrinking.
    small = only(["IRe.070"], tmp_path / "small.xml")
    with pytest.raises(sanctions_lists.ShrinkRefusedError, match="UN: would remove 20 of 21"):
        imported(house, small, "un")
    # ...and of its width: fullwidth ＵＮ is UN, not a new list beside it
    with pytest.raises(sanctions_lists.ShrinkRefusedError, match="UN: would remove 20 of 21"):
        imported(house, small, "\uff35\uff2e")
    # a name with an invisible character would look like another list's: refused
    with pytest.raises(InputError, match="printable"):
        imported(house, small, "U\u034fN")
    again = imported(house, renamed("HARA COMPANY", "HARA CO", tmp_path / "r.xml"), "uN")
    assert (again.list.name, again.list.version) == ("UN", 2)
    # A name no list has yet is refused unless confirmed: a changed or mistyped name
    # would make a second list in force, never compared with the first.
    with pytest.raises(sanctions_lists.NewListRefusedError) as refused:
        imported(house, small, "Ministry 2026-12")
    assert refused.value.problems[0].field == "new_list"
    assert "'Ministry 2026-12' is a new list (the lists are: UN)" in str(refused.value)
    assert stored_lists(house) == [(1, "UN"), (2, "UN")]
    ministry = imported(house, small, "Ministry", new_list=True)
    assert (ministry.list.name, ministry.list.version) == ("Ministry", 3)
    # Next month's file under another case of the name is the same list, its first
    # spelling kept, and a shrink against it is caught.
    grown = only(["IRe.070", "IRe.024"], tmp_path / "grown.xml")
    assert imported(house, grown, "MINISTRY").list.name == "Ministry"
    with transaction(house) as session:
        assert [v.name for v in sanctions_lists.in_force(session)] == ["Ministry", "UN"]
        # withdrawn by any spelling
        assert list_imports.withdraw_list(session, "ministry", "test", "op").list.name == (
            "Ministry"
        )


def test_un_needs_no_confirmation_beside_another_first_list(house: Engine, tmp_path: Path) -> None:
    imported(house, only(["IRe.070"], tmp_path / "sdn.xml"), "OFAC SDN")  # the first list
    assert imported(house, SAMPLE).list.name == "UN"
    assert stored_lists(house) == [(1, "OFAC SDN"), (2, "UN")]


# --- the baseline of a new version ---------------------------------------------------------


def test_a_withdrawn_list_is_still_the_baseline_of_its_next_version(
    house: Engine, tmp_path: Path
) -> None:
    imported(house, SAMPLE)
    imported(house, only(references()[:10], tmp_path / "sdn.xml"), "OFAC SDN", new_list=True)
    with transaction(house) as session:
        list_imports.withdraw_list(session, "OFAC SDN", "published in error", "op")
    truncated = only(references()[:2], tmp_path / "truncated.xml")
    # Compared with the withdrawn version (10 entries), not with nothing.
    with pytest.raises(sanctions_lists.ShrinkRefusedError, match="would remove 8 of 10"):
        imported(house, truncated, "OFAC SDN")
    done = imported(house, truncated, "OFAC SDN", confirm=True)
    assert done.entries is not None
    with transaction(house) as session:
        diff = sanctions_lists.version_changes(session, done.list.version)
    # The import's report and `lists diff` agree.
    assert diff.previous == 2
    assert (done.entries.before, done.entries.removed) == (diff.changes.before, 8)
    assert len(diff.changes.removed) == done.entries.removed
    # The same file as the withdrawn version puts the list back in force.
    with transaction(house) as session:
        list_imports.withdraw_list(session, "OFAC SDN", "again", "op")
    back = imported(house, truncated, "OFAC SDN")
    assert (back.unchanged, back.list.version) == (False, 4)
    with transaction(house) as session:
        assert [v.name for v in sanctions_lists.in_force(session)] == ["OFAC SDN", "UN"]


def test_a_reference_over_60_characters_is_refused_never_cut(house: Engine) -> None:
    long = "x" * 60
    parsed = ParsedList(
        "ftm",
        None,
        (
            ListEntry(long + "-a", "entity", "FIRST LONG CO", "SDN"),
            ListEntry(long + "-b", "entity", "SECOND LONG CO", "SDN"),
        ),
        "long.jsonl",
        "2" * 64,
        "EU",
    )
    with transaction(house) as session, pytest.raises(InputError, match="over 60 characters"):
        list_imports.import_list(session, parsed, "op")
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(SanctionsEntry)) == 0


# --- decisions ----------------------------------------------------------------------------


def test_a_decision_carries_across_versions_of_one_list_but_not_to_another_list(
    house: Engine, tmp_path: Path
) -> None:
    imported(house, SAMPLE)
    decide(house)
    # A new UN version that leaves IRe.070 as it was: the decision stands.
    imported(house, renamed("HARA COMPANY", "HARA CO", tmp_path / "r.xml"))
    assert statuses(house)[LOOK_ALIKE] == "cleared"
    assert hit_decisions(house) == {("UN Iran", "IRe.070"): "false_positive"}
    # The same reference on another list is another question.
    imported(house, only(["IRe.070"], tmp_path / "sdn.xml"), "OFAC SDN", new_list=True)
    assert statuses(house)[LOOK_ALIKE] == "blocked"
    assert hit_decisions(house) == {
        ("UN Iran", "IRe.070"): "false_positive",
        ("OFAC SDN: Iran", "IRe.070"): None,
    }


def test_a_decision_reopens_when_the_entry_changes(house: Engine, tmp_path: Path) -> None:
    imported(house, SAMPLE)
    decide(house)
    # The next version adds the firm's exact name as an alias of the listed entity.
    text = SAMPLE.read_text()
    at = text.index("<REFERENCE_NUMBER>IRe.070</REFERENCE_NUMBER>")
    alias = text.index("<ALIAS_NAME />", at)
    aliased = tmp_path / "aliased.xml"
    aliased.write_text(
        text[:alias] + f"<ALIAS_NAME>{FIRM_NAME.upper()}</ALIAS_NAME>" + text[alias + 14 :]
    )
    result = imported(house, aliased)
    assert result.entries is not None
    assert [c.reference for c in result.entries.first_changed] == ["IRe.070"]
    assert statuses(house)[LOOK_ALIKE] == "blocked"
    assert hit_decisions(house) == {("UN Iran", "IRe.070"): None}
    assert [f.firm for f in result.changes.newly_blocked] == [LOOK_ALIKE]
    with transaction(house) as session:
        record = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "screening.screen")
            .order_by(AuditRecord.id.desc())
        ).first()
        assert record is not None
        assert json.loads(record.after)["reopened"] == ["IRe.070"]


def test_a_decision_reopens_when_the_hit_rises(house: Engine) -> None:
    near = ListEntry("SDN-9", "entity", "ISFAHAN STEEL GROUP", "IRAN")
    parsed = ParsedList("ftm", None, (near,), "sdn.jsonl", "5" * 64, "OFAC SDN")
    with transaction(house) as session:
        list_imports.import_list(session, parsed, "op")
        [before] = screening.firm_screening(session, "IR-2").hits
        screening.decide(session, "IR-2", "false_positive", "a state steel maker", "op")
        screening.rescreen_all(session, "op")
    assert statuses(house)["IR-2"] == "cleared"  # the same hit: the decision stands
    with transaction(house) as session:
        # The firm's names now include the listed one: the same entry, the same version,
        # a hit in a higher band and 18 points up.
        session.add(FirmAlias(firm_id="IR-2", alias="Isfahan Steel Group"))
        session.flush()
        screening.rescreen_all(session, "op")
        [after] = screening.firm_screening(session, "IR-2").hits
    assert (before.band, after.band) == ("review", "match")
    assert after.score > before.score + firm_hits.REOPEN_RISE
    assert (after.decision, statuses(house)["IR-2"]) == (None, "blocked")


# --- a firm's own number -------------------------------------------------------------------


def test_a_firms_own_tax_number_never_lowers_a_hit(house: Engine) -> None:
    other = tax_id("IR", 7)  # IR-2 declared tax_id("IR", 2)
    near = ListEntry(
        "SDN-9",
        "entity",
        "ISFAHAN STEEL GROUP",
        "IRAN",
        identifiers=(Identifier("tax", other, "IR"),),
    )
    parsed = ParsedList("ftm", None, (near,), "sdn.jsonl", "3" * 64, "OFAC SDN")
    with transaction(house) as session:
        list_imports.import_list(session, parsed, "op")
        hits = screening.firm_screening(session, "IR-2").hits
    # The name alone scores 81.6; a different number of the same country would take 15
    # off (66.6: clear), which a firm could use by declaring any number at registration.
    assert statuses(house)["IR-2"] == "blocked"
    assert [(h.reference, h.score, h.band) for h in hits] == [("SDN-9", 81.6, "review")]
    # The same number still raises it.
    same = ListEntry(
        "SDN-9",
        "entity",
        "ISFAHAN STEEL GROUP",
        "IRAN",
        identifiers=(Identifier("tax", tax_id("IR", 2), "IR"),),
    )
    with transaction(house) as session:
        list_imports.import_list(
            session, ParsedList("ftm", None, (same,), "sdn.jsonl", "4" * 64, "OFAC SDN"), "op"
        )
        [hit] = screening.firm_screening(session, "IR-2").hits
    assert hit.score > 81.6


# --- migration 0010 -----------------------------------------------------------------------


def test_0010_refuses_to_downgrade_while_it_would_merge_lists(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from tahator.store import migrate
    from tahator.store.database import make_engine

    engine = make_engine(database_url)
    config = migrate.alembic_config(engine)
    migrate.upgrade(engine)
    entry = ListEntry("X-1", "entity", "SOME LISTED CO", "SDN")
    with transaction(engine) as session:
        list_imports.import_list(
            session, ParsedList("ftm", None, (entry,), "a.jsonl", "6" * 64, "OFAC SDN"), "op"
        )
        list_imports.import_list(
            session,
            ParsedList("ftm", None, (entry,), "b.jsonl", "7" * 64, "EU"),
            "op",
            new_list=True,
        )
    command.downgrade(config, "0010")  # later revisions first: 0010's own refusal is tested
    with pytest.raises(RuntimeError, match="cannot downgrade below 0010: 2 list versions"):
        command.downgrade(config, "0009")
    assert migrate.revision_of(engine) == "0010"
    assert "name" in {c["name"] for c in inspect(engine).get_columns("sanctions_lists")}
    with transaction(engine) as session:  # without them it may
        session.execute(delete(SanctionsAlias))
        session.execute(delete(SanctionsEntry))
        session.execute(delete(SanctionsList))
    command.downgrade(config, "0009")
    assert "name" not in {c["name"] for c in inspect(engine).get_columns("sanctions_lists")}
    migrate.upgrade(engine)
    engine.dispose()
