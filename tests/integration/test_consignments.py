"""Consignments, their phases and lanes on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tahator.domain.customs import NO_CUSTOMS, Lane, Phase, draw, random_lane, select_lane
from tahator.domain.errors import InputError, NotFoundError
from tahator.services import audit, lane_facts
from tahator.services.common import now
from tahator.services.consignments import (
    RANDOM,
    ConsignmentRecord,
    ConsignmentView,
    consignment,
    consignments,
    criterion_rates,
    link_declarations,
    override_lane,
    recheck,
    record_phase,
    register,
    status_only,
)
from tahator.store.database import transaction
from tahator.store.schema import (
    AuditRecord,
    Consignment,
    Declaration,
    LaneSelection,
    SanctionsList,
    ScreeningHit,
)
from tests.integration.test_barter import (
    LPG,
    POLICY,
    RICE,
    application,
    apply,
    authorize,
    declare,
    house,
)

__all__ = ["house"]  # the fixture, used by name

T0 = datetime(2025, 11, 20, 6, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def record(reference: str, *declarations: int, **changes: object) -> ConsignmentRecord:
    fields: dict[str, object] = {
        "reference": reference,
        "crossing": "TFN",
        "direction": "export",
        "vehicle": "QTA-4512",
        "firm_id": "PK-1",
        "origin": "PK",
        "declaration_ids": declarations,
        "lodged_at": None,
    }
    fields.update(changes)
    return ConsignmentRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def authorized(house: Engine, tmp_path: Path) -> tuple[Engine, int, int]:
    """An authorization of PK-1's, and its first (export) declaration: rice at $0.73/kg."""
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)
    view = declare(
        house,
        authorization_id,
        **RICE | {"quantity": "20000"},
        value="14500",
        currency="USD",
        on=date(2025, 11, 15),
    )
    assert view.declaration is not None
    assert view.declaration.flag is None
    return house, authorization_id, view.declaration.id


def declared(engine: Engine, authorization_id: int, **line: object) -> int:
    view = declare(engine, authorization_id, **line)  # type: ignore[arg-type]
    assert view.declaration is not None
    return view.declaration.id


def to_lane(session: Session, consignment_id: int, start: float = 0) -> ConsignmentView:
    record_phase(session, POLICY, consignment_id, Phase.LODGED, hours(start), "customs")
    record_phase(session, POLICY, consignment_id, Phase.ARRIVED, hours(start + 1), "customs")
    return record_phase(session, POLICY, consignment_id, "lane", hours(start + 2), "customs")


def audit_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def test_register_links_declarations_and_is_audited(authorized: tuple[Engine, int, int]) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        view = register(session, POLICY, record(" TFN-0001 ", first), "customs")
        assert (view.reference, view.crossing, view.firm_name) == (
            "TFN-0001",
            "TFN",
            "Karachi Rice Mills",
        )
        assert view.declaration_ids == (first,)
        assert view.phase is None
        assert view.next_phases == (Phase.LODGED, Phase.ARRIVED)
        again = register(session, POLICY, record("TFN-0001", first), "customs")
        assert again == view
        [entry] = audit.list_records(session, action="customs.register")
        assert entry.subject == f"consignment:{view.id}"
        assert entry.before is None
        assert entry.after["reference"] == "TFN-0001"
        with pytest.raises(InputError, match="registered with other content"):
            register(session, POLICY, record("TFN-0001", first, vehicle="X-1"), "customs")
        with pytest.raises(InputError, match="travels in another consignment"):
            register(session, POLICY, record("TFN-0002", first), "customs")


