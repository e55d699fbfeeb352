"""privacy: the private openings of version-2 ledger records' personal commitments

Revision 0007_privacy, after 0006_payments_indexes; written 2026-12-05 07:40:00.

`ledger_openings` holds, per record index, the salt and the personal fields a version-2
record commits to (ledger.commitment), and the rider they are about, by which
`farechain privacy erase` deletes them. Records written before this revision carry their
fields in clear and have no row here; nothing about them changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_privacy"
down_revision = "0006_payments_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_openings",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("personal", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx"),
    )
    op.create_index("ix_ledger_openings_subject", "ledger_openings", ["subject"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ledger_openings_subject", table_name="ledger_openings")
    op.drop_table("ledger_openings")
