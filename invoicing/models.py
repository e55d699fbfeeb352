"""Tables of e-invoicing: invoices and credit notes, their lifecycle events, the
per-seller number sequences, the riders' invoice titles, the companies and tax bureau
officers who sign in, and the tax bureau's export jobs.

An invoice row is a projection of its ledger record; `status` and `locked_by` follow the
lifecycle records appended after it (`invoice_status` records, and the `credit_note`
record that reverses it), each of which also has a row in `invoice_events`.
`invoicing.audit.check_invoices` replays the records and compares.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_seller_issued", "seller_id", "issued_at"),
        # Partial: most invoices have neither (individual buyers, not credit notes), and
        # every index entry is work in the batcher's block. `= value` implies NOT NULL,
        # so lookups by value still use them, on PostgreSQL and SQLite alike.
        Index(
            "ix_invoices_buyer_tax_id",
            "buyer_tax_id",
            postgresql_where=text("buyer_tax_id IS NOT NULL"),
            sqlite_where=text("buyer_tax_id IS NOT NULL"),
        ),
        Index(
            "ix_invoices_original_number",
            "original_number",
            postgresql_where=text("original_number IS NOT NULL"),
            sqlite_where=text("original_number IS NOT NULL"),
        ),
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
    issued_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    issue_date: str = Field(index=True)  # YYYY-MM-DD in Asia/Shanghai, as printed
    total_fen: int
    base_fen: int
    tax_fen: int
    rate_bp: int
    regime: str
    check_code: str
    original_number: str | None = None  # what a credit note reverses
    locked_by: str | None = None  # the company whose claim holds (or reimbursed) it
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
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class InvoiceEvent(SQLModel, table=True):
    """One lifecycle change of an invoice, at the index of the record that made it.

    Lock, unlock and reimburse are `invoice_status` records; credit and retitle are the
    `credit_note` record that reverses the invoice (`credit_note_number`).
    """

    __tablename__ = "invoice_events"

    record_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    number: str = Field(index=True)
    action: str  # lock | unlock | reimburse | credit | retitle
    status: str  # the invoice's status after the action
    actor_kind: str  # rider | company
    actor_id: str
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    credit_note_number: str | None = None


class Company(SQLModel, table=True):
    """A buyer company that signs in as its tax ID to claim invoices titled to it."""

    __tablename__ = "companies"

    tax_id: str = Field(primary_key=True)
    name: str
    token_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # When the token stops signing in (plumbing.tokens.token_refusal); None: no valid token.
    token_expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class TaxOfficer(SQLModel, table=True):
    """A tax bureau account: reads every invoice, changes none."""

    __tablename__ = "tax_officers"

    id: str = Field(primary_key=True)
    name: str
    token_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ExportJob(SQLModel, table=True):
    """A bulk export the tax bureau asked for; the archive is `<var_dir>/exports/<id>.zip`."""

    __tablename__ = "invoice_exports"

    id: str = Field(primary_key=True)
    officer_id: str = Field(index=True)
    status: str = "pending"  # pending | running | done | failed
    query_json: str = Field(sa_column=Column(Text, nullable=False))
    formats: str  # comma-separated: xml, pdf
    base_url: str  # where the documents' verification URLs point
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    invoice_count: int | None = None
    archive_bytes: int | None = None
    archive_sha256: str | None = None
    error: str | None = None
