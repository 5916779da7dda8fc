"""customs lanes and release times (issue 23): consignments at a border crossing with
the time of each phase (lodgement, arrival, lane, documents, inspection, release, exit)
and the inspection's result; each lane selection with its score, criteria, recorded
seed and draw, or an override with its reason; the consignment each declaration
belongs to.  Downgrading forgets them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 17:13:15.378469
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tahator.store.types import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("crossing", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("vehicle", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=True),
        sa.Column("lane", sa.String(length=10), nullable=True),
        sa.Column("inspection", sa.String(length=20), nullable=True),
        sa.Column("inspection_note", sa.Text(), nullable=True),
        sa.Column("lodged_at", UtcDateTime(), nullable=True),
        sa.Column("arrived_at", UtcDateTime(), nullable=True),
        sa.Column("lane_at", UtcDateTime(), nullable=True),
        sa.Column("documents_at", UtcDateTime(), nullable=True),
        sa.Column("inspected_at", UtcDateTime(), nullable=True),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.Column("exited_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_consignments_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consignments")),
        sa.UniqueConstraint("reference", name=op.f("uq_consignments_reference")),
    )
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consignments_crossing_arrived", ["crossing", "arrived_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consignments_firm_id"), ["firm_id"], unique=False)

    op.create_table(
        "lane_selections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=False),
        sa.Column("lane", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("hits", sa.JSON(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("draw", sa.Integer(), nullable=False),
        sa.Column("random", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.String(length=64), nullable=False),
        sa.Column("selected_at", UtcDateTime(), nullable=False),
        sa.Column("selected_by", sa.String(length=100), nullable=False),
        sa.Column("overrides", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignments.id"],
            name=op.f("fk_lane_selections_consignment_id_consignments"),
        ),
        sa.ForeignKeyConstraint(
            ["overrides"],
            ["lane_selections.id"],
            name=op.f("fk_lane_selections_overrides_lane_selections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lane_selections")),
    )
    with op.batch_alter_table("lane_selections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lane_selections_consignment_id"), ["consignment_id"], unique=False
        )

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consignment_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_declarations_consignment_id"), ["consignment_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_declarations_consignment_id_consignments"),
            "consignments",
            ["consignment_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_declarations_consignment_id_consignments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_declarations_consignment_id"))
        batch_op.drop_column("consignment_id")

    with op.batch_alter_table("lane_selections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lane_selections_consignment_id"))

    op.drop_table("lane_selections")
    with op.batch_alter_table("consignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consignments_firm_id"))
        batch_op.drop_index("ix_consignments_crossing_arrived")

    op.drop_table("consignments")
