"""Issue 17 on a real database (SQLite and PostgreSQL): the order's versions by date,
declarations tied to the authorized lines, balance judged at the end, closing and
cancelling on purpose, retries that compare bodies, dates in range."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tahator.domain.barter import Application
from tahator.domain.errors import InputError
from tahator.formatting import amount
from tahator.io.application import parse_application
from tahator.services import audit, barter, barter_views, corridor, obligations
from tahator.store.database import transaction
from tahator.store.schema import AuditRecord, Authorization, Declaration, MatchingRun, Proposal
from tests.integration import test_barter as base
from tests.integration.test_barter import POLICY, apply, authorize, declare, sound

house = base.house  # the firms of ``test_barter``: PK-1 applies, IR-1 is its partner


def plan(**changes: Any) -> dict[str, Any]:
    """An application planning 100,000 USD each way: LPG in, rice out."""
    data = base.application(
        imports=[
            {
                "hs": "27111900",
                "description": "LPG",
                "quantity": "200",
                "unit": "t",
                "value": "100000.00",
                "currency": "USD",
            }
        ],
        exports=[
            {
                "hs": "10063010",
                "description": "Basmati rice",
                "quantity": "200000",
                "unit": "kg",
                "value": "100000.00",
                "currency": "USD",
            }
        ],
        valid_from="2025-05-01",
    )
    data.update(changes)
    return data


def lpg(value: str, quantity: str = "60", **extra: Any) -> dict[str, Any]:
    return (
        {"direction": "import", "hs": "27111900", "quantity": quantity, "unit": "t"}
        | {
            "value": value,
            "currency": "USD",
        }
        | extra
    )


def rice(value: str, quantity: str = "58000", **extra: Any) -> dict[str, Any]:
    return (
        {"direction": "export", "hs": "10063010", "quantity": quantity, "unit": "kg"}
        | {
            "value": value,
            "currency": "USD",
        }
        | extra
    )


def refused(engine: Engine, authorization_id: int, **line: Any) -> str:
    """The problems of a declaration that must be refused, and nothing recorded."""
    with transaction(engine) as session:
        before = session.scalar(select(func.count()).select_from(Declaration))
    with pytest.raises(InputError) as caught:
        declare(engine, authorization_id, **line)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Declaration)) == before
    return str(caught.value)


# -- versions by date ---------------------------------------------------------------------


def test_the_2023_order_governs_an_authorization_of_june_2025(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, plan())
    view = authorize(house, authorization_id, date(2025, 6, 1))
    assert view.deadline == date(2025, 8, 30)  # 90 days
    assert (view.policy_version, view.sequencing, view.window_days) == ("2023", "import_first", 90)
    assert view.policy_source == "SRO 642(I)/2023 of 1 June 2023"
    assert view.decided_on == date(2025, 6, 1)
    problems = refused(house, authorization_id, **rice("1000", "2000"), on=date(2025, 6, 5))
    assert "declare an import before any export" in problems
    declare(house, authorization_id, **lpg("500", "1"), on=date(2025, 6, 6))
    # 500 imported: exports may exceed it by 5 % at most, not reach 90,100.
    problems = refused(house, authorization_id, **rice("90100", "2000"), on=date(2025, 6, 7))
    assert "90100.00 USD would exceed the 500.00 imported by more than 5 %" in problems
    refused(house, authorization_id, **rice("526", "1000"), on=date(2025, 6, 7))
    view = declare(house, authorization_id, **rice("525", "1000"), on=date(2025, 6, 7))
    assert amount(view.exported) == "525.00"
    # Day 91 is past the 2023 window.
    problems = refused(house, authorization_id, **lpg("500", "1"), on=date(2025, 8, 31))
    assert "outside the balancing window 2025-06-01 to 2025-08-30" in problems


def test_the_amended_order_governs_an_authorization_of_november_2025(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, plan())
    view = authorize(house, authorization_id, date(2025, 11, 3))
    assert view.deadline == date(2026, 3, 3)  # 120 days
    assert (view.policy_version, view.sequencing, view.tolerance) == (
        "2025-10",
        "simultaneous",
        "0.20",
    )
    assert "±20 %" in view.tolerance_source
    view = declare(house, authorization_id, **rice("1000", "2000"), on=date(2025, 11, 4))
    assert amount(view.exported) == "1000.00"  # export first


def test_the_application_is_checked_again_under_the_authorizing_version(
    house: Engine, tmp_path: Path
) -> None:
    # Customs cannot choose the 2023 order by dating its decision before the submission.
    consortium = apply(house, tmp_path, plan(applicant="C-1"), as_of=date(2025, 10, 20))
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.authorize(session, POLICY, consortium, date(2025, 6, 1), "customs")
    [problem] = caught.value.problems
    assert (problem.field, problem.message) == (
        "as_of",
        "2025-06-01 is before the application was submitted (2025-10-20)",
    )
    with transaction(house) as session, pytest.raises(InputError, match="before the application"):
        barter.reject(session, POLICY, consortium, "no", "customs", as_of=date(2025, 10, 19))
    # Under the 2023 order a consortium cannot even apply.
    with pytest.raises(InputError, match="does not allow consortia"):
        apply(house, tmp_path, plan(applicant="C-1", reference="C-2023"), as_of=date(2025, 6, 1))
    # Filed under the 2023 order without an undertaking, authorized under 2025-10.
    record = parse_application(plan(undertaking=False, reference="PO-1"), {"USD": 2, "PKR": 2})
    with transaction(house) as session:
        filed = barter.submit(session, POLICY, record, "trader", as_of=date(2025, 6, 1)).id
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.authorize(session, POLICY, filed, date(2025, 11, 3), "customs")
    assert "an undertaking for the foreign partner is required under the 2025-10 order" in str(
        caught.value
    )
    with transaction(house) as session, pytest.raises(InputError, match="before the application"):
        barter.authorize(session, POLICY, filed, date(2023, 5, 1), "customs")
    with transaction(house) as session:
        assert barter.show(session, POLICY, filed).state == "submitted"


def test_a_window_that_misses_the_contract_is_refused(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(
        house,
        tmp_path,
        plan(valid_from="2026-09-01", valid_until="2027-06-30"),
        as_of=date(2026, 1, 2),
    )
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.authorize(session, POLICY, authorization_id, date(2026, 1, 2), "customs")
    message = str(caught.value)
    assert "valid only from 2026-09-01" in message
    assert "closes on 2026-05-02" in message
    view = authorize(house, authorization_id, date(2026, 5, 5))  # a window reaching into it
    assert view.deadline == date(2026, 9, 2)


# -- declarations tied to the authorized lines --------------------------------------------


def test_a_declaration_must_match_an_authorized_line(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, plan())
    authorize(house, authorization_id, date(2025, 11, 3))
    cars = {"direction": "import", "hs": "870323", "quantity": "10", "unit": "u"}
    problems = refused(
        house, authorization_id, **cars, value="5000000", currency="USD", on=date(2025, 11, 4)
    )
    assert "HS 870323 matches no authorized import line; authorized: 1. HS 27111900 LPG" in problems
    # Rice is authorized for export, not for import.
    problems = refused(
        house, authorization_id, **rice("100", "100", direction="import"), on=date(2025, 11, 4)
    )
    assert "HS 10063010 matches no authorized import line" in problems
    # The same subheading matches; a shorter code cannot be matched; another unit neither.
    view = declare(house, authorization_id, **lpg("100", "1", hs="27111990"), on=date(2025, 11, 4))
    assert view.declaration is not None
    assert view.declaration.line == 1
    assert "at least 6 digits" in refused(
        house, authorization_id, **lpg("100", "1", hs="2711"), on=date(2025, 11, 4)
    )
    assert "declared in kg" in refused(
        house, authorization_id, **lpg("100", "1", unit="kg"), on=date(2025, 11, 4)
    )
    # Cumulative value and quantity stay within the plan and its 20 % tolerance.
    problems = refused(house, authorization_id, **lpg("119900.01", "10"), on=date(2025, 11, 5))
    assert "to 120000.01 USD against 100000.00 planned, beyond the 2025-10 order's" in problems
    assert "quantity" not in problems
    declare(house, authorization_id, **lpg("10000", "200"), on=date(2025, 11, 5))
    problems = refused(house, authorization_id, **lpg("1", "40"), on=date(2025, 11, 6))
    assert "quantity: HS 27111900 would bring import line 1. HS 27111900 LPG to 241 t" in problems
    assert "value" not in problems
    view = declare(house, authorization_id, **lpg("109900", "39"), on=date(2025, 11, 6))
    assert view.state == "authorized"  # 120,000 imported, no export yet
    with transaction(house) as session:
        lines = session.scalars(select(Declaration.line).order_by(Declaration.id)).all()
    assert lines == [1, 1, 1]


# -- balance judged at the end ------------------------------------------------------------


def test_a_passing_equality_does_not_close_an_authorization(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, plan())
    authorize(house, authorization_id, date(2025, 11, 3))
    declare(house, authorization_id, **lpg("30000"), on=date(2025, 11, 4))
    view = declare(house, authorization_id, **rice("29000"), on=date(2025, 11, 5))
    assert view.state == "authorized"
    assert view.obligation is None
    view = declare(house, authorization_id, **lpg("70000", "140"), on=date(2025, 11, 6))
    assert (view.state, amount(view.imported)) == ("authorized", "100000.00")
    view = declare(house, authorization_id, **rice("71000", "142000"), on=date(2025, 11, 7))
    assert view.state == "balanced"
    assert view.closed_on == date(2025, 11, 7)
    assert view.obligation is None  # exactly even: nothing owed
    sound(house)


def test_close_on_purpose_owes_the_residual_once(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, plan())
    with transaction(house) as session, pytest.raises(InputError, match="is submitted"):
        barter.close(session, POLICY, authorization_id, "contract ended", date(2025, 11, 9), "c")
    authorize(house, authorization_id, date(2025, 11, 3))
    declare(house, authorization_id, **lpg("30000"), on=date(2025, 11, 4))
    declare(house, authorization_id, **rice("20000"), on=date(2025, 11, 5))
    with transaction(house) as session, pytest.raises(InputError, match="needs a reason"):
        barter.close(session, POLICY, authorization_id, "  ", date(2025, 11, 9), "customs")
    with transaction(house) as session:
        view = barter.close(
            session, POLICY, authorization_id, "the partner's port closed", date(2025, 11, 9), "c"
        )
    assert (view.state, view.closed_on) == ("balanced", date(2025, 11, 9))
    assert (view.closed_by, view.close_reason) == ("c", "the partner's port closed")
    assert view.obligation is not None
    assert (view.obligation.debtor, amount(view.obligation.amount)) == ("PK-1", "10000.00")
    with transaction(house) as session, pytest.raises(InputError, match="is balanced"):
        barter.close(session, POLICY, authorization_id, "again", date(2025, 11, 10), "c")
    with transaction(house) as session:
        owed = obligations.list_obligations(session, firm="PK-1")
        assert len(owed) == 1
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
        assert actions[-1] == "barter.close"
        assert audit.verify(session)[1] is None
    sound(house)


def test_cancel_one_overdue_authorization_as_the_sweep_would(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, plan())
    authorize(house, authorization_id, date(2025, 11, 3))  # deadline 2026-03-03
    declare(house, authorization_id, **lpg("30000"), on=date(2025, 11, 4))
    with transaction(house) as session, pytest.raises(InputError, match="not overdue"):
        barter.cancel(session, POLICY, authorization_id, date(2026, 3, 3), "customs")
    with transaction(house) as session, pytest.raises(InputError, match="cancel it instead"):
        barter.close(session, POLICY, authorization_id, "too late", date(2026, 3, 4), "customs")
    with transaction(house) as session:
        view = barter.cancel(session, POLICY, authorization_id, date(2026, 4, 10), "customs")
    assert (view.state, view.closed_on) == ("cancelled", date(2026, 3, 3))
    assert view.obligation is not None
    assert (view.obligation.debtor, amount(view.obligation.amount)) == ("PK-1", "30000.00")
    with transaction(house) as session:
        assert barter.sweep(session, POLICY, date(2026, 4, 11), "customs").cancelled == ()
        with pytest.raises(InputError, match="is cancelled"):
            barter.cancel(session, POLICY, authorization_id, date(2026, 4, 10), "customs")
        assert audit.verify(session)[1] is None
    sound(house)


def test_a_sweep_balances_what_reached_the_plan_within_tolerance(
    house: Engine, tmp_path: Path
) -> None:
    reached = apply(house, tmp_path, plan())
    short = apply(house, tmp_path, plan())
    for authorization_id in (reached, short):
        authorize(house, authorization_id, date(2025, 11, 3))
    declare(house, reached, **lpg("90000", "180"), on=date(2025, 11, 4))
    declare(house, reached, **rice("85000", "170000"), on=date(2025, 11, 5))
    declare(house, short, **lpg("90000", "180"), on=date(2025, 11, 4))
    declare(house, short, **rice("79999", "170000"), on=date(2025, 11, 5))  # below 80 %
    with transaction(house) as session:
        rows = barter_views.deadlines(session, POLICY, date(2026, 3, 10))
    assert [(r.id, r.days_left, r.overdue, r.reached) for r in rows] == [
        (reached, -7, True, True),
        (short, -7, True, False),
    ]
    with transaction(house) as session:
        swept = barter.sweep(session, POLICY, date(2026, 4, 10), "customs")
    assert [v.id for v in swept.balanced] == [reached]
    assert [v.id for v in swept.cancelled] == [short]
    assert swept.balanced[0].closed_on == date(2026, 3, 3)
    owed = swept.balanced[0].obligation
    assert owed is not None
    assert (owed.id, amount(owed.amount)) == ("BT-4100001-1-000001/residual", "5000.00")
    sound(house)


def test_deadlines_list_open_authorizations_overdue_first(house: Engine, tmp_path: Path) -> None:
    late = apply(house, tmp_path, plan())
    early = apply(house, tmp_path, plan())
    other = apply(house, tmp_path, plan(applicant="PK-4", counterparty="IR-2"))
    authorize(house, late, date(2025, 12, 1))
    authorize(house, early, date(2025, 11, 3))
    authorize(house, other, date(2025, 12, 1))
    apply(house, tmp_path, plan())  # submitted: no deadline yet
    declare(house, early, **lpg("30000"), on=date(2025, 11, 4))
    with transaction(house) as session:
        rows = barter_views.deadlines(session, POLICY, date(2026, 3, 10))
        mine = barter_views.deadlines(session, POLICY, date(2026, 3, 10), firm="IR-1")
    assert [(r.id, r.days_left, r.overdue) for r in rows] == [
        (early, -7, True),
        (late, 21, False),
        (other, 21, False),
    ]
    assert amount(rows[0].imported) == "30000.00"
    assert [r.id for r in mine] == [early, late]


# -- rings --------------------------------------------------------------------------------


def ring_proposal(engine: Engine) -> int:
    with transaction(engine) as session:
        run = MatchingRun(
            as_of=date(2025, 11, 1),
            cap=4,
            tolerance="0.1",
            offers=3,
            arcs=3,
            objective=0,
            bound=0,
            optimal=True,
            seconds="0",
            created_at=datetime(2025, 11, 1, tzinfo=UTC),
            created_by="t",
        )
        session.add(run)
        session.flush()
        proposal = Proposal(run_id=run.id, state="binding", value=100000_00)
        session.add(proposal)
        session.flush()
        return proposal.id


def test_a_ring_application_owes_only_what_differs_from_its_plan(
    house: Engine, tmp_path: Path
) -> None:
    proposal = ring_proposal(house)
    record = parse_application(plan(imports=[]), {"USD": 2, "PKR": 2})
    one_sided = Application(**{**record.__dict__, "proposal": proposal})
    with transaction(house) as session:
        filed = barter.submit(session, POLICY, one_sided, "market", as_of=date(2025, 6, 1)).id
    with pytest.raises(InputError, match="at least one import line"):
        apply(house, tmp_path, plan(imports=[]))  # only a ring's may be one-sided
    view = authorize(house, filed, date(2025, 6, 1))
    assert (view.ring, view.policy_version) == (proposal, "2023")
    # It plans no import, so the 2023 order's import-first rule does not hold it back.
    declare(house, filed, **rice("90000", "180000"), on=date(2025, 6, 2))
    with transaction(house) as session:
        view = barter.close(session, POLICY, filed, "ring ended", date(2025, 6, 3), "customs")
    # 10,000 of rice short of the plan: the applicant owes it (its ring credit was 100,000).
    assert view.obligation is not None
    assert (view.obligation.debtor, amount(view.obligation.amount)) == ("PK-1", "10000.00")
    sound(house)


# -- retries and dates --------------------------------------------------------------------


def test_a_changed_retry_is_refused(house: Engine, tmp_path: Path) -> None:
    cheap = plan(reference="PO-17")
    first = apply(house, tmp_path, cheap)
    assert apply(house, tmp_path, cheap) == first
    dearer = plan(reference="PO-17")
    dearer["imports"][0]["value"] = "900000.00"
    with pytest.raises(InputError, match=r"other content \(imports\)"):
        apply(house, tmp_path, dearer)
    for change in (
        {"undertaking": False},
        {"counterparty": "IR-2"},
        {"valid_until": "2026-06-29"},
    ):
        with pytest.raises(InputError, match="other content"):
            apply(house, tmp_path, plan(reference="PO-17", **change))
    with transaction(house) as session:
        assert session.scalar(select(func.count()).select_from(Authorization)) == 1
    authorize(house, first, date(2025, 11, 3))
    declare(house, first, **lpg("1000", reference="GD-9"), on=date(2025, 11, 4))
    assert "other content (value)" in refused(
        house, first, **lpg("900000", reference="GD-9"), on=date(2025, 11, 4)
    )
    assert "other content (quantity, date)" in refused(
        house, first, **lpg("1000", "61", reference="GD-9"), on=date(2025, 11, 5)
    )


def test_dates_out_of_range_are_refused_not_overflowed(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, plan())
    far = date(9999, 12, 31)
    with transaction(house) as session:
        record = parse_application(plan(), corridor.load(session).digits)
        with pytest.raises(InputError, match="no barter order was in force on 2023-05-31"):
            barter.submit(session, POLICY, record, "t", as_of=date(2023, 5, 31))
        for call in (
            lambda: barter.submit(session, POLICY, record, "t", as_of=far),
            lambda: barter.authorize(session, POLICY, authorization_id, far, "c"),
            lambda: barter.reject(session, POLICY, authorization_id, "no", "c", as_of=far),
            lambda: barter.sweep(session, POLICY, far, "c"),
            lambda: barter.cancel(session, POLICY, authorization_id, far, "c"),
            lambda: barter.close(session, POLICY, authorization_id, "r", far, "c"),
            lambda: barter_views.deadlines(session, POLICY, far),
        ):
            with pytest.raises(InputError, match="outside the accepted dates"):
                call()
    with pytest.raises(InputError, match="outside the accepted dates"):
        apply(house, tmp_path, plan(valid_until="9999-12-31"))
    authorize(house, authorization_id, date(2025, 11, 3))
    assert "outside the accepted dates" in refused(house, authorization_id, **lpg("1"), on=far)
