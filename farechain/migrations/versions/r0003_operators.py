"""operators back office

Revision 0003_operators, after 0002_payments; written 2026-12-04 16:41:48.947368.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_operators"
down_revision = "0002_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_reconciliation_lines",
        sa.Column("report_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("journal_line", sa.Integer(), nullable=True),
        sa.Column("journal_fen", sa.Integer(), nullable=True),
        sa.Column("ledger_fen", sa.Integer(), nullable=True),
        sa.Column("ledger_index", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "seq"),
    )
    op.create_table(
        "operator_reconciliations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("operator_id", sa.String(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("upload_sha256", sa.String(), nullable=False),
        sa.Column("ledger_to", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("counts_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operator_reconciliations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_reconciliations_operator_id"), ["operator_id"], unique=False
        )

    op.create_table(
        "operator_settlements",
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("cut_min", sa.Integer(), nullable=False),
        sa.Column("ledger_from", sa.BigInteger(), nullable=False),
        sa.Column("ledger_to", sa.BigInteger(), nullable=False),
        sa.Column("block_height", sa.Integer(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "operator_statements",
        sa.Column("operator_id", sa.String(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("record_index", sa.BigInteger(), nullable=False),
        sa.Column("payable_net_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("operator_id", "day"),
        sa.UniqueConstraint("record_index"),
    )
    op.create_table(
        "operator_accounts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("operator_id", sa.String(), nullable=False),
        sa.Column("token_sha256", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operator_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_accounts_operator_id"), ["operator_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("operator_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_accounts_operator_id"))

    op.drop_table("operator_accounts")
    op.drop_table("operator_statements")
    op.drop_table("operator_settlements")
    with op.batch_alter_table("operator_reconciliations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_reconciliations_operator_id"))

    op.drop_table("operator_reconciliations")
    op.drop_table("operator_reconciliation_lines")
