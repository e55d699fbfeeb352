"""payments

Revision 0002_payments, after 0001_baseline; written 2026-12-04 16:37:38.998088.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_payments"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_accounts",
        sa.Column("rider_id", sa.String(), nullable=False),
        sa.Column("agreement", sa.String(), nullable=False),
        sa.Column("agreement_ref", sa.String(), nullable=True),
        sa.Column("agreement_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreement_seq", sa.Integer(), nullable=False),
        sa.Column("pay_now_seq", sa.Integer(), nullable=False),
        sa.Column("pay_now_open", sa.LargeBinary(), nullable=True),
        sa.Column("debt_blocked", sa.Boolean(), nullable=False),
        sa.Column("blocked_owed_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("rider_id"),
    )
    op.create_table(
        "payment_attempts",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("payment_key", sa.LargeBinary(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_attempts_payment_key"), ["payment_key"], unique=False
        )

    op.create_table(
        "payment_cursors",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "payment_inbox",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("payment_inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_inbox_applied"), ["applied"], unique=False)

    op.create_table(
        "payments",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("rider_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("trip_event_id", sa.String(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempt_key", sa.LargeBinary(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("provider_ref", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("record_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("attempt_key"),
        sa.UniqueConstraint("trip_event_id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_rider_id"), ["rider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_status"), ["status"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("rider_id", sa.String(), nullable=False),
        sa.Column("credit_note", sa.String(), nullable=False),
        sa.Column("trip_event_id", sa.String(), nullable=True),
        sa.Column("credit_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("provider_ref", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("credit_note"),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_rider_id"), ["rider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunds_status"), ["status"], unique=False)

    op.create_table(
        "sandbox_agreements",
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("payer", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ref"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "sandbox_payments",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("agreement_ref", sa.String(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("settle_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("ref"),
    )
    op.create_table(
        "sandbox_refunds",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("payer", sa.String(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("settle_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("ref"),
    )
    op.create_table(
        "sandbox_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("deliver_ms", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sandbox_webhooks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sandbox_webhooks_deliver_ms"), ["deliver_ms"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sandbox_webhooks_done"), ["done"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sandbox_webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_webhooks_done"))
        batch_op.drop_index(batch_op.f("ix_sandbox_webhooks_deliver_ms"))

    op.drop_table("sandbox_webhooks")
    op.drop_table("sandbox_refunds")
    op.drop_table("sandbox_payments")
    op.drop_table("sandbox_agreements")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_status"))
        batch_op.drop_index(batch_op.f("ix_refunds_rider_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_status"))
        batch_op.drop_index(batch_op.f("ix_payments_rider_id"))

    op.drop_table("payments")
    with op.batch_alter_table("payment_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_inbox_applied"))

    op.drop_table("payment_inbox")
    op.drop_table("payment_cursors")
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_attempts_payment_key"))

    op.drop_table("payment_attempts")
    op.drop_table("payment_accounts")
