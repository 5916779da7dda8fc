"""barter law by date (issue 17): the version governing each authorization, ring
applications, submissions' and decisions' business dates, closing on purpose,
declarations' lines, GD numbers unique in the corridor

Authorizations made before this revision get the version of the order in force on
their authorization date under the policy in use (``$TAHATOR_POLICY`` or the shipped
one), recorded once: a version added to the file later changes none of them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tahator.domain.corridor import business_date
from tahator.domain.errors import InputError
from tahator.io.policy import load_policy
from tahator.store.types import UtcDateTime

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
        batch_op.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_authorizations_proposal_id_proposals"),
            "proposals",
            ["proposal_id"],
            ["id"],
        )
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line", sa.Integer(), nullable=True))
    _record_dates_and_versions()
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.alter_column("submitted_on", existing_type=sa.Date(), nullable=False)
    _refuse_repeated_gd_numbers()
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_declarations_authorization_id_reference"), type_="unique"
        )
        batch_op.create_unique_constraint(batch_op.f("uq_declarations_reference"), ["reference"])


def _record_dates_and_versions() -> None:
    """Each authorization's submission date in the corridor's zone; for one authorized,
    the version of the order in force that day; a decision's date (an authorization's
    is its authorization date; a rejection's was not kept, its submission's is the
    best known)."""
    policy = load_policy()
    authorizations = sa.table(
        "authorizations",
        sa.column("id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("submitted_at", UtcDateTime()),
        sa.column("authorized_on", sa.Date()),
        sa.column("submitted_on", sa.Date()),
        sa.column("decided_on", sa.Date()),
        sa.column("policy_version", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            authorizations.c.id,
            authorizations.c.state,
            authorizations.c.submitted_at,
            authorizations.c.authorized_on,
        ).order_by(authorizations.c.id)
    ).all()
    for id_, state, submitted_at, authorized_on in rows:
        submitted_on = business_date(submitted_at, policy.zone)
        values: dict[str, object] = {"submitted_on": submitted_on}
        if authorized_on is not None:
            try:
                values["policy_version"] = policy.rules_on(authorized_on).version
            except InputError as error:
                raise RuntimeError(
                    f"authorization {id_} was authorized on {authorized_on}: {error}; "
                    "set TAHATOR_POLICY to a policy with a version in force then"
                ) from None
            values["decided_on"] = authorized_on
        elif state == "rejected":
            values["decided_on"] = submitted_on
        connection.execute(
            authorizations.update().where(authorizations.c.id == id_).values(**values)
        )


def _refuse_repeated_gd_numbers() -> None:
    """Stop, naming them, when a GD number was recorded on two authorizations: a GD
    number is one declaration in the corridor, and which one is right is for customs."""
    repeated = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT reference FROM declarations WHERE reference IS NOT NULL "
                "GROUP BY reference HAVING COUNT(*) > 1 ORDER BY reference"
            )
        )
        .scalars()
        .all()
    )
    if repeated:
        raise RuntimeError(
            "GD numbers recorded on more than one authorization: "
            + ", ".join(repr(r) for r in repeated)
            + "; correct them, then upgrade again"
        )


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_declarations_reference"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_declarations_authorization_id_reference"),
            ["authorization_id", "reference"],
        )
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
            "submitted_on",
        ):
            batch_op.drop_column(column)