def test_bad_records_name_every_field_and_change_nothing(
    authorized: tuple[Engine, int, int],
) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        before = audit_count(session)
        bad = record(
            "TFN/1",
            first,
            first,
            999,
            crossing="KHK",
            direction="sideways",
            vehicle="\u202eQTA",
            firm_id="PK-9",
            origin="Iran",
            lodged_at=now() + timedelta(hours=1),
        )
        with pytest.raises(InputError) as caught:
            register(session, POLICY, bad, "customs")
        assert [p.field for p in caught.value.problems] == [
            "reference",
            "crossing",
            "direction",
            "vehicle",
            "firm_id",
            "origin",
            "lodged_at",
            "declaration_ids",
            "declaration_ids",
            "declaration_ids",
            "declaration_ids",
        ]
        assert "known: TFN, GBD, MND" in str(caught.value)
        with pytest.raises(InputError, match="an export, the consignment an import"):
            register(session, POLICY, record("TFN-3", first, direction="import"), "customs")
        with pytest.raises(InputError, match="another firm than PK-4"):
            register(session, POLICY, record("TFN-4", first, firm_id="PK-4"), "customs")
        naive = record("TFN-5", lodged_at=datetime(2025, 11, 1, 8))
        with pytest.raises(InputError, match="time zone"):
            register(session, POLICY, naive, "customs")
        without_customs = replace(POLICY, customs=NO_CUSTOMS)  # a policy file without [customs]
        with pytest.raises(InputError, match=r"no border crossing 'TFN' \(known: none\)"):
            register(session, without_customs, record("TFN-6"), "customs")
        assert audit_count(session) == before
        assert session.scalar(select(func.count()).select_from(Consignment)) == 0


def test_phases_in_order_with_the_lane_selected_and_recorded(
    authorized: tuple[Engine, int, int],
) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        made = register(session, POLICY, record("TFN-0001", first), "customs")
        view = to_lane(session, made.id)
        assert view.lane_at == hours(2)
        assert view.lane is not None
        [selection] = view.selections
        assert selection.lane is view.lane
        assert selection.by == "customs"
        assert selection.rules == POLICY.customs.rules.digest
        assert len(selection.seed) == 32
        assert selection.draw == draw(selection.seed)
        # Reproducible: the recorded seed and the same facts give the same choice.
        facts = lane_facts.gather(session, POLICY, session.get(Consignment, made.id), hours(2))  # type: ignore[arg-type]
        choice = select_lane(POLICY.customs.rules, facts, selection.seed)
        assert (choice.lane, choice.score, choice.hits, choice.draw, choice.random) == (
            selection.lane,
            selection.score,
            selection.hits,
            selection.draw,
            selection.random,
        )
        assert status_only(view).selections == ()
        # Re-checked from what the audit recorded, even after the facts' data change.
        [entry] = audit.list_records(session, action="customs.lane")
        assert entry.after["facts"]["direction"] == "export"  # type: ignore[index]
        assert entry.after["rules"] == POLICY.customs.rules.as_dict()  # type: ignore[index]
        session.get(Declaration, first).flag = "edited later"  # type: ignore[union-attr]
        check = recheck(session, made.id)
        assert (check.recorded, check.recomputed, check.rules_match) == (view.lane,) * 2 + (True,)
        assert check.holds
        session.get(Declaration, first).flag = None  # type: ignore[union-attr]
        for phase in view.lane.requires:
            record_phase(
                session,
                POLICY,
                made.id,
                phase,
                hours(3),
                "customs",
                **({"result": "clear"} if phase is Phase.INSPECTED else {}),
            )
        released = record_phase(session, POLICY, made.id, Phase.RELEASED, hours(4), "customs")
        assert released.phase is Phase.RELEASED
        assert released.next_phases == (Phase.EXITED,)
        actions = [r.action for r in audit.list_records(session, subject=f"consignment:{made.id}")]
        assert actions[:4] == [
            "customs.register",
            "customs.lodged",
            "customs.arrived",
            "customs.lane",
        ]
        assert actions[-1] == "customs.released"


