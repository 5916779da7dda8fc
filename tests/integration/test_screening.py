"""Sanctions screening on a real database (SQLite and PostgreSQL): list versions,
re-screening, blocked firms refused, operators' decisions audited."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select

from tahator.domain.errors import InputError
from tahator.formatting import jsonable
from tahator.io.policy import load_policy
from tahator.io.un_list import read_list
from tahator.services import firms, list_imports, market, obligations, sanctions_lists, screening
from tahator.store.database import transaction
from tahator.store.schema import (
    AuditRecord,
    Authorization,
    Base,
    Firm,
    Obligation,
    SanctionsEntry,
    SanctionsList,
    ScreeningHit,
)
from tests.integration.conftest import import_firms_file, import_obligations_file
from tests.integration.test_barter import application, submit_file
from tests.unit.test_screening import BILLION_LAUGHS, SAMPLE

POLICY = load_policy()
LOOK_ALIKE = "IR-1"


def firms_csv(path: Path, rows: list[tuple[str, str, str, int]]) -> Path:
    from tahator.demo import tax_id

    lines = ["id,name,country,tax_id,active_taxpayer,psw_subscribed"]
    lines += [f"{i},{n},{c},{tax_id(c, k)},true,true" for i, n, c, k in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def without(path: Path, reference: str, target: Path) -> Path:
    """The sample list without one entry: an older or newer version of it."""
    text = path.read_text()
    pattern = (
        r"<ENTITY>(?:(?!</ENTITY>).)*?"
        rf"<REFERENCE_NUMBER>{re.escape(reference)}</REFERENCE_NUMBER>.*?</ENTITY>"
    )
    changed = re.sub(pattern, "", text, flags=re.S)
    assert changed != text
    target.write_text(changed)
    return target


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    """Firms registered before any list: a rice exporter, a look-alike of a listed
    Iranian entity (UN IRe.070), a steel firm."""
    path = firms_csv(
        tmp_path / "firms.csv",
        [
            ("PK-1", "Karachi Rice Mills", "PK", 1),
            ("PK-4", "Quetta Fruit Exports", "PK", 4),
            (LOOK_ALIKE, "Shahid Sayad Shirazi Industries Co.", "IR", 1),
            ("IR-2", "Isfahan Steel Co.", "IR", 2),
        ],
    )
    with transaction(engine) as session:
        result = import_firms_file(session, path, "test")
    assert result.blocked == ()  # no list yet
    return engine


def statuses(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        return dict(session.execute(select(Firm.id, Firm.screening)).all())


def import_list(engine: Engine, path: Path) -> list_imports.ListImport:
    with transaction(engine) as session:
        return list_imports.import_list(session, read_list("un", path), "operator")


def test_an_import_is_a_version_and_screens_every_firm(house: Engine) -> None:
    assert set(statuses(house).values()) == {"unscreened"}
    result = import_list(house, SAMPLE)
    assert result.list.version == 1
    assert result.list.entries == 21
    assert [f.firm for f in result.changes.newly_blocked] == [LOOK_ALIKE]
    assert result.changes.newly_blocked[0].hits[0].reference == "IRe.070"
    assert statuses(house) == {"PK-1": "clear", "PK-4": "clear", "IR-1": "blocked", "IR-2": "clear"}
    with transaction(house) as session:
        versions = sanctions_lists.list_versions(session)
        assert session.scalar(select(func.count()).select_from(SanctionsEntry)) == 21
    assert [(v.version, v.active, v.list_types["Iran"]) for v in versions] == [(1, True, 13)]
    again = import_list(house, SAMPLE)  # the same file is not a new version
    assert again.unchanged is True
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(SanctionsList)) == 1


def test_a_new_version_reports_who_is_newly_blocked_and_who_no_longer_hits(
    house: Engine, tmp_path: Path
) -> None:
    older = without(SAMPLE, "IRe.070", tmp_path / "older.xml")
    first = import_list(house, older)
    assert first.changes.newly_blocked == ()
    assert statuses(house)[LOOK_ALIKE] == "clear"
    second = import_list(house, SAMPLE)
    assert second.list.version == 2
    assert [f.firm for f in second.changes.newly_blocked] == [LOOK_ALIKE]
    third = import_list(house, older)  # delisted again
    assert third.list.version == 3
    assert third.changes.no_longer_hit == (
        screening.FirmName(LOOK_ALIKE, "Shahid Sayad Shirazi Industries Co."),
    )
    assert statuses(house)[LOOK_ALIKE] == "clear"
    with transaction(house) as session:
        assert [v.active for v in sanctions_lists.list_versions(session)] == [True, False, False]
        assert session.scalar(select(func.count()).select_from(ScreeningHit)) == 0


def test_a_blocked_firm_cannot_apply_take_obligations_or_offer(
    house: Engine, tmp_path: Path
) -> None:
    import_list(house, SAMPLE)
    path = tmp_path / "application.json"
    path.write_text(json.dumps(application(counterparty=LOOK_ALIKE)))
    with transaction(house) as session, pytest.raises(InputError) as refused:
        submit_file(session, path)
    message = str(refused.value)
    assert (
        "firm IR-1 (Shahid Sayad Shirazi Industries Co.) is held by the clearing house's "
        "compliance review" in message
    )
    # Nothing of the listed entry or the score: a trader could tip its partner off.
    assert "IRe.070" not in message
    assert "score" not in message
    with transaction(house) as session, pytest.raises(InputError, match=r"IR-1.*held"):
        obligations.create_obligation(
            session,
            reference="X-1",
            debtor="PK-1",
            creditor=LOOK_ALIKE,
            amount=100,
            currency="USD",
            due_date=date(2026, 6, 30),
            origin="test",
            actor="test",
        )
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "id,debtor,creditor,amount,currency,due_date\n"
        "INV-1,PK-1,IR-2,100.00,USD,2026-06-30\n"
        "INV-2,PK-1,IR-1,100.00,USD,2026-06-30\n"
    )
    with transaction(house) as session, pytest.raises(InputError) as refused:
        import_obligations_file(session, invoices, "test")
    assert [str(p) for p in refused.value.problems] == [
        f"{invoices}:3: creditor: firm IR-1 is held by the clearing house's compliance "
        "review and cannot take on obligations until that review is settled"
    ]
    from tests.integration.test_market import import_offer_file

    offers = tmp_path / "offers.csv"
    offers.write_text(
        "id,firm,gives_hs,description,quantity,unit,value,currency,wants_hs,valid_until\n"
        "O-1,IR-1,72081000,Steel,10,t,1000.00,USD,1006,2026-12-31\n"
    )
    with transaction(house) as session, pytest.raises(InputError, match=r":2: firm: firm IR-1"):
        import_offer_file(session, offers, "test")
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(Authorization)) == 0
        assert session.scalar(select(func.count()).select_from(Obligation)) == 0


def test_an_operators_decision_is_audited_and_lets_a_false_positive_trade(
    house: Engine, tmp_path: Path
) -> None:
    import_list(house, SAMPLE)
    with transaction(house) as session:
        queue = screening.queue(session)
    assert [(f.firm, f.hits[0].reference) for f in queue] == [(LOOK_ALIKE, "IRe.070")]
    with transaction(house) as session, pytest.raises(InputError, match="reason"):
        screening.decide(session, LOOK_ALIKE, "false_positive", "  ", "operator")
    with transaction(house) as session:
        view = screening.decide(
            session, LOOK_ALIKE, "false_positive", "a date exporter in Shiraz since 1990", "op"
        )
    assert view.screening == "cleared"
    with transaction(house) as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "screening.decide")
        ).one()
        assert record.id == view.audit_id
        assert (record.actor, record.subject) == ("op", "firm:IR-1")
        assert json.loads(record.before)["screening"] == "blocked"
        assert json.loads(record.after) == {
            "decision": "false_positive",
            "hits": ["IRe.070"],
            "reason": "a date exporter in Shiraz since 1990",
            "screening": "cleared",
        }
        assert screening.queue(session) == []
        changes = screening.rescreen_all(session, "op")  # the decision outlives a re-screen
    assert changes.newly_blocked == ()
    assert statuses(house)[LOOK_ALIKE] == "cleared"
    path = tmp_path / "application.json"
    path.write_text(json.dumps(application(counterparty=LOOK_ALIKE)))
    with transaction(house) as session:
        assert submit_file(session, path).state == "submitted"


def test_a_confirmed_match_never_trades(house: Engine, tmp_path: Path) -> None:
    import_list(house, SAMPLE)
    with transaction(house) as session:
        screening.decide(session, LOOK_ALIKE, "confirmed", "same registration number", "op")
    path = tmp_path / "application.json"
    path.write_text(json.dumps(application(counterparty=LOOK_ALIKE)))
    # A confirmed match is refused in the same words as a pending one.
    with transaction(house) as session, pytest.raises(InputError, match="compliance review"):
        submit_file(session, path)
    import_list(house, without(SAMPLE, "IRe.070", tmp_path / "delisted.xml"))
    assert statuses(house)[LOOK_ALIKE] == "confirmed"  # only an operator lifts it


def test_registration_and_consortia_screen_their_firms(house: Engine, tmp_path: Path) -> None:
    import_list(house, SAMPLE)
    path = firms_csv(
        tmp_path / "more.csv",
        [("PK-9", "Kaveh Cutting Tools (Pvt) Ltd", "PK", 9), ("PK-8", "Sialkot Sports", "PK", 8)],
    )
    with transaction(house) as session:
        result = import_firms_file(session, path, "test")
    assert result.blocked == ("PK-9",)
    assert jsonable(result)["blocked"] == ["PK-9"]
    with transaction(house) as session, pytest.raises(InputError, match=r"PK-9.*held"):
        firms.create_consortium(session, "C-9", "Cutters", "PK-1", ["PK-9"], "test")
    with transaction(house) as session:
        firms.create_consortium(session, "C-8", "Fruit and sports", "PK-4", ["PK-8"], "test")


def test_firms_never_screened_are_screened_when_they_trade(house: Engine, tmp_path: Path) -> None:
    with transaction(house) as session:  # a list arrives without a re-screen (say, by hand)
        session.add(
            SanctionsList(
                format="un",
                source="x",
                sha256="0" * 64,
                generated=None,
                entries=0,
                imported_at=screening.now(),
                imported_by="t",
            )
        )
    import_list(house, SAMPLE)
    with transaction(house) as session:
        session.get(Firm, LOOK_ALIKE).screening = "unscreened"  # as before the migration
    path = tmp_path / "application.json"
    path.write_text(json.dumps(application(counterparty=LOOK_ALIKE)))
    with transaction(house) as session, pytest.raises(InputError, match=r"IR-1.*held"):
        submit_file(session, path)


def test_a_hostile_or_malformed_list_changes_nothing(house: Engine, tmp_path: Path) -> None:
    with transaction(house) as session:
        records = session.scalar(select(func.count()).select_from(AuditRecord))
    for name, data in (
        ("laughs.xml", BILLION_LAUGHS),
        ("broken.xml", SAMPLE.read_bytes()[:5000]),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with transaction(house) as session, pytest.raises(InputError):
            list_imports.import_list(session, read_list("un", path), "op")
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(SanctionsList)) == 0
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == records
    assert set(statuses(house).values()) == {"unscreened"}
    with transaction(house) as session, pytest.raises(InputError, match="unknown list format"):
        list_imports.import_list(session, read_list("ofac", SAMPLE), "op")


def test_migration_0005_creates_what_the_models_declare(engine: Engine) -> None:
    found = inspect(engine)
    for table in ("sanctions_lists", "sanctions_entries", "sanctions_aliases", "screening_hits"):
        declared = {c.name for c in Base.metadata.tables[table].columns}
        assert {c["name"] for c in found.get_columns(table)} == declared
    firm_columns = {c["name"]: c for c in found.get_columns("firms")}
    assert "unscreened" in str(firm_columns["screening"]["default"])


def test_the_demo_imports_a_list_and_queues_its_look_alike(engine: Engine, tmp_path: Path) -> None:
    from tahator.demo import UN_SAMPLE, screening_demo

    assert UN_SAMPLE.exists()  # shipped, for a clone without ../shared
    first = screening_demo(engine, tmp_path, un_list=UN_SAMPLE)
    assert first["list"]["version"] == 1
    assert first["newly_blocked"] == []  # the look-alike is registered after the import...
    assert [(f["firm"], f["hits"][0]["reference"]) for f in first["queue"]] == [
        ("IR-9002", "tx-company-kavir"),  # ...and blocked on registration: by name and number
        ("IR-9001", "IRe.070"),
    ]
    kavir = first["queue"][0]["hits"][0]
    assert kavir["list"].startswith("MoFA Pakistan (example)")
    assert "10861234565 is the listed one's" in kavir["explanation"]
    again = screening_demo(engine, tmp_path, un_list=UN_SAMPLE)
    assert again["list"]["version"] == 1
    assert again["queue"] == first["queue"]


def test_firms_registered_before_0005_are_unscreened_and_0005_reverses(
    database_url: str, tmp_path: Path
) -> None:
    from alembic import command

    from tahator.store import migrate
    from tahator.store.database import make_engine

    engine = make_engine(database_url)
    config = migrate.alembic_config(engine)
    command.upgrade(config, "0004")
    # Rows written as 0004 knew them: today's models have columns it lacks.
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO currencies (code, digits) VALUES ('PKR', 2)")
        connection.exec_driver_sql(
            "INSERT INTO countries (code, name, currency) VALUES ('PK', 'Pakistan', 'PKR')"
        )
        connection.exec_driver_sql(
            "INSERT INTO firms (id, name, country, tax_id, status, active_taxpayer, "
            "psw_subscribed, state_enterprise, created_at, created_by) VALUES "
            "('PK-1', 'Old Firm', 'PK', '1234567-8', 'active', true, true, false, "
            "'2026-01-01 00:00:00', 'test')"
        )
    migrate.upgrade(engine)
    with transaction(engine) as session:
        assert session.get(Firm, "PK-1").screening == "unscreened"
    command.downgrade(config, "0004")
    assert "screening" not in {c["name"] for c in inspect(engine).get_columns("firms")}
    assert "sanctions_lists" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.revision_of(engine) == migrate.HEAD
    engine.dispose()


def test_a_firm_blocked_after_offering_leaves_matching_and_cannot_accept(
    engine: Engine, tmp_path: Path
) -> None:
    from tests.integration.conftest import firms_file
    from tests.integration.test_market import DAY, HEADER, RING, import_offer_file

    with transaction(engine) as session:
        import_firms_file(
            session,
            firms_file(tmp_path / "f.csv", {"PK-1": "PK", "PK-2": "PK", "IR-1": "IR"}),
            "test",
        )
    (tmp_path / "offers.csv").write_text(HEADER + RING)
    with transaction(engine) as session:
        import_offer_file(session, tmp_path / "offers.csv", "trader")
        proposal = market.match(session, POLICY, "op", as_of=DAY).proposals[0]
    with transaction(engine) as session:  # the next list puts IR-1 in the queue
        session.get(Firm, "IR-1").screening = "blocked"
    with transaction(engine) as session, pytest.raises(InputError, match="firm IR-1"):
        market.accept(session, POLICY, proposal, "PK-1", DAY, "t")
    with transaction(engine) as session:
        market.decline(session, proposal, "PK-1", DAY, "t")  # declining is still possible
        again = market.match(session, POLICY, "op", as_of=DAY)
    assert again.rings == 0
    assert again.offers == 2  # IR-1's offer is left out
