"""sign-in throttling per username and per client address (issue 18): failures are
counted in their own table, for unknown usernames too, so that the answers are the same
for known and unknown users; the users' own counters go

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(
        op.f("ix_sign_in_failures_last_failed_at"), "sign_in_failures", ["last_failed_at"]
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
    op.drop_index(op.f("ix_sign_in_failures_last_failed_at"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
