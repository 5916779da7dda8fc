"""a rotated webhook's previous secret (review 22 item 22): kept for 24 hours after a
rotation, deliveries signed with it as well as the new one, so receivers have a day
to take the new secret.  Downgrading forgets it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tahator.store.types import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_secret", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("previous_until", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("previous_until")
        batch_op.drop_column("previous_secret")
