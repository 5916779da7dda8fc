"""border markets and trade statistics (issue 9)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 01:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "border_residents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("market", sa.String(length=40), nullable=False),
        sa.Column("national_id", sa.String(length=13), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_border_residents")),
        sa.UniqueConstraint(
            "market", "national_id", name=op.f("uq_border_residents_market_national_id")
        ),
    )
    op.create_table(
        "border_sales",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("market", sa.String(length=40), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("hs", sa.String(length=10), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("value_unit", sa.BigInteger(), nullable=False),
        sa.Column("sold_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["currency"], ["currencies.code"], name=op.f("fk_border_sales_currency_currencies")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["border_residents.id"],
            name=op.f("fk_border_sales_resident_id_border_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_border_sales")),
        sa.UniqueConstraint("market", "reference", name=op.f("uq_border_sales_market_reference")),
    )
    with op.batch_alter_table("border_sales", schema=None) as batch_op:
        batch_op.create_index("ix_border_sales_market_day", ["market", "sold_on"], unique=False)
        batch_op.create_index(
            "ix_border_sales_resident_day", ["resident_id", "sold_on"], unique=False
        )
    op.create_table(
        "trade_statistics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reporter", sa.String(length=2), nullable=False),
        sa.Column("partner", sa.String(length=2), nullable=False),
        sa.Column("flow", sa.String(length=1), nullable=False),
        sa.Column("period", sa.String(length=6), nullable=False),
        sa.Column("commodity", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_statistics")),
        sa.UniqueConstraint(
            "reporter",
            "partner",
            "flow",
            "period",
            "commodity",
            name=op.f("uq_trade_statistics_reporter_partner_flow_period_commodity"),
        ),
    )


def downgrade() -> None:
    op.drop_table("trade_statistics")
    with op.batch_alter_table("border_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_border_sales_resident_day")
        batch_op.drop_index("ix_border_sales_market_day")
    op.drop_table("border_sales")
    op.drop_table("border_residents")