def test_phases_out_of_order_or_in_the_future_are_refused_and_change_nothing(
    authorized: tuple[Engine, int, int],
) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        made = register(session, POLICY, record("TFN-0001", first), "customs")
        record_phase(session, POLICY, made.id, Phase.ARRIVED, hours(5), "customs")
        before = (consignment(session, made.id), audit_count(session))
        refusals = [
            (Phase.LANE, hours(6), "once the consignment is lodged"),
            (Phase.RELEASED, hours(6), "after the lane is selected"),
            (Phase.ARRIVED, hours(6), "already recorded"),
            (Phase.LODGED, now() + timedelta(minutes=5), "in the future"),
            ("weighed", hours(6), "'weighed' is not a phase"),
        ]
        for phase, at, message in refusals:
            with pytest.raises(InputError, match=message):
                record_phase(session, POLICY, made.id, phase, at, "customs")
        record_phase(session, POLICY, made.id, Phase.LODGED, hours(1), "customs")  # pre-arrival
        before = (consignment(session, made.id), audit_count(session))
        with pytest.raises(InputError, match=r"is before the arrived phase"):
            record_phase(session, POLICY, made.id, Phase.LANE, hours(4), "customs")
        with pytest.raises(InputError, match="only an inspection takes a result"):
            record_phase(session, POLICY, made.id, Phase.LANE, hours(6), "customs", note="x")
        assert (consignment(session, made.id), audit_count(session)) == before
        assert session.scalar(select(func.count()).select_from(LaneSelection)) == 0
        with pytest.raises(NotFoundError):
            record_phase(session, POLICY, 999, Phase.ARRIVED, hours(1), "customs")


def test_an_inspection_takes_its_result_and_feeds_the_hit_rates(
    authorized: tuple[Engine, int, int],
) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        made = register(session, POLICY, record("TFN-0001", first), "customs")
        view = to_lane(session, made.id)
        if view.lane is not Lane.RED:
            view = override_lane(session, made.id, Lane.RED, "tip-off from the Quetta office", "o")
        record_phase(session, POLICY, made.id, Phase.DOCUMENTS, hours(3), "customs")
        with pytest.raises(InputError) as caught:
            record_phase(session, POLICY, made.id, Phase.INSPECTED, hours(4), "c", result="dirty")
        assert caught.value.problems[0].field == "result"
        with pytest.raises(InputError, match="a discrepancy needs a note"):
            record_phase(
                session, POLICY, made.id, Phase.INSPECTED, hours(4), "c", result="discrepancy"
            )
        inspected = record_phase(
            session,
            POLICY,
            made.id,
            Phase.INSPECTED,
            hours(4),
            "customs",
            result="discrepancy",
            note=" 2 t more rice than declared ",
        )
        assert (inspected.inspection, inspected.note) == (
            "discrepancy",
            "2 t more rice than declared",
        )
        rates = {
            r.criterion: r
            for r in criterion_rates(session, POLICY, date(2025, 11, 20), date(2025, 11, 20))
        }
        assert list(rates) == [*(c.id for c in POLICY.customs.rules.criteria), RANDOM]
        hit = view.selections[0].hits
        if view.selections[0].random:
            hit += (RANDOM,)
        for criterion, rate in rates.items():
            expected = (1, 1, 1, 1.0) if criterion in hit else (0, 0, 0, None)
            assert (rate.selections, rate.inspected, rate.discrepancies, rate.hit_rate) == expected
        # A later consignment of the firm is scored with the earlier discrepancy.
        later = register(session, POLICY, record("TFN-0002"), "customs")
        assert "earlier-discrepancy" in to_lane(session, later.id, 10).selections[0].hits
        assert (
            criterion_rates(session, POLICY, date(2025, 11, 21), date(2025, 11, 30))[0].selections
            == 0
        )


