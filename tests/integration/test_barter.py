"""Barter authorizations on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tahator.domain.errors import InputError
from tahator.domain.policy import Policy
from tahator.formatting import amount, jsonable
from tahator.io.application import read_application
from tahator.io.barter_report import csv_row, report_document
from tahator.io.declarations import declaration_record
from tahator.io.policy import load_policy
from tahator.services import barter, barter_report, clearing, corridor, firms, ledger, obligations
from tahator.services.barter import AuthorizationDetail
from tahator.services.common import business_today
from tahator.store.database import transaction
from tahator.store.schema import Authorization, Declaration
from tests.integration.conftest import import_firms_file

POLICY = load_policy()
FIRMS = (
    "id,name,country,tax_id,active_taxpayer,psw_subscribed,state_enterprise\n"
    "PK-1,Karachi Rice Mills,PK,4100001-1,true,true,false\n"
    "PK-2,Lahore Unlisted Traders,PK,4100002-2,false,true,false\n"
    "PK-3,Pakistan State Oil,PK,4100003-3,false,false,true\n"
    "PK-4,Quetta Fruit Exports,PK,4100004-4,true,true,false\n"
    "IR-1,Bandar Abbas LPG Co.,IR,14000000018,false,false,false\n"
    "IR-2,Isfahan Steel Co.,IR,14000000026,false,false,false\n"
)


def application(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "applicant": "PK-1",
        "counterparty": "IR-1",
        "partner_country": "IR",
        "imports": [
            {
                "hs": "27111900",
                "description": "LPG",
                "quantity": "500",
                "unit": "t",
                "value": "300000.00",
                "currency": "USD",
            }
        ],
        "exports": [
            {
                "hs": "10063010",
                "description": "Basmati rice",
                "quantity": "400000",
                "unit": "kg",
                "value": "290000.00",
                "currency": "USD",
            }
        ],
        "valid_from": "2025-10-20",
        "valid_until": "2026-06-30",
        "origin_declared": True,
        "undertaking": True,
    }
    data.update(changes)
    return data


@pytest.fixture
def house(engine: Engine, tmp_path: Path) -> Engine:
    from tahator.demo import tax_id

    text = FIRMS.replace("14000000018", tax_id("IR", 1)).replace("14000000026", tax_id("IR", 2))
    (tmp_path / "firms.csv").write_text(text)
    with transaction(engine) as session:
        import_firms_file(session, tmp_path / "firms.csv", "test")
        firms.create_consortium(session, "C-1", "Karachi–Quetta Consortium", "PK-1", ["PK-4"], "t")
    return engine


def submit_file(
    session: Any, path: Path, policy=POLICY, as_of: date | None = None
) -> barter.Submission:
    """What the CLI does with an application file: read it, then submit it; received on
    ``as_of``, by default its contract's first day (today at the latest), so customs can
    decide on the dates the tests state."""
    record = read_application(path, corridor.load(session).digits)
    as_of = as_of or min(record.valid_from, business_today(policy.zone))
    return barter.submit(session, policy, record, "trader", str(path), as_of=as_of)


def apply(
    engine: Engine, tmp_path: Path, data: dict[str, Any], policy=POLICY, as_of: date | None = None
) -> int:
    path = tmp_path / "application.json"
    path.write_text(json.dumps(data))
    with transaction(engine) as session:
        return submit_file(session, path, policy, as_of).id


def authorize(
    engine: Engine, authorization_id: int, on: date = date(2025, 10, 25)
) -> AuthorizationDetail:
    with transaction(engine) as session:
        return barter.authorize(session, POLICY, authorization_id, on, "customs")


def declare(
    engine: Engine, authorization_id: int, policy=POLICY, **line: Any
) -> AuthorizationDetail:
    with transaction(engine) as session:
        return declare_fields(session, policy, authorization_id, actor="customs", **line)


def declare_fields(
    session: Session,
    policy: Policy,
    authorization_id: int,
    *,
    actor: str,
    on: date,
    reference: str | None = None,
    **fields: str,
) -> AuthorizationDetail:
    """A declaration given as text, parsed then declared, as the edges do."""
    record, problems = declaration_record(
        **fields, on=on, reference=reference, digits=corridor.load(session).digits
    )
    return barter.declare(session, policy, authorization_id, record, actor=actor, problems=problems)


def authorizations(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Authorization)) or 0)


def sound(engine: Engine) -> None:
    with transaction(engine) as session:
        assert ledger.verify(session).breaks == ()


LPG = {"direction": "import", "hs": "27111900", "quantity": "500", "unit": "t"}
RICE = {"direction": "export", "hs": "10063010", "quantity": "400000", "unit": "kg"}


def test_a_balanced_authorization_closes_and_its_residual_is_owed(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, application())
    view = authorize(house, authorization_id)
    assert view.state == "authorized"
    assert view.approval_number == "BT-4100001-1-000001"  # linked to PK-1's NTN
    assert view.deadline == date(2026, 2, 22)  # 25 October 2025 + 120 days
    view = declare(
        house, authorization_id, **LPG, value="300000", currency="USD", on=date(2025, 11, 10)
    )
    assert view.state == "authorized"
    assert amount(view.imported) == "300000.00"
    assert (view.policy_version, view.window_days, view.sequencing) == (
        "2025-10",
        120,
        "simultaneous",
    )
    view = declare(
        house, authorization_id, **RICE, value="289000", currency="USD", on=date(2025, 12, 1)
    )
    assert view.state == "authorized"  # within the tolerance, but the plan is not reached
    view = declare(
        house,
        authorization_id,
        direction="export",
        hs="10063010",
        quantity="1000",
        unit="kg",
        value="1000",
        currency="USD",
        on=date(2025, 12, 1),
    )
    assert view.state == "balanced"  # both sides reached the plan: 300,000 and 290,000
    assert view.closed_on == date(2025, 12, 1)
    assert jsonable(view.obligation) == {
        "id": "BT-4100001-1-000001/residual",
        "debtor": "PK-1",
        "creditor": "IR-1",
        "amount": "10000.00",
        "currency": "USD",
    }
    with transaction(house) as session:
        owed = jsonable(obligations.list_obligations(session, firm="PK-1"))
    assert [(o["id"], o["amount"], o["status"]) for o in owed] == [
        ("BT-4100001-1-000001/residual", "10000.00", "open")
    ]
    sound(house)
    with transaction(house) as session, pytest.raises(InputError, match="is balanced"):
        declare_fields(
            session,
            POLICY,
            authorization_id,
            actor="c",
            **RICE,
            value="1",
            currency="USD",
            on=date(2025, 12, 2),
        )


def test_an_unbalanced_authorization_is_cancelled_after_its_deadline(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)
    declare(house, authorization_id, **LPG, value="300000", currency="USD", on=date(2025, 11, 10))
    declare(house, authorization_id, **RICE, value="100000", currency="USD", on=date(2025, 12, 1))
    with transaction(house) as session:
        early = barter.sweep(session, POLICY, date(2026, 2, 22), "customs")
    assert early.cancelled == ()  # the deadline day itself is still in time
    with transaction(house) as session:
        swept = barter.sweep(session, POLICY, date(2026, 2, 23), "customs")
    assert [v.id for v in swept.cancelled] == [authorization_id]
    cancelled = swept.cancelled[0]
    assert cancelled.state == "cancelled"
    assert cancelled.closed_on == date(2026, 2, 22)  # its deadline, not the sweep's day
    # PK-1 received 300,000 of LPG and gave 100,000 of rice: it owes the difference.
    assert cancelled.obligation is not None
    assert cancelled.obligation.debtor == "PK-1"
    assert cancelled.obligation.creditor == "IR-1"
    assert amount(cancelled.obligation.amount) == "200000.00"
    with transaction(house) as session:
        again = barter.sweep(session, POLICY, date(2026, 3, 1), "customs")
    assert again.cancelled == ()  # idempotent
    with transaction(house) as session:
        listed = jsonable(obligations.list_obligations(session, firm="IR-1"))
    assert [o["id"] for o in listed] == ["BT-4100001-1-000001/imbalance"]
    sound(house)
    # The offset clearing takes the imbalance like any other obligation.
    with transaction(house) as session:
        run = clearing.run_clearing(session, "operator", date(2026, 3, 1), today=date(2026, 3, 1))
    assert run.total.minor == 200000_00
    sound(house)


def test_an_imbalance_above_the_largest_obligation_is_owed_in_parts(
    house: Engine, tmp_path: Path
) -> None:
    with transaction(house) as session:
        corridor.set_limits(session, "op", max_obligation=90_000_00)
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)
    declare(house, authorization_id, **LPG, value="300000", currency="USD", on=date(2025, 11, 10))
    declare(house, authorization_id, **RICE, value="100000", currency="USD", on=date(2025, 12, 1))
    with transaction(house) as session:
        swept = barter.sweep(session, POLICY, date(2026, 2, 23), "customs")
    assert [v.id for v in swept.cancelled] == [authorization_id]
    with transaction(house) as session:
        listed = jsonable(obligations.list_obligations(session, firm="IR-1"))
    # 200,000 owed, at most 90,000 an obligation: nothing lost, the sweep not stopped.
    assert [(o["id"], o["amount"]) for o in listed] == [
        ("BT-4100001-1-000001/imbalance", "90000.00"),
        ("BT-4100001-1-000001/imbalance/2", "90000.00"),
        ("BT-4100001-1-000001/imbalance/3", "20000.00"),
    ]
    sound(house)


def test_when_exports_exceed_imports_the_counterparty_owes(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)
    declare(house, authorization_id, **RICE, value="50000", currency="USD", on=date(2025, 11, 1))
    with transaction(house) as session:
        swept = barter.sweep(session, POLICY, date(2026, 6, 1), "customs")
    owed = swept.cancelled[0].obligation
    assert owed is not None
    assert (owed.debtor, owed.creditor, amount(owed.amount)) == ("IR-1", "PK-1", "50000.00")


def test_a_consortium_applies_and_every_member_is_liable(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, application(applicant="C-1"))
    view = authorize(house, authorization_id)
    assert view.consortium is True
    assert view.approval_number is not None
    assert view.approval_number.startswith("BT-4100001-1-")  # the lead firm's NTN
    declare(house, authorization_id, **LPG, value="300000", currency="USD", on=date(2025, 11, 10))
    with transaction(house) as session:
        barter.sweep(session, POLICY, date(2026, 6, 1), "customs")
    with transaction(house) as session:
        for member in ("PK-1", "PK-4"):
            listed = jsonable(obligations.list_obligations(session, firm=member))
            assert [o["amount"] for o in listed] == ["300000.00"], member
            assert listed[0]["jointly_liable"] == ["PK-4"]
    sound(house)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"applicant": "PK-2"}, "applicant", "not on the FBR's active-taxpayer list"),
        ({"applicant": "NOBODY"}, "applicant", "unknown firm or consortium"),
        ({"applicant": "IR-2"}, "applicant", "is not a firm of PK"),
        ({"partner_country": "CN"}, "partner_country", "not a partner country"),
        ({"counterparty": "PK-4"}, "counterparty", "is a firm of PK, not of IR"),
        ({"origin_declared": False}, "origin_declared", "originate in the partner country"),
        ({"valid_until": "2025-01-01"}, "valid_until", "expires"),
        (
            {
                "imports": [
                    {
                        "hs": "22030000",
                        "description": "beer",
                        "quantity": "1000",
                        "unit": "l",
                        "value": "5000.00",
                        "currency": "USD",
                    }
                ]
            },
            "imports[1].hs",
            "prohibited for import",
        ),
    ],
)
def test_applications_breaking_a_rule_are_refused_whole(
    house: Engine, tmp_path: Path, changes: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(InputError) as caught:
        apply(house, tmp_path, application(**changes))
    problems = caught.value.problems
    assert any(p.field == field and fragment in p.message for p in problems), problems
    assert authorizations(house) == 0


def test_a_state_enterprise_is_eligible_without_the_private_flags(
    house: Engine, tmp_path: Path
) -> None:
    assert apply(house, tmp_path, application(applicant="PK-3")) == 1


def test_every_failing_rule_is_named_at_once(house: Engine, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        apply(
            house,
            tmp_path,
            application(applicant="PK-2", partner_country="RU", origin_declared=False),
        )
    fields = [p.field for p in caught.value.problems]
    assert fields == ["applicant", "counterparty", "origin_declared"]


def test_malformed_applications_name_the_field(house: Engine, tmp_path: Path) -> None:
    bad = application(valid_from="soon", imports=[{"hs": "2711", "value": 5}])
    with pytest.raises(InputError) as caught:
        apply(house, tmp_path, bad)
    fields = {p.field for p in caught.value.problems}
    assert {"valid_from", "imports[1].currency", "imports[1].quantity", "imports[1].unit"} <= fields
    (tmp_path / "broken.json").write_text("{not json")
    with transaction(house) as session, pytest.raises(InputError, match="not valid JSON"):
        submit_file(session, tmp_path / "broken.json")


def test_decisions_and_declarations_keep_to_the_lifecycle(house: Engine, tmp_path: Path) -> None:
    authorization_id = apply(house, tmp_path, application())
    with transaction(house) as session, pytest.raises(InputError, match="need it authorized"):
        declare_fields(
            session,
            POLICY,
            authorization_id,
            actor="c",
            **LPG,
            value="1",
            currency="USD",
            on=date(2025, 11, 1),
        )
    with transaction(house) as session, pytest.raises(InputError, match="expired"):
        barter.authorize(session, POLICY, authorization_id, date(2026, 7, 1), "customs")
    with transaction(house) as session:
        rejected = barter.reject(
            session, POLICY, authorization_id, "incomplete documents", "c", as_of=date(2025, 11, 1)
        )
    assert rejected.state == "rejected"
    assert rejected.decided_on == date(2025, 11, 1)
    assert rejected.rejection_reason == "incomplete documents"
    with transaction(house) as session, pytest.raises(InputError, match="is rejected"):
        barter.authorize(session, POLICY, authorization_id, date(2025, 11, 1), "customs")
    with transaction(house) as session, pytest.raises(InputError, match="no barter authorization"):
        barter.show(session, POLICY, 999)


def test_declarations_outside_the_window_or_prohibited_are_refused(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)
    for on, fragment in (
        (date(2025, 10, 24), "outside the balancing window"),
        (date(2026, 2, 23), "outside the balancing window"),
    ):
        with transaction(house) as session, pytest.raises(InputError, match=fragment):
            declare_fields(
                session,
                POLICY,
                authorization_id,
                actor="c",
                **LPG,
                value="1",
                currency="USD",
                on=on,
            )
    with transaction(house) as session, pytest.raises(InputError, match="prohibited for import"):
        declare_fields(
            session,
            POLICY,
            authorization_id,
            actor="c",
            direction="import",
            hs="22083000",
            quantity="10",
            unit="l",
            value="100",
            currency="USD",
            on=date(2025, 11, 1),
        )
    with transaction(house) as session:
        count = session.scalar(select(func.count()).select_from(Declaration))
    assert count == 0


def test_values_convert_at_the_declaration_date_and_odd_prices_are_flagged(
    house: Engine, tmp_path: Path
) -> None:
    with transaction(house) as session:
        corridor.set_rate(session, "PKR", Decimal("280"), date(2025, 11, 1))
        corridor.set_rate(session, "PKR", Decimal("290"), date(2025, 12, 1))
    authorization_id = apply(house, tmp_path, application())
    authorize(house, authorization_id)
    rice = RICE | {"quantity": "200000"}
    view = declare(
        house, authorization_id, **rice, value="28000000", currency="PKR", on=date(2025, 11, 15)
    )
    assert view.declaration is not None
    assert amount(view.declaration.value_unit) == "100000.00"  # at 280
    assert view.declaration.flag is None  # $0.50 a kilogram of rice
    view = declare(
        house, authorization_id, **rice, value="29000000", currency="PKR", on=date(2025, 12, 15)
    )
    assert view.declaration is not None
    assert amount(view.declaration.value_unit) == "100000.00"  # at 290
    flagged = declare(
        house,
        authorization_id,
        direction="import",
        hs="27111900",
        quantity="500",
        unit="t",
        value="50000",
        currency="USD",
        on=date(2025, 12, 16),
    )
    assert flagged.declaration is not None
    assert flagged.declaration.flag is not None
    assert "outside the reference band" in flagged.declaration.flag  # $100/t for LPG


def test_the_quarterly_report(house: Engine, tmp_path: Path) -> None:
    balanced = apply(house, tmp_path, application())
    authorize(house, balanced)
    declare(house, balanced, **LPG, value="300000", currency="USD", on=date(2025, 11, 10))
    declare(house, balanced, **RICE, value="295000", currency="USD", on=date(2025, 12, 1))
    open_one = apply(house, tmp_path, application())
    authorize(house, open_one, date(2025, 12, 20))
    declare(
        house,
        open_one,
        direction="import",
        hs="27111900",
        quantity="10",
        unit="t",
        value="100",
        currency="USD",
        on=date(2025, 12, 21),
    )
    rejected = apply(house, tmp_path, application())
    with transaction(house) as session:
        barter.reject(session, POLICY, rejected, "no", "customs", as_of=date(2025, 12, 5))
        report = barter_report.quarterly_report(session, POLICY, "2025Q4")
    assert report.authorizations_issued == 2
    assert report.balanced == 1
    assert report.cancelled == 0
    assert report.outstanding == 1
    assert amount(report.planned_import) == "600000.00"
    flows = {(f.partner_country, f.hs_chapter): f for f in report.flows}
    assert amount(flows[("IR", "27")].imported) == "300100.00"
    assert amount(flows[("IR", "10")].exported) == "295000.00"
    assert len(report.flagged) == 1  # $10/t of LPG
    rows = [csv_row(row) for row in barter_report.report_rows(report)]
    assert ("summary", "", "", "balanced", "1") in rows
    assert ("flows", "IR", "27", "imported", "300100.00") in rows
    document = report_document(report)  # as the API, the CLI and the web give it
    assert list(document)[:4] == ["quarter", "from", "to", "unit_of_account"]
    assert (document["from"], document["to"]) == ("2025-10-01", "2025-12-31")
    assert document["planned_import"] == "600000.00"
    assert document["flagged"][0]["date"] == "2025-12-21"
    with transaction(house) as session:
        assert barter_report.quarterly_report(session, POLICY, "2026Q1").authorizations_issued == 0
        with pytest.raises(InputError, match="not a quarter"):
            barter_report.quarterly_report(session, POLICY, "2025-Q4")


def test_retried_applications_and_declarations_count_once(house: Engine, tmp_path: Path) -> None:
    first = apply(house, tmp_path, application(reference="PO-2025-17"))
    assert apply(house, tmp_path, application(reference="PO-2025-17")) == first
    assert authorizations(house) == 1
    with pytest.raises(InputError, match="filed with other content"):
        apply(house, tmp_path, application(reference="PO-2025-17", valid_until="2026-05-31"))
    authorize(house, first)
    for _ in range(2):  # a customs system retrying after a time-out
        view = declare(
            house,
            first,
            **LPG,
            value="300000",
            currency="USD",
            on=date(2025, 11, 10),
            reference="GD-KPPI-1001",
        )
    assert amount(view.imported) == "300000.00"
    assert len(view.declarations) == 1
    with pytest.raises(InputError, match="recorded with other content"):
        declare(
            house,
            first,
            **RICE,
            value="1",
            currency="USD",
            on=date(2025, 11, 11),
            reference="GD-KPPI-1001",
        )
    # Once it balances, retrying the declaration that balanced it still answers.
    for _ in range(2):
        view = declare(
            house,
            first,
            **RICE,
            value="295000",
            currency="USD",
            on=date(2025, 11, 12),
            reference="GD-KPPI-1002",
        )
    assert view.state == "balanced"
    assert amount(view.exported) == "295000.00"
    sound(house)


def test_field_and_policy_problems_of_a_declaration_come_together(
    house: Engine, tmp_path: Path
) -> None:
    authorization_id = apply(house, tmp_path, application())
    with pytest.raises(InputError) as caught:
        declare(
            house,
            authorization_id,
            **(LPG | {"unit": ""}),
            value="1.234",
            currency="USD",
            on=date(2025, 11, 1),
        )
    assert [str(problem) for problem in caught.value.problems] == [
        "value: '1.234' has more than 2 fraction digits",
        "unit: must be 1 to 20 characters",
        "the authorization is submitted; declarations need it authorized",
    ]
    with pytest.raises(InputError) as caught:
        declare(house, 999, **LPG, value="x", currency="USD", on=date(2025, 11, 1))
    assert "no barter authorization 999" in str(caught.value)  # the lookup comes first
    authorize(house, authorization_id)
    line = {**LPG, "currency": "USD", "on": date(2025, 11, 10), "reference": "GD-1"}
    first = declare(house, authorization_id, **line, value="300000")
    again = declare(house, authorization_id, **line, value="300000.00")
    assert again.declaration == first.declaration
    assert again.declaration is not None
    assert (again.declaration.reference, again.declaration.line) == ("GD-1", 1)
    # A retry whose value cannot be read cannot be compared: refused, nothing counted.
    with pytest.raises(InputError, match="value"):
        declare(house, authorization_id, **line, value="garbled")
    with pytest.raises(InputError, match=r"other content \(value\)"):
        declare(house, authorization_id, **line, value="300001")
    with transaction(house) as session:
        assert len(barter.show(session, POLICY, authorization_id).declarations) == 1
