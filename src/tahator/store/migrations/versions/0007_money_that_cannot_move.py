"""money that cannot move between firms (issue 16): limits, returns, novations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corridor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "max_obligation", sa.BigInteger(), nullable=False, server_default="100000000000"
            )
        )
        batch_op.add_column(
            sa.Column("setoff_before_due", sa.Boolean(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("shortfall", sa.String(length=20), nullable=False, server_default="hold")
        )
    with op.batch_alter_table("clearing_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_line_share", sa.String(length=20), nullable=True))
    with op.batch_alter_table("settlement_instructions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_reason", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("returned_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("replaces", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_settlement_instructions_replaces_settlement_instructions"),
            "settlement_instructions",
            ["replaces"],
            ["id"],
        )
    op.create_table(
        "novations",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.id"],
            name=op.f("fk_novations_obligation_id_obligations"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["clearing_runs.id"], name=op.f("fk_novations_run_id_clearing_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "obligation_id", name=op.f("pk_novations")),
    )


def downgrade() -> None:
    op.drop_table("novations")
    with op.batch_alter_table("settlement_instructions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_settlement_instructions_replaces_settlement_instructions"),
            type_="foreignkey",
        )
        batch_op.drop_column("replaces")
        batch_op.drop_column("returned_by")
        batch_op.drop_column("returned_at")
        batch_op.drop_column("return_reason")
    with op.batch_alter_table("clearing_accounts", schema=None) as batch_op:
        batch_op.drop_column("credit_line_share")
    with op.batch_alter_table("corridor", schema=None) as batch_op:
        batch_op.drop_column("shortfall")
        batch_op.drop_column("setoff_before_due")
        batch_op.drop_column("max_obligation")