def test_an_override_needs_a_reason_and_is_audited(authorized: tuple[Engine, int, int]) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        made = register(session, POLICY, record("TFN-0001", first), "customs")
        with pytest.raises(InputError, match="no lane has been selected yet"):
            override_lane(session, made.id, Lane.RED, "suspicion", "officer")
        view = to_lane(session, made.id)
        other = Lane.RED if view.lane is not Lane.RED else Lane.GREEN
        before = (consignment(session, made.id), audit_count(session))
        for reason in ("", "   ", "\u202e"):
            with pytest.raises(InputError, match="reason") as caught:
                override_lane(session, made.id, other, reason, "officer")
            assert caught.value.problems[0].field == "reason"
        with pytest.raises(InputError, match="must be one of"):
            override_lane(session, made.id, "purple", "why not", "officer")
        with pytest.raises(InputError, match="lane already"):
            override_lane(session, made.id, view.lane or "", "again", "officer")
        assert (consignment(session, made.id), audit_count(session)) == before
        overridden = override_lane(session, made.id, other, " X-ray image unclear ", "officer")
        assert overridden.lane is other
        first_selection, override = overridden.selections
        assert override.overrides == first_selection.id
        assert (override.reason, override.by, override.seed, override.random) == (
            "X-ray image unclear",
            "officer",
            "",
            False,
        )
        assert (override.score, override.hits) == (first_selection.score, first_selection.hits)
        [entry] = audit.list_records(session, action="customs.override")
        assert entry.actor == "officer"
        assert entry.before == {"lane": str(view.lane), "selection": first_selection.id}
        assert entry.after == {
            "lane": str(other),
            "selection": override.id,
            "reason": "X-ray image unclear",
        }
        # The override does not count as a selection by the rules.
        rates = criterion_rates(session, POLICY, date(2025, 11, 1), date(2025, 11, 30))
        assert sum(r.selections for r in rates if r.criterion != RANDOM) == len(
            first_selection.hits
        )


def test_a_released_consignment_keeps_its_lane(authorized: tuple[Engine, int, int]) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        made = register(session, POLICY, record("TFN-0001", first), "customs")
        view = to_lane(session, made.id)
        if view.lane is not Lane.GREEN:
            override_lane(session, made.id, Lane.GREEN, "known shipper, seal intact", "officer")
        record_phase(session, POLICY, made.id, Phase.RELEASED, hours(3), "customs")
        with pytest.raises(InputError, match="released: its lane is final"):
            override_lane(session, made.id, Lane.RED, "second thoughts", "officer")
        exited = record_phase(session, POLICY, made.id, Phase.EXITED, None, "customs")
        assert exited.exited_at is not None
        assert exited.exited_at <= now()


def test_a_price_band_outlier_is_never_green(authorized: tuple[Engine, int, int]) -> None:
    engine, authorization_id, _ = authorized
    outlier = declared(  # $5 a kilogram of rice: outside 0.30–1.50
        engine,
        authorization_id,
        **RICE | {"quantity": "1000"},
        value="5000",
        currency="USD",
        on=date(2025, 11, 16),
    )
    with transaction(engine) as session:
        assert session.get(Declaration, outlier).flag is not None  # type: ignore[union-attr]
        made = register(session, POLICY, record("TFN-0001", outlier), "customs")
        view = to_lane(session, made.id)
        assert "price-band" in view.selections[0].hits
        assert view.lane in (Lane.YELLOW, Lane.RED)
        # Nor through an officer's override: yellow is the floor.
        if view.lane is Lane.RED:
            view = override_lane(session, made.id, Lane.YELLOW, "papers in order", "officer")
        before = (consignment(session, made.id), audit_count(session))
        for lower in (Lane.GREEN, Lane.BLUE):
            with pytest.raises(InputError, match="price-band flag") as caught:
                override_lane(session, made.id, lower, "known trader", "officer")
            assert caught.value.problems[0].field == "lane"
        assert (consignment(session, made.id), audit_count(session)) == before
        assert override_lane(session, made.id, Lane.RED, "tip-off", "officer").lane is Lane.RED


