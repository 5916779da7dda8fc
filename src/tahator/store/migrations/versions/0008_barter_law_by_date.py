"""barter law by date (issue 17): the version governing each authorization, ring
applications, decisions' business dates, closing on purpose, declarations' lines

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_version", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("proposal_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("undertaking", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("close_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_authorizations_proposal_id_proposals"),
            "proposals",
            ["proposal_id"],
            ["id"],
        )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line", sa.Integer(), nullable=True))
    # Decisions made before this revision: an authorization was decided on its
    # authorization date; a rejection's date was not kept, its submission's is the best known.
    op.execute(
        "UPDATE authorizations SET decided_on = authorized_on WHERE authorized_on IS NOT NULL"
    )
    op.execute(
        "UPDATE authorizations SET decided_on = CAST(submitted_at AS DATE) "
        "WHERE state = 'rejected' AND decided_on IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_column("line")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_authorizations_proposal_id_proposals"), type_="foreignkey"
        )
        for column in (
            "close_reason",
            "closed_by",
            "decided_on",
            "undertaking",
            "proposal_id",
            "policy_version",
        ):
            batch_op.drop_column(column)
