"""each user's language, time zone and rial choice (issue 20): the web answers in the
user's language (English, Persian, Urdu), shows times in the user's zone and rials as
tomans if the user counts so.  Empty values mean "the browser's language" and "the
firm's country's zone"; downgrading forgets them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("time_zone", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("toman", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("toman")
        batch_op.drop_column("time_zone")
        batch_op.drop_column("language")
