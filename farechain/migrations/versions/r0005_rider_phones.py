"""rider phones: which rider registered a phone number (trips.signup), by its digest

Revision 0005_rider_phones, after 0004_ride_codes; written 2026-12-04 16:45:42.578144.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_rider_phones"
down_revision = "0004_ride_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rider_phones",
        sa.Column("phone_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("rider_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rider_id"],
            ["riders.id"],
        ),
        sa.PrimaryKeyConstraint("phone_sha256"),
        sa.UniqueConstraint("rider_id"),
    )


def downgrade() -> None:
    op.drop_table("rider_phones")
