"""Baseline: the schema as the last release without migrations made it (create_all).

A database that release made has these tables and no `alembic_version`;
`farechain.migrate.upgrade` stamps it at this revision instead of running it.

Types are written as the database holds them: sqlmodel's AutoString is VARCHAR, and
UtcDateTime (which only makes Python see aware UTC datetimes) is a timestamp with time
zone. Amounts and indexes that may pass 2**31 are BIGINT, as the models declare.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def _utc(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _bytes(name: str) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(), nullable=False)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _int(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _bigint(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), autoincrement=False, nullable=False)


def upgrade() -> None:
    _ledger()
    _parties()
    _invoicing()


def _ledger() -> None:
    op.create_table(
        "ledger_records",
        _bigint("idx"),
        _text("type"),
        _bytes("body"),
        _bytes("leaf_hash"),
        _int("block_height"),
        sa.PrimaryKeyConstraint("idx"),
    )
    op.create_index("ix_ledger_records_leaf_hash", "ledger_records", ["leaf_hash"])
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        _bigint("idx"),
        _bytes("hash"),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "blocks",
        _bigint("height"),
        _bigint("first_index"),
        _bigint("tree_size"),
        _bytes("root"),
        _bytes("prev_hash"),
        _bytes("block_hash"),
        _utc("created_at"),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("height"),
        sa.UniqueConstraint("tree_size"),
    )
    op.create_table(
        "cosignatures",
        _bigint("tree_size"),
        _text("witness"),
        sa.Column("signature_line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", "witness"),
    )
    op.create_table(
        "ledger_head",
        # A plain INTEGER key (not SERIAL): the one row is always id 1.
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        _bigint("tree_size"),
        _bigint("height"),
        _bytes("block_hash"),
        sa.PrimaryKeyConstraint("id"),
    )


def _parties() -> None:
    op.create_table(
        "operators",
        _text("id"),
        _text("name"),
        _text("tax_id"),
        _text("regime"),
        _int("rate_bp"),
        _text("exemption_reason", nullable=True),
        _text("numbering_code"),
        _text("mode"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "riders",
        _text("id"),
        _bytes("token_sha256"),
        _text("category"),
        _bigint("balance_fen"),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "devices",
        _text("id"),
        _text("operator_id"),
        _text("kind"),
        _text("station_id", nullable=True),
        _text("route_id", nullable=True),
        _bytes("token_sha256"),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "trips",
        _text("event_id"),
        _text("rider_id"),
        _text("mode"),
        _text("operator_id"),
        _text("entry_station", nullable=True),
        _text("exit_station", nullable=True),
        _text("route_id", nullable=True),
        _utc("started_at", nullable=True),
        _utc("ended_at", nullable=True),
        _int("distance_m", nullable=True),
        _int("fare_fen"),
        sa.Column("incomplete", sa.Boolean(), nullable=False),
        _text("quote_json"),
        _text("history_json"),
        _bigint("record_index"),
        _int("block_height"),
        sa.PrimaryKeyConstraint("event_id"),
        sa.UniqueConstraint("record_index"),
    )
    op.create_index("ix_trips_rider_id", "trips", ["rider_id"])
    op.create_table(
        "charges",
        _bigint("record_index"),
        _text("trip_event_id"),
        _text("rider_id"),
        _int("amount_fen"),
        _bigint("balance_after_fen"),
        _utc("charged_at"),
        sa.PrimaryKeyConstraint("record_index"),
        sa.UniqueConstraint("trip_event_id"),
    )
    op.create_index("ix_charges_rider_id", "charges", ["rider_id"])


def _invoicing() -> None:
    op.create_table(
        "invoices",
        _text("number"),
        _text("kind"),
        _text("status"),
        _text("seller_id"),
        _text("rider_id"),
        _text("trip_event_id"),
        _text("buyer_kind"),
        _text("buyer_name"),
        _text("buyer_tax_id", nullable=True),
        _utc("issued_at"),
        _text("issue_date"),
        _int("total_fen"),
        _int("base_fen"),
        _int("tax_fen"),
        _int("rate_bp"),
        _text("regime"),
        _text("check_code"),
        _text("original_number", nullable=True),
        _text("locked_by", nullable=True),
        _bigint("record_index"),
        sa.ForeignKeyConstraint(["seller_id"], ["operators.id"]),
        sa.PrimaryKeyConstraint("number"),
        sa.UniqueConstraint("record_index"),
    )
    op.create_index("ix_invoices_rider_id", "invoices", ["rider_id"])
    op.create_index("ix_invoices_trip_event_id", "invoices", ["trip_event_id"])
    op.create_index("ix_invoices_issue_date", "invoices", ["issue_date"])
    op.create_index("ix_invoices_seller_issued", "invoices", ["seller_id", "issued_at"])
    # Partial, as the model declares: most invoices have neither value.
    op.create_index(
        "ix_invoices_buyer_tax_id",
        "invoices",
        ["buyer_tax_id"],
        postgresql_where=sa.text("buyer_tax_id IS NOT NULL"),
        sqlite_where=sa.text("buyer_tax_id IS NOT NULL"),
    )
    op.create_index(
        "ix_invoices_original_number",
        "invoices",
        ["original_number"],
        postgresql_where=sa.text("original_number IS NOT NULL"),
        sqlite_where=sa.text("original_number IS NOT NULL"),
    )
    op.create_table(
        "invoice_sequences",
        _text("seller_id"),
        # Part of a composite key, so never SERIAL.
        _int("year"),
        _int("next_seq"),
        sa.PrimaryKeyConstraint("seller_id", "year"),
    )
    op.create_table(
        "invoice_titles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _text("rider_id"),
        _text("kind"),
        _text("name"),
        _text("tax_id", nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _utc("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invoice_titles_rider_id", "invoice_titles", ["rider_id"])
    op.create_table(
        "invoice_events",
        _bigint("record_index"),
        _text("number"),
        _text("action"),
        _text("status"),
        _text("actor_kind"),
        _text("actor_id"),
        _utc("at"),
        _text("credit_note_number", nullable=True),
        sa.PrimaryKeyConstraint("record_index"),
    )
    op.create_index("ix_invoice_events_number", "invoice_events", ["number"])
    op.create_table(
        "companies",
        _text("tax_id"),
        _text("name"),
        _bytes("token_sha256"),
        sa.PrimaryKeyConstraint("tax_id"),
    )
    op.create_table(
        "tax_officers",
        _text("id"),
        _text("name"),
        _bytes("token_sha256"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "invoice_exports",
        _text("id"),
        _text("officer_id"),
        _text("status"),
        sa.Column("query_json", sa.Text(), nullable=False),
        _text("formats"),
        _text("base_url"),
        _utc("created_at"),
        _utc("finished_at", nullable=True),
        _int("invoice_count", nullable=True),
        _int("archive_bytes", nullable=True),
        _text("archive_sha256", nullable=True),
        _text("error", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invoice_exports_officer_id", "invoice_exports", ["officer_id"])


def downgrade() -> None:
    # Children before the operators their foreign keys name.
    for table in (
        "invoice_exports",
        "tax_officers",
        "companies",
        "invoice_events",
        "invoice_titles",
        "invoice_sequences",
        "invoices",
        "charges",
        "trips",
        "devices",
        "riders",
        "operators",
        "ledger_head",
        "cosignatures",
        "blocks",
        "merkle_nodes",
        "ledger_records",
    ):
        op.drop_table(table)
