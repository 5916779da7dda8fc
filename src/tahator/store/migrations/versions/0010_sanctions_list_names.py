"""sanctions lists by name (issue 19): each version belongs to a named list (``UN``,
``OFAC SDN``, the Ministry's), so lists of one format (FollowTheMoney) stay apart and
the newest version of each name applies; versions imported before were the UN list.
A list may be withdrawn (its newest version marked, with who, when and why): it is
then no longer in force until a new version of it is imported.

Downgrading is refused while a list other than ``UN`` or a withdrawn version exists:
before 0010 every version was the UN list and the newest was in force, so the
downgrade would merge every list into one and put withdrawn lists back in force.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tahator.store.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sanctions_lists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=100), nullable=False, server_default="UN")
        )
        batch_op.create_index(batch_op.f("ix_sanctions_lists_name"), ["name"])
        batch_op.add_column(sa.Column("withdrawn_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    others = bind.execute(
        sa.text(
            "SELECT count(*) FROM sanctions_lists WHERE name <> 'UN' OR withdrawn_at IS NOT NULL"
        )
    ).scalar()
    if others:
        raise RuntimeError(
            f"cannot downgrade below 0010: {others} list versions are of lists other than UN "
            "or withdrawn; before 0010 every version was the UN list and the newest in force, "
            "so they would merge and withdrawn lists come back in force.  Delete them (and "
            "their entries and hits) first, or stay at 0010."
        )
    with op.batch_alter_table("sanctions_lists", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_index(batch_op.f("ix_sanctions_lists_name"))
        batch_op.drop_column("name")
