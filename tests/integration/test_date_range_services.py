"""A service handed a date out of range by a caller that skipped the edge's check
refuses it (``InputError`` naming the date) before any ``+ timedelta`` can overflow."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from tahator.domain.errors import InputError
from tahator.io.markets import load_trade_policy
from tahator.io.sales import SaleRecord
from tahator.services import border
from tahator.store.database import transaction
from tahator.store.schema import BorderSale

POLICY = load_trade_policy()


@pytest.mark.parametrize("day", [date(9999, 12, 31), date(1, 1, 1)])
def test_a_border_sale_out_of_range_is_refused_by_the_service(engine: Engine, day: date) -> None:
    with transaction(engine) as session:
        border.add_resident(
            session,
            POLICY,
            market="MAND-PISHIN",
            national_id="54400-1234567-1",
            name="Karim Baloch",
            district="Kech",
            actor="test",
        )
    record = SaleRecord("MAND-PISHIN", "5440012345671", "100630", 2500, "USD", day, "R-1")
    with pytest.raises(InputError) as raised, transaction(engine) as session:
        border.sell(session, POLICY, record, actor="test")
    assert [(p.field, p.message) for p in raised.value.problems] == [
        ("date", f"{day.isoformat()} is outside the accepted dates, 2000-01-01 to 2100-12-31")
    ]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(BorderSale)) == 0
        sold = border.sell(session, POLICY, replace(record, date=date(2026, 10, 5)), actor="test")
    assert sold.created  # a Monday in range: the same sale is recorded
