"""Issue 17's review on a real database (SQLite and PostgreSQL): no date after today,
the governing version recorded once, no decision before the submission, GD numbers
unique in the corridor, import before export by dates, no zero-valued declaration, a
trader's close never makes the counterparty owe."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from tahator.domain.errors import InputError, TahatorError
from tahator.formatting import amount
from tahator.io.barter_report import csv_row, report_document, report_html
from tahator.io.declarations import declaration_record
from tahator.services import barter, barter_report, barter_views
from tahator.store.database import transaction
from tahator.store.schema import Authorization, Declaration
from tests.integration import test_barter as base
from tests.integration.test_barter import POLICY, apply, authorize, declare, sound
from tests.integration.test_barter_orders import lpg, plan, refused, rice

house = base.house

# -- 1. no date after today's business date --------------------------------------------


def only_problem(caught: pytest.ExceptionInfo[InputError]) -> tuple[str | None, str]:
    [problem] = caught.value.problems
    return problem.field, problem.message


def test_no_decision_or_end_is_dated_after_today(house: Engine, tmp_path: Path) -> None:
    later = date(2025, 11, 10)
    today = date(2025, 11, 5)
    after_today = ("as_of", "2025-11-10 is after today's business date, 2025-11-05")
    submitted = apply(house, tmp_path, plan())
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.authorize(session, POLICY, submitted, later, "customs", today=today)
    assert only_problem(caught) == after_today
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.reject(session, POLICY, submitted, "no", "customs", as_of=later, today=today)
    assert only_problem(caught) == after_today
    with pytest.raises(InputError) as caught:
        apply(house, tmp_path, plan(reference="LATER"), as_of=date(2099, 1, 1))
    assert "2099-01-01 is after today's business date" in str(caught.value)

    authorization_id = apply(house, tmp_path, plan(reference="NOW"))
    authorize(house, authorization_id, date(2025, 11, 3))  # deadline 2026-03-03
    # Customs cannot cancel before the deadline by stating a day after it.
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.cancel(session, POLICY, authorization_id, date(2026, 3, 4), "customs", today=today)
    assert only_problem(caught)[1] == "2026-03-04 is after today's business date, 2025-11-05"
    with transaction(house) as session, pytest.raises(InputError, match="after today's"):
        barter.sweep(session, POLICY, date(2026, 3, 4), "customs", today=today)
    with transaction(house) as session, pytest.raises(InputError, match="after today's"):
        barter.close(session, POLICY, authorization_id, "why", later, "customs", today=today)
    # A declaration dated after today (within the window) is refused, naming its date.
    record, _ = declaration_record(**lpg("100"), on=later, reference=None, digits={"USD": 2})
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.declare(session, POLICY, authorization_id, record, actor="customs", today=today)
    assert only_problem(caught) == ("date", "2025-11-10 is after today's business date, 2025-11-05")
    with transaction(house) as session:
        assert barter.show(session, POLICY, authorization_id).state == "authorized"
        assert session.scalar(select(func.count()).select_from(Declaration)) == 0
        # On its day, the same cancellation goes through.
        view = barter.cancel(
            session, POLICY, authorization_id, date(2026, 3, 4), "customs", today=date(2026, 3, 4)
        )
    assert view.state == "cancelled"
    sound(house)


# -- 2. the governing version is recorded, never derived again ---------------------------


def test_a_version_is_never_derived_again_for_an_authorized_row(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, plan())
    with transaction(house) as session:
        # Before a decision, the version in force on the submission date governs it.
        assert barter.show(session, POLICY, authorization_id).policy_version == "2023"
    authorize(house, authorization_id, date(2025, 11, 3))
    with transaction(house) as session:
        session.execute(
            update(Authorization)
            .where(Authorization.id == authorization_id)
            .values(policy_version=None)
        )
    with transaction(house) as session, pytest.raises(TahatorError) as caught:
        barter.show(session, POLICY, authorization_id)
    assert "was authorized but its version of the order was not recorded" in str(caught.value)


def test_a_policy_that_drops_a_stored_version_is_named(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, plan())
    authorize(house, authorization_id, date(2025, 6, 1))  # the 2023 order
    without_2023 = dataclasses.replace(
        POLICY, versions=tuple(v for v in POLICY.versions if v.version != "2023")
    )
    message = (
        f"authorization {authorization_id} is governed by version '2023' of the order, "
        "which the policy file no longer has"
    )
    with transaction(house) as session:
        with pytest.raises(TahatorError, match=message):
            barter.show(session, without_2023, authorization_id)
        with pytest.raises(TahatorError, match=message):
            barter_views.deadlines(session, without_2023, date(2025, 7, 1))


# -- 3. no decision before the submission ---------------------------------------------------


def test_no_decision_is_dated_before_the_submission(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, plan(), as_of=date(2025, 11, 3))
    for decide in (
        lambda s, day: barter.authorize(s, POLICY, authorization_id, day, "customs"),
        lambda s, day: barter.reject(s, POLICY, authorization_id, "no", "customs", as_of=day),
    ):
        with transaction(house) as session, pytest.raises(InputError) as caught:
            decide(session, date(2025, 6, 1))
        assert only_problem(caught) == (
            "as_of",
            "2025-06-01 is before the application was submitted (2025-11-03)",
        )
    view = authorize(house, authorization_id, date(2025, 11, 3))
    assert view.policy_version == "2025-10"


# -- 4. GD numbers ------------------------------------------------------------------------------


def test_a_gd_number_names_one_declaration_in_the_corridor(house: Engine, tmp_path: Path) -> None:
    first = apply(house, tmp_path, plan(reference="A"))
    second = apply(house, tmp_path, plan(applicant="PK-4", reference="B"))
    for authorization_id in (first, second):
        authorize(house, authorization_id, date(2025, 11, 3))
    declare(house, first, **lpg("1000", "2"), on=date(2025, 11, 4), reference="GD-KHI-1")
    problems = refused(
        house, second, **lpg("1000", "2"), on=date(2025, 11, 4), reference="GD-KHI-1"
    )
    assert problems == (
        "reference: GD number 'GD-KHI-1' is already used: a GD number names one "
        "declaration in the corridor"
    )
    assert "PK-1" not in problems  # nothing of the other firm
    # The same declaration again on its own authorization still counts once.
    view = declare(house, first, **lpg("1000", "2"), on=date(2025, 11, 4), reference="GD-KHI-1")
    assert amount(view.imported) == "1000.00"
    problems = refused(
        house, first, **lpg("1000", "2"), on=date(2025, 11, 4), reference="GD\u200b-KHI-1"
    )
    assert "may hold only letters, digits and - _ . /, not '\\u200b'" in problems


# -- 5. import before export, by dates ------------------------------------------------------


def test_import_first_counts_the_imports_dated_before_the_export(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, plan())
    authorize(house, authorization_id, date(2025, 6, 1))  # the 2023 order: import_first
    declare(house, authorization_id, **lpg("1000", "2"), on=date(2025, 7, 1))
    problems = refused(house, authorization_id, **rice("500", "1000"), on=date(2025, 6, 15))
    assert "declare an import before any export" in problems
    assert "counting goods dated up to 2025-06-15" in problems
    declare(house, authorization_id, **lpg("500", "1"), on=date(2025, 6, 5))
    declare(house, authorization_id, **rice("525", "1000"), on=date(2025, 6, 20))
    # Dated before the export of 525, this one would bring exports by 20 June beyond
    # the 500 imported by then.
    problems = refused(house, authorization_id, **rice("10", "10"), on=date(2025, 6, 10))
    assert "exports of 535.00 USD would exceed the 500.00 imported" in problems
    assert "counting goods dated up to 2025-06-20" in problems
    view = declare(house, authorization_id, **rice("10", "10"), on=date(2025, 7, 2))
    assert amount(view.exported) == "535.00"


# -- 7. too small to count ----------------------------------------------------------------------


def test_a_declaration_worth_nothing_in_the_unit_of_account_is_refused(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, plan())
    authorize(house, authorization_id, date(2025, 11, 3))
    line = lpg("5", "1") | {"currency": "IRR"}
    problems = refused(house, authorization_id, **line, on=date(2025, 11, 4))
    assert problems == "value: worth 0.00 USD at the rate of 2025-11-04: too small a value to count"


# -- 11. a trader's close never makes the counterparty owe -----------------------------------


def test_a_trader_may_not_close_one_that_leaves_the_counterparty_owing(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, plan())
    authorize(house, authorization_id, date(2025, 11, 3))  # simultaneous
    declare(house, authorization_id, **rice("20000", "40000"), on=date(2025, 11, 4))
    with transaction(house) as session, pytest.raises(InputError) as caught:
        barter.close(
            session,
            POLICY,
            authorization_id,
            "done",
            date(2025, 11, 9),
            "trader:pk1",
            by_trader=True,
        )
    assert "customs must close an authorization that leaves the counterparty owing" in str(
        caught.value
    )
    with transaction(house) as session:
        assert barter.show(session, POLICY, authorization_id).state == "authorized"
        view = barter.close(
            session, POLICY, authorization_id, "done", date(2025, 11, 9), "customs:c"
        )
    assert view.obligation is not None
    assert (view.obligation.debtor, amount(view.obligation.amount)) == ("IR-1", "20000.00")
    # Where the applicant owes, its trader closes it.
    owing = apply(house, tmp_path, plan(reference="OWING"))
    authorize(house, owing, date(2025, 11, 3))
    declare(house, owing, **lpg("20000", "40"), on=date(2025, 11, 4))
    with transaction(house) as session:
        view = barter.close(
            session, POLICY, owing, "done", date(2025, 11, 9), "trader:pk1", by_trader=True
        )
    assert view.obligation is not None
    assert view.obligation.debtor == "PK-1"
    sound(house)


# -- 2. the upgrade records the version of every authorization made before it ------------

_OLD_AUTHORIZATION = (
    "INSERT INTO authorizations (id, applicant, consortium, counterparty, partner_country, "
    "valid_from, valid_until, origin_declared, state, planned_import, planned_export, "
    "approval_number, authorized_on, deadline, submitted_at, submitted_by) VALUES "
    "({id}, 'PK-1', false, 'IR-1', 'IR', '2025-01-01', '2026-12-31', true, '{state}', 100, 100, "
    "{approval}, {authorized}, {deadline}, '{submitted_at}', 'test')"
)


def test_the_upgrade_records_each_authorized_row_s_version_and_submission_date(
    database_url: str,
) -> None:
    from alembic import command

    from tahator.store import migrate
    from tahator.store.database import make_engine

    engine = make_engine(database_url)
    config = migrate.alembic_config(engine)
    command.upgrade(config, "0007")
    rows = [
        (1, "authorized", "'BT-1'", "'2025-06-01'", "'2025-08-30'", "2025-05-31 10:00:00"),
        (2, "balanced", "'BT-2'", "'2025-11-03'", "'2026-03-03'", "2025-11-02 10:00:00"),
        # 20:00 UTC on 31 October is already 1 November in Karachi.
        (3, "rejected", "NULL", "NULL", "NULL", "2025-10-31 20:00:00"),
        (4, "submitted", "NULL", "NULL", "NULL", "2025-06-02 10:00:00"),
    ]
    with engine.begin() as connection:
        for sql in (
            "INSERT INTO currencies (code, digits) VALUES ('PKR', 2), ('IRR', 2)",
            "INSERT INTO countries (code, name, currency) VALUES ('PK', 'Pakistan', 'PKR'), "
            "('IR', 'Iran', 'IRR')",
            "INSERT INTO firms (id, name, country, tax_id, status, active_taxpayer, "
            "psw_subscribed, state_enterprise, created_at, created_by) VALUES "
            "('PK-1', 'A', 'PK', '1234567-8', 'active', true, true, false, "
            "'2025-01-01 00:00:00', 'test'), "
            "('IR-1', 'B', 'IR', '14000000018', 'active', false, false, false, "
            "'2025-01-01 00:00:00', 'test')",
        ):
            connection.exec_driver_sql(sql)
        for id_, state, approval, authorized, deadline, at in rows:
            connection.exec_driver_sql(
                _OLD_AUTHORIZATION.format(
                    id=id_,
                    state=state,
                    approval=approval,
                    authorized=authorized,
                    deadline=deadline,
                    submitted_at=at,
                )
            )
    migrate.upgrade(engine)
    with transaction(engine) as session:
        found = session.execute(
            select(
                Authorization.id,
                Authorization.policy_version,
                Authorization.submitted_on,
                Authorization.decided_on,
            ).order_by(Authorization.id)
        ).all()
    assert [tuple(row) for row in found] == [
        (1, "2023", date(2025, 5, 31), date(2025, 6, 1)),
        (2, "2025-10", date(2025, 11, 2), date(2025, 11, 3)),
        (3, None, date(2025, 11, 1), date(2025, 11, 1)),
        (4, None, date(2025, 6, 2), None),
    ]
    # A version added to the file later changes none of them: the recorded one governs.
    with transaction(engine) as session:
        old = session.get(Authorization, 1)
        assert old is not None
        later = dataclasses.replace(
            POLICY.rules("2025-10"), version="2025-06", effective=date(2025, 5, 1)
        )
        policy = dataclasses.replace(
            POLICY, versions=(POLICY.versions[0], later, POLICY.versions[1])
        )
        assert barter_views.rules_of(policy, old).version == "2023"
    command.downgrade(config, "0007")
    migrate.upgrade(engine)
    assert migrate.revision_of(engine) == migrate.HEAD
    engine.dispose()


# -- 10. the report counts closing on purpose apart ------------------------------------------


def test_the_report_counts_closing_on_purpose_apart(house: Engine, tmp_path: Path) -> None:
    reached = apply(house, tmp_path, plan(reference="REACHED"))
    closed = apply(house, tmp_path, plan(reference="CLOSED"))
    for authorization_id in (reached, closed):
        authorize(house, authorization_id, date(2025, 11, 3))
    declare(house, reached, **lpg("100000", "200"), on=date(2025, 11, 4))
    view = declare(house, reached, **rice("100000", "200000"), on=date(2025, 11, 5))
    assert view.state == "balanced"
    declare(house, closed, **lpg("1000", "2"), on=date(2025, 11, 4))
    with transaction(house) as session:
        barter.close(session, POLICY, closed, "port closed", date(2025, 11, 9), "customs:c")
        report = barter_report.quarterly_report(session, POLICY, "2025Q4")
    assert (report.balanced, report.closed_on_purpose) == (1, 1)
    document = report_document(report)
    assert (document["balanced"], document["closed_on_purpose"]) == (1, 1)
    rows = {(row[3], row[4]) for row in map(csv_row, barter_report.report_rows(report))}
    assert {("balanced", "1"), ("closed_on_purpose", "1")} <= rows
    assert "Closed on purpose before the plan was reached" in report_html(report)