def test_no_override_once_the_goods_are_inspected(authorized: tuple[Engine, int, int]) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        made = register(session, POLICY, record("TFN-0001", first), "customs")
        if to_lane(session, made.id).lane is not Lane.RED:
            override_lane(session, made.id, Lane.RED, "tip-off", "officer")
        record_phase(session, POLICY, made.id, Phase.DOCUMENTS, hours(3), "customs")
        # After the documents, before the inspection: an override is still possible.
        override_lane(session, made.id, Lane.YELLOW, "papers explain it", "officer")
        override_lane(session, made.id, Lane.RED, "second look", "officer")
        record_phase(
            session,
            POLICY,
            made.id,
            Phase.INSPECTED,
            hours(4),
            "customs",
            result="discrepancy",
            note="200 kg more than declared",
        )
        before = (consignment(session, made.id), audit_count(session))
        for lane in (Lane.GREEN, Lane.YELLOW):
            with pytest.raises(InputError, match="inspected") as caught:
                override_lane(session, made.id, lane, "done", "officer")
            assert caught.value.problems[0].field == "lane"
        assert (consignment(session, made.id), audit_count(session)) == before


def test_facts_come_from_the_declarations_and_the_firm(
    authorized: tuple[Engine, int, int],
) -> None:
    engine, authorization_id, first = authorized
    lpg = declared(  # $610/t LPG against a plan of $600/t: within plan and band
        engine,
        authorization_id,
        **LPG | {"quantity": "50"},
        value="30500",
        currency="USD",
        on=date(2025, 11, 16),
    )
    cheap = declared(  # $400/t: a third below plan, inside the band
        engine,
        authorization_id,
        **LPG | {"quantity": "50"},
        value="20000",
        currency="USD",
        on=date(2025, 11, 17),
    )
    with transaction(engine) as session:
        exported = register(session, POLICY, record("TFN-0001", first), "customs")
        assert to_lane(session, exported.id).selections[0].hits == ("first-declaration",)
        imported = register(
            session,
            POLICY,
            record("GBD-0001", lpg, direction="import", origin="AE", crossing="GBD"),
            "customs",
        )
        assert to_lane(session, imported.id).selections[0].hits == ("fuel", "origin")
        off_plan = register(
            session, POLICY, record("GBD-0002", cheap, direction="import", origin="IR"), "customs"
        )
        assert to_lane(session, off_plan.id).selections[0].hits == ("fuel", "plan-deviation")
        session.add(
            ScreeningHit(
                firm_id="PK-4",
                list_id=_a_list(session),
                reference="QDi.999",
                entry_name="Quetta Fruit Export",
                list_type="un",
                screened_name="Quetta Fruit Exports",
                matched_name="Quetta Fruit Export",
                score=0.93,
                band="review",
                explanation={},
                created_at=now(),
                decision="false_positive",
            )
        )
        session.flush()
        screened = register(session, POLICY, record("MND-0001", firm_id="PK-4"), "customs")
        assert to_lane(session, screened.id).selections[0].hits == (
            "first-declaration",
            "screening",
        )


def _a_list(session: Session) -> int:
    """A sanctions list row to hang a screening hit on."""
    listed = SanctionsList(
        format="un-xml",
        source="test",
        sha256="0" * 64,
        entries=1,
        imported_at=now(),
        imported_by="test",
    )
    session.add(listed)
    session.flush()
    return listed.id


def test_lists_filter_by_firm_crossing_and_arrival_day(
    authorized: tuple[Engine, int, int],
) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        one = register(session, POLICY, record("TFN-0001", first), "customs")
        record_phase(
            session, POLICY, one.id, Phase.ARRIVED, datetime(2025, 11, 20, 20, tzinfo=UTC), "c"
        )
        two = register(
            session, POLICY, record("MND-0001", firm_id="PK-4", crossing="MND"), "customs"
        )
        assert [c.id for c in consignments(session)] == [two.id, one.id]
        assert [c.id for c in consignments(session, firm_id="PK-4")] == [two.id]
        assert [c.id for c in consignments(session, crossing="TFN")] == [one.id]
        # 20:00 UTC on 20 November is 21 November in Karachi.
        karachi = {"zone": "Asia/Karachi"}
        assert [
            c.id
            for c in consignments(
                session, start=date(2025, 11, 21), end=date(2025, 11, 21), **karachi
            )
        ] == [one.id]
        assert (
            consignments(session, start=date(2025, 11, 20), end=date(2025, 11, 20), **karachi) == []
        )
        assert consignment(session, one.id, firm_id="PK-1") == consignment(session, one.id)
        with pytest.raises(NotFoundError, match=f"no consignment {one.id}"):
            consignment(session, one.id, firm_id="PK-4")
        with pytest.raises(InputError, match="before"):
            consignments(session, start=date(2025, 11, 21), end=date(2025, 11, 20))


