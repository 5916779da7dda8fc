"""The audit chain on a real database, whatever zone the database session is in."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tahator.services import audit
from tahator.store.database import make_engine, transaction


def test_the_chain_verifies_in_any_session_time_zone(engine: Engine, database_url: str) -> None:
    with transaction(engine) as session:
        before, _ = audit.verify(session)
        for n in range(3):
            audit.record(session, "test", "thing.change", f"thing:{n}", {"n": n}, {"n": n + 1})
    with transaction(engine) as session:
        assert audit.verify(session) == (before + 3, None)
    if database_url.startswith("postgresql"):
        # A server set up in Pakistan answers timestamps in Asia/Karachi.
        karachi = make_engine(database_url + "?options=-c%20timezone%3DAsia/Karachi")
        with transaction(karachi) as session:
            assert session.execute(text("SHOW timezone")).scalar() == "Asia/Karachi"
            assert audit.verify(session) == (before + 3, None)
        karachi.dispose()


def test_a_changed_record_is_named(engine: Engine) -> None:
    with transaction(engine) as session:
        ids = [
            audit.record(session, "test", "thing.change", f"thing:{n}", None, {"n": n})
            for n in range(4)
        ]
        session.execute(text("UPDATE audit_log SET after = '{}' WHERE id = :id"), {"id": ids[1]})
    with transaction(engine) as session:
        count, broken = audit.verify(session)
    assert count >= 4
    assert broken is not None
    assert broken.id == ids[1]
