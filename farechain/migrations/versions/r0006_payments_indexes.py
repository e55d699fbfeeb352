"""payments: partial indexes for the queries the worker and the sandbox make every round

Revision 0006_payments_indexes, after 0005_rider_phones; written 2026-12-04 17:35:56.

Each index holds only the rows such a query looks for (webhooks not applied yet,
declined payments due again, the sandbox's pending payments and refunds), so the query
costs the same with a million settled rows as with none. The inbox's index on the
boolean `applied` goes: the partial one replaces it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_payments_indexes"
down_revision = "0005_rider_phones"
branch_labels = None
depends_on = None

_PARTIAL = (
    ("payment_inbox", "ix_payment_inbox_unapplied", "received_at", "NOT applied"),
    ("payments", "ix_payments_retry_due", "next_attempt_at", "next_attempt_at IS NOT NULL"),
    (
        "sandbox_payments",
        "ix_sandbox_payments_pending_settle_ms",
        "settle_ms",
        "status = 'pending'",
    ),
    ("sandbox_refunds", "ix_sandbox_refunds_pending_settle_ms", "settle_ms", "status = 'pending'"),
)


def upgrade() -> None:
    with op.batch_alter_table("payment_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_inbox_applied")
    for table, name, column, where in _PARTIAL:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                name,
                [column],
                unique=False,
                postgresql_where=sa.text(where),
                sqlite_where=sa.text(where),
            )


def downgrade() -> None:
    for table, name, _, _ in reversed(_PARTIAL):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    with op.batch_alter_table("payment_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_payment_inbox_applied", ["applied"], unique=False)
