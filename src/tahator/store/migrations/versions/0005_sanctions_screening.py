"""sanctions lists and screening (issue 8)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 01:50:00

Firms registered before this revision get the screening status ``unscreened``:
they were never screened, and saying ``clear`` would claim a check that did not
happen.  The first list import screens every firm, and a firm still unscreened
is screened when it next trades.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sanctions_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("generated", sa.String(length=40), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_lists")),
    )
    with op.batch_alter_table("sanctions_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanctions_lists_format"), ["format"], unique=False)
    op.create_table(
        "sanctions_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("list_type", sa.String(length=60), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("data_id", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["sanctions_lists.id"],
            name=op.f("fk_sanctions_entries_list_id_sanctions_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_entries")),
        sa.UniqueConstraint(
            "list_id", "reference", name=op.f("uq_sanctions_entries_list_id_reference")
        ),
    )
    with op.batch_alter_table("sanctions_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sanctions_entries_list_id"), ["list_id"], unique=False)
    op.create_table(
        "sanctions_aliases",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("quality", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["sanctions_entries.id"],
            name=op.f("fk_sanctions_aliases_entry_id_sanctions_entries"),
        ),
        sa.PrimaryKeyConstraint("entry_id", "position", name=op.f("pk_sanctions_aliases")),
    )
    op.create_table(
        "screening_hits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("firm_id", sa.String(length=64), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("entry_name", sa.Text(), nullable=False),
        sa.Column("list_type", sa.String(length=60), nullable=False),
        sa.Column("screened_name", sa.Text(), nullable=False),
        sa.Column("matched_name", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_screening_hits_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["sanctions_lists.id"],
            name=op.f("fk_screening_hits_list_id_sanctions_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_hits")),
    )
    with op.batch_alter_table("screening_hits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_hits_firm_id"), ["firm_id"], unique=False)
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "screening",
                sa.String(length=20),
                server_default="unscreened",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.drop_column("screening")
    with op.batch_alter_table("screening_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_hits_firm_id"))
    op.drop_table("screening_hits")
    op.drop_table("sanctions_aliases")
    with op.batch_alter_table("sanctions_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanctions_entries_list_id"))
    op.drop_table("sanctions_entries")
    with op.batch_alter_table("sanctions_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanctions_lists_format"))
    op.drop_table("sanctions_lists")