def test_a_thousand_low_risk_consignments_are_red_at_the_random_rate(
    authorized: tuple[Engine, int, int],
) -> None:
    """Scored green, they reach red by the seeded draw alone: within two percentage
    points of the policy's minimum random rate for red."""
    engine, _, first = authorized
    rate = float(POLICY.customs.rules.random[Lane.RED])
    with transaction(engine) as session:
        template = session.get(Declaration, first)
        assert template is not None
        ids = []
        for number in range(1000):
            row = Declaration(
                authorization_id=template.authorization_id,
                reference=f"GD-LOW-{number:04d}",
                direction="export",
                hs=template.hs,
                quantity="1000",
                unit="kg",
                value=725,
                currency="USD",
                rate="1",
                value_unit=725,
                declared_on=date(2025, 11, 18),
                line=None,
                flag=None,
                created_at=now(),
                created_by="test",
            )
            session.add(row)
            ids.append(row)
        session.flush()
        lanes: Counter[Lane] = Counter()
        for number, row in enumerate(ids):
            made = register(session, POLICY, record(f"TFN-{number:04d}", row.id), "customs")
            view = to_lane(session, made.id, start=number / 100)
            [selection] = view.selections
            assert selection.score == 0
            assert selection.hits == ()
            assert view.lane is random_lane(POLICY.customs.rules, draw(selection.seed))
            lanes[view.lane] += 1  # type: ignore[index]
        listed = consignments(session, crossing="TFN")  # read in batches of 500
        assert len(listed) == 1000
        assert Counter(c.lane for c in listed) == lanes
        assert all(len(c.selections) == 1 and len(c.declaration_ids) == 1 for c in listed)
        [drawn] = [
            r
            for r in criterion_rates(session, POLICY, T0.date(), T0.date())
            if r.criterion == RANDOM
        ]
        assert drawn.selections == 1000 - lanes[Lane.GREEN]
    assert sum(lanes.values()) == 1000
    assert abs(lanes[Lane.RED] / 1000 - rate) <= 0.02, lanes
    assert lanes[Lane.GREEN] > 700, lanes


def test_declarations_lodged_after_registration_are_linked_before_the_lane(
    authorized: tuple[Engine, int, int],
) -> None:
    engine, _, first = authorized
    with transaction(engine) as session:
        made = register(session, POLICY, record("TFN-0001"), "customs")
        assert made.declaration_ids == ()
        before = (consignment(session, made.id), audit_count(session))
        for ids, message in (
            ((), "at least one"),
            ((999999,), "no declaration 999999"),
            ((first, first), "listed twice"),
        ):
            with pytest.raises(InputError, match=message):
                link_declarations(session, made.id, ids, "officer")
        assert (consignment(session, made.id), audit_count(session)) == before
        linked = link_declarations(session, made.id, (first,), "officer")
        assert linked.declaration_ids == (first,)
        assert consignment(session, made.id).declaration_ids == (first,)
        assert session.get(Declaration, first).consignment_id == made.id  # type: ignore[union-attr]
        [entry] = audit.list_records(session, action="customs.declarations")
        assert entry.after["declaration_ids"] == [first]  # type: ignore[index]
        # The rules look at it: the firm's first declaration.
        view = to_lane(session, made.id)
        assert "first-declaration" in view.selections[0].hits
        with pytest.raises(InputError, match="the lane is selected"):
            link_declarations(session, made.id, (first,), "officer")
        other = register(session, POLICY, record("TFN-0002"), "customs")
        with pytest.raises(InputError, match="another consignment"):
            link_declarations(session, other.id, (first,), "officer")
