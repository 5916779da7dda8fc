"""Alembic environment: migrates the database whose engine the caller passes in."""

from __future__ import annotations

from alembic import context

from tahator.store.database import make_engine
from tahator.store.schema import Base

config = context.config
engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
