"""Tables of e-invoicing: invoices and credit notes, the per-seller number sequences,
and the riders' invoice titles.

An invoice row is a projection of its ledger record; `status` follows the lifecycle
records appended after it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index
from sqlmodel import Field, SQLModel


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_seller_issued", "seller_id", "issued_at"),
        Index("ix_invoices_buyer_tax_id", "buyer_tax_id"),
    )

    number: str = Field(primary_key=True)  # 20 digits
    kind: str = "invoice"  # invoice | credit_note
    status: str = "issued"  # issued | locked | reimbursed | credited
    seller_id: str = Field(foreign_key="operators.id")
    rider_id: str = Field(index=True)
    trip_event_id: str = Field(index=True)
    buyer_kind: str = "individual"  # individual | company
    buyer_name: str
    buyer_tax_id: str | None = None
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    issue_date: str = Field(index=True)  # YYYY-MM-DD in Asia/Shanghai, as printed
    total_fen: int
    base_fen: int
    tax_fen: int
    rate_bp: int
    regime: str
    check_code: str
    original_number: str | None = None
    locked_by: str | None = None
    record_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))


class InvoiceSequence(SQLModel, table=True):
    __tablename__ = "invoice_sequences"

    seller_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    next_seq: int = 1


class InvoiceTitle(SQLModel, table=True):
    __tablename__ = "invoice_titles"

    id: int | None = Field(default=None, primary_key=True)
    rider_id: str = Field(index=True)
    kind: str  # individual | company
    name: str
    tax_id: str | None = None
    is_default: bool = False
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
