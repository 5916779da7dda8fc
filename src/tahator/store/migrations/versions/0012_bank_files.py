"""bank accounts, payment files and bank messages (issue 21): each firm's and each
clearing account's IBAN, BIC and holder name, where pain.001 payouts go; the pain.001
files handed to banks and the payouts each sent (a payout is sent once); and the
camt.053/054 files banks sent, keyed by account and message id, so that importing one
again changes nothing.  Downgrading forgets them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tahator.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("firm_id", sa.String(length=64), nullable=True),
        sa.Column("clearing_country", sa.String(length=2), nullable=True),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("holder", sa.String(length=140), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("registered_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["clearing_country"],
            ["clearing_accounts.country"],
            name=op.f("fk_bank_accounts_clearing_country_clearing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_bank_accounts_firm_id_firms")
        ),
        sa.CheckConstraint(
            "(firm_id IS NULL) <> (clearing_country IS NULL)",
            name=op.f("ck_bank_accounts_one_owner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
        sa.UniqueConstraint("clearing_country", name=op.f("uq_bank_accounts_clearing_country")),
        sa.UniqueConstraint("firm_id", name=op.f("uq_bank_accounts_firm_id")),
    )
    op.create_table(
        "bank_messages",
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country"],
            ["clearing_accounts.country"],
            name=op.f("fk_bank_messages_country_clearing_accounts"),
        ),
        sa.PrimaryKeyConstraint("country", "message_id", name=op.f("pk_bank_messages")),
    )
    op.create_table(
        "payment_files",
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["clearing_runs.id"], name=op.f("fk_payment_files_run_id_clearing_runs")
        ),
        sa.ForeignKeyConstraint(
            ["country"],
            ["clearing_accounts.country"],
            name=op.f("fk_payment_files_country_clearing_accounts"),
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_payment_files")),
    )
    op.create_table(
        "payment_file_lines",
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["settlement_instructions.id"],
            name=op.f("fk_payment_file_lines_instruction_id_settlement_instructions"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["payment_files.message_id"],
            name=op.f("fk_payment_file_lines_message_id_payment_files"),
        ),
        sa.PrimaryKeyConstraint("instruction_id", name=op.f("pk_payment_file_lines")),
    )
    op.create_index(op.f("ix_payment_file_lines_message_id"), "payment_file_lines", ["message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_file_lines_message_id"), table_name="payment_file_lines")
    op.drop_table("payment_file_lines")
    op.drop_table("payment_files")
    op.drop_table("bank_messages")
    op.drop_table("bank_accounts")
