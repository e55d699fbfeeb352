"""Ride codes: the riders' phones and the certificates issued to them (issue 16)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0004_ride_codes"
down_revision = "0003_operators"
branch_labels = None
depends_on = None


def _utc(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "phones",
        _text("id"),
        _text("rider_id"),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        _text("label"),
        _utc("enrolled_at"),
        _utc("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["rider_id"], ["riders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_phones_rider_id", "phones", ["rider_id"])
    op.create_table(
        "ride_certificates",
        _text("serial"),
        _text("phone_id"),
        _text("issuer_key_id"),
        _utc("valid_from"),
        _utc("valid_until"),
        sa.ForeignKeyConstraint(["phone_id"], ["phones.id"]),
        sa.PrimaryKeyConstraint("serial"),
    )
    op.create_index("ix_ride_certificates_phone_id", "ride_certificates", ["phone_id"])


def downgrade() -> None:
    op.drop_table("ride_certificates")
    op.drop_table("phones")
